package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/kardianos/service"
	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/agent"
	"github.com/labelagent/labelagent/agent/api"
	"github.com/labelagent/labelagent/agent/apikey"
	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/agent/i18n"
)

// How long a stopping agent lets the job being written finish.
const stopGrace = 10 * time.Second

func (app *cliApp) newRunCmd() *cobra.Command {
	return &cobra.Command{
		Use:  "run",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return app.runAgent(cmd.Context(), nil)
		},
	}
}

// runAgent runs the agent until ctx ends. sys is the service manager's log
// (the Windows Event Log) when the agent runs as a Windows service, else nil.
func (app *cliApp) runAgent(ctx context.Context, sys service.Logger) error {
	return app.runAgentWith(ctx, sys, false)
}

// runAgentWith: asService prepares the PDF renderer's cache in the
// background (the installed service's first start).
func (app *cliApp) runAgentWith(ctx context.Context, sys service.Logger, asService bool) error {
	cfg, err := app.checkedConfig()
	if err != nil {
		return err
	}
	log, closeLog, err := openLog(cfg, app.stderr, sys)
	if err != nil {
		return err
	}
	defer closeLog()

	a, err := agent.New(agent.Options{Config: cfg, Logger: log, Version: app.version, ShipmentCrash: crashHook(app.getenv), PrepareRenderer: asService})
	if err != nil {
		return err
	}
	// Listen before starting, so a second agent fails before touching the store.
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return i18n.E("cli.listen_in_use", "addr", cfg.Listen)
		}
		return i18n.Wrap(err, "cli.cannot_listen", "addr", cfg.Listen)
	}
	if err := a.Start(ctx); err != nil {
		ln.Close()
		log.Error("agent did not start", "err", err)
		return storeRefusal(err, app.version, app.L())
	}
	key, err := apikey.Ensure(cfg.DataDir, log)
	if err != nil {
		ln.Close()
		_ = a.Stop(context.Background())
		return err
	}
	baseCtx, endRequests := context.WithCancel(context.Background())
	control := api.New(a, key, log)
	if p := a.Postage(); p != nil {
		low, _ := cfg.Tray.LowBalanceCents() // checked with the configuration
		control.MountStamps(&api.StampService{IM: p.Client, Journal: p.Journal, Profile: p.Profile, LowBalanceCents: low})
	} else {
		control.MountStamps(nil) // the endpoints say INTERNETMARKE is not configured
	}
	browsers, err := startBrowser(cfg, a, control, key, log)
	if err != nil {
		endRequests()
		ln.Close()
		_ = a.Stop(context.Background())
		return err
	}
	a.SetDashboard(browsers.dashboard())
	srv := control.NewHTTPServer()
	srv.BaseContext = func(net.Listener) context.Context { return baseCtx }
	srv.RegisterOnShutdown(endRequests) // ends open event streams
	serveErr := make(chan error, 1)
	// The banner first: whoever sees the API answer also sees the banner.
	app.banner(cfg, ln.Addr().String(), browsers)
	go func() { serveErr <- srv.Serve(ln) }()
	// Package initialisation (pdfcpu's width tables, the contract parser)
	// leaves megabytes of garbage; an idle service should not keep it.
	debug.FreeOSMemory()
	log.Info("control API listening", "addr", ln.Addr().String())

	select {
	case <-ctx.Done():
		log.Info("stopping")
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			log.Error("control API failed", "err", err)
		}
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	browsers.stop(shutdownCtx)
	_ = srv.Shutdown(shutdownCtx)
	cancel()
	endRequests()
	stopCtx, cancel := context.WithTimeout(context.Background(), stopGrace)
	defer cancel()
	return a.Stop(stopCtx)
}

// banner tells the person who started the agent where things are.
func (app *cliApp) banner(cfg *config.Config, addr string, browsers *browserSurface) {
	l := app.L()
	w := tabwriter.NewWriter(app.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, l.T("cli.banner_running", "version", app.version))
	row := func(id, v string) { fmt.Fprintf(w, "  %s\t%s\n", l.T(id), v) }
	row("cli.banner_api", "http://"+addr+"/api/v1/")
	row("cli.banner_key", apikey.Path(cfg.DataDir))
	if d := browsers.dashboard(); d != "" {
		row("cli.banner_dashboard", d)
	}
	for _, b := range browsers.lines {
		fmt.Fprintf(w, "  %s\t%s\n", l.T(b[0]), b[1])
	}
	row("cli.banner_data", cfg.DataDir)
	row("cli.banner_config", app.configSource(cfg))
	for _, p := range cfg.Printers {
		where := p.Address()
		if p.Transport == "file" {
			where = l.T("cli.banner_output_folder", "dir", where)
		}
		fmt.Fprintf(w, "  %s\t%s %s\n", l.T("cli.banner_printer", "name", p.Name), p.Transport, where)
	}
	w.Flush()
	// Commands that work as printed, from another terminal: this binary,
	// and the flags that find this agent when the defaults would not.
	self := app.selfCommand(cfg, addr)
	fmt.Fprintln(app.stdout, l.T("cli.banner_try"))
	fmt.Fprintf(app.stdout, "  echo '^XA^FO50,50^A0N,50,50^FDHallo^FS^XZ' | %s print --wait -\n", self)
	fmt.Fprintf(app.stdout, "  %s jobs list\n", self)
	fmt.Fprintf(app.stdout, "  %s printers\n", self)
}

// selfCommand is how to call this agent's CLI from another terminal: the
// path this binary was started by (bin/labelagent under make run), and
// --config, or --data-dir and --addr, where the defaults would miss it.
func (app *cliApp) selfCommand(cfg *config.Config, addr string) string {
	self := "labelagent"
	if len(os.Args) > 0 && strings.ContainsRune(os.Args[0], filepath.Separator) && !strings.Contains(os.Args[0], "go-build") {
		self = os.Args[0]
		if !filepath.IsAbs(self) && !strings.HasPrefix(self, ".") {
			self = "." + string(filepath.Separator) + self
		}
	}
	args := []string{self}
	quote := func(s string) string {
		if strings.ContainsAny(s, " '\"$") {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
		return s
	}
	if app.configPath != "" {
		args = append(args, "--config", quote(app.configPath))
		if app.dataDir != "" {
			args = append(args, "--data-dir", quote(cfg.DataDir))
		}
		return strings.Join(args, " ")
	}
	// Another terminal may not have this one's LABELAGENT_* variables:
	// compare with what the CLI finds without them.
	clientDir := config.UserDataDir()
	if _, err := os.Stat(config.SystemDataDir()); err == nil {
		clientDir = config.SystemDataDir()
	}
	if cfg.DataDir != clientDir {
		args = append(args, "--data-dir", quote(cfg.DataDir))
	}
	if cfg.Listen != config.DefaultListen {
		args = append(args, "--addr", addr)
	}
	return strings.Join(args, " ")
}
