package web

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/orion-oss/orion/internal/validation"
)

// checkKeys walks a body encoding/json has already accepted (so it is one valid JSON value) next to
// the type it was decoded into, and refuses what encoding/json silently resolves: a key that appears
// twice in one object (the last one wins there, so a proxy or a logger reading the first sees another
// request) and a key that names a field only case-insensitively ("PaymentToken" for "paymentToken").
// It works on the string in place: keys are substrings, so an ordinary body costs no allocation.
func checkKeys(s string, t reflect.Type) error {
	sc := scanner{s: s}
	if ke := sc.value(t); ke != nil {
		return ke.err()
	}
	return nil
}

type scanner struct {
	s string
	i int
}

// keyError is a refused key; its path is collected, innermost first, as the scanner unwinds, so a
// body that passes builds no path at all.
type keyError struct {
	rev []segment
	msg string
}

// segment is one step of a path: an array index, or an object key when idx is -1.
type segment struct {
	key string
	idx int
}

func refuse(key, msg string) *keyError {
	return &keyError{rev: []segment{{key: key, idx: -1}}, msg: msg}
}

func (ke *keyError) err() error {
	var b strings.Builder
	for i := len(ke.rev) - 1; i >= 0; i-- {
		p := ke.rev[i]
		if p.idx >= 0 {
			b.WriteString("[" + strconv.Itoa(p.idx) + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p.key)
	}
	return validation.New(b.String(), "%s", ke.msg)
}

func (sc *scanner) skipSpace() {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\r', '\n':
			sc.i++
		default:
			return
		}
	}
}

// str reads a string at sc.i (the opening quote) and returns its raw contents and whether it has escapes.
func (sc *scanner) str() (string, bool) {
	start := sc.i + 1
	escaped := false
	for j := start; j < len(sc.s); j++ {
		switch sc.s[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			sc.i = j + 1
			return sc.s[start:j], escaped
		}
	}
	sc.i = len(sc.s)
	return sc.s[start:], escaped
}

func (sc *scanner) value(t reflect.Type) *keyError {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	sc.skipSpace()
	if sc.i >= len(sc.s) {
		return nil
	}
	switch sc.s[sc.i] {
	case '{':
		return sc.object(t)
	case '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		sc.i++
		for n := 0; ; n++ {
			sc.skipSpace()
			if sc.i < len(sc.s) && sc.s[sc.i] == ']' {
				sc.i++
				return nil
			}
			if ke := sc.value(elem); ke != nil {
				ke.rev = append(ke.rev, segment{idx: n})
				return ke
			}
			sc.skipSpace()
			if sc.i >= len(sc.s) {
				return nil
			}
			if sc.s[sc.i] == ',' {
				sc.i++
			}
		}
	case '"':
		sc.str()
	default: // number, true, false, null
		for sc.i < len(sc.s) && !strings.ContainsRune(",]} \t\r\n", rune(sc.s[sc.i])) {
			sc.i++
		}
	}
	return nil
}

func (sc *scanner) object(t reflect.Type) *keyError {
	var fields *structFields
	var elem reflect.Type
	if t != nil {
		switch {
		case t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType):
			// The type reads itself: its keys are its own business, duplicates still are not.
		case t.Kind() == reflect.Struct:
			fields = fieldsOf(t)
		case t.Kind() == reflect.Map:
			elem = t.Elem()
		}
	}
	var buf [16]string
	seen := buf[:0]
	sc.i++
	for {
		sc.skipSpace()
		if sc.i >= len(sc.s) || sc.s[sc.i] == '}' {
			sc.i++
			return nil
		}
		key, escaped := sc.str()
		if escaped {
			var u string
			if err := json.Unmarshal([]byte(`"`+key+`"`), &u); err != nil {
				return refuse(key, "is not a valid key")
			}
			key = u
		}
		for _, k := range seen {
			if k == key {
				return refuse(key, "appears more than once")
			}
		}
		seen = append(seen, key)
		child := elem
		if fields != nil {
			ft, ok := fields.exact[key]
			if !ok {
				// encoding/json matched it case-insensitively (an unknown key was refused already).
				return refuse(key, "is not a field of this request (field names are case-sensitive)")
			}
			child = ft
		}
		sc.skipSpace()
		if sc.i < len(sc.s) && sc.s[sc.i] == ':' {
			sc.i++
		}
		if ke := sc.value(child); ke != nil {
			ke.rev = append(ke.rev, segment{key: key, idx: -1})
			return ke
		}
		sc.skipSpace()
		if sc.i < len(sc.s) && sc.s[sc.i] == ',' {
			sc.i++
		}
	}
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// structFields are the JSON names of a struct's fields, as encoding/json names them, and their types.
type structFields struct {
	exact map[string]reflect.Type
}

var fieldCache sync.Map // reflect.Type -> *structFields

func fieldsOf(t reflect.Type) *structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*structFields)
	}
	f := &structFields{exact: map[string]reflect.Type{}}
	addFields(f, t, 0)
	fieldCache.Store(t, f)
	return f
}

func addFields(f *structFields, t reflect.Type, depth int) {
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := sf.Type
		if sf.Anonymous && name == "" {
			et := ft
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct && depth < 8 {
				addFields(f, et, depth+1)
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if _, dup := f.exact[name]; !dup {
			f.exact[name] = ft
		}
	}
}
