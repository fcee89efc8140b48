package i18n

import "errors"

// Error is an error whose words come from the catalog. Error() gives the
// English text (for logs); Localizer.Err gives the reader's language.
type Error struct {
	ID   string
	Args []any // key/value pairs, as for Localizer.T
	Err  error // the cause, if any; its words follow after a colon
	// Kind is a sentinel errors.Is matches (e.g. agent.ErrInvalid) without
	// its words appearing in the message: callers map it to an answer.
	Kind error
}

// E returns a translatable error.
func E(id string, kv ...any) *Error { return &Error{ID: id, Args: kv} }

// K returns a translatable error of a kind: errors.Is(err, kind) holds, and
// the message is the catalog's alone.
func K(kind error, id string, kv ...any) *Error { return &Error{ID: id, Args: kv, Kind: kind} }

// KWrap is K with a cause, whose words follow after a colon.
func KWrap(kind, cause error, id string, kv ...any) *Error {
	return &Error{ID: id, Args: kv, Kind: kind, Err: cause}
}

// Wrap returns a translatable error with a cause. A nil cause gives a nil
// error, so it can wrap a call's result directly.
func Wrap(cause error, id string, kv ...any) error {
	if cause == nil {
		return nil
	}
	return &Error{ID: id, Args: kv, Err: cause}
}

func (e *Error) Error() string {
	s := For(English).message(Message{ID: e.ID, Args: e.Args}) // plural by a "count" argument
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap gives the cause and the kind, so errors.Is and errors.As see both.
func (e *Error) Unwrap() []error {
	var out []error
	if e.Err != nil {
		out = append(out, e.Err)
	}
	if e.Kind != nil {
		out = append(out, e.Kind)
	}
	return out
}

// ArgMap returns the arguments as a map (for JSON answers), nil without any.
func (e *Error) ArgMap() map[string]any {
	if len(e.Args) < 2 {
		return nil
	}
	return pairs(e.Args)
}

// Is makes errors.Is match two catalog errors with the same id, so callers
// can test for a kind of error without a sentinel variable.
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) && t != nil {
		return t.ID == e.ID && t.Err == nil && len(t.Args) == 0
	}
	return false
}

// Arg returns the value of argument key, or nil.
func (e *Error) Arg(key string) any {
	for i := 0; i+1 < len(e.Args); i += 2 {
		if k, ok := e.Args[i].(string); ok && k == key {
			return e.Args[i+1]
		}
	}
	return nil
}
