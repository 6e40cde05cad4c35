package cognito

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/orion-oss/orion/internal/account"
	"github.com/orion-oss/orion/internal/customer"
)

// RegistrationAPI is the part of the Cognito API registration uses (*cip.Client).
type RegistrationAPI interface {
	DescribeClientAPI
	SignUp(context.Context, *cip.SignUpInput, ...func(*cip.Options)) (*cip.SignUpOutput, error)
	ConfirmSignUp(context.Context, *cip.ConfirmSignUpInput, ...func(*cip.Options)) (*cip.ConfirmSignUpOutput, error)
	ResendConfirmationCode(context.Context, *cip.ResendConfirmationCodeInput, ...func(*cip.Options)) (*cip.ResendConfirmationCodeOutput, error)
	ForgotPassword(context.Context, *cip.ForgotPasswordInput, ...func(*cip.Options)) (*cip.ForgotPasswordOutput, error)
	ConfirmForgotPassword(context.Context, *cip.ConfirmForgotPasswordInput, ...func(*cip.Options)) (*cip.ConfirmForgotPasswordOutput, error)
	AdminGetUser(context.Context, *cip.AdminGetUserInput, ...func(*cip.Options)) (*cip.AdminGetUserOutput, error)
	AdminDeleteUser(context.Context, *cip.AdminDeleteUserInput, ...func(*cip.Options)) (*cip.AdminDeleteUserOutput, error)
	AdminConfirmSignUp(context.Context, *cip.AdminConfirmSignUpInput, ...func(*cip.Options)) (*cip.AdminConfirmSignUpOutput, error)
	AdminUpdateUserAttributes(context.Context, *cip.AdminUpdateUserAttributesInput, ...func(*cip.Options)) (*cip.AdminUpdateUserAttributesOutput, error)
}

// Registration is the user pool as the anonymous account functions use it (register, confirm, resend
// the code, forgot and reset the password), through the registration app client: the only client that
// may write a user's email and name, which it does once, at sign-up. Its secret keeps anyone from
// calling SignUp around Orion (and around its checks and its one answer for every address): each call
// carries SECRET_HASH, which only a holder of the secret can compute.
type Registration struct {
	idp      RegistrationAPI
	poolID   string
	clientID string
	secret   *clientSecret
}

var (
	_ account.Registrar         = (*Registration)(nil)
	_ account.Confirmer         = (*Registration)(nil)
	_ account.CodeResender      = (*Registration)(nil)
	_ account.PasswordForgetter = (*Registration)(nil)
	_ account.PasswordResetter  = (*Registration)(nil)
)

// NewRegistration builds the adapter for a pool and its registration client. Nothing is called until
// the first request: the client's secret is read then, once.
func NewRegistration(idp RegistrationAPI, poolID, clientID string) *Registration {
	return &Registration{idp: idp, poolID: poolID, clientID: clientID, secret: newClientSecret(idp, poolID, clientID)}
}

// SignUp creates an unconfirmed user: customer.ErrEmailTaken when the address has one.
func (r *Registration) SignUp(ctx context.Context, email customer.Email, password, name string) error {
	h, err := r.secret.hash(ctx, email.String())
	if err != nil {
		return err
	}
	_, err = r.idp.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(r.clientID), SecretHash: h, UserContextData: userContext(ctx), Username: aws.String(email.String()), Password: aws.String(password),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(email.String())}, {Name: aws.String("name"), Value: aws.String(name)}}})
	return refusal("SignUp", err)
}

// ConfirmUser confirms a user without a code and marks the address verified.
func (r *Registration) ConfirmUser(ctx context.Context, email customer.Email) error {
	if _, err := r.idp.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: aws.String(r.poolID), Username: aws.String(email.String())}); err != nil {
		return refusal("AdminConfirmSignUp", err)
	}
	// Without auto-verified attributes (template.yaml: none when users are auto-confirmed, so that
	// SignUp mails no code) the address would stay unverified, and a forgotten password could not be
	// recovered through it (AccountRecoverySetting verified_email).
	_, err := r.idp.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: aws.String(r.poolID), Username: aws.String(email.String()),
		UserAttributes: []types.AttributeType{{Name: aws.String("email_verified"), Value: aws.String("true")}}})
	return refusal("AdminUpdateUserAttributes", err)
}

// Holder finds the user that holds an address: its status and when it last changed.
func (r *Registration) Holder(ctx context.Context, email customer.Email) (account.Holder, error) {
	out, err := r.idp.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(r.poolID), Username: aws.String(email.String())})
	var missing *types.UserNotFoundException
	switch {
	case errors.As(err, &missing):
		return account.Holder{}, nil
	case err != nil:
		return account.Holder{}, refusal("AdminGetUser", err)
	}
	// A code is sent at sign-up and again at each resend; the later of the two dates is the earliest
	// a code still valid can have been sent. (Whether Cognito moves UserLastModifiedDate on a resend is
	// not documented; if it does not, a resent code may die with the replaced user, and its owner
	// registers again.)
	since := aws.ToTime(out.UserCreateDate)
	if m := aws.ToTime(out.UserLastModifiedDate); m.After(since) {
		since = m
	}
	return account.Holder{Exists: true, Confirmed: out.UserStatus != types.UserStatusTypeUnconfirmed, Since: since}, nil
}

// DeleteUser deletes the user of an address; an address without one is not an error.
func (r *Registration) DeleteUser(ctx context.Context, email customer.Email) error {
	_, err := r.idp.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: aws.String(r.poolID), Username: aws.String(email.String())})
	var missing *types.UserNotFoundException
	if errors.As(err, &missing) {
		return nil
	}
	return refusal("AdminDeleteUser", err)
}

// ResendCode mails an unconfirmed user a new confirmation code. Whatever holds the address (nobody, a
// confirmed user, one refused further codes for now) it answers nil: see refusal's table.
func (r *Registration) ResendCode(ctx context.Context, email customer.Email) error {
	h, err := r.secret.hash(ctx, email.String())
	if err != nil {
		return err
	}
	_, err = r.idp.ResendConfirmationCode(ctx, &cip.ResendConfirmationCodeInput{ClientId: aws.String(r.clientID), SecretHash: h, UserContextData: userContext(ctx), Username: aws.String(email.String())})
	return refusal("ResendConfirmationCode", err)
}

// ConfirmSignUp completes a registration with the mailed code: customer.ErrBadCode for a wrong or
// expired code, an unknown user and one already confirmed alike.
func (r *Registration) ConfirmSignUp(ctx context.Context, email customer.Email, code string) error {
	h, err := r.secret.hash(ctx, email.String())
	if err != nil {
		return err
	}
	_, err = r.idp.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(r.clientID), SecretHash: h, UserContextData: userContext(ctx), Username: aws.String(email.String()), ConfirmationCode: aws.String(code)})
	return refusal("ConfirmSignUp", err)
}

// ForgotPassword mails a password-reset code to the user of an address, if it has one that can take
// it; nil whatever holds the address.
func (r *Registration) ForgotPassword(ctx context.Context, email customer.Email) error {
	h, err := r.secret.hash(ctx, email.String())
	if err != nil {
		return err
	}
	_, err = r.idp.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(r.clientID), SecretHash: h, UserContextData: userContext(ctx), Username: aws.String(email.String())})
	return refusal("ForgotPassword", err)
}

// ResetPassword sets a new password with the mailed reset code: customer.ErrBadCode for a wrong or
// expired code and an unknown user alike.
func (r *Registration) ResetPassword(ctx context.Context, email customer.Email, code, password string) error {
	h, err := r.secret.hash(ctx, email.String())
	if err != nil {
		return err
	}
	_, err = r.idp.ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{ClientId: aws.String(r.clientID), SecretHash: h, UserContextData: userContext(ctx), Username: aws.String(email.String()),
		ConfirmationCode: aws.String(code), Password: aws.String(password)})
	return refusal("ConfirmForgotPassword", err)
}
