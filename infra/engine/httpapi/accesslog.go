package httpapi

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// AccessLog is the stage's AccessLogSettings: Format, with $context variables, is written once per
// request to Write, as API Gateway writes it to the DestinationArn log group. See "Customize HTTP API
// access logs" (docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html).
type AccessLog struct {
	Format string
	Write  func(line string)
}

// contextVar matches a $context variable: $context.requestId, $context.identity.sourceIp,
// $context.authorizer.claims.sub, $context.authorizer.claims.cognito:groups.
var contextVar = regexp.MustCompile(`\$context\.[A-Za-z0-9_]+(?:[.:][A-Za-z0-9_]+)*`)

// claimPrefix is the variable family of a JWT authorizer's claims: "A property of the claims returned
// from the JSON Web Token (JWT) after the method caller is successfully authenticated" (the page above).
const claimPrefix = "$context.authorizer.claims."

// accessVars are the variables the local gateway fills, each from the request's Record.
var accessVars = map[string]func(r Record) string{
	"$context.accountId":               func(r Record) string { return r.AccountID },
	"$context.apiId":                   func(r Record) string { return r.APIID },
	"$context.stage":                   func(r Record) string { return r.Stage },
	"$context.requestId":               func(r Record) string { return r.RequestID },
	"$context.extendedRequestId":       func(r Record) string { return r.RequestID },
	"$context.identity.sourceIp":       func(r Record) string { return r.SourceIP },
	"$context.identity.userAgent":      func(r Record) string { return r.UserAgent },
	"$context.httpMethod":              func(r Record) string { return r.Method },
	"$context.path":                    func(r Record) string { return r.Path },
	"$context.protocol":                func(r Record) string { return r.Protocol },
	"$context.routeKey":                func(r Record) string { return r.RouteKey },
	"$context.status":                  func(r Record) string { return strconv.Itoa(r.Status) },
	"$context.responseLatency":         func(r Record) string { return strconv.FormatInt(r.Duration.Milliseconds(), 10) },
	"$context.responseLength":          func(r Record) string { return strconv.Itoa(r.ResponseLength) },
	"$context.requestTime":             func(r Record) string { return r.Start.UTC().Format("02/Jan/2006:15:04:05 -0700") },
	"$context.requestTimeEpoch":        func(r Record) string { return strconv.FormatInt(r.Start.UnixMilli(), 10) },
	"$context.integrationErrorMessage": func(r Record) string { return r.IntegrationError },
	"$context.error.message":           func(r Record) string { return r.ErrorMessage },
	"$context.authorizer.error":        func(r Record) string { return r.AuthError },
}

// checkAccessLog refuses a format with a variable the local gateway does not fill, so that a template
// change cannot leave a field silently "-" here while AWS fills it.
func checkAccessLog(a *AccessLog) error {
	if a == nil {
		return nil
	}
	for _, v := range contextVar.FindAllString(a.Format, -1) {
		if _, ok := accessVars[v]; !ok && !strings.HasPrefix(v, claimPrefix) {
			return fmt.Errorf("httpapi: access log variable %s is not filled locally (add it to accessVars)", v)
		}
	}
	return nil
}

// accessLine renders the format for one request. A variable without a value is "-", as API Gateway
// writes it: a claim of an unauthenticated route, the authorizer error of a request that passed. Values
// are not escaped by API Gateway; locally a double quote, backslash or control character becomes '?'
// so that a JSON format stays one parseable line (only the runtime's own error texts can hold them).
func accessLine(format string, r Record) string {
	return contextVar.ReplaceAllStringFunc(format, func(v string) string {
		var s string
		if claim, ok := strings.CutPrefix(v, claimPrefix); ok {
			s = r.Claims[claim]
		} else if f, ok := accessVars[v]; ok {
			s = f(r)
		}
		if s == "" {
			return "-"
		}
		return strings.Map(func(c rune) rune {
			if c == '"' || c == '\\' || c < 0x20 || c == 0x7f {
				return '?'
			}
			return c
		}, s)
	})
}

// record completes a request's Record with what the access log needs from the gateway's configuration.
func (g *Gateway) accessRecord(r Record, start time.Time) Record {
	r.AccountID, r.APIID, r.Stage, r.Start = g.cfg.AccountID, g.cfg.APIID, g.cfg.Stage, start
	return r
}
