// Package groups tells the WebSocket sweeper whether a user is still in the user pool's admin group. It
// is apart from package cognito (registration and sign-in) so that ws-sweep links only the one call.
package groups

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/ws"
)

// GroupLister is the part of the user pool API the check calls.
type GroupLister interface {
	AdminListGroupsForUser(ctx context.Context, in *cip.AdminListGroupsForUserInput, opts ...func(*cip.Options)) (*cip.AdminListGroupsForUserOutput, error)
}

// Admin is the group that makes an admin; only this exact name counts, as in the token check.
const Admin = "admin"

// Pool checks group membership in one user pool: ws.Groups.
type Pool struct {
	idp    GroupLister
	poolID string
}

// New builds the check of one user pool.
func New(idp GroupLister, poolID string) *Pool { return &Pool{idp: idp, poolID: poolID} }

var _ ws.Groups = (*Pool)(nil)

// IsAdmin reports whether the user is in the admin group now. The customer id is the user's sub, which
// the admin APIs accept as Username for a local user (AdminListGroupsForUser, "Username" in the Cognito
// API reference; with email as the username attribute the username is the sub). A user that no longer
// exists is no admin.
func (p *Pool) IsAdmin(ctx context.Context, user customer.ID) (bool, error) {
	pages := cip.NewAdminListGroupsForUserPaginator(p.idp, &cip.AdminListGroupsForUserInput{UserPoolId: aws.String(p.poolID), Username: aws.String(user.String())})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		var gone *types.UserNotFoundException
		if errors.As(err, &gone) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("groups: list groups of %s: %w", user, err)
		}
		for _, g := range page.Groups {
			if aws.ToString(g.GroupName) == Admin {
				return true, nil
			}
		}
	}
	return false, nil
}
