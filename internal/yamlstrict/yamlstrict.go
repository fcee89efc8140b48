// Package yamlstrict decodes one section of a YAML document strictly
// (unknown keys are errors) while keeping the line numbers of the file the
// section came from. yaml.v3 offers strict decoding only on a Decoder,
// which reads bytes: re-encoding a section to decode it renumbers its
// lines, so problems in carrier sections named lines that do not exist.
package yamlstrict

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Decode decodes node into v (a pointer). Every unknown key and every value
// of the wrong type is reported, not only the first, in one *yaml.TypeError
// whose messages read like yaml.v3's own ("line 12: field x not found in
// type T"), with the node's own line numbers.
func Decode(node *yaml.Node, v any) error {
	if node == nil || node.Kind == 0 {
		return nil
	}
	var msgs []string
	unknown(node, reflect.TypeOf(v), &msgs)
	err := node.Decode(v)
	if te, ok := err.(*yaml.TypeError); ok {
		msgs = append(msgs, te.Errors...)
		err = nil
	}
	if err != nil {
		// A value's own unmarshaler refused it and decoding stopped there;
		// still report the unknown keys found.
		msgs = append(msgs, err.Error())
	}
	if len(msgs) > 0 {
		return &yaml.TypeError{Errors: msgs}
	}
	return nil
}

var (
	unmarshaler = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
	nodeType    = reflect.TypeOf(yaml.Node{})
)

// unknown walks a mapping against the struct type t and reports keys t
// does not have, recursing into known fields.
func unknown(n *yaml.Node, t reflect.Type, msgs *[]string) {
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	for t.Kind() == reflect.Pointer {
		if t.Implements(unmarshaler) {
			return
		}
		t = t.Elem()
	}
	if t == nodeType || reflect.PointerTo(t).Implements(unmarshaler) {
		return // decoded later by its owner, or by its own rules
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		if n.Kind == yaml.SequenceNode {
			for _, c := range n.Content {
				unknown(c, t.Elem(), msgs)
			}
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			for i := 1; i < len(n.Content); i += 2 {
				unknown(n.Content[i], t.Elem(), msgs)
			}
		}
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return
		}
		fields := fieldsOf(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Value == "<<" {
				continue
			}
			ft, ok := fields[k.Value]
			if !ok {
				*msgs = append(*msgs, fmt.Sprintf("line %d: field %s not found in type %s; known: %s", k.Line, k.Value, t.String(), strings.Join(Keys(t), ", ")))
				continue
			}
			unknown(n.Content[i+1], ft, msgs)
		}
	}
}

// fieldsOf maps the YAML keys of struct t (inline structs included) to
// their types, as yaml.v3 names them.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.PkgPath != "" && !f.Anonymous {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(opts, "inline") {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range fieldsOf(ft) {
					out[k] = v
				}
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

// Keys returns the YAML keys of struct type t, for listing the allowed
// ones when a key is unknown.
func Keys(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for k := range fieldsOf(t) {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
