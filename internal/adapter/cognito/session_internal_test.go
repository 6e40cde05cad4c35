package cognito

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// A TOTP challenge keeps the user's name in the pool, which its answer must use: USER_ID_FOR_SRP, as
// Cognito sends it where users sign in by an alias, else USERNAME.
func TestSignedInKeepsTheChallengesUsername(t *testing.T) {
	tests := []struct {
		params map[string]string
		want   string
	}{
		{map[string]string{"USER_ID_FOR_SRP": "7d3c-sub", "USERNAME": "ann@example.com"}, "7d3c-sub"},
		{map[string]string{"USERNAME": "ann"}, "ann"},
		{nil, ""},
	}
	for _, tt := range tests {
		s, err := signedIn(nil, types.ChallengeNameTypeSoftwareTokenMfa, aws.String("session"), tt.params)
		if err != nil || s.MFA == nil || s.MFA.Username != tt.want || s.MFA.Session != "session" {
			t.Errorf("%v: %+v %v; want username %q", tt.params, s.MFA, err, tt.want)
		}
	}
}
