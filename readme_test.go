package orion_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeLayout returns the paths the README's "Repository layout" table names in its first column.
func readmeLayout(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Repository layout\n")
	if !ok {
		t.Fatal(`README.md has no "## Repository layout" section`)
	}
	if next := strings.Index(section, "\n## "); next >= 0 {
		section = section[:next]
	}
	code := regexp.MustCompile("`([^`]+)`")
	paths := map[string]bool{}
	for line := range strings.Lines(section) {
		cells := strings.Split(line, "|")
		if len(cells) < 3 || strings.HasPrefix(strings.TrimSpace(cells[1]), "---") {
			continue
		}
		for _, m := range code.FindAllStringSubmatch(cells[1], -1) {
			paths[strings.TrimSuffix(m[1], "/")] = true
		}
	}
	if len(paths) < 10 {
		t.Fatalf("the layout table names only %d paths", len(paths))
	}
	return paths
}

// TestReadmeLayoutNamesEveryPackage keeps the README's map of the tree true: every package of
// internal/ and infra/ has a row (a newcomer finds a package's purpose there), and every path a row
// names exists.
func TestReadmeLayoutNamesEveryPackage(t *testing.T) {
	named := readmeLayout(t)
	for _, p := range listPackages(t) {
		r := p.rel()
		if !under(r, "internal", "infra") || testSupport(p) {
			continue
		}
		if !named[r] {
			t.Errorf("README.md's layout table has no row for %s", r)
		}
	}
	for path := range named {
		// functions/<name> stands for every function.
		path = strings.ReplaceAll(path, "<name>", "*")
		matches, err := filepath.Glob(path)
		if err != nil || len(matches) == 0 {
			t.Errorf("README.md's layout table names %s, which does not exist", path)
		}
	}
}
