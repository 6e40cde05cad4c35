package cognito

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/orion-oss/orion/internal/customer"
)

// DescribeClientAPI is the call an app client's secret is read with (*cip.Client).
type DescribeClientAPI interface {
	DescribeUserPoolClient(context.Context, *cip.DescribeUserPoolClientInput, ...func(*cip.Options)) (*cip.DescribeUserPoolClientOutput, error)
}

// clientSecret is an app client's secret (both of template.yaml's clients have one: the registration
// client and the sign-in client), read from Cognito on the first call that needs it
// and kept for the container's life, as docs/adr/0014 reads the Stripe secrets: no network call at
// init (the cold-start rule of docs/benchmarks.md), and the value is in no environment variable, so it
// is in neither the template, the function's configuration nor its logs. Only a success is kept;
// concurrent first calls share one read, and a caller whose context ends while it waits gives up.
type clientSecret struct {
	idp            DescribeClientAPI
	poolID, client string
	lock           chan struct{} // a one-slot semaphore, so that a waiting caller can still give up
	value          string
}

func newClientSecret(idp DescribeClientAPI, poolID, clientID string) *clientSecret {
	return &clientSecret{idp: idp, poolID: poolID, client: clientID, lock: make(chan struct{}, 1)}
}

func (s *clientSecret) get(ctx context.Context) (string, error) {
	select {
	case s.lock <- struct{}{}:
	case <-ctx.Done():
		return "", refusal("DescribeUserPoolClient", ctx.Err())
	}
	defer func() { <-s.lock }()
	if s.value != "" {
		return s.value, nil
	}
	out, err := s.idp.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(s.poolID), ClientId: aws.String(s.client)})
	if err != nil {
		return "", refusal("DescribeUserPoolClient", err)
	}
	if out.UserPoolClient == nil || aws.ToString(out.UserPoolClient.ClientSecret) == "" {
		// A client without a secret would let anyone call SignUp, or sign in without the admin's TOTP,
		// around Orion (docs/adr/0017): refuse to use it.
		return "", fmt.Errorf("cognito: app client %s has no secret: %w", s.client, customer.ErrUnavailable)
	}
	s.value = aws.ToString(out.UserPoolClient.ClientSecret)
	return s.value, nil
}

// hash is the SECRET_HASH of a call about username (the USERNAME the call sends; for a refresh, the
// user's own username, which is not the address: Refresh).
func (s *clientSecret) hash(ctx context.Context, username string) (*string, error) {
	v, err := s.get(ctx)
	if err != nil {
		return nil, err
	}
	return aws.String(SecretHash(v, username, s.client)), nil
}

// ClientSecret reads an app client's secret, as the deployer's tools may that sign in at Cognito with
// one of Orion's clients (make dev's admin enrolment, benchreport, the soak and e2e runs): the same
// read and refusal of a client without a secret as the functions'.
func ClientSecret(ctx context.Context, idp DescribeClientAPI, poolID, clientID string) (string, error) {
	return newClientSecret(idp, poolID, clientID).get(ctx)
}

// SecretHash is Cognito's SECRET_HASH: Base64(HMAC-SHA256(key = the client secret, message = username
// followed by the client id)), docs.aws.amazon.com/cognito/latest/developerguide/signing-up-users-in-your-app.html#cognito-user-pools-computing-secret-hash.
func SecretHash(secret, username, clientID string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(username + clientID))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
