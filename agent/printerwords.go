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
// status: the agent's words, then the transport's own (detail) where it
// gave some.
func noStatus(detail string) error {
	if detail != "" {
		return i18n.Wrap(errors.New(detail), "stationwords.printer.no_status")
	}
	return i18n.E("stationwords.printer.no_status")
}

// PrinterIn is printer p as reader l reads it: the agent's own words in
// its status detail in l's language.
func PrinterIn(p apitype.Printer, l *i18n.Localizer) apitype.Printer {
	p.Status.Detail = l.Kept(p.Status.DetailID, p.Status.DetailArgs, p.Status.Detail)
	return p
}
