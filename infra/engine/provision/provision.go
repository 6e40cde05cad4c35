// Package provision creates, in the local AWS endpoint (moto or LocalStack), the data resources that
// template.yaml declares: DynamoDB tables, EventBridge buses, archives and rules, SQS queues, SNS topics
// and the KMS keys that encrypt them, the Cognito user pool with its clients and groups, and the SES
// identity and configuration set.
//
// It takes properties already resolved by infra/engine/sam and returns what CloudFormation would: the value of
// Ref and the Fn::GetAtt attributes, so later resources and function environments resolve to local
// names, ARNs and URLs. Creation is idempotent: against a LocalStack that kept yesterday's state, an
// existing resource is looked up and reused rather than duplicated.
package provision

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// ErrUnsupported means the resource type is not one this package creates.
var ErrUnsupported = errors.New("provision: unsupported resource type")

// Result is what a created resource answers to Ref and Fn::GetAtt.
type Result struct {
	Ref   string
	Attrs map[string]any
}

// Provisioner creates resources through the real SDK against one endpoint.
type Provisioner struct {
	region, account string

	ddb     *dynamodb.Client
	events  *eventbridge.Client
	sqs     *sqs.Client
	sns     *sns.Client
	cognito *cognitoidentityprovider.Client
	sesv2   *sesv2.Client
	ses     *ses.Client
	kms     *kms.Client
}

// New builds a Provisioner; region and account are those of the ARNs the endpoint issues.
func New(cfg aws.Config, account string) *Provisioner {
	return &Provisioner{
		region:  cfg.Region,
		account: account,
		ddb:     dynamodb.NewFromConfig(cfg),
		events:  eventbridge.NewFromConfig(cfg),
		sqs:     sqs.NewFromConfig(cfg),
		sns:     sns.NewFromConfig(cfg),
		cognito: cognitoidentityprovider.NewFromConfig(cfg),
		sesv2:   sesv2.NewFromConfig(cfg),
		ses:     ses.NewFromConfig(cfg),
		kms:     kms.NewFromConfig(cfg),
	}
}

type createFunc func(p *Provisioner, ctx context.Context, name string, props map[string]any) (Result, error)

var creators = map[string]createFunc{
	"AWS::DynamoDB::Table":         (*Provisioner).table,
	"AWS::Events::EventBus":        (*Provisioner).eventBus,
	"AWS::Events::Archive":         (*Provisioner).archive,
	"AWS::Events::Rule":            (*Provisioner).rule,
	"AWS::SQS::Queue":              (*Provisioner).queue,
	"AWS::SNS::Topic":              (*Provisioner).topic,
	"AWS::Cognito::UserPool":       (*Provisioner).userPool,
	"AWS::Cognito::UserPoolClient": (*Provisioner).userPoolClient,
	"AWS::Cognito::UserPoolGroup":  (*Provisioner).userPoolGroup,
	"AWS::SES::EmailIdentity":      (*Provisioner).emailIdentity,
	"AWS::SES::ConfigurationSet":   (*Provisioner).configurationSet,
	"AWS::Serverless::SimpleTable": (*Provisioner).simpleTable,
	"AWS::KMS::Key":                (*Provisioner).kmsKey,
}

// Handles reports whether Create knows the type.
func Handles(typ string) bool { return creators[typ] != nil }

// Types lists the types Create knows, for error messages and docs.
func Types() []string {
	var out []string
	for t := range creators {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Create makes one resource. name is the physical name to use when the properties do not give one
// (CloudFormation's generated name), so that names stay stable across restarts.
func (p *Provisioner) Create(ctx context.Context, typ, name string, props map[string]any) (Result, error) {
	f := creators[typ]
	if f == nil {
		return Result{}, fmt.Errorf("%w: %s", ErrUnsupported, typ)
	}
	r, err := f(p, ctx, name, props)
	if err != nil {
		return Result{}, fmt.Errorf("provision %s %s: %w", typ, name, err)
	}
	return r, nil
}

func (p *Provisioner) arn(service, resource string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, p.region, p.account, resource)
}

// decode copies CloudFormation properties into an SDK input. CloudFormation property names are the
// API's member names for these services, and encoding/json matches them case-insensitively; numbers
// that CloudFormation lets templates write as strings are normalised first.
func decode(props map[string]any, into any) error {
	b, err := json.Marshal(props)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, into)
}
