package main

import (
	"strings"
	"testing"
)

// The admin password is new each run and meets the user pool's policy (template.yaml: 12 or more, a
// lower, an upper, a number, a symbol).
func TestAdminPasswordIsRandomAndMeetsThePolicy(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		p, err := adminPassword()
		if err != nil {
			t.Fatal(err)
		}
		if seen[p] {
			t.Fatalf("%q generated twice", p)
		}
		seen[p] = true
		if len(p) < 12 || !strings.ContainsAny(p, lowers) || !strings.ContainsAny(p, uppers) || !strings.ContainsAny(p, digits) || !strings.ContainsAny(p, symbols) {
			t.Fatalf("%q does not meet the password policy", p)
		}
		if p == "Orion-Admin-2026!" {
			t.Fatal("the old fixed password")
		}
	}
}
