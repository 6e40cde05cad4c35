package cognito

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/orion-oss/orion/internal/customer"
)

// ChangeEmail asks for the user's address to become email. The app client may write no attribute
// (template.yaml WriteAttributes), so this is the function's own AdminUpdateUserAttributes (IAM).
// With email in the pool's AttributesRequireVerificationBeforeUpdate, Cognito keeps the old, verified
// address (sign-in and order mail stay on it) and mails a code to the new one; the new one replaces it
// only once VerifyEmail confirms that code
// (docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-email-phone-verification.html,
// "Verifying updates to email addresses and phone numbers"). email_verified is deliberately not sent:
// with it true Cognito would take the address unverified. username is the token's username claim.
//
// verified is for the stacks that auto-confirm users (template.yaml AutoConfirmUsers): their pool has
// no auto-verified attribute and no AttributesRequireVerificationBeforeUpdate, so the change is
// immediate, no code is mailed, and an address left unverified would stop order mail for good (the
// email function mails verified addresses only). There the new address is marked verified in the same
// call, as registration's ConfirmUser does at sign-up.
func (p *UserPool) ChangeEmail(ctx context.Context, username string, email customer.Email, verified bool) error {
	attrs := []types.AttributeType{{Name: aws.String("email"), Value: aws.String(email.String())}}
	if verified {
		attrs = append(attrs, types.AttributeType{Name: aws.String("email_verified"), Value: aws.String("true")})
	}
	_, err := p.idp.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: aws.String(p.poolID), Username: aws.String(username),
		UserAttributes: attrs})
	if errors.As(err, new(*types.AliasExistsException)) {
		return customer.ErrEmailTaken
	}
	if err != nil {
		return refusal("admin update user attributes", err)
	}
	return nil
}

// VerifyEmail confirms the pending address change of the user of accessToken with the code Cognito
// mailed to the new address: customer.ErrBadCode for a wrong or expired code.
func (p *UserPool) VerifyEmail(ctx context.Context, accessToken, code string) error {
	_, err := p.idp.VerifyUserAttribute(ctx, &cip.VerifyUserAttributeInput{AccessToken: aws.String(accessToken),
		AttributeName: aws.String("email"), Code: aws.String(code)})
	if errors.As(err, new(*types.AliasExistsException)) {
		return customer.ErrEmailTaken
	}
	if err != nil {
		return refusal("verify user attribute", err)
	}
	return nil
}
