// Package account holds the customer account's use cases, one file each: register, confirm a
// registration, resend its code, forget and reset a password, log in (with a TOTP challenge for
// admins, enrolment included), refresh the tokens, log out, change the password or the email and
// verify it. They check what the customer sends (address, password policy, name) and leave users,
// passwords and tokens to the identity provider behind the ports each use case declares,
// which internal/adapter/cognito implements. Tokens are the provider's; the HTTP API's JWT authorizer
// verifies them.
package account

// UserPool is the identity provider's directory of users, as the use cases need it. Each handler
// takes only its part (Registrar, Confirmer, Authenticator, Refresher, declared beside it): a function
// then links only the provider calls of its own use case.
type UserPool interface {
	Registrar
	Confirmer
	Authenticator
	Refresher
}

// Tokens are what a sign-in returns.
type Tokens struct {
	Username     string // the user's name at the provider (not the address): a refresh sends it back
	AccessToken  string
	IDToken      string
	RefreshToken string // empty when refreshing
	ExpiresIn    int32  // seconds
	TokenType    string
}
