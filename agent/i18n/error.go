package i18n

import "errors"

// Error is an error whose words come from the catalog. Error() gives the
// English text (for logs); Localizer.Err gives the reader's language.
type Error struct {
	ID   string
	Args []any // key/value pairs, as for Localizer.T
	Err  error // the cause, if any; its words follow after a colon
}

// E returns a translatable error.
func E(id string, kv ...any) *Error { return &Error{ID: id, Args: kv} }

// Wrap returns a translatable error with a cause. A nil cause gives a nil
// error, so it can wrap a call's result directly.
func Wrap(cause error, id string, kv ...any) error {
	if cause == nil {
		return nil
	}
	return &Error{ID: id, Args: kv, Err: cause}
}

func (e *Error) Error() string {
	s := For(English).T(e.ID, e.Args...)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

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
