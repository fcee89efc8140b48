package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
)

func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }

func ago(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := time.Since(t).Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return t.Local().Format("2006-01-02 15:04")
}

func short(s string, n int) string {
	s = apitype.Printable(strings.ReplaceAll(s, "\n", " "))
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

func (app *cliApp) printJobs(jobs []apitype.Job) error {
	if app.jsonOut {
		return app.printJSON(apitype.JobList{Jobs: jobs})
	}
	if len(jobs) == 0 {
		fmt.Fprintln(app.stdout, "no jobs")
		return nil
	}
	t := newTable(app.stdout)
	fmt.Fprintln(t, "ID\tSTATE\tPRINTER\tKIND\tSIZE\tCOPIES\tNAME\tCREATED\tERROR")
	for _, j := range jobs {
		fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", j.ID, j.State, j.Printer, j.Kind, humanBytes(j.PayloadSize), j.Copies, short(j.Name, 24), ago(j.Created), short(j.LastError, 60))
	}
	return t.Flush()
}

func (app *cliApp) printJob(j apitype.Job) error {
	if app.jsonOut {
		return app.printJSON(j)
	}
	t := newTable(app.stdout)
	fmt.Fprintf(t, "job\t%s\n", j.ID)
	fmt.Fprintf(t, "state\t%s\n", j.State)
	fmt.Fprintf(t, "printer\t%s\n", j.Printer)
	fmt.Fprintf(t, "kind\t%s, %s, %d cop%s\n", j.Kind, humanBytes(j.PayloadSize), j.Copies, map[bool]string{true: "y", false: "ies"}[j.Copies == 1])
	if j.Name != "" {
		fmt.Fprintf(t, "name\t%s\n", apitype.Printable(j.Name))
	}
	fmt.Fprintf(t, "source\t%s\n", apitype.Printable(j.Source))
	if j.IdempotencyKey != "" {
		fmt.Fprintf(t, "idempotency key\t%s\n", apitype.Printable(j.IdempotencyKey))
	}
	fmt.Fprintf(t, "attempts\t%d\n", j.Attempts)
	if j.LastError != "" {
		fmt.Fprintf(t, "last error\t%s\n", apitype.Printable(j.LastError))
	}
	fmt.Fprintf(t, "created\t%s\n", j.Created.Local().Format(time.DateTime))
	if j.Finished != nil {
		fmt.Fprintf(t, "finished\t%s\n", j.Finished.Local().Format(time.DateTime))
	}
	if err := t.Flush(); err != nil {
		return err
	}
	if len(j.History) > 0 {
		fmt.Fprintln(app.stdout, "history:")
		t = newTable(app.stdout)
		for _, h := range j.History {
			fmt.Fprintf(t, "  %s\t%s\t%s\n", h.At.Local().Format("15:04:05.000"), h.State, apitype.Printable(h.Note))
		}
		return t.Flush()
	}
	return nil
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
