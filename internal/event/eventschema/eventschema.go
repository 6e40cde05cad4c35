// Package eventschema checks events against their published JSON Schemas (event.SchemaFS): the Go
// types must produce JSON the schemas accept, which the tests check for every type.
package eventschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/orion-oss/orion/internal/event"
)

var schemaFS = event.SchemaFS

const schemaBase = "https://orion-oss.github.io/schemas/events"

var schemas struct {
	once     sync.Once
	err      error
	envelope *jsonschema.Schema
	data     map[string]*jsonschema.Schema // "Type/vN"
	inbound  map[string]*jsonschema.Schema // "ShipmentDispatched/v1": partners' events (schemas/inbound ids)
}

func loadSchemas() error {
	schemas.once.Do(func() {
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		entries, err := schemaFS.ReadDir("schemas")
		if err != nil {
			schemas.err = err
			return
		}
		var ids []string
		for _, e := range entries {
			b, err := schemaFS.ReadFile(path.Join("schemas", e.Name()))
			if err != nil {
				schemas.err = err
				return
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				schemas.err = fmt.Errorf("eventschema: schema %s: %w", e.Name(), err)
				return
			}
			id, _ := doc.(map[string]any)["$id"].(string)
			if err := c.AddResource(id, doc); err != nil {
				schemas.err = fmt.Errorf("eventschema: schema %s: %w", e.Name(), err)
				return
			}
			ids = append(ids, id)
		}
		schemas.data = map[string]*jsonschema.Schema{}
		schemas.inbound = map[string]*jsonschema.Schema{}
		for _, id := range ids {
			s, err := c.Compile(id)
			if err != nil {
				schemas.err = fmt.Errorf("eventschema: compile %s: %w", id, err)
				return
			}
			key := strings.TrimPrefix(id, schemaBase+"/")
			switch {
			case key == "envelope/v1":
				schemas.envelope = s
			case strings.HasPrefix(key, "inbound/"):
				// A partner's event is EventBridge's own envelope with this schema's detail: it is
				// no Orion event and in no catalog (internal/fulfilment).
				schemas.inbound[strings.TrimPrefix(key, "inbound/")] = s
			case !strings.HasPrefix(key, "common/"):
				schemas.data[key] = s
			}
		}
	})
	return schemas.err
}

// SchemaKeys lists the event schemas embedded in this build ("OrderPlaced/v1", ...).
func SchemaKeys() ([]string, error) {
	if err := loadSchemas(); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(schemas.data))
	for k := range schemas.data {
		out = append(out, k)
	}
	return out, nil
}

// Validate checks an envelope and its data against the published schemas.
func Validate(e event.Envelope) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("%w: %v", event.ErrMalformed, err)
	}
	return ValidateJSON(b)
}

// ValidateJSON checks an encoded envelope and its data against the published schemas.
func ValidateJSON(b []byte) error {
	if err := loadSchemas(); err != nil {
		return err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("%w: %v", event.ErrMalformed, err)
	}
	if err := schemas.envelope.Validate(doc); err != nil {
		return fmt.Errorf("%w: envelope: %v", event.ErrMalformed, err)
	}
	m := doc.(map[string]any)
	key := fmt.Sprintf("%s/v%s", m["type"], m["version"])
	s, ok := schemas.data[key]
	if !ok {
		return fmt.Errorf("%w: no schema for %s", event.ErrUnknownType, key)
	}
	if err := s.Validate(m["data"]); err != nil {
		return fmt.Errorf("%w: %s data: %v", event.ErrMalformed, key, err)
	}
	return nil
}

// InboundKeys lists the schemas of the partners' events Orion accepts ("ShipmentDispatched/v1", ...).
func InboundKeys() ([]string, error) {
	if err := loadSchemas(); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(schemas.inbound))
	for k := range schemas.inbound {
		out = append(out, k)
	}
	return out, nil
}

// ValidateInbound checks the detail of a partner's event (detail-type detailType, schema version 1)
// against its published schema.
func ValidateInbound(detailType string, detail []byte) error {
	if err := loadSchemas(); err != nil {
		return err
	}
	s, ok := schemas.inbound[detailType+"/v1"]
	if !ok {
		return fmt.Errorf("%w: no inbound schema for %s", event.ErrUnknownType, detailType)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(detail))
	if err != nil {
		return fmt.Errorf("%w: %v", event.ErrMalformed, err)
	}
	if err := s.Validate(doc); err != nil {
		return fmt.Errorf("%w: %s detail: %v", event.ErrMalformed, detailType, err)
	}
	return nil
}
