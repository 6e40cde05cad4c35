package engine_test

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/orion-oss/orion/"

// The engine runs any SAM template, so it must not depend on the application it runs: no engine
// package, none of their tests and none of the fixture functions imports the module's internal/ (or
// Orion's tools under infra/orion), directly or through another package.
func TestEngineImportsNothingOfOrion(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-test", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`,
		"./...", "./stack/testdata/functions/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	checked := 0
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, " ")
		checked++
		if forbidden(pkg) {
			continue // reported where the engine imports it
		}
		for imp := range strings.FieldsSeq(imports) {
			if forbidden(imp) {
				t.Errorf("%s imports %s", pkg, imp)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("go list listed %d packages; want the whole engine", checked)
	}
}

func forbidden(path string) bool {
	rest, ok := strings.CutPrefix(path, module)
	if !ok {
		return false
	}
	return rest == "internal" || strings.HasPrefix(rest, "internal/") || strings.HasPrefix(rest, "infra/orion")
}
