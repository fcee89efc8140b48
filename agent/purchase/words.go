package purchase

import "github.com/labelagent/labelagent/agent/i18n"

// A purchase keeps its error and print error as catalog messages (keys
// queuewords.stamp.*) beside the English text, so that the control API
// words them in the reader's language; INTERNETMARKE's operator messages
// are kept in both its languages, and other words (the system's) as they
// are. Records written before show their English text.

// kept is err as a record keeps it: a catalog message; words that are not
// the catalog's inside queuewords.words, so they are kept in every
// language they come in.
func kept(err error) (text, id string, args map[string]any) {
	if err == nil {
		return "", "", nil
	}
	if _, id, _ := i18n.KeepErr(err); id == "" {
		err = i18n.E("queuewords.words", "text", err)
	}
	return i18n.KeepErr(err)
}

// setError records the purchase's problem (nil clears it).
func (p *Purchase) setError(err error) { p.Error, p.ErrorID, p.ErrorArgs = kept(err) }

// setPrintError records why printing failed (nil clears it).
func (p *Purchase) setPrintError(err error) {
	p.PrintError, p.PrintErrorID, p.PrintErrorArgs = kept(err)
}

// ErrorIn is the purchase's problem in l's language.
func (p *Purchase) ErrorIn(l *i18n.Localizer) string { return l.Kept(p.ErrorID, p.ErrorArgs, p.Error) }

// PrintErrorIn is why printing failed, in l's language.
func (p *Purchase) PrintErrorIn(l *i18n.Localizer) string {
	return l.Kept(p.PrintErrorID, p.PrintErrorArgs, p.PrintError)
}
