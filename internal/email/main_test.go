package email_test

import (
	"os"
	"testing"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
)

// The SES tests run against the real local emulator; the others need none but share the binary.
func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }
