// Package totp computes the time-based one-time passwords (RFC 6238) of Cognito's software token MFA,
// for the tools that sign an admin in without a phone: the local runtime's admin provisioning and the
// e2e harness. Orion's functions never compute a code; Cognito checks them.
package totp

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // RFC 6238's default, and what Cognito's TOTP uses
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
)

// Step is the period of a code: Cognito's TOTP uses RFC 6238's defaults, HMAC-SHA1, 30 s, 6 digits
// (docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-mfa-totp.html).
const Step = 30 * time.Second

// Code is the 6-digit code of secret (base32, as AssociateSoftwareToken returns it; padding and case
// do not matter) at t.
func Code(secret string, t time.Time) (string, error) {
	s := strings.ToUpper(strings.TrimRight(strings.ReplaceAll(secret, " ", ""), "="))
	if n := len(s) % 8; n != 0 {
		s += strings.Repeat("=", 8-n)
	}
	key, err := base32.StdEncoding.DecodeString(s)
	if err != nil {
		return "", fmt.Errorf("totp: the secret is not base32: %w", err)
	}
	var counter [8]byte
	binary.BigEndian.PutUint64(counter[:], uint64(t.Unix())/uint64(Step/time.Second))
	return hotp(key, counter[:], 6), nil
}

// hotp is RFC 4226's HOTP with dynamic truncation.
func hotp(key, counter []byte, digits int) string {
	mac := hmac.New(sha1.New, key)
	mac.Write(counter)
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}
