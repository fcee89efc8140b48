package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/agent/apitype"
)

func (app *cliApp) newPrintersCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "printers",
		Short: "Show printers and their status; pause and resume them",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ps, err := app.Client().Printers(cmd.Context())
			if err != nil {
				return err
			}
			if app.jsonOut {
				return app.printJSON(apitype.PrinterList{Printers: ps})
			}
			t := newTable(app.stdout)
			fmt.Fprintln(t, "NAME\tTRANSPORT\tADDRESS\tSTATUS\tSINCE\tQUEUED\tDETAIL")
			for _, p := range ps {
				name := p.Name
				if p.Default {
					name += " (default)"
				}
				state := string(p.Status.State)
				if p.Paused {
					state += ", paused by operator"
				}
				fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", name, p.Transport, p.Address, state, ago(p.StatusSince), p.Queued, short(p.Status.Detail, 60))
			}
			return t.Flush()
		},
	}
	pause := &cobra.Command{
		Use:   "pause NAME",
		Short: "Stop a printer taking new jobs (the job being printed finishes)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := app.Client().PausePrinter(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(app.stdout, "printer %s paused, %d job(s) waiting\n", p.Name, p.Queued)
			return nil
		},
	}
	resume := &cobra.Command{
		Use:   "resume NAME",
		Short: "Let a paused printer continue",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := app.Client().ResumePrinter(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(app.stdout, "printer %s resumed, %d job(s) waiting\n", p.Name, p.Queued)
			return nil
		},
	}
	cmd.AddCommand(pause, resume, newPrintersDiscoverCmd(app))
	return cmd
}
