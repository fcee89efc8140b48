package printer

import (
	"fmt"
	"slices"
	"strings"
	"text/template"
)

// A transport's own words about a printer (it cannot connect, the printer
// does not answer ~HS) are read by operators in their language, but this
// package cannot use the agent's catalog: it says them as a stable code
// with arguments (Status.Said) beside the English text (Status.Detail),
// and the agent words the code. The system's and the printer's own words
// stay inside as arguments.

// DetailCode names something a transport says about a printer.
type DetailCode string

// The codes, with their arguments.
const (
	DetailCannotConnect    DetailCode = "cannot_connect"     // reason: the system's words
	DetailStoppedAnswering DetailCode = "stopped_answering"  // a printer that answered ~HS before is silent
	DetailNoHSAnswer       DetailCode = "no_hs_answer"       // connected, but the printer never answers ~HS
	DetailNoUSBStatus      DetailCode = "no_usb_status"      // the USB printer has no channel to answer on
	DetailUSBNotConnected  DetailCode = "usb_not_connected"  // the USB printer is not plugged in or off
	DetailFolderNotCreated DetailCode = "folder_not_created" // folder, reason
	DetailSerialNoAnswer   DetailCode = "serial_no_answer"   // baud
	DetailSpoolNoPrinter   DetailCode = "spool_no_printer"   // the Windows printer does not exist
	DetailSpoolJobs        DetailCode = "spool_jobs"         // count: jobs in the Windows queue
	DetailSpoolPaperOut    DetailCode = "spool_paper_out"
	DetailSpoolOffline     DetailCode = "spool_offline"
	DetailSpoolError       DetailCode = "spool_error" // status: the spooler's words
	DetailSpoolAttention   DetailCode = "spool_attention"
	DetailCUPSReason       DetailCode = "cups_reason"    // reason: why CUPS stopped the queue, its words
	DetailCUPSStopped      DetailCode = "cups_stopped"   // queue
	DetailCUPSIdle         DetailCode = "cups_idle"      // the queue waits for jobs
	DetailCUPSPrinting     DetailCode = "cups_printing"  // the queue prints
	DetailCUPSRejecting    DetailCode = "cups_rejecting" // queue
	DetailCUPSPaperLow     DetailCode = "cups_paper_low"
	DetailCUPSPaperJam     DetailCode = "cups_paper_jam"
	DetailCUPSCoverOpen    DetailCode = "cups_cover_open"
	DetailCUPSRibbonOut    DetailCode = "cups_ribbon_out"
	DetailCUPSOffline      DetailCode = "cups_offline" // alert: CUPS's alert word
	DetailCUPSPaused       DetailCode = "cups_paused"
	DetailCUPSAlert        DetailCode = "cups_alert" // alert: an alert word CUPS gives that has no meaning here
)

// english is each code's English words, a text/template over its arguments.
var english = map[DetailCode]string{
	DetailCannotConnect:    "cannot connect: {{.reason}}",
	DetailStoppedAnswering: "connected, but the printer stopped answering ~HS (busy, hung, or not reading)",
	DetailNoHSAnswer:       "the printer does not answer ~HS",
	DetailNoUSBStatus:      "the printer has no USB status channel",
	DetailUSBNotConnected:  "not connected",
	DetailFolderNotCreated: "output folder {{.folder}} cannot be created: {{.reason}}",
	DetailSerialNoAnswer:   "no answer to ~HS at {{.baud}} baud: printer off, cable out, or line settings differ",
	DetailSpoolNoPrinter:   "no such Windows printer",
	DetailSpoolJobs:        "{{.count}} job{{if ne .count 1}}s{{end}} in the Windows queue",
	DetailSpoolPaperOut:    "paper out",
	DetailSpoolOffline:     "printer offline",
	DetailSpoolError:       "printer error: {{.status}}",
	DetailSpoolAttention:   "the printer needs attention",
	DetailCUPSReason:       "reason: {{.reason}}",
	DetailCUPSStopped:      "CUPS queue stopped (cupsenable {{.queue}} starts it)",
	DetailCUPSIdle:         "CUPS queue idle",
	DetailCUPSPrinting:     "CUPS queue printing",
	DetailCUPSRejecting:    "CUPS queue rejects jobs (cupsaccept {{.queue}})",
	DetailCUPSPaperLow:     "paper almost out",
	DetailCUPSPaperJam:     "paper jam",
	DetailCUPSCoverOpen:    "cover open",
	DetailCUPSRibbonOut:    "ribbon out",
	DetailCUPSOffline:      "printer offline ({{.alert}})",
	DetailCUPSPaused:       "printer paused",
	DetailCUPSAlert:        "{{.alert}}",
}

// DetailCodes lists every code a transport may say, for those who word
// them (and their tests).
func DetailCodes() []DetailCode {
	codes := make([]DetailCode, 0, len(english))
	for c := range english {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	return codes
}

// EnglishTemplate is code's English words as a text/template over its
// arguments ("" for an unknown code).
func EnglishTemplate(code DetailCode) string { return english[code] }

// Said is one thing a transport said about a printer: a code and its
// arguments (key, value pairs; values are strings or ints).
type Said struct {
	Code DetailCode
	Args []any
}

// Say is code with its arguments.
func Say(code DetailCode, kv ...any) Said { return Said{Code: code, Args: kv} }

// ArgMap is s's arguments by name.
func (s Said) ArgMap() map[string]any {
	m := make(map[string]any, len(s.Args)/2)
	for i := 0; i+1 < len(s.Args); i += 2 {
		m[fmt.Sprint(s.Args[i])] = s.Args[i+1]
	}
	return m
}

// String is s in English.
func (s Said) String() string {
	src, ok := english[s.Code]
	if !ok {
		return string(s.Code)
	}
	t, err := template.New("").Option("missingkey=zero").Parse(src)
	if err != nil {
		return src
	}
	var b strings.Builder
	if err := t.Execute(&b, s.ArgMap()); err != nil {
		return src
	}
	return b.String()
}

// Saying is st with what a transport said as its detail: the English
// words of said (joined by "; ") in Detail, the codes in Said.
func (st Status) Saying(said ...Said) Status {
	parts := make([]string, len(said))
	for i, s := range said {
		parts[i] = s.String()
	}
	st.Detail, st.Said = strings.Join(parts, "; "), said
	return st
}
