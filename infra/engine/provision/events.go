package provision

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/orion-oss/orion/infra/engine/sam"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"
)

func (p *Provisioner) eventBus(ctx context.Context, name string, props map[string]any) (Result, error) {
	if n := sam.String(props, "Name"); n != "" {
		name = n
	}
	arn := p.arn("events", "event-bus/"+name)
	_, err := p.events.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(name)})
	if err != nil && !errors.As(err, new(*types.ResourceAlreadyExistsException)) {
		return Result{}, err
	}
	return Result{Ref: name, Attrs: map[string]any{"Arn": arn, "Name": name}}, nil
}

func (p *Provisioner) archive(ctx context.Context, name string, props map[string]any) (Result, error) {
	if n := sam.String(props, "ArchiveName"); n != "" {
		name = n
	}
	in := &eventbridge.CreateArchiveInput{
		ArchiveName:    aws.String(name),
		EventSourceArn: aws.String(sam.String(props, "SourceArn")),
	}
	if d := sam.String(props, "Description"); d != "" {
		in.Description = aws.String(d)
	}
	if days, ok := sam.Int(props, "RetentionDays"); ok {
		in.RetentionDays = aws.Int32(int32(days))
	}
	if pat := props["EventPattern"]; pat != nil {
		b, err := patternJSON(pat)
		if err != nil {
			return Result{}, err
		}
		in.EventPattern = aws.String(b)
	}
	_, err := p.events.CreateArchive(ctx, in)
	if err != nil && !errors.As(err, new(*types.ResourceAlreadyExistsException)) {
		return Result{}, err
	}
	return Result{Ref: name, Attrs: map[string]any{"Arn": p.arn("events", "archive/"+name)}}, nil
}

// rule registers the rule with the emulator so that it can be listed and described, but without targets:
// moto cannot deliver to Lambda or Step Functions (a PutEvents matching such a target fails with a 500),
// so the local runtime matches and delivers events itself (infra/engine/eventbus).
func (p *Provisioner) rule(ctx context.Context, name string, props map[string]any) (Result, error) {
	if n := sam.String(props, "Name"); n != "" {
		name = n
	}
	bus := sam.String(props, "EventBusName")
	if bus == "" {
		bus = "default"
	}
	if strings.HasPrefix(bus, "arn:") {
		bus = bus[strings.LastIndex(bus, "/")+1:]
	}
	in := &eventbridge.PutRuleInput{Name: aws.String(name), EventBusName: aws.String(bus)}
	if pat := props["EventPattern"]; pat != nil {
		b, err := patternJSON(pat)
		if err != nil {
			return Result{}, err
		}
		in.EventPattern = aws.String(b)
	}
	if s := sam.String(props, "ScheduleExpression"); s != "" {
		in.ScheduleExpression = aws.String(s)
	}
	if st := sam.String(props, "State"); st != "" {
		in.State = types.RuleState(st)
	}
	out, err := p.events.PutRule(ctx, in)
	if err != nil {
		return Result{}, err
	}
	arn := aws.ToString(out.RuleArn)
	return Result{Ref: name, Attrs: map[string]any{"Arn": arn}}, nil
}

// patternJSON accepts an event pattern as CloudFormation does: an object or a JSON string.
func patternJSON(v any) (string, error) {
	if s, ok := v.(string); ok {
		if !json.Valid([]byte(s)) {
			return "", fmt.Errorf("event pattern is not JSON: %q", s)
		}
		return s, nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

func isValidation(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && strings.Contains(ae.ErrorCode(), "Validation")
}
