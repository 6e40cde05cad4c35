// Package boot is what every function's main does before lambda.Start: a JSON logger at the configured
// level, the shared AWS configuration, the table names, and the function's own settings. A main reads
// its environment through this package only: Require for a setting it cannot run without, Optional
// for one with a default, Fail for a value that is set but unusable. A missing or invalid setting is a
// deployment error, so it is logged as one structured line naming it and the process exits (Lambda
// reports Runtime.ExitError) instead of serving requests it cannot handle.
//
// Every function but outbox-relay links this package (the relay has no setting but LOG_LEVEL, which
// logging reads, and links no AWS configuration at all), so it links nothing a function may not need:
// the AWS configuration comes from the environment (envcfg, not the SDK's config loader), the table
// names from package tables (not the DynamoDB adapters), and the payment provider from the subpackage
// payments, which only the payment functions import. Each package linked is initialized at every
// cold start; architecture_test.go at the top of the tree checks what the functions link.
package boot

import (
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/orion-oss/orion/internal/adapter/dynamo/tables"
	"github.com/orion-oss/orion/internal/platform/awscfg/envcfg"
	"github.com/orion-oss/orion/internal/platform/logging"
)

// Logger is the function's JSON logger (internal/platform/logging: every line carries the function, the
// request, correlation and order ids of its context); LOG_LEVEL sets the level (INFO by default).
func Logger() *slog.Logger {
	return logging.FromEnv()
}

// AWS returns the SDK configuration the Lambda environment describes (no file or network I/O).
func AWS(log *slog.Logger) aws.Config {
	cfg, err := envcfg.Load()
	if err != nil {
		Fail(log, "aws configuration", err)
	}
	return cfg
}

// Tables returns the table names from the environment (a tables.Names is a dynamo.Tables).
func Tables(log *slog.Logger) tables.Names {
	t, err := tables.FromEnv()
	if err != nil {
		Fail(log, "table names", err)
	}
	return t
}

// Fail logs an init failure as one structured line and exits: Lambda reports Runtime.ExitError.
func Fail(log *slog.Logger, what string, err error) {
	log.Error("init failed", "what", what, "error", err)
	os.Exit(1)
}

// Require returns the environment variable name, a setting the function cannot run without. When it is
// unset or empty, the function stops here with one line: {"level":"ERROR","msg":"init failed",
// "what":"<name>","error":"is not set"}.
func Require(log *slog.Logger, name string) string {
	v := os.Getenv(name)
	if v == "" {
		Fail(log, name, errors.New("is not set"))
	}
	return v
}

// Optional returns the environment variable name, or def when it is unset or empty: a setting the
// function runs without (an SES configuration set, a feature's switch).
func Optional(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Bool returns the environment variable name as a switch: "true" or "false", def when it is unset or
// empty. Any other value stops the function at start with one line, as Require does: a switch that
// reads a typo as false would turn a feature off without a word.
func Bool(log *slog.Logger, name string, def bool) bool {
	switch v := os.Getenv(name); v {
	case "":
		return def
	case "true":
		return true
	case "false":
		return false
	default:
		Fail(log, name, fmt.Errorf("is %q, not true or false", v))
		return false
	}
}

// CognitoEndpoint is the endpoint a local run points Cognito at (the SDK's service-specific
// AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, else AWS_ENDPOINT_URL), "" on AWS: where a function that
// checks tokens fetches the user pool's signing keys (auth.JWKSURL).
func CognitoEndpoint() string {
	return Optional("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", Optional("AWS_ENDPOINT_URL", ""))
}
