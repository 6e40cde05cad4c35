// Package directory finds customers' email addresses in the Cognito user pool for the email function.
// It is apart from package cognito (registration and sign-in) so that the account functions do not
// link package email, nor send-email package account (docs/adr/0009-package-splits-for-cold-start.md).
package directory

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/orion-oss/orion/internal/email"
)

// UserLister is the part of the Cognito user pool API the directory calls.
type UserLister interface {
	ListUsers(ctx context.Context, in *cip.ListUsersInput, opts ...func(*cip.Options)) (*cip.ListUsersOutput, error)
}

// Directory finds customers' email addresses in the Cognito user pool: email.Recipients for the email
// function. A customer id is the user's sub; with email as the username attribute the username is not
// the address, so the user is found by a ListUsers filter on sub (one call, no scan).
type Directory struct {
	idp    UserLister
	poolID string
}

// New builds the directory of one user pool.
func New(idp UserLister, poolID string) *Directory {
	return &Directory{idp: idp, poolID: poolID}
}

var _ email.Recipients = (*Directory)(nil)

// Email implements email.Recipients. A customer who no longer exists, has no email attribute, or whose
// address is not verified is email.ErrPermanent: no retry will find an address to write to, and the
// email function records the event as skipped (so a redelivery sends nothing either) and logs it.
//
// Only a verified address gets order mail. Cognito keeps email_verified true only for an address whose
// owner answered a code; an address changed without one (AdminUpdateUserAttributes where the pool does
// not require verification before update, AutoConfirmUsers stacks) is unverified, and mail to it would
// let anyone who can set an account's address read that account's orders. Where the pool requires
// verification (template.yaml UserAttributeUpdateSettings) the old, verified address stays until the new
// one is confirmed.
func (d *Directory) Email(ctx context.Context, customerID string) (string, error) {
	if customerID == "" || strings.ContainsAny(customerID, `"\`) {
		return "", fmt.Errorf("%w: customer id %q cannot be looked up", email.ErrPermanent, customerID)
	}
	out, err := d.idp.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(d.poolID),
		Filter: aws.String(fmt.Sprintf("sub = %q", customerID)), Limit: aws.Int32(1), AttributesToGet: []string{"email", "email_verified"}})
	if err != nil {
		return "", fmt.Errorf("email: find customer %s: %w", customerID, err)
	}
	for _, u := range out.Users {
		attrs := map[string]string{}
		for _, a := range u.Attributes {
			attrs[aws.ToString(a.Name)] = aws.ToString(a.Value)
		}
		switch {
		case attrs["email"] == "":
		case attrs["email_verified"] != "true":
			return "", fmt.Errorf("%w: customer %s has no verified email address", email.ErrPermanent, customerID)
		default:
			return attrs["email"], nil
		}
	}
	return "", fmt.Errorf("%w: customer %s has no email address", email.ErrPermanent, customerID)
}
