package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
)

// PrinterDetailJSON is `printers show NAME --json`: the printer and the
// jobs waiting for it, each with why it waits.
type PrinterDetailJSON struct {
	Printer apitype.Printer `json:"printer"`
	Waiting []apitype.Job   `json:"waiting"`
}

func (app *cliApp) newPrintersCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:  "printers",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ps, err := app.Client().Printers(cmd.Context())
			if err != nil {
				return err
			}
			if ps == nil {
				ps = []apitype.Printer{}
			}
			return app.emit(apitype.PrinterList{Printers: ps}, func(w io.Writer) error {
				l := app.L()
				t := newTable(w)
				fmt.Fprintln(t, l.T("cli.printers_header"))
				for _, p := range ps {
					name := p.Name
					if p.Default {
						name = l.T("cli.default_mark", "name", name)
					}
					fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", name, p.Transport, p.Address, printerStatus(l, p),
						app.ago(p.StatusSince), p.Queued, short(apitype.Printable(p.Status.Detail), 60))
				}
				if err := t.Flush(); err != nil {
					return err
				}
				// A station of a NATS warehouse also says whether it is
				// connected: jobs from the warehouse wait while it is not.
				if list, err := app.Client().Stations(cmd.Context()); err == nil {
					if list.Connected {
						fmt.Fprintln(w, l.T("nats.printers_connected", "server", list.Server))
					} else {
						fmt.Fprintln(w, l.T("nats.printers_disconnected", "err", list.Error))
					}
					if list.Dropped > 0 {
						fmt.Fprintln(w, l.N("nats.events_dropped", int(list.Dropped)))
					}
				}
				return nil
			})
		},
	}
	show := &cobra.Command{
		Use:  "show NAME",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl := app.Client()
			p, err := cl.Printer(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			var waiting []apitype.Job
			for _, st := range []apitype.JobState{apitype.StatePrinting, apitype.StatePreparing, apitype.StateQueued} {
				js, err := cl.Jobs(cmd.Context(), client.JobsQuery{Printer: p.Name, State: st, Limit: 50})
				if err != nil {
					return err
				}
				waiting = append(waiting, js...)
			}
			if waiting == nil {
				waiting = []apitype.Job{}
			}
			return app.emit(PrinterDetailJSON{Printer: p, Waiting: waiting}, func(w io.Writer) error {
				return app.printPrinter(w, p, waiting)
			})
		},
	}
	pause := &cobra.Command{
		Use:  "pause NAME",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := app.Client().PausePrinter(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return app.emit(p, func(io.Writer) error {
				app.say("cli.printer_paused", "name", p.Name, "jobs", app.L().N("cli.jobs_waiting", p.Queued))
				return nil
			})
		},
	}
	resume := &cobra.Command{
		Use:  "resume NAME",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := app.Client().ResumePrinter(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return app.emit(p, func(io.Writer) error {
				app.say("cli.printer_resumed", "name", p.Name, "jobs", app.L().N("cli.jobs_waiting", p.Queued))
				return nil
			})
		},
	}
	for _, c := range []*cobra.Command{show, pause, resume} {
		c.ValidArgsFunction = app.completePrinters
	}
	cmd.AddCommand(show, pause, resume, newPrintersDiscoverCmd(app))
	return cmd
}

func (app *cliApp) printPrinter(w io.Writer, p apitype.Printer, waiting []apitype.Job) error {
	l := app.L()
	t := newTable(w)
	row := func(id string, v any) { fmt.Fprintf(t, "%s\t%v\n", l.T(id), v) }
	row("cli.printer.name", p.Name)
	if p.Default {
		row("cli.printer.default", l.T("common.yes"))
	}
	row("cli.printer.transport", p.Transport)
	if p.Address != "" {
		row("cli.printer.address", p.Address)
	}
	row("cli.printer.status", l.T("cli.since", "what", printerStatus(l, p), "since", app.at(p.StatusSince)))
	if p.Status.Detail != "" {
		row("cli.printer.detail", apitype.Printable(p.Status.Detail))
	}
	if !p.Status.Checked.IsZero() {
		row("cli.printer.checked", app.ago(p.Status.Checked))
	}
	row("cli.printer.queued", p.Queued)
	if p.Current != "" {
		row("cli.printer.current", p.Current)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	if len(waiting) == 0 {
		return nil
	}
	fmt.Fprintln(w, l.T("cli.printer.jobs"))
	t = newTable(w)
	for _, j := range waiting {
		fmt.Fprintf(t, "  %s\t%s\t%s\t%s\n", j.ID, jobStatus(l, j), short(apitype.Printable(j.Name), 24), app.ago(j.Created))
	}
	return t.Flush()
}
