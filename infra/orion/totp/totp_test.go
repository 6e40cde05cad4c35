package totp_test

import (
	"encoding/base32"
	"testing"
	"time"

	"github.com/orion-oss/orion/infra/orion/totp"
)

// RFC 6238 appendix B's SHA-1 vectors (its key, the ASCII "12345678901234567890"), cut to the six
// digits Cognito uses, and the same secret as Cognito would spell it (lower case, without padding).
func TestCode(t *testing.T) {
	secret := base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))
	tests := []struct {
		unix int64
		want string
	}{
		{59, "287082"},
		{1111111109, "081804"},
		{1111111111, "050471"},
		{1234567890, "005924"},
		{2000000000, "279037"},
		{20000000000, "353130"},
	}
	for _, tt := range tests {
		got, err := totp.Code(secret, time.Unix(tt.unix, 0))
		if err != nil || got != tt.want {
			t.Errorf("Code(%d) = %q, %v; want %s", tt.unix, got, err, tt.want)
		}
	}
	if got, _ := totp.Code("gezdgnbvgy3tqojqgezdgnbvgy3tqojq", time.Unix(59, 0)); got != "287082" {
		t.Errorf("lower case without padding: %s", got)
	}
	if _, err := totp.Code("not base32!", time.Now()); err == nil {
		t.Error("a secret that is not base32 gave a code")
	}
}
