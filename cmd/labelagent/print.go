package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
	"github.com/labelagent/labelagent/agent/i18n"
)

// PrintLine is one line of `print --json` (JSON Lines): for every file a
// "submitted" (or "existing", for a reused idempotency key) line; with
// --wait also "waiting" each time the reason changes, "printing", and
// "finished" with the final job.
type PrintLine struct {
	File  string      `json:"file"`
	Event string      `json:"event"` // submitted | existing | waiting | printing | finished
	Job   apitype.Job `json:"job"`
}

// Print events.
const (
	printSubmitted = "submitted"
	printExisting  = "existing"
	printWaiting   = "waiting"
	printPrinting  = "printing"
	printFinished  = "finished"
)

var printKinds = []string{"zpl", "raw", "pdf", "png"}

func (app *cliApp) newPrintCmd() *cobra.Command {
	var (
		req  apitype.SubmitRequest
		kind string
		wait bool
	)
	cmd := &cobra.Command{
		Use:  "print FILE...",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 && req.IdempotencyKey != "" {
				return usage(i18n.E("cli.print_key_one_file"))
			}
			req.Kind = apitype.Kind(kind)
			if kind != "" && !slices.Contains(printKinds, kind) {
				return app.refuse("--kind", kind, printKinds)
			}
			if req.Copies < 1 {
				return usage(i18n.E("cli.copies_positive", "value", req.Copies))
			}
			ctx := cmd.Context()
			cl := app.Client()
			failed := 0
			for _, f := range args {
				r := req
				data, err := readInput(app, f)
				if err != nil {
					return err
				}
				r.Payload = data
				if r.Name == "" && f != "-" {
					r.Name = filepath.Base(f)
				}
				if r.Source == "" {
					r.Source = "cli"
				}
				resp, err := cl.Submit(ctx, r)
				if err != nil {
					return i18n.Wrap(err, "cli.file_prefix", "file", f)
				}
				app.printSubmitted(f, resp)
				if !wait {
					continue
				}
				final, err := app.follow(ctx, cl, f, resp.Job)
				if interrupted(ctx, err) {
					app.note("cli.print_stopped_waiting", "file", f, "id", resp.Job.ID)
					return nil // Ctrl+C: the job stays queued; that is not a failure
				}
				if err != nil {
					return err
				}
				if final.State != apitype.StateDone {
					failed++
				}
			}
			if failed > 0 {
				return &exitError{code: 1, err: i18n.E("cli.print_not_printed", "jobs", app.L().N("jobs.count", failed))}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&req.Printer, "printer", "p", "", "")
	f.StringVarP(&kind, "kind", "k", "", "")
	f.IntVar(&req.Copies, "copies", 1, "")
	f.StringVar(&req.Name, "name", "", "")
	f.StringVar(&req.IdempotencyKey, "key", "", "")
	f.BoolVarP(&wait, "wait", "w", false, "")
	_ = cmd.RegisterFlagCompletionFunc("printer", app.completePrinters)
	_ = cmd.RegisterFlagCompletionFunc("kind", cobra.FixedCompletions(printKinds, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (app *cliApp) printSubmitted(file string, resp apitype.SubmitResponse) {
	j := resp.Job
	if app.jsonOut {
		ev := printSubmitted
		if resp.Existing {
			ev = printExisting
		}
		_ = app.printJSONLine(PrintLine{File: file, Event: ev, Job: j})
		return
	}
	l := app.L()
	switch {
	case resp.Existing:
		app.say("cli.print_existing", "file", file, "id", j.ID, "state", jobStatus(l, j))
	case j.Wait != nil && j.Wait.Code != apitype.WaitBehind:
		app.say("cli.print_queued_waiting", "file", file, "id", j.ID, "printer", j.Printer, "why", waitText(l, j.Wait))
	default:
		app.say("cli.print_queued", "file", file, "id", j.ID, "printer", j.Printer)
	}
}

// follow reports a job's progress until it is finished: each new reason it
// waits for, when it starts printing, and the end.
func (app *cliApp) follow(ctx context.Context, cl *client.Client, file string, j apitype.Job) (apitype.Job, error) {
	l := app.L()
	// The last reason or state reported, as the reader saw it: a change
	// only in words the reader is not shown is no news.
	var last string
	if j.Wait != nil {
		last = waitText(l, j.Wait)
	}
	report := func(j apitype.Job) {
		var key, ev string
		switch {
		case j.State.Terminal():
			key, ev = "end", printFinished
		case j.Wait != nil:
			key, ev = waitText(l, j.Wait), printWaiting
		case j.State == apitype.StatePrinting:
			key, ev = "printing", printPrinting
		default:
			return
		}
		if key == last {
			return
		}
		last = key
		if app.jsonOut {
			_ = app.printJSONLine(PrintLine{File: file, Event: ev, Job: j})
			return
		}
		switch ev {
		case printWaiting:
			app.say("cli.print_waiting", "file", file, "id", j.ID, "why", waitText(l, j.Wait))
		case printPrinting:
			app.say("cli.print_printing", "file", file, "id", j.ID, "printer", j.Printer)
		case printFinished:
			if j.State == apitype.StateDone {
				app.say("cli.print_done", "file", file, "id", j.ID)
			} else {
				app.say("cli.print_failed", "file", file, "id", j.ID, "state", stateWord(l, j.State), "error", apitype.Printable(j.LastError))
			}
		}
	}
	final, err := waitJob(ctx, cl, j.ID, report)
	return final, err
}

func readInput(app *cliApp, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(app.stdin)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, i18n.Wrap(err, "cli.cannot_read", "file", name)
	}
	return data, nil
}

// waitJob follows the event stream until the job is finished, calling seen
// with every version of the job it learns of. It looks at the job once the
// stream is open, so a change before that is not missed.
func waitJob(ctx context.Context, cl *client.Client, id string, seen func(apitype.Job)) (apitype.Job, error) {
	stream, err := cl.Events(ctx)
	if err != nil {
		return apitype.Job{}, err
	}
	defer stream.Close()
	check := func() (apitype.Job, bool, error) {
		j, err := cl.Job(ctx, id)
		if err == nil {
			seen(j)
		}
		return j, err == nil && j.State.Terminal(), err
	}
	if j, done, err := check(); done || err != nil {
		return j, err
	}
	for {
		e, err := stream.Next()
		if err != nil {
			if ctx.Err() != nil {
				return apitype.Job{}, ctx.Err()
			}
			return apitype.Job{}, i18n.Wrap(err, "cli.waiting_for_job", "id", id)
		}
		switch {
		case e.Type == apitype.EventLagged:
			if j, done, err := check(); done || err != nil {
				return j, err
			}
		case e.Job != nil && e.Job.ID == id:
			if e.Job.State.Terminal() {
				j, _, err := check() // the full job, with its history
				return j, err
			}
			seen(*e.Job)
		case e.Printer != nil:
			// A printer-wide change (paper out on a long queue) may not
			// come with a job event: look at the job again.
			if j, done, err := check(); done || err != nil {
				return j, err
			}
		}
	}
}
