package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
)

func (app *cliApp) newJobsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "jobs",
		Short: "List, show, cancel, retry and watch print jobs",
		Args:  cobra.NoArgs,
	}
	var q client.JobsQuery
	var state string
	list := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List jobs, newest first",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q.State = apitype.JobState(state)
			jobs, err := app.Client().Jobs(cmd.Context(), q)
			if err != nil {
				return err
			}
			return app.printJobs(jobs)
		},
	}
	list.Flags().StringVar(&state, "state", "", "only jobs in this state: queued, printing, done, failed, cancelled")
	list.Flags().StringVarP(&q.Printer, "printer", "p", "", "only jobs for this printer")
	list.Flags().IntVarP(&q.Limit, "limit", "n", 20, "at most this many jobs")
	list.Flags().StringVar(&q.Before, "before", "", "only jobs older than this job id (to page back)")

	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show a job with its history",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			j, err := app.Client().Job(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return app.printJob(j)
		},
	}
	cancel := &cobra.Command{
		Use:   "cancel ID...",
		Short: "Cancel jobs: a waiting job never prints, one being printed is stopped",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, id := range args {
				j, err := app.Client().Cancel(cmd.Context(), id)
				if err != nil {
					return fmt.Errorf("job %s: %w", id, err)
				}
				fmt.Fprintf(app.stdout, "job %s %s\n", j.ID, j.State)
			}
			return nil
		},
	}
	retry := &cobra.Command{
		Use:   "retry ID...",
		Short: "Queue failed or cancelled jobs again (a done job is printed again)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, id := range args {
				j, err := app.Client().Retry(cmd.Context(), id)
				if err != nil {
					return fmt.Errorf("job %s: %w", id, err)
				}
				fmt.Fprintf(app.stdout, "job %s %s for %s\n", j.ID, j.State, j.Printer)
			}
			return nil
		},
	}
	watch := &cobra.Command{
		Use:   "watch",
		Short: "Follow job and printer changes as they happen (Ctrl+C ends)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return app.Client().WatchEvents(cmd.Context(), func(e apitype.Event) error {
				if app.jsonOut {
					return app.printJSON(e)
				}
				at := e.At.Local().Format("15:04:05.000")
				switch {
				case e.Job != nil:
					fmt.Fprintf(app.stdout, "%s job %s %s on %s %s\n", at, e.Job.ID, e.Job.State, e.Job.Printer, short(e.Job.LastError, 80))
				case e.Printer != nil:
					p := e.Printer
					fmt.Fprintf(app.stdout, "%s printer %s %s%s, %d queued %s\n", at, p.Name, p.Status.State, map[bool]string{true: " (paused)"}[p.Paused], p.Queued, short(p.Status.Detail, 60))
				case e.Type == apitype.EventLagged:
					fmt.Fprintf(app.stdout, "%s (missed some events)\n", at)
				}
				return nil
			})
		},
	}
	cmd.AddCommand(list, show, cancel, retry, watch)
	return cmd
}
