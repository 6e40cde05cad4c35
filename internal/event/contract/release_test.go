package contract_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"sort"
	"strings"
	"testing"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/event/contract"
)

const schemaDir = "internal/event/schemas"

// baselineEnv names the git ref the schemas are compared with instead of the last release tag, or
// "none" to skip the comparison on purpose (docs/events.md, "Versioning").
const baselineEnv = "ORION_SCHEMA_BASELINE"

// lastRelease is the newest release tag and its commit, for a clone that has the history but not the
// tags (git clone --no-tags, a CI checkout that fetches branches only): the commit is compared with
// then. Cutting a release updates both (docs/events.md, "Versioning").
const (
	lastRelease       = "v0.20.0"
	lastReleaseCommit = "cdc98407b48f1a8c2708a0d9dfd896aad1030707"
)

// reviewedChanges holds the changes the checker reports as breaking that a person judged safe since
// the last release tag, each with the reason: what no rule can judge (a pattern loosened, a oneOf
// rewritten). The key is the reported line without its advice ("File.v1.json: path: kind: detail").
// It empties at each release tag; an entry the checker no longer reports fails the test.
var reviewedChanges = map[string]string{}

// TestSchemasCompatibleWithLastRelease compares every schema published at the last release tag with
// the one this build embeds: within a version only additive changes are allowed, and no published
// schema disappears (the archive keeps events that name it).
//
// Without a reachable tag the last release's commit (lastReleaseCommit) is compared with; without
// either (a shallow clone) the test fails rather than skipping: a check that quietly does nothing on
// CI is worse than none (.ci/run deepens a shallow clone, and says so aloud if it cannot). ORION_SCHEMA_BASELINE=<ref> compares with
// another ref (origin/main before a release), =none skips, and both are explicit.
func TestSchemasCompatibleWithLastRelease(t *testing.T) {
	ref := os.Getenv(baselineEnv)
	if ref == "none" {
		t.Skipf("%s=none: the schemas are not compared with a release", baselineEnv)
	}
	top, err := git("", "rev-parse", "--show-toplevel")
	if err != nil {
		t.Fatalf("not in a git work tree, so there is no release to compare the schemas with: %v\n"+
			"run the tests from a clone, or set %s=none to skip this check on purpose", err, baselineEnv)
	}
	top = strings.TrimSpace(top)
	if ref == "" {
		tag, err := git(top, "describe", "--tags", "--abbrev=0", "--match", "v*")
		if err != nil {
			if _, cerr := git(top, "cat-file", "-e", lastReleaseCommit+"^{commit}"); cerr == nil {
				tag, err = lastReleaseCommit, nil
				t.Logf("no release tag is reachable; comparing with %s's commit %s", lastRelease, lastReleaseCommit)
			}
		}
		if err != nil {
			t.Fatalf("no release tag (v*) is reachable from HEAD: %v\n"+
				"a shallow clone or a fetch without tags has none: git fetch --tags --unshallow (CI: fetch-depth 0),\n"+
				"or set %s to a ref to compare with, or to none to skip this check on purpose", err, baselineEnv)
		}
		ref = strings.TrimSpace(tag)
	}
	old, err := schemasAt(top, ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(old) == 0 {
		t.Fatalf("%s holds no schema under %s: is it an Orion release?", ref, schemaDir)
	}
	cur, err := embedded()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("comparing %d schemas with %s", len(old), ref)
	seen := map[string]bool{}
	for _, problem := range incompatibilities(t, old, cur) {
		key, _, _ := strings.Cut(problem, adviceSep)
		if why, ok := reviewedChanges[key]; ok {
			seen[key] = true
			t.Logf("since %s: %s: reviewed: %s", ref, key, why)
			continue
		}
		t.Errorf("since %s: %s", ref, problem)
	}
	for key := range reviewedChanges {
		if !seen[key] {
			t.Errorf("reviewedChanges has %q, which is no longer a change since %s: remove it", key, ref)
		}
	}
}

const adviceSep = " (a breaking change needs"

// TestIncompatibilitiesFailOnABreakingChange proves that the release comparison can fail: the current
// schemas against themselves pass; with a property removed, a file gone or an $id changed they do not.
func TestIncompatibilitiesFailOnABreakingChange(t *testing.T) {
	cur, err := embedded()
	if err != nil {
		t.Fatal(err)
	}
	if got := incompatibilities(t, cur, cur); len(got) != 0 {
		t.Fatalf("the schemas are incompatible with themselves: %v", got)
	}
	tests := []struct {
		name   string
		mutate func(files map[string][]byte)
		want   string
	}{
		{"property removed", func(files map[string][]byte) {
			files["PaymentRefunded.v1.json"] = rewrite(t, files["PaymentRefunded.v1.json"], func(m map[string]any) {
				delete(m["properties"].(map[string]any), "refundId")
			})
		}, "PaymentRefunded.v1.json: refundId: removed property"},
		{"shared bound tightened", func(files map[string][]byte) {
			files["common.v1.json"] = rewrite(t, files["common.v1.json"], func(m map[string]any) {
				line := m["$defs"].(map[string]any)["Line"].(map[string]any)
				line["properties"].(map[string]any)["quantity"].(map[string]any)["maximum"] = 10
			})
		}, "OrderPlaced.v1.json: lines[].quantity: tightened bound"},
		{"file deleted", func(files map[string][]byte) { delete(files, "InventoryLow.v1.json") },
			"InventoryLow.v1.json: deleted"},
		{"$id changed", func(files map[string][]byte) {
			files["InventoryLow.v1.json"] = rewrite(t, files["InventoryLow.v1.json"], func(m map[string]any) {
				m["$id"] = "https://orion-oss.github.io/schemas/events/InventoryLow/v2"
			})
		}, "InventoryLow.v1.json: $id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changed := map[string][]byte{}
			for k, v := range cur {
				changed[k] = v
			}
			tt.mutate(changed)
			got := incompatibilities(t, cur, changed)
			if !strings.Contains(strings.Join(got, "\n"), tt.want) {
				t.Fatalf("incompatibilities = %q; want one containing %q", got, tt.want)
			}
		})
	}
}

// incompatibilities compares two sets of schema files by name (old published, new current).
func incompatibilities(t *testing.T, old, cur map[string][]byte) []string {
	t.Helper()
	oldDocs, oldIDs := docs(t, old)
	curDocs, curIDs := docs(t, cur)
	names := make([]string, 0, len(old))
	for name := range old {
		names = append(names, name)
	}
	sort.Strings(names)
	var out []string
	for _, name := range names {
		id := oldIDs[name]
		if _, ok := cur[name]; !ok {
			out = append(out, fmt.Sprintf("%s: deleted; a published schema stays (archived events name it)", name))
			continue
		}
		if curIDs[name] != id {
			out = append(out, fmt.Sprintf("%s: $id %s became %s", name, id, curIDs[name]))
			continue
		}
		changes, err := contract.CompareDocument(oldDocs, curDocs, id)
		if err != nil {
			out = append(out, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		for _, c := range changes {
			out = append(out, fmt.Sprintf("%s: %s%s a new version: docs/events.md#versioning)", name, c, adviceSep))
		}
	}
	return out
}

func docs(t *testing.T, files map[string][]byte) (contract.Docs, map[string]string) {
	t.Helper()
	d, ids := contract.Docs{}, map[string]string{}
	for name, b := range files {
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		id, _ := v.(map[string]any)["$id"].(string)
		if id == "" {
			t.Fatalf("%s has no $id", name)
		}
		d[id], ids[name] = v, id
	}
	return d, ids
}

func rewrite(t *testing.T, b []byte, f func(map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// embedded returns the schema files this build publishes (event.SchemaFS), by file name.
func embedded() (map[string][]byte, error) {
	entries, err := fs.ReadDir(event.SchemaFS, "schemas")
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, e := range entries {
		b, err := fs.ReadFile(event.SchemaFS, path.Join("schemas", e.Name()))
		if err != nil {
			return nil, err
		}
		out[e.Name()] = b
	}
	return out, nil
}

// schemasAt returns the schema files of a git ref, by file name.
func schemasAt(top, ref string) (map[string][]byte, error) {
	list, err := git(top, "ls-tree", "--name-only", ref+":"+schemaDir)
	if err != nil {
		return nil, fmt.Errorf("schemas at %s: %w", ref, err)
	}
	out := map[string][]byte{}
	for _, name := range strings.Fields(list) {
		if !strings.HasSuffix(name, ".json") {
			continue
		}
		b, err := git(top, "show", ref+":"+schemaDir+"/"+name)
		if err != nil {
			return nil, fmt.Errorf("%s at %s: %w", name, ref, err)
		}
		out[name] = []byte(b)
	}
	return out, nil
}

func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}
