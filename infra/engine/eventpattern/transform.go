package eventpattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/orion-oss/orion/infra/engine/jsonpath"
)

// ErrPath means a JSON path is not one EventBridge accepts.
var ErrPath = errors.New("eventpattern: invalid JSON path")

// lookup evaluates the JSONPath subset EventBridge uses for InputPath, InputPathsMap and Pipes: $,
// dotted keys, ['quoted keys'] and [index] (jsonpath's reference paths, without Step Functions' $$).
// ok is false when the path does not exist in the event.
func lookup(doc any, path string) (v any, ok bool, err error) {
	p, err := jsonpath.Parse(path)
	if err != nil {
		return nil, false, fmt.Errorf("%w: %w", ErrPath, err)
	}
	if p.Context {
		return nil, false, fmt.Errorf("%w: %q", ErrPath, path)
	}
	v, ok = p.Lookup(doc)
	return v, ok, nil
}

func decode(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("eventpattern: event is not JSON: %w", err)
	}
	return v, nil
}

// ApplyInputPath returns the part of the event a target's InputPath selects.
func ApplyInputPath(event []byte, path string) ([]byte, error) {
	doc, err := decode(event)
	if err != nil {
		return nil, err
	}
	v, ok, err := lookup(doc, path)
	if err != nil {
		return nil, err
	}
	if !ok {
		return []byte("null"), nil
	}
	return json.Marshal(v)
}

// RuleContext names the rule for the reserved template variables.
type RuleContext struct{ Name, ARN string }

// InputTransformer is a target's InputTransformer.
type InputTransformer struct {
	PathsMap map[string]string
	Template string
}

// Apply renders the template for an event. A placeholder inside a JSON string is replaced by the value's
// text (a string's characters, escaped; anything else as JSON); outside strings by the JSON value. A
// path missing from the event renders as null outside strings and as nothing inside them.
func (t InputTransformer) Apply(event []byte, rule RuleContext) ([]byte, error) {
	doc, err := decode(event)
	if err != nil {
		return nil, err
	}
	vars := map[string]any{}
	for name, path := range t.PathsMap {
		if strings.HasPrefix(name, "aws.") {
			return nil, fmt.Errorf("eventpattern: input path variable %q uses the reserved aws. prefix", name)
		}
		v, ok, err := lookup(doc, path)
		if err != nil {
			return nil, err
		}
		if ok {
			vars[name] = v
		} else {
			vars[name] = missing{}
		}
	}
	vars["aws.events.rule-name"] = rule.Name
	vars["aws.events.rule-arn"] = rule.ARN
	vars["aws.events.event"] = rawJSON(event)
	vars["aws.events.event.json"] = rawJSON(event)
	vars["aws.events.event.ingestion-time"] = time.Now().UTC().Format(time.RFC3339)
	return render(t.Template, func(name string) (any, bool) { v, ok := vars[name]; return v, ok })
}

// PipeContext names the pipe for the reserved template variables.
type PipeContext struct{ PipeName, PipeArn string }

// ApplyPipeTemplate renders an EventBridge Pipes input template (<$.path> placeholders) for one record.
func ApplyPipeTemplate(template string, record []byte, ctx PipeContext) ([]byte, error) {
	doc, err := decode(record)
	if err != nil {
		return nil, err
	}
	var lookupErr error
	out, err := render(template, func(name string) (any, bool) {
		switch name {
		case "aws.pipes.pipe-name":
			return ctx.PipeName, true
		case "aws.pipes.pipe-arn":
			return ctx.PipeArn, true
		case "aws.pipes.event", "aws.pipes.event.json":
			return rawJSON(record), true
		case "aws.pipes.event.ingestion-time":
			return time.Now().UTC().Format(time.RFC3339), true
		}
		if !strings.HasPrefix(name, "$") {
			return nil, false
		}
		v, ok, err := lookup(doc, name)
		if err != nil {
			lookupErr = err
			return nil, false
		}
		if !ok {
			return missing{}, true
		}
		return v, true
	})
	if lookupErr != nil {
		return nil, lookupErr
	}
	return out, err
}

type missing struct{}

type rawJSON []byte

// render substitutes <name> placeholders the resolver knows, tracking whether each sits inside a JSON
// string literal. Unknown <...> sequences are left as written.
func render(tmpl string, resolve func(string) (any, bool)) ([]byte, error) {
	var b strings.Builder
	inString := false
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		switch {
		case c == '\\' && inString && i+1 < len(tmpl):
			b.WriteByte(c)
			b.WriteByte(tmpl[i+1])
			i++
			continue
		case c == '"':
			inString = !inString
		case c == '<':
			end := strings.IndexByte(tmpl[i:], '>')
			if end > 1 {
				name := tmpl[i+1 : i+end]
				if v, ok := resolve(name); ok {
					if err := write(&b, v, inString); err != nil {
						return nil, err
					}
					i += end
					continue
				}
			}
		}
		b.WriteByte(c)
	}
	return []byte(b.String()), nil
}

func write(b *strings.Builder, v any, inString bool) error {
	switch x := v.(type) {
	case missing:
		if !inString {
			b.WriteString("null")
		}
		return nil
	case rawJSON:
		if inString {
			enc, _ := json.Marshal(string(x))
			b.Write(enc[1 : len(enc)-1])
			return nil
		}
		b.Write(x)
		return nil
	case string:
		enc, err := json.Marshal(x)
		if err != nil {
			return err
		}
		if inString {
			b.Write(enc[1 : len(enc)-1])
		} else {
			b.Write(enc)
		}
		return nil
	}
	enc, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if inString {
		esc, _ := json.Marshal(string(enc))
		b.Write(esc[1 : len(esc)-1])
		return nil
	}
	b.Write(enc)
	return nil
}
