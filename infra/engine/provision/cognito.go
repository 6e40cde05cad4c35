package provision

import (
	"context"
	"errors"
	"fmt"
	"github.com/orion-oss/orion/infra/engine/sam"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

func (p *Provisioner) userPool(ctx context.Context, name string, props map[string]any) (Result, error) {
	if n := sam.String(props, "UserPoolName"); n != "" {
		name = n
	}
	id, err := p.findUserPool(ctx, name)
	if err != nil {
		return Result{}, err
	}
	if id == "" {
		in := &cip.CreateUserPoolInput{PoolName: aws.String(name)}
		in.UsernameAttributes = enumList[types.UsernameAttributeType](sam.List(props, "UsernameAttributes"))
		in.AliasAttributes = enumList[types.AliasAttributeType](sam.List(props, "AliasAttributes"))
		in.AutoVerifiedAttributes = enumList[types.VerifiedAttributeType](sam.List(props, "AutoVerifiedAttributes"))
		if pol := sam.Map(sam.Map(props, "Policies"), "PasswordPolicy"); pol != nil {
			pp := &types.PasswordPolicyType{
				RequireLowercase: sam.Bool(pol, "RequireLowercase"),
				RequireUppercase: sam.Bool(pol, "RequireUppercase"),
				RequireNumbers:   sam.Bool(pol, "RequireNumbers"),
				RequireSymbols:   sam.Bool(pol, "RequireSymbols"),
			}
			if n, ok := sam.Int(pol, "MinimumLength"); ok {
				pp.MinimumLength = aws.Int32(int32(n))
			}
			if n, ok := sam.Int(pol, "TemporaryPasswordValidityDays"); ok {
				pp.TemporaryPasswordValidityDays = int32(n)
			}
			in.Policies = &types.UserPoolPolicyType{PasswordPolicy: pp}
		}
		if m := sam.String(props, "MfaConfiguration"); m != "" {
			in.MfaConfiguration = types.UserPoolMfaType(m)
		}
		if ec := sam.Map(props, "EmailConfiguration"); ec != nil {
			// The emulator keeps it (and checks its shape); nothing mails from it locally.
			in.EmailConfiguration = &types.EmailConfigurationType{
				EmailSendingAccount: types.EmailSendingAccountType(sam.String(ec, "EmailSendingAccount")),
				From:                optional(sam.String(ec, "From")),
				SourceArn:           optional(sam.String(ec, "SourceArn")),
				ReplyToEmailAddress: optional(sam.String(ec, "ReplyToEmailAddress")),
				ConfigurationSet:    optional(sam.String(ec, "ConfigurationSet")),
			}
		}
		if d := sam.String(props, "DeletionProtection"); d != "" {
			in.DeletionProtection = types.DeletionProtectionType(d)
		}
		out, err := p.cognito.CreateUserPool(ctx, in)
		if err != nil {
			return Result{}, err
		}
		id = aws.ToString(out.UserPool.Id)
	}
	provider := fmt.Sprintf("cognito-idp.%s.amazonaws.com/%s", p.region, id)
	return Result{Ref: id, Attrs: map[string]any{
		"Arn":          p.arn("cognito-idp", "userpool/"+id),
		"ProviderName": provider,
		"ProviderURL":  "https://" + provider,
		"UserPoolId":   id,
	}}, nil
}

// findUserPool returns the id of an existing pool with this name: pool names are not unique on AWS, so
// re-running against a persistent emulator must look before creating.
func (p *Provisioner) findUserPool(ctx context.Context, name string) (string, error) {
	pages := cip.NewListUserPoolsPaginator(p.cognito, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return "", err
		}
		for _, up := range page.UserPools {
			if aws.ToString(up.Name) == name {
				return aws.ToString(up.Id), nil
			}
		}
	}
	return "", nil
}

func (p *Provisioner) userPoolClient(ctx context.Context, name string, props map[string]any) (Result, error) {
	if n := sam.String(props, "ClientName"); n != "" {
		name = n
	}
	pool := sam.String(props, "UserPoolId")
	if pool == "" {
		return Result{}, errors.New("UserPoolId is required")
	}
	clients, err := p.cognito.ListUserPoolClients(ctx, &cip.ListUserPoolClientsInput{UserPoolId: aws.String(pool), MaxResults: aws.Int32(60)})
	if err != nil {
		return Result{}, err
	}
	for _, c := range clients.UserPoolClients {
		if aws.ToString(c.ClientName) == name {
			return Result{Ref: aws.ToString(c.ClientId), Attrs: map[string]any{"ClientId": aws.ToString(c.ClientId), "Name": name}}, nil
		}
	}
	in := &cip.CreateUserPoolClientInput{
		UserPoolId:                 aws.String(pool),
		ClientName:                 aws.String(name),
		GenerateSecret:             sam.Bool(props, "GenerateSecret"),
		ExplicitAuthFlows:          enumList[types.ExplicitAuthFlowsType](sam.List(props, "ExplicitAuthFlows")),
		EnableTokenRevocation:      aws.Bool(sam.Bool(props, "EnableTokenRevocation")),
		PreventUserExistenceErrors: types.PreventUserExistenceErrorTypes(sam.String(props, "PreventUserExistenceErrors")),
		// The emulator refuses a token's write of an attribute outside this list, as Cognito does.
		WriteAttributes: sam.Strings(props["WriteAttributes"]),
	}
	if n, ok := sam.Int(props, "AccessTokenValidity"); ok {
		in.AccessTokenValidity = aws.Int32(int32(n))
	}
	if n, ok := sam.Int(props, "IdTokenValidity"); ok {
		in.IdTokenValidity = aws.Int32(int32(n))
	}
	if n, ok := sam.Int(props, "RefreshTokenValidity"); ok {
		in.RefreshTokenValidity = int32(n)
	}
	if u := sam.Map(props, "TokenValidityUnits"); u != nil {
		in.TokenValidityUnits = &types.TokenValidityUnitsType{
			AccessToken:  types.TimeUnitsType(sam.String(u, "AccessToken")),
			IdToken:      types.TimeUnitsType(sam.String(u, "IdToken")),
			RefreshToken: types.TimeUnitsType(sam.String(u, "RefreshToken")),
		}
	}
	out, err := p.cognito.CreateUserPoolClient(ctx, in)
	if err != nil {
		return Result{}, err
	}
	id := aws.ToString(out.UserPoolClient.ClientId)
	return Result{Ref: id, Attrs: map[string]any{"ClientId": id, "Name": name}}, nil
}

func (p *Provisioner) userPoolGroup(ctx context.Context, name string, props map[string]any) (Result, error) {
	if n := sam.String(props, "GroupName"); n != "" {
		name = n
	}
	in := &cip.CreateGroupInput{GroupName: aws.String(name), UserPoolId: aws.String(sam.String(props, "UserPoolId"))}
	if d := sam.String(props, "Description"); d != "" {
		in.Description = aws.String(d)
	}
	if n, ok := sam.Int(props, "Precedence"); ok {
		in.Precedence = aws.Int32(int32(n))
	}
	_, err := p.cognito.CreateGroup(ctx, in)
	if err != nil && !errors.As(err, new(*types.GroupExistsException)) {
		return Result{}, err
	}
	return Result{Ref: name}, nil
}

func enumList[T ~string](v []any) []T {
	if len(v) == 0 {
		return nil
	}
	out := make([]T, 0, len(v))
	for _, s := range sam.Strings(v) {
		out = append(out, T(s))
	}
	return out
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
