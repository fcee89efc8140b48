package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
)

func (app *cliApp) newPrintCmd() *cobra.Command {
	var (
		req  apitype.SubmitRequest
		kind string
		wait bool
	)
	cmd := &cobra.Command{
		Use:   "print FILE...",
		Short: "Send label files (ZPL, PDF, PNG or raw) to a printer through the agent",
		Long: `Send each FILE (or - for standard input) as a print job to the running agent. The kind is
taken from --kind, else from the file's content (PDF, PNG, ZPL, otherwise raw).

The command returns once the agent has stored the job safely; with --wait it waits until
the job is printed and fails if it is not.`,
		Example: `  labelagent print label.zpl
  labelagent print --printer zebra --copies 2 --wait return.pdf
  curl -s https://shop.example/label.zpl | labelagent print -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 && req.IdempotencyKey != "" {
				return errors.New("--key names one job: use it with one file")
			}
			req.Kind = apitype.Kind(kind)
			if kind != "" && !req.Kind.Valid() {
				return fmt.Errorf("--kind %q: use zpl, raw, pdf or png", kind)
			}
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
				resp, err := cl.Submit(cmd.Context(), r)
				if err != nil {
					return fmt.Errorf("%s: %w", f, err)
				}
				j := resp.Job
				if resp.Existing {
					fmt.Fprintf(app.stdout, "%s: already submitted as job %s (%s)\n", f, j.ID, j.State)
				} else {
					fmt.Fprintf(app.stdout, "%s: job %s queued for %s\n", f, j.ID, j.Printer)
				}
				if wait {
					final, err := waitJob(cmd.Context(), cl, j.ID)
					if err != nil {
						return err
					}
					if final.State != apitype.StateDone {
						failed++
						fmt.Fprintf(app.stdout, "%s: job %s %s: %s\n", f, j.ID, final.State, final.LastError)
					} else {
						fmt.Fprintf(app.stdout, "%s: job %s printed\n", f, j.ID)
					}
				}
			}
			if failed > 0 {
				return &exitError{code: 1, msg: fmt.Sprintf("%d job(s) did not print", failed)}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&req.Printer, "printer", "p", "", "printer name (default: the agent's default printer)")
	f.StringVarP(&kind, "kind", "k", "", "payload kind: zpl, raw, pdf, png (default: detected)")
	f.IntVarP(&req.Copies, "copies", "n", 1, "number of copies")
	f.StringVar(&req.Name, "name", "", "what the operator sees for this job (default: the file name)")
	f.StringVar(&req.IdempotencyKey, "key", "", "idempotency key: submitting the same key again returns the first job")
	f.BoolVarP(&wait, "wait", "w", false, "wait until the job is printed (or fails)")
	return cmd
}

func readInput(app *cliApp, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(app.stdin)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return data, nil
}

// waitJob follows the event stream until the job is finished. It looks at
// the job once the stream is open, so a job that finished before is not missed.
func waitJob(ctx context.Context, cl *client.Client, id string) (apitype.Job, error) {
	stream, err := cl.Events(ctx)
	if err != nil {
		return apitype.Job{}, err
	}
	defer stream.Close()
	check := func() (apitype.Job, bool, error) {
		j, err := cl.Job(ctx, id)
		return j, err == nil && j.State.Terminal(), err
	}
	if j, done, err := check(); done || err != nil {
		return j, err
	}
	for {
		e, err := stream.Next()
		if err != nil {
			return apitype.Job{}, fmt.Errorf("waiting for job %s: %w", id, err)
		}
		switch {
		case e.Type == apitype.EventLagged:
			if j, done, err := check(); done || err != nil {
				return j, err
			}
		case e.Job != nil && e.Job.ID == id && e.Job.State.Terminal():
			return cl.Job(ctx, id)
		}
	}
}
