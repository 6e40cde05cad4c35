package directory_test

import (
	"os"
	"testing"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
)

// The adapter's tests run against the real local emulator's user pools.
func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }
