package project_test

import (
	"os"
	"testing"

	"github.com/orion-oss/orion/infra/engine/sam"
)

// The project's own template must parse and resolve completely.
func TestProjectTemplateResolves(t *testing.T) {
	if _, err := os.Stat("../../../template.yaml"); err != nil {
		t.Skip("no template.yaml")
	}
	tpl, err := sam.Load("../../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e := stackEnv(t, tpl, "orion", nil)
	for _, id := range tpl.ResourceIDs() {
		if _, err := tpl.Resolve(tpl.Resources[id].Properties, e, "Resources."+id+".Properties"); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	if _, err := tpl.Resolve(tpl.Outputs, e, "Outputs"); err != nil {
		t.Error(err)
	}
	if _, err := tpl.Order(); err != nil {
		t.Error(err)
	}
}
