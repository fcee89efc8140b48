package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent"
	"github.com/labelagent/labelagent/agent/api"
	"github.com/labelagent/labelagent/agent/apikey"
	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/printer/transports"
)

// goldenRig is an agent with a fixed clock behind a real control API, and
// the CLI run in-process against it with a fixed clock too, so the output
// people read can be compared byte for byte.
type goldenRig struct {
	t    *testing.T
	dir  string
	addr string
	at   time.Time
}

func newGoldenRig(t *testing.T) *goldenRig { return newGoldenRigWith(t, "") }

// goldenTime is the rig's clock.
var goldenTime = time.Date(2026, 11, 24, 14, 5, 0, 0, time.UTC)

// newGoldenRigWith is newGoldenRig with a configuration file of this text
// (carrier sections); the rig's printer is added to it.
func newGoldenRigWith(t *testing.T, configYAML string) *goldenRig {
	t.Helper()
	at := goldenTime
	dir := t.TempDir()
	// Paths people see are relative to the working directory, so the
	// output is the same wherever the test runs.
	t.Chdir(dir)
	data := "data"
	path := ""
	if configYAML != "" {
		path = "config.yaml"
		if err := os.WriteFile(path, []byte(configYAML), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Load(path, func(c *config.Config) {
		c.DataDir = data
		c.Printers = []printer.Config{{Name: "desk", Transport: "file", File: printer.FileConfig{Dir: "labels"}}}
	})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := agent.New(agent.Options{Config: cfg, Logger: log, Version: "1.2.3", Now: func() time.Time { return at },
		OpenPrinter: func(pc printer.Config, log *slog.Logger) (printer.Printer, error) {
			p, err := transports.New(pc, log)
			return agentClock{p}, err
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	key, err := apikey.Ensure(data, log)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	control := api.New(a, key, log)
	if p := a.Postage(); p != nil {
		control.MountStamps(&api.StampService{IM: p.Client, Journal: p.Journal, Profile: p.Profile})
	} else {
		control.MountStamps(nil)
	}
	srv := control.NewHTTPServer()
	go srv.Serve(ln)
	t.Cleanup(func() {
		srv.Close()
		a.Stop(context.Background())
	})
	// The printer is paused, so jobs stay queued with a reason to show.
	if _, err := a.PausePrinter("desk"); err != nil {
		t.Fatal(err)
	}
	return &goldenRig{t: t, dir: dir, addr: ln.Addr().String(), at: at}
}

// agentClock leaves the time of a printer's status to the agent's clock.
type agentClock struct{ printer.Printer }

func (p agentClock) Status(ctx context.Context) (printer.Status, error) {
	st, err := p.Printer.Status(ctx)
	st.Checked = time.Time{}
	return st, err
}

// cli runs the command line in-process; the reader's environment is empty,
// so only --lang chooses the language.
func (g *goldenRig) cli(args ...string) (stdout, stderr string, code int) {
	var out, errb bytes.Buffer
	app := newCLIApp("1.2.3", strings.NewReader(""), &out, &errb)
	app.env = func(string) string { return "" }
	app.clock = func() time.Time { return g.at.Add(90 * time.Second) }
	root := app.root()
	app.args = append([]string{"--addr", g.addr, "--data-dir", "data"}, args...)
	root.SetArgs(app.args)
	if err := root.ExecuteContext(context.Background()); err != nil {
		code = app.report(err)
	}
	return out.String(), errb.String(), code
}

// TestGoldenOutput: the main commands' human and JSON output in English
// and German, as files a reviewer reads (testdata/golden/cli.*).
func TestGoldenOutput(t *testing.T) {
	const f = "label.zpl"
	steps := [][]string{
		{"print", f},
		{"print", "--name", "Bestellung 4711", "--copies", "2", f},
		{"jobs", "list"},
		{"jobs", "show", "1"},
		{"printers"},
		{"printers", "show", "desk"},
		{"jobs", "cancel", "2"},
		{"jobs", "cancel", "2"},
		{"jobs", "show", "2"}, // the history's notes in the reader's words
		{"jobs", "show", "99"},
		{"jobs", "list", "--state", "waiting"},
		{"print", "--kind", "docx", f},
		{"printers", "pause", "nope"},
		{"version"},
	}
	for _, lang := range []string{"en", "de"} {
		for _, mode := range []string{"human", "json"} {
			g := newGoldenRig(t)
			if err := os.WriteFile(f, label(1), 0o600); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, s := range steps {
				args := append([]string{"--lang", lang}, s...)
				if mode == "json" {
					args = append(args, "--json")
				}
				out, errOut, code := g.cli(args...)
				if mode == "json" {
					checkJSONShape(t, strings.Join(args, " "), out, errOut, code)
				}
				b.WriteString("$ labelagent " + strings.Join(args, " ") + "\n")
				b.WriteString(out)
				if errOut != "" {
					b.WriteString("[stderr] " + errOut)
				}
				if code != 0 {
					b.WriteString("[exit " + string(rune('0'+code)) + "]\n")
				}
				b.WriteString("\n")
			}
			golden(t, "cli."+lang+"."+mode, b.String())
		}
	}
}
