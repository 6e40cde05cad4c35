package boot_test

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/orion-oss/orion/internal/platform/boot"
)

// childEnv makes the test binary, run again by a test, be a function's main that reads its settings.
const childEnv = "ORION_BOOT_TEST_CHILD"

// A main whose required setting is missing stops at start with exit status 1 and one JSON line that
// names the setting: what Lambda reports as Runtime.ExitError and CloudWatch shows as the cause.
func TestRequireMissingStopsWithOneLine(t *testing.T) {
	if os.Getenv(childEnv) == "1" {
		log := boot.Logger()
		boot.Require(log, "ORION_BOOT_TEST_SET")
		boot.Require(log, "ORION_BOOT_TEST_MISSING")
		log.Info("started") // never reached
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRequireMissingStopsWithOneLine$")
	cmd.Env = append(os.Environ(), childEnv+"=1", "ORION_BOOT_TEST_SET=yes", "ORION_BOOT_TEST_MISSING=", "LOG_LEVEL=INFO")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("child: %v; want exit status 1\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 1 {
		t.Fatalf("child wrote %d lines; want one:\n%s", len(lines), out)
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &line); err != nil {
		t.Fatalf("not a JSON line: %v\n%s", err, out)
	}
	if line["level"] != "ERROR" || line["msg"] != "init failed" || line["what"] != "ORION_BOOT_TEST_MISSING" || line["error"] != "is not set" {
		t.Fatalf("line %s; want an ERROR naming ORION_BOOT_TEST_MISSING", lines[0])
	}
}

func TestRequireAndOptional(t *testing.T) {
	t.Setenv("ORION_BOOT_TEST_SET", "value")
	t.Setenv("ORION_BOOT_TEST_EMPTY", "")
	if got := boot.Require(boot.Logger(), "ORION_BOOT_TEST_SET"); got != "value" {
		t.Fatalf("Require = %q", got)
	}
	for name, want := range map[string]string{"ORION_BOOT_TEST_SET": "value", "ORION_BOOT_TEST_EMPTY": "fallback", "ORION_BOOT_TEST_UNSET": "fallback"} {
		if got := boot.Optional(name, "fallback"); got != want {
			t.Fatalf("Optional(%s) = %q; want %q", name, got, want)
		}
	}
}

func TestBool(t *testing.T) {
	for _, c := range []struct {
		value string
		def   bool
		want  bool
	}{{"true", false, true}, {"false", true, false}, {"", true, true}, {"", false, false}} {
		t.Setenv("ORION_BOOT_TEST_FLAG", c.value)
		if got := boot.Bool(boot.Logger(), "ORION_BOOT_TEST_FLAG", c.def); got != c.want {
			t.Errorf("Bool(%q, default %v) = %v; want %v", c.value, c.def, got, c.want)
		}
	}
}

// A switch set to anything but true or false stops the function like a missing setting.
func TestBoolOtherValueStopsWithOneLine(t *testing.T) {
	if os.Getenv(childEnv) == "1" {
		boot.Bool(boot.Logger(), "ORION_BOOT_TEST_FLAG", false)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestBoolOtherValueStopsWithOneLine$")
	cmd.Env = append(os.Environ(), childEnv+"=1", "ORION_BOOT_TEST_FLAG=yes")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("child: %v; want exit status 1\n%s", err, out)
	}
	if lines := strings.Split(strings.TrimSpace(string(out)), "\n"); len(lines) != 1 || !strings.Contains(lines[0], `"what":"ORION_BOOT_TEST_FLAG"`) {
		t.Fatalf("want one line naming ORION_BOOT_TEST_FLAG:\n%s", out)
	}
}
