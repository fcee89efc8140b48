// Package dhlcheck words the problems our own checks find in an order
// before it goes to DHL (dhl/parcel, dhl/returns: address.FieldError with a
// stable code and arguments) in the reader's language, from the catalog
// (agent/i18n, keys dhlcheck.*). The dhl packages cannot import the
// catalog; they keep their English text for logs, and this is where the
// agent turns their codes into words. DHL's own answers are not touched.
package dhlcheck

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/dhl/address"
	"github.com/labelagent/labelagent/dhl/parcel"
)

// Prefix starts every catalog id of a problem code.
const Prefix = "dhlcheck."

// Err returns err with our own order checks' problems (address.Errors) as a
// catalog error, which every reader gets in their language and a record
// keeps with its id and arguments. Any other error is returned as it is.
func Err(err error) error {
	var es address.Errors
	if !errors.As(err, &es) || len(es) == 0 {
		return err
	}
	// The problems stay reachable (errors.As) for callers that judge them.
	return &i18n.Error{ID: "dhlcheck.invalid", Args: []any{"problems", Messages(es)}, Kind: err}
}

// Messages are the problems, each with its field, as catalog messages.
func Messages(es []address.FieldError) []i18n.Message {
	out := make([]i18n.Message, len(es))
	for i, e := range es {
		out[i] = WithField(e)
	}
	return out
}

// WithField is one problem with the field it is about ("PLZ: …").
func WithField(e address.FieldError) i18n.Message {
	p := Problem(e)
	if e.Field == "" {
		return p
	}
	return i18n.Message{ID: "dhlcheck.problem", Args: []any{"field", Field(e.Field), "problem", p}}
}

// Problem is the problem alone, without its field.
func Problem(e address.FieldError) i18n.Message {
	args := make([]any, 0, len(e.Args))
	for i := 0; i+1 < len(e.Args); i += 2 {
		args = append(args, e.Args[i], arg(e.Args[i+1]))
	}
	return i18n.Message{ID: Prefix + e.Code, Args: args}
}

// arg is a problem's argument as the catalog words it: address shapes and
// nested problems become messages too; values (what was typed, numbers)
// stay as they are.
func arg(v any) any {
	switch x := v.(type) {
	case parcel.Shape:
		return i18n.Message{ID: "dhlcheck.shape." + string(x)}
	case parcel.ShapeList:
		var m any
		for i := len(x) - 1; i >= 0; i-- {
			s := arg(x[i])
			if m == nil {
				m = s
				continue
			}
			m = i18n.Message{ID: "dhlcheck.and", Args: []any{"a", s, "b", m}}
		}
		return m
	case address.Nested:
		return Messages(x)
	case []address.FieldError:
		return Messages(x)
	}
	return v
}

var segment = regexp.MustCompile(`^([A-Za-z0-9_]+)((?:\[\d+\])*)$`)

// Field is a field's JSON path as its reader names it: English keeps DHL's
// path (shipments[0].consignee.postalCode, what a shop developer looks
// for), German names each part as an operator knows it
// ("Sendung 1 › Empfänger › PLZ"). A part the catalog does not know is
// kept as it is.
func Field(path string) any {
	parts := strings.Split(path, ".")
	var m any
	for i := len(parts) - 1; i >= 0; i-- {
		s := part(parts[i])
		if m == nil {
			m = s
			continue
		}
		m = i18n.Message{ID: "dhlcheck.path.in", Args: []any{"outer", s, "inner", m}}
	}
	return m
}

func part(p string) any {
	sm := segment.FindStringSubmatch(p)
	if sm == nil {
		return p
	}
	var name any = sm[1]
	if id := "dhlcheck.field." + sm[1]; i18n.Default().Has(i18n.English, id) {
		name = i18n.Message{ID: id}
	}
	for _, ix := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(sm[2], "["), "]"), "][") {
		if ix == "" {
			continue
		}
		n, _ := strconv.Atoi(ix)
		name = i18n.Message{ID: "dhlcheck.path.item", Args: []any{"name", name, "index", n, "number", n + 1}}
	}
	return name
}

// FieldText is Field worded in l's language.
func FieldText(l *i18n.Localizer, path string) string {
	switch f := Field(path).(type) {
	case i18n.Message:
		return l.T(f.ID, f.Args...)
	case string:
		return f
	}
	return path
}

// Word words our own checks' messages in ms (those with a dhlcheck id) in
// l's language, in place; DHL's messages stay as DHL sent them.
func Word(l *i18n.Localizer, ms []apitype.ShipmentMessage) {
	for i := range ms {
		m := &ms[i]
		if !strings.HasPrefix(m.ID, Prefix) {
			continue
		}
		m.Text = l.Kept(m.ID, m.Args, m.Text)
		if m.Field != "" {
			m.FieldText = FieldText(l, m.Field)
		}
	}
}
