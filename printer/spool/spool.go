// Package spool prints raw through the operating system's print queue:
// CUPS on Linux and macOS (lp -o raw, state from lpstat), the Windows
// spooler with the RAW datatype. It is how USB printers are reached on
// Windows, where libusb would need a driver swap, and how a printer shared
// by several programs is used everywhere.
//
// A queue knows less than the printer: status comes from the spooler's
// view (queue stopped, printer offline, out of paper when the driver
// reports it), not from ~HS.
package spool

import (
	"fmt"
	"strings"
	"time"

	"github.com/labelagent/labelagent/printer"
)

// Queue is a print queue as discovery lists it.
type Queue struct {
	Name    string
	Detail  string // e.g. "idle", "disabled: paper out", the driver
	Default bool
}

// Snippet is the YAML config entry that uses q.
func (q Queue) Snippet(name string) string {
	return fmt.Sprintf("- name: %s\n  transport: spool\n  spool:\n    queue: %q\n", name, q.Name)
}

func check(cfg printer.Config) error {
	if strings.TrimSpace(cfg.Spool.Queue) == "" {
		return fmt.Errorf("printer %q: spool.queue is empty", cfg.Name)
	}
	return nil
}

// ParseLpstat reads `lpstat -l -p QUEUE` (and `-a` lines, if present) into
// a Status. CUPS words are kept for the detail; alerts that name a paper,
// cover or ribbon problem become the matching state.
func ParseLpstat(queue, out string, now time.Time) (printer.Status, error) {
	st := printer.Status{State: printer.StateUnknown, Checked: now}
	var notes []printer.Said
	found := false
	var problems []printer.State
	add := func(s printer.State) {
		for _, p := range problems {
			if p == s {
				return
			}
		}
		problems = append(problems, s)
	}
	afterDisabled := false
	for _, line := range strings.Split(out, "\n") {
		t := strings.TrimSpace(line)
		reason := afterDisabled
		afterDisabled = false
		switch {
		case reason && t != "" && !strings.Contains(t, ":"):
			// The line after "disabled since … -" is why it was stopped.
			notes = append(notes, printer.Say(printer.DetailCUPSReason, "reason", t))
		case strings.HasPrefix(t, "printer "+queue+" "):
			found = true
			rest := strings.TrimPrefix(t, "printer "+queue+" ")
			switch {
			case strings.HasPrefix(rest, "disabled"):
				add(printer.StatePaused)
				notes = append(notes, printer.Say(printer.DetailCUPSStopped, "queue", queue))
				afterDisabled = true
			case strings.HasPrefix(rest, "is idle"):
				notes = append(notes, printer.Say(printer.DetailCUPSIdle))
			case strings.HasPrefix(rest, "now printing"):
				notes = append(notes, printer.Say(printer.DetailCUPSPrinting))
			}
		case strings.HasPrefix(t, queue+" not accepting"):
			add(printer.StateOffline)
			notes = append(notes, printer.Say(printer.DetailCUPSRejecting, "queue", queue))
		case strings.HasPrefix(t, "Alerts:"):
			for _, a := range strings.Fields(strings.TrimPrefix(t, "Alerts:")) {
				if s, said, ok := alert(a); ok {
					if s != "" {
						add(s)
					}
					notes = append(notes, said)
				}
			}
		}
	}
	if !found {
		return st, fmt.Errorf("lpstat does not list queue %q", queue)
	}
	st.State = printer.StateReady
	if len(problems) > 0 {
		order := []printer.State{printer.StateHeadOpen, printer.StatePaperOut, printer.StateRibbonOut, printer.StateOffline, printer.StatePaused}
		var sorted []printer.State
		for _, o := range order {
			for _, p := range problems {
				if p == o {
					sorted = append(sorted, p)
				}
			}
		}
		st.State, st.Problems = sorted[0], sorted
	}
	return st.Saying(notes...), nil
}

// alert maps an IPP printer-state-reason to a state and words.
func alert(a string) (printer.State, printer.Said, bool) {
	base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(a, "-error"), "-warning"), "-report")
	switch base {
	case "none", "":
		return "", printer.Said{}, false
	case "media-empty", "media-needed":
		return printer.StatePaperOut, printer.Say(printer.DetailSpoolPaperOut), true
	case "media-low":
		return "", printer.Say(printer.DetailCUPSPaperLow), true
	case "media-jam":
		return printer.StateOffline, printer.Say(printer.DetailCUPSPaperJam), true
	case "cover-open", "door-open":
		return printer.StateHeadOpen, printer.Say(printer.DetailCUPSCoverOpen), true
	case "marker-supply-empty", "toner-empty":
		return printer.StateRibbonOut, printer.Say(printer.DetailCUPSRibbonOut), true
	case "offline", "shutdown", "connecting-to-device", "timed-out":
		return printer.StateOffline, printer.Say(printer.DetailCUPSOffline, "alert", a), true
	case "paused", "moving-to-paused":
		return printer.StatePaused, printer.Say(printer.DetailCUPSPaused), true
	}
	return "", printer.Say(printer.DetailCUPSAlert, "alert", a), true
}

// ParseQueues reads `lpstat -p` (and `lpstat -d` lines) into queues.
func ParseQueues(out string) []Queue {
	var qs []Queue
	def := ""
	for _, line := range strings.Split(out, "\n") {
		t := strings.TrimSpace(line)
		if d, ok := strings.CutPrefix(t, "system default destination: "); ok {
			def = strings.TrimSpace(d)
			continue
		}
		rest, ok := strings.CutPrefix(t, "printer ")
		if !ok {
			continue
		}
		name, state, _ := strings.Cut(rest, " ")
		detail := "idle"
		switch {
		case strings.HasPrefix(state, "disabled"):
			detail = "stopped"
		case strings.HasPrefix(state, "now printing"):
			detail = "printing"
		}
		qs = append(qs, Queue{Name: name, Detail: detail})
	}
	for i := range qs {
		qs[i].Default = qs[i].Name == def
	}
	return qs
}
