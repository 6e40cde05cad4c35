package provision

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

func (p *Provisioner) userPool(ctx context.Context, name string, props map[string]any) (Result, error) {
	if n := str(props, "UserPoolName"); n != "" {
		name = n
	}
	id, err := p.findUserPool(ctx, name)
	if err != nil {
		return Result{}, err
	}
	if id == "" {
		in := &cip.CreateUserPoolInput{PoolName: aws.String(name)}
		in.UsernameAttributes = enumList[types.UsernameAttributeType](list(props, "UsernameAttributes"))
		in.AliasAttributes = enumList[types.AliasAttributeType](list(props, "AliasAttributes"))
		in.AutoVerifiedAttributes = enumList[types.VerifiedAttributeType](list(props, "AutoVerifiedAttributes"))
		if pol := object(object(props, "Policies"), "PasswordPolicy"); pol != nil {
			pp := &types.PasswordPolicyType{
				RequireLowercase: boolean(pol, "RequireLowercase"),
				RequireUppercase: boolean(pol, "RequireUppercase"),
				RequireNumbers:   boolean(pol, "RequireNumbers"),
				RequireSymbols:   boolean(pol, "RequireSymbols"),
			}
			if n, ok := integer(pol, "MinimumLength"); ok {
				pp.MinimumLength = aws.Int32(int32(n))
			}
			if n, ok := integer(pol, "TemporaryPasswordValidityDays"); ok {
				pp.TemporaryPasswordValidityDays = int32(n)
			}
			in.Policies = &types.UserPoolPolicyType{PasswordPolicy: pp}
		}
		if m := str(props, "MfaConfiguration"); m != "" {
			in.MfaConfiguration = types.UserPoolMfaType(m)
		}
		if d := str(props, "DeletionProtection"); d != "" {
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
	if n := str(props, "ClientName"); n != "" {
		name = n
	}
	pool := str(props, "UserPoolId")
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
		GenerateSecret:             boolean(props, "GenerateSecret"),
		ExplicitAuthFlows:          enumList[types.ExplicitAuthFlowsType](list(props, "ExplicitAuthFlows")),
		EnableTokenRevocation:      aws.Bool(boolean(props, "EnableTokenRevocation")),
		PreventUserExistenceErrors: types.PreventUserExistenceErrorTypes(str(props, "PreventUserExistenceErrors")),
	}
	if n, ok := integer(props, "AccessTokenValidity"); ok {
		in.AccessTokenValidity = aws.Int32(int32(n))
	}
	if n, ok := integer(props, "IdTokenValidity"); ok {
		in.IdTokenValidity = aws.Int32(int32(n))
	}
	if n, ok := integer(props, "RefreshTokenValidity"); ok {
		in.RefreshTokenValidity = int32(n)
	}
	if u := object(props, "TokenValidityUnits"); u != nil {
		in.TokenValidityUnits = &types.TokenValidityUnitsType{
			AccessToken:  types.TimeUnitsType(str(u, "AccessToken")),
			IdToken:      types.TimeUnitsType(str(u, "IdToken")),
			RefreshToken: types.TimeUnitsType(str(u, "RefreshToken")),
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
	if n := str(props, "GroupName"); n != "" {
		name = n
	}
	in := &cip.CreateGroupInput{GroupName: aws.String(name), UserPoolId: aws.String(str(props, "UserPoolId"))}
	if d := str(props, "Description"); d != "" {
		in.Description = aws.String(d)
	}
	if n, ok := integer(props, "Precedence"); ok {
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
	for _, s := range stringList(v) {
		out = append(out, T(s))
	}
	return out
}
