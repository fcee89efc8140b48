package main

import (
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
	"github.com/labelagent/labelagent/agent/i18n"
)

var jobStates = []string{"queued", "preparing", "printing", "done", "failed", "cancelled"}

// JobResultsJSON is `jobs cancel|retry --json`: the jobs as they are now.
type JobResultsJSON struct {
	Jobs []apitype.Job `json:"jobs"`
}

func (app *cliApp) newJobsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:  "jobs",
		Args: cobra.NoArgs,
	}
	var q client.JobsQuery
	var state string
	list := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if state != "" && !slices.Contains(jobStates, state) {
				return app.refuse("--state", state, jobStates)
			}
			if q.Limit < 1 {
				return usage(i18n.E("cli.limit_positive", "value", q.Limit))
			}
			q.State = apitype.JobState(state)
			jobs, err := app.Client().Jobs(cmd.Context(), q)
			if err != nil {
				return err
			}
			return app.printJobs(jobs)
		},
	}
	list.Flags().StringVar(&state, "state", "", "")
	list.Flags().StringVarP(&q.Printer, "printer", "p", "", "")
	list.Flags().IntVarP(&q.Limit, "limit", "n", 20, "")
	list.Flags().StringVar(&q.Before, "before", "", "")
	_ = list.RegisterFlagCompletionFunc("printer", app.completePrinters)
	_ = list.RegisterFlagCompletionFunc("state", cobra.FixedCompletions(jobStates, cobra.ShellCompDirectiveNoFileComp))

	show := &cobra.Command{
		Use:  "show ID",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			j, err := app.Client().Job(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return app.printJob(j)
		},
	}
	// cancel and retry act on each job named; one that cannot be changed
	// is reported and the others still are.
	each := func(cmd *cobra.Command, args []string, do func(id string) (apitype.Job, error), done string) error {
		var jobs []apitype.Job
		var failed []error
		for _, id := range args {
			j, err := do(id)
			if err != nil {
				failed = append(failed, err) // the agent's words name the job
				if !app.jsonOut {
					fmt.Fprintln(app.stderr, "labelagent: "+app.L().Err(failed[len(failed)-1]))
				}
				continue
			}
			jobs = append(jobs, j)
			if !app.jsonOut {
				app.say(done, "id", j.ID, "state", jobStatus(app.L(), j), "printer", j.Printer)
			}
		}
		if app.jsonOut {
			if jobs == nil {
				jobs = []apitype.Job{}
			}
			if err := app.printJSON(JobResultsJSON{Jobs: jobs}); err != nil {
				return err
			}
			if len(failed) > 0 {
				return failed[0]
			}
			return nil
		}
		if len(failed) > 0 {
			return quiet(1)
		}
		return nil
	}
	cancel := &cobra.Command{
		Use:  "cancel ID...",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return each(cmd, args, func(id string) (apitype.Job, error) { return app.Client().Cancel(cmd.Context(), id) }, "cli.job_cancelled")
		},
	}
	retry := &cobra.Command{
		Use:  "retry ID...",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return each(cmd, args, func(id string) (apitype.Job, error) { return app.Client().Retry(cmd.Context(), id) }, "cli.job_requeued")
		},
	}
	watch := &cobra.Command{
		Use:  "watch",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l := app.L()
			err := app.Client().WatchEvents(cmd.Context(), func(e apitype.Event) error {
				if app.jsonOut {
					return app.printJSONLine(e)
				}
				at := e.At.Local().Format("15:04:05")
				switch {
				case e.Job != nil:
					j := e.Job
					why := apitype.Printable(j.LastError)
					if j.Wait != nil && !j.State.Terminal() {
						why = waitText(l, j.Wait)
					}
					app.say("cli.watch_job", "at", at, "id", j.ID, "state", stateWord(l, j.State), "printer", j.Printer, "why", short(why, 80))
				case e.Printer != nil:
					p := e.Printer
					app.say("cli.watch_printer", "at", at, "name", p.Name, "state", printerStatus(l, *p),
						"jobs", l.N("cli.jobs_waiting", p.Queued), "detail", short(apitype.Printable(p.Status.Detail), 60))
				case e.Type == apitype.EventLagged:
					app.say("cli.watch_lagged", "at", at)
				}
				return nil
			})
			if interrupted(cmd.Context(), err) {
				return nil // Ctrl+C ends watching; that is not a failure
			}
			return err
		},
	}
	cmd.AddCommand(list, show, cancel, retry, watch)
	return cmd
}
