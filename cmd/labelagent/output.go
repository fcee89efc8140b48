package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/printer"
)

func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }

// now is the clock for "… ago" (tests fix it through cliApp.clock).
func (app *cliApp) now() time.Time {
	if app.clock != nil {
		return app.clock()
	}
	return time.Now()
}

// ago says how long ago t was: "5 s ago" / "vor 5 s"; older than two days,
// the date and time.
func (app *cliApp) ago(t time.Time) string {
	l := app.L()
	if t.IsZero() {
		return "–"
	}
	d := app.now().Sub(t).Round(time.Second)
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Second:
		return l.T("cli.just_now")
	case d < time.Minute:
		return l.T("cli.ago_s", "n", int(d.Seconds()))
	case d < time.Hour:
		return l.T("cli.ago_m", "n", int(d.Minutes()))
	case d < 48*time.Hour:
		return l.T("cli.ago_h", "n", int(d.Hours()))
	}
	return l.Time(t)
}

func short(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// at says when something began: the time of day today, else date and time.
func (app *cliApp) at(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	now := app.now().Local()
	lt := t.Local()
	if lt.YearDay() == now.YearDay() && lt.Year() == now.Year() {
		return lt.Format("15:04:05")
	}
	return app.L().Time(t)
}

// stateWord is a job state as the reader says it.
func stateWord(l *i18n.Localizer, s apitype.JobState) string {
	switch s {
	case apitype.StateQueued, apitype.StatePreparing, apitype.StatePrinting, apitype.StateDone, apitype.StateFailed, apitype.StateCancelled:
		return l.T("cli.state." + string(s))
	}
	return string(s)
}

// printerStateWord is a printer state as the reader says it.
func printerStateWord(l *i18n.Localizer, s printer.State) string {
	switch s {
	case printer.StateReady, printer.StatePaperOut, printer.StateRibbonOut, printer.StateHeadOpen,
		printer.StatePaused, printer.StateBufferFull, printer.StateOffline, printer.StateUnknown:
		return l.T("cli.printer_state." + string(s))
	case "":
		return l.T("cli.printer_state.unknown")
	}
	return string(s)
}

// waitText says why a job waits: "zebra has no paper".
func waitText(l *i18n.Localizer, w *apitype.WaitReason) string {
	if w == nil {
		return ""
	}
	switch w.Code {
	case apitype.WaitPaused, apitype.WaitPaperOut, apitype.WaitHeadOpen, apitype.WaitRibbonOut,
		apitype.WaitPrinterError, apitype.WaitUnreachable, apitype.WaitBehind, apitype.WaitPreparingRenderer:
		return l.T("wait."+w.Code, "printer", w.Printer, "detail", w.Detail, "ahead", w.Ahead)
	}
	// A reason newer than this CLI: its code and the printer's words.
	return strings.TrimSpace(w.Code + " " + w.Detail)
}

// jobStatus is a job's state with why it waits: "queued — waiting: zebra has no paper".
func jobStatus(l *i18n.Localizer, j apitype.Job) string {
	if j.Wait != nil && !j.State.Terminal() {
		return l.T("cli.job_waiting", "state", stateWord(l, j.State), "why", waitText(l, j.Wait))
	}
	return stateWord(l, j.State)
}

func (app *cliApp) printJobs(jobs []apitype.Job) error {
	if app.jsonOut {
		if jobs == nil {
			jobs = []apitype.Job{}
		}
		return app.printJSON(apitype.JobList{Jobs: jobs})
	}
	l := app.L()
	if len(jobs) == 0 {
		app.say("cli.no_jobs")
		return nil
	}
	t := newTable(app.stdout)
	fmt.Fprintln(t, l.T("cli.jobs_header"))
	for _, j := range jobs {
		why := j.LastError
		if j.Wait != nil && !j.State.Terminal() {
			why = l.T("cli.waiting_for", "why", waitText(l, j.Wait))
		}
		fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", j.ID, stateWord(l, j.State), j.Printer, j.Kind,
			l.Bytes(j.PayloadSize), j.Copies, short(apitype.Printable(j.Name), 24), app.ago(j.Created), short(apitype.Printable(why), 70))
	}
	return t.Flush()
}

func (app *cliApp) printJob(j apitype.Job) error {
	if app.jsonOut {
		return app.printJSON(j)
	}
	l := app.L()
	t := newTable(app.stdout)
	row := func(id string, v any) { fmt.Fprintf(t, "%s\t%v\n", l.T(id), v) }
	row("cli.job.id", j.ID)
	row("cli.job.state", stateWord(l, j.State))
	if j.Wait != nil && !j.State.Terminal() {
		row("cli.job.waiting", l.T("cli.since", "what", waitText(l, j.Wait), "since", app.at(j.Wait.Since)))
	}
	row("cli.job.printer", j.Printer)
	row("cli.job.kind", l.T("cli.job.kind_value", "kind", string(j.Kind), "size", l.Bytes(j.PayloadSize), "copies", l.N("cli.copies", j.Copies)))
	if j.Name != "" {
		row("cli.job.name", apitype.Printable(j.Name))
	}
	row("cli.job.source", apitype.Printable(j.Source))
	if j.IdempotencyKey != "" {
		row("cli.job.key", apitype.Printable(j.IdempotencyKey))
	}
	row("cli.job.attempts", j.Attempts)
	if j.LastError != "" {
		row("cli.job.last_error", apitype.Printable(j.LastError))
	}
	row("cli.job.created", l.Time(j.Created))
	if j.Finished != nil {
		row("cli.job.finished", l.Time(*j.Finished))
	}
	if err := t.Flush(); err != nil {
		return err
	}
	if len(j.History) > 0 {
		fmt.Fprintln(app.stdout, l.T("cli.job.history"))
		t = newTable(app.stdout)
		for _, h := range j.History {
			fmt.Fprintf(t, "  %s\t%s\t%s\n", h.At.Local().Format("15:04:05.000"), stateWord(l, h.State), apitype.Printable(h.Note))
		}
		return t.Flush()
	}
	return nil
}

// printerStatus is a printer's state in words, with the operator's pause.
func printerStatus(l *i18n.Localizer, p apitype.Printer) string {
	s := printerStateWord(l, p.Status.State)
	var extra []string
	for _, pr := range p.Status.Problems {
		if pr != p.Status.State {
			extra = append(extra, printerStateWord(l, pr))
		}
	}
	if len(extra) > 0 {
		s += ", " + strings.Join(extra, ", ")
	}
	if p.Paused {
		s = l.T("cli.paused_by_operator", "state", s)
	}
	return s
}
