package i18n

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Records that people read later (a job's history and error, a journal's
// notes) keep a message's id and arguments beside its English text, and
// are worded in the reader's language when they are read. Keep turns a
// message's arguments into what JSON keeps, Kept words them again; a
// record written before it had ids keeps its English text, shown as is.

// causeKey is the argument under which Keep stores the cause of a catalog
// error (its words follow the message after a colon).
const causeKey = "_cause"

// Keep returns m's arguments as a record keeps them in JSON: a message or
// catalog error among them stays a message ({"id", "args"}), so that it is
// worded in the reader's language too; another error keeps its words (a
// carrier's, the system's); a time keeps its instant.
func Keep(kv []any) map[string]any {
	if len(kv) < 2 {
		return nil
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[fmt.Sprint(kv[i])] = keepArg(kv[i+1])
	}
	return m
}

func keepArg(v any) any {
	switch x := v.(type) {
	case Message:
		return map[string]any{"id": x.ID, "args": Keep(x.Args)}
	case *Message:
		if x != nil {
			return keepArg(*x)
		}
		return ""
	case []Message:
		out := make([]any, len(x))
		for i, m := range x {
			out[i] = keepArg(m)
		}
		return out
	case time.Time:
		return map[string]any{"time": x.Format(time.RFC3339Nano)}
	case error:
		if id, args, ok := keptErr(x); ok {
			return map[string]any{"id": id, "args": args}
		}
		var lw languageWorded
		if errors.As(x, &lw) {
			texts := map[string]any{}
			for _, l := range Langs() {
				texts[string(l)] = inLang(x, lw, l)
			}
			return map[string]any{"texts": texts}
		}
		return x.Error()
	case Texts:
		return map[string]any{"texts": map[string]any(asAny(x))}
	case fmt.Stringer:
		return x.String()
	}
	return v
}

// KeepErr is what a record keeps of err: its English text, and its
// message id and arguments where the catalog words all of it (id is empty
// for an error in a library's or the system's words).
func KeepErr(err error) (text, id string, args map[string]any) {
	if err == nil {
		return "", "", nil
	}
	id, args, _ = keptErr(err)
	return err.Error(), id, args
}

func keptErr(err error) (string, map[string]any, bool) {
	var e *Error
	if !errors.As(err, &e) || e.Error() != err.Error() {
		// Words outside the catalog's around it (a wrapping fmt.Errorf).
		return "", nil, false
	}
	args := Keep(e.Args)
	if e.Err != nil {
		if args == nil {
			args = map[string]any{}
		}
		args[causeKey] = keepArg(e.Err)
	}
	return e.ID, args, true
}

// languageWorded is an error from a package that cannot use the catalog
// (dhl/...) but words its operator message in German and English itself
// (INTERNETMARKE's); the rest of its words are the service's own.
type languageWorded interface {
	error
	Message(lang string) string
}

// inLang is err's words with lw's operator message in lang.
func inLang(err error, lw languageWorded, lang Lang) string {
	return strings.Replace(err.Error(), lw.Message(string(English)), lw.Message(string(lang)), 1)
}

// Texts is one text in each language, for words a record keeps that come
// worded by someone else (a service's operator messages).
type Texts map[Lang]string

// In is the text in l's language, else the English one.
func (t Texts) In(l *Localizer) string {
	if s, ok := t[l.Lang()]; ok {
		return s
	}
	return t[English]
}

func (t Texts) String() string { return t[English] }

func asAny(t Texts) map[string]any {
	m := make(map[string]any, len(t))
	for k, v := range t {
		m[string(k)] = v
	}
	return m
}

// Unkeep is the inverse of Keep: the arguments for Localizer.T, with kept
// messages and errors as Message and *Error again.
func Unkeep(m map[string]any) []any {
	kv := make([]any, 0, 2*len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		kv = append(kv, k, unkeepArg(m[k]))
	}
	return kv
}

func unkeepArg(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if id, ok := x["id"].(string); ok {
			args, _ := x["args"].(map[string]any)
			if c, ok := args[causeKey]; ok {
				rest := maps.Clone(args)
				delete(rest, causeKey)
				return &Error{ID: id, Args: Unkeep(rest), Err: causeErr(unkeepArg(c))}
			}
			return Message{ID: id, Args: Unkeep(args)}
		}
		if t, ok := x["texts"].(map[string]any); ok && len(x) == 1 {
			out := Texts{}
			for k, v := range t {
				if l, ok := ParseLang(k); ok {
					out[l] = fmt.Sprint(v)
				}
			}
			return out
		}
		if s, ok := x["time"].(string); ok && len(x) == 1 {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				return t
			}
		}
	case []any:
		if ms, ok := messages(x); ok {
			return ms
		}
		ss := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return v
			}
			ss = append(ss, s)
		}
		return ss
	}
	return v
}

// messages reads a kept list of messages ([]Message), ok false for
// another list.
func messages(list []any) ([]Message, bool) {
	if len(list) == 0 {
		return nil, false
	}
	out := make([]Message, 0, len(list))
	for _, e := range list {
		m, ok := unkeepArg(e).(Message)
		if !ok {
			return nil, false
		}
		out = append(out, m)
	}
	return out, true
}

func causeErr(v any) error {
	switch x := v.(type) {
	case error:
		return x
	case Message:
		return &Error{ID: x.ID, Args: x.Args}
	}
	return errors.New(fmt.Sprint(v))
}

// Kept words a kept message in l's language: message id with its kept
// arguments, or fallback (the English text kept with it) where there is no
// id (a record written before, words not the catalog's) or the catalog no
// longer has it.
func (l *Localizer) Kept(id string, args map[string]any, fallback string) string {
	l = l.real()
	if id == "" || !l.cat.Has(l.lang, id) {
		return fallback
	}
	cause, hasCause := args[causeKey]
	if hasCause {
		args = maps.Clone(args)
		delete(args, causeKey)
	}
	s := l.message(Message{ID: id, Args: Unkeep(args)})
	if hasCause {
		s += ": " + l.Err(causeErr(unkeepArg(cause)))
	}
	return s
}

// message words m, in the plural form its "count" argument needs.
func (l *Localizer) message(m Message) string {
	for i := 0; i+1 < len(m.Args); i += 2 {
		if m.Args[i] != "count" {
			continue
		}
		switch n := m.Args[i+1].(type) {
		case int:
			return l.localize(m.ID, n, m.Args)
		case int64:
			return l.localize(m.ID, int(n), m.Args)
		case float64: // a count kept in JSON
			return l.localize(m.ID, int(n), m.Args)
		}
	}
	return l.T(m.ID, m.Args...)
}
