package agent

import (
	"errors"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/printer"
)

// A printer's status detail is the printer's own words (its ~HS/SGD
// summary, a dial error) except where the agent makes them: then the
// status keeps the catalog message beside the English, and PrinterIn
// words it for the reader.

// keptStatus is st with the agent's own words m as its detail.
func keptStatus(st printer.Status, m error) printer.Status {
	st.Detail, st.DetailID, st.DetailArgs = i18n.KeepErr(m)
	return st
}

// noStatus is the detail of a printer whose transport cannot report its
// status: the agent's words, then the transport's own (st's detail) where
// it gave some.
func noStatus(st printer.Status) error {
	switch {
	case len(st.Said) > 0:
		return i18n.Wrap(said(st.Said), "stationwords.printer.no_status")
	case st.Detail != "":
		return i18n.Wrap(errors.New(st.Detail), "stationwords.printer.no_status")
	}
	return i18n.E("stationwords.printer.no_status")
}

// said is what a transport said about a printer (codes of the printer
// package) as the catalog's words: printerwords.<code> with its arguments,
// several joined as the transport joins them.
func said(s []printer.Said) error {
	if len(s) == 1 {
		return i18n.E(saidID(s[0].Code), s[0].Args...)
	}
	ms := make([]i18n.Message, len(s))
	for i, x := range s {
		ms[i] = i18n.Message{ID: saidID(x.Code), Args: x.Args}
	}
	return i18n.E("printerwords.notes", "notes", ms)
}

// saidID is the catalog id of a printer package's detail code.
func saidID(c printer.DetailCode) string { return "printerwords." + string(c) }

// inOwnWords is st with what its transport said (st.Said) kept as catalog
// words, so that readers read it in their language.
func inOwnWords(st printer.Status) printer.Status {
	if st.DetailID != "" || len(st.Said) == 0 {
		return st
	}
	st = keptStatus(st, said(st.Said))
	st.Said = nil
	return st
}

// PrinterIn is printer p as reader l reads it: the agent's own words in
// its status detail in l's language.
func PrinterIn(p apitype.Printer, l *i18n.Localizer) apitype.Printer {
	p.Status.Detail = l.Kept(p.Status.DetailID, p.Status.DetailArgs, p.Status.Detail)
	return p
}
