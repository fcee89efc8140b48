package main

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/agent/api"
	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/zpl/preview"
	"github.com/labelagent/labelagent/zpl/verify"
)

func newPreviewCmd(app *cliApp) *cobra.Command {
	var (
		pf     profileFlags
		out    string
		kind   string
		check  bool
		expect []string
		job    string
	)
	cmd := &cobra.Command{
		Use: "preview IN.zpl|IN.pdf|IN.png | --job ID",
		Args: func(cmd *cobra.Command, args []string) error {
			if job != "" {
				return cobra.NoArgs(cmd, args)
			}
			return cobra.ExactArgs(1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usage(i18n.E("preview.need_output"))
			}
			if out == "-" && app.jsonOut {
				return usage(i18n.E("cli.stdout_json"))
			}
			if job != "" {
				return previewJob(cmd, app, job, out, check)
			}
			data, err := readInput(app, args[0])
			if err != nil {
				return err
			}
			p, err := pf.profile(app, cmd)
			if err != nil {
				return err
			}
			var exp []verify.Expectation
			for _, e := range expect {
				exp = append(exp, verify.Expectation{Text: e})
			}
			conv := newCLIConverter(app)
			defer conv.Close()
			res, err := preview.Render(cmd.Context(), conv, preview.Request{Kind: kind, Payload: data, Profile: p, Verify: check, Expect: exp})
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			desc := api.DescribePreview(res, app.L())
			if !app.jsonOut {
				for _, n := range res.Notes {
					for _, line := range pageNoteLines(app.L(), n) {
						fmt.Fprintln(app.stderr, line)
					}
				}
			}
			if out == "-" && len(res.Labels) > 1 {
				return usage(i18n.E("cli.stdout_one_label", "count", len(res.Labels)))
			}
			for i, l := range res.Labels {
				name := labelFile(out, i, len(res.Labels))
				png, err := l.PNG()
				if err != nil {
					return err
				}
				if err := app.writeOutput(name, png); err != nil {
					return err
				}
				desc.Labels[i].File = name
				if app.jsonOut {
					continue
				}
				app.note("preview.written", "file", name, "label", i+1, "width", l.Image.W, "height", l.Image.H)
				for _, w := range desc.Labels[i].Warnings {
					app.note("preview.warning", "text", w)
				}
				for _, u := range l.Undrawn {
					app.note("preview.undrawn", "command", u.Command, "data", strconv.Quote(truncateRunes(u.Data, 40)), "reason", u.Reason)
				}
				if rep := l.Report; rep != nil {
					printPreviewReport(app, *rep)
				}
			}
			if app.jsonOut {
				if err := app.printJSON(desc); err != nil {
					return err
				}
			}
			if failed := res.Failed(); failed > 0 {
				return i18n.E("preview.labels_failed", "failed", failed, "total", len(res.Labels))
			}
			return nil
		},
	}
	pf.register(cmd)
	fl := cmd.Flags()
	fl.StringVarP(&out, "output", "o", "", "")
	fl.StringVar(&kind, "kind", "", "")
	fl.BoolVar(&check, "verify", false, "")
	fl.StringSliceVar(&expect, "expect", nil, "")
	fl.StringVar(&job, "job", "", "")
	return cmd
}

// labelFile names the PNG of label i: OUT.png, or OUT-1.png, OUT-2.png, …
func labelFile(out string, i, n int) string {
	if n <= 1 || out == "-" {
		return out
	}
	ext := filepath.Ext(out)
	return fmt.Sprintf("%s-%d%s", strings.TrimSuffix(out, ext), i+1, ext)
}

// previewJob fetches a job's preview from the agent: every label as PNG
// and, with --verify, the agent's check.
func previewJob(cmd *cobra.Command, app *cliApp, id, out string, check bool) error {
	c := app.Client()
	ctx := cmd.Context()
	info, err := c.JobPreviewInfo(ctx, id, client.PreviewOptions{Verify: check})
	if err != nil {
		return err
	}
	for i := range info.Labels {
		img, err := c.JobPreview(ctx, id, client.PreviewOptions{Label: i + 1})
		if err != nil {
			return err
		}
		name := labelFile(out, i, len(info.Labels))
		if err := app.writeOutput(name, img.PNG); err != nil {
			return err
		}
		info.Labels[i].File = name
		if app.jsonOut {
			continue
		}
		l := info.Labels[i]
		app.note("preview.written", "file", name, "label", i+1, "width", l.WidthDots, "height", l.HeightDots)
		printPreviewLabel(app, l)
	}
	if app.jsonOut {
		if err := app.printJSON(info); err != nil {
			return err
		}
	}
	if info.Verified != nil && !*info.Verified {
		failed := 0
		for _, l := range info.Labels {
			if len(l.Problems) > 0 {
				failed++
			}
		}
		return i18n.E("preview.labels_failed", "failed", failed, "total", len(info.Labels))
	}
	return nil
}

func printPreviewLabel(app *cliApp, l apitype.PreviewLabel) {
	for _, w := range l.Warnings {
		app.note("preview.warning", "text", w)
	}
	for _, u := range l.Undrawn {
		app.note("preview.undrawn", "command", u.Command, "data", strconv.Quote(truncateRunes(u.Data, 40)), "reason", u.Reason)
	}
	for _, u := range l.Unverified {
		app.note("preview.unverified", "format", u, "text", "")
	}
	for _, p := range l.Problems {
		app.note("preview.check_failed", "error", p)
	}
}

func printPreviewReport(app *cliApp, rep verify.Report) {
	seen := map[string]bool{}
	for _, f := range rep.Found {
		k := f.Format + "\x00" + f.Text
		if seen[k] {
			continue
		}
		seen[k] = true
		text := strconv.Quote(f.Text)
		if f.GS1 {
			app.note("preview.scanned_gs1", "format", f.Format, "text", text)
		} else {
			app.note("preview.scanned", "format", f.Format, "text", text)
		}
	}
	for _, u := range rep.Unverified {
		app.note("preview.unverified", "format", u.Format, "text", strconv.Quote(u.Text))
	}
	if err := rep.Err(); err != nil {
		app.note("preview.check_failed", "error", err.Error())
	}
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
