package iampolicy

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Transformed runs the offline SAM transform of the repository's template (root is the module root,
// relative to the test's directory) into a temporary file and loads it. Without the transform installed
// the test is skipped, except in CI (CI=true), which must have it.
func Transformed(tb testing.TB, root string) *Template {
	tb.Helper()
	return TransformedWith(tb, root, nil)
}

// TransformedWith is Transformed with the conditions evaluated with params (the stack's parameters)
// over the template's defaults.
func TransformedWith(tb testing.TB, root string, params map[string]string) *Template {
	tb.Helper()
	if err := TransformAvailable(); err != nil {
		if errors.Is(err, ErrTransformUnavailable) && os.Getenv("CI") == "" {
			tb.Skipf("%v (pip install aws-sam-translator)", err)
		}
		tb.Fatal(err)
	}
	out := filepath.Join(tb.TempDir(), "template.json")
	if err := Transform(filepath.Join(root, "infra/scripts/sam-translate.py"), filepath.Join(root, "template.yaml"), out); err != nil {
		tb.Fatal(err)
	}
	tpl, err := LoadWith(out, params)
	if err != nil {
		tb.Fatal(err)
	}
	return tpl
}
