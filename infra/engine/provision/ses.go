package provision

import (
	"context"
	"errors"
	"fmt"
	"github.com/orion-oss/orion/infra/engine/sam"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"
)

func (p *Provisioner) configurationSet(ctx context.Context, name string, props map[string]any) (Result, error) {
	if n := sam.String(props, "Name"); n != "" {
		name = n
	}
	_, err := p.sesv2.CreateConfigurationSet(ctx, &sesv2.CreateConfigurationSetInput{ConfigurationSetName: aws.String(name)})
	if err != nil && !alreadyExists(err) {
		return Result{}, err
	}
	return Result{Ref: name}, nil
}

// emailIdentity creates the sender identity and marks it verified. On AWS a person clicks the link SES
// mails to the address (or DNS verifies a domain); locally there is nobody to click, and an unverified
// sender makes every send fail, so the verification step is done through the SES API the emulator offers.
func (p *Provisioner) emailIdentity(ctx context.Context, name string, props map[string]any) (Result, error) {
	identity := sam.String(props, "EmailIdentity")
	if identity == "" {
		identity = name
	}
	in := &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String(identity)}
	if cs := sam.String(props, "ConfigurationSetAttributes"); cs != "" {
		in.ConfigurationSetName = aws.String(cs)
	} else if csa := sam.Map(props, "ConfigurationSetAttributes"); csa != nil {
		if n := sam.String(csa, "ConfigurationSetName"); n != "" {
			in.ConfigurationSetName = aws.String(n)
		}
	}
	_, err := p.sesv2.CreateEmailIdentity(ctx, in)
	if err != nil && !alreadyExists(err) {
		return Result{}, err
	}
	if strings.Contains(identity, "@") {
		_, err = p.ses.VerifyEmailIdentity(ctx, &ses.VerifyEmailIdentityInput{EmailAddress: aws.String(identity)})
	} else {
		_, err = p.ses.VerifyDomainIdentity(ctx, &ses.VerifyDomainIdentityInput{Domain: aws.String(identity)})
	}
	if err != nil {
		return Result{}, fmt.Errorf("verify %s: %w", identity, err)
	}
	return Result{Ref: identity}, nil
}

// alreadyExists accepts SES's AlreadyExistsException and the emulators' service-specific codes for it
// (moto answers ConfigurationSetAlreadyExistsException).
func alreadyExists(err error) bool {
	if errors.As(err, new(*types.AlreadyExistsException)) {
		return true
	}
	var ae smithy.APIError
	return errors.As(err, &ae) && strings.HasSuffix(ae.ErrorCode(), "AlreadyExistsException")
}
