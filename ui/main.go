//go:build tray

package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/agent/i18n"
)

// Main is the tray-only program (cmd/labelagent-tray): it parses args, finds
// the agent the way the CLI does (flags, then the environment, then the
// named or installed configuration file) and runs the tray until the
// operator quits or ctx ends. It returns the exit code. A leading "tray" is
// accepted, so "labelagent-tray tray" (older autostart entries) works too.
//
// With --window (not in the help) it is the tray's window process instead
// (RunWindow): the tray starts it, and talks to it over stdin and stdout.
func Main(ctx context.Context, version string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "tray" {
		args = args[1:]
	}
	var o struct {
		addr, dataDir, cfgPath, lang, logLevel string
		poll                                   time.Duration
		version, help, window                  bool
	}
	l0 := i18n.For(i18n.Detect(os.Getenv, langFlag(args)))
	fs := pflag.NewFlagSet("labelagent-tray", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.addr, "addr", "", l0.T("tray.cmd.flag_addr", "default", config.DefaultListen))
	fs.StringVar(&o.dataDir, "data-dir", "", l0.T("tray.cmd.flag_data_dir"))
	fs.StringVarP(&o.cfgPath, "config", "c", "", l0.T("tray.cmd.flag_config"))
	fs.StringVar(&o.lang, "lang", "", l0.T("tray.cmd.flag_lang"))
	fs.StringVar(&o.logLevel, "log-level", "", l0.T("tray.cmd.flag_log_level"))
	fs.DurationVar(&o.poll, "poll", 5*time.Second, l0.T("tray.cmd.flag_poll"))
	fs.BoolVar(&o.version, "version", false, l0.T("tray.cmd.flag_version"))
	fs.BoolVarP(&o.help, "help", "h", false, l0.T("tray.cmd.flag_help"))
	fs.BoolVar(&o.window, "window", false, "")
	_ = fs.MarkHidden("window") // the tray's own use
	// The defaults are in the catalog's words; pflag's own would be English.
	fs.Lookup("poll").DefValue = "0s"
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		if err == nil {
			err = errors.New(fs.Arg(0))
		}
		fmt.Fprintln(stderr, l0.T("tray.cmd.bad_args", "error", err.Error()))
		fmt.Fprintln(stderr, l0.T("tray.cmd.usage"))
		return 2
	}
	if o.help {
		fmt.Fprintln(stdout, l0.T("tray.cmd.long"))
		fmt.Fprintln(stdout)
		fmt.Fprintln(stdout, l0.T("tray.cmd.usage"))
		fmt.Fprintln(stdout)
		fmt.Fprint(stdout, fs.FlagUsages())
		return 0
	}
	if o.version {
		fmt.Fprintln(stdout, "labelagent-tray "+version)
		return 0
	}
	if o.lang != "" {
		if _, ok := i18n.ParseLang(o.lang); !ok {
			fmt.Fprintln(stderr, l0.T("tray.cmd.bad_lang", "value", o.lang))
			return 2
		}
	}
	// The configuration is read only when one is named or installed; the
	// tray needs from it where the agent listens, its data directory (for
	// the API key) and the language.
	explicitLang := o.lang
	if path := firstNonEmpty(o.cfgPath, config.DefaultConfigFile()); path != "" && (o.addr == "" || o.dataDir == "" || explicitLang == "") {
		cfg, err := config.Load(path)
		if err != nil {
			fmt.Fprintln(stderr, l0.Err(err))
			return 1
		}
		if o.addr == "" && os.Getenv(config.EnvListen) == "" {
			o.addr = cfg.Listen
		}
		if o.dataDir == "" && os.Getenv(config.EnvDataDir) == "" {
			o.dataDir = cfg.DataDir
		}
		if explicitLang == "" {
			explicitLang = cfg.Language
		}
	}
	lang := i18n.Detect(os.Getenv, explicitLang)
	exe, _ := os.Executable()
	opts := AppOptions{
		// The packages put labelagent beside labelagent-tray: it starts
		// the service when the operator asks.
		Model:  Options{Addr: o.addr, DataDir: o.dataDir, Lang: lang, Poll: o.poll, AgentBin: AgentBinary(exe)},
		Log:    Logger(stderr, o.logLevel),
		Window: WindowArgs(exe, nil, o.addr, o.dataDir, o.logLevel, o.poll),
		Stderr: stderr,
	}
	var err error
	if o.window {
		err = RunWindow(ctx, opts, stdin, stdout)
	} else {
		err = Run(ctx, opts)
	}
	if err != nil {
		fmt.Fprintln(stderr, i18n.For(lang).Err(err))
		return 1
	}
	return 0
}

// WindowArgs is the command line of the tray's window process: program,
// then sub (e.g. "tray" for labelagent), --window and what the tray was
// told of the agent (the tray adds --lang).
func WindowArgs(program string, sub []string, addr, dataDir, logLevel string, poll time.Duration) []string {
	args := append(append([]string{program}, sub...), "--window", "--poll", poll.String())
	for _, f := range [][2]string{{"--addr", addr}, {"--data-dir", dataDir}, {"--log-level", logLevel}} {
		if f[1] != "" {
			args = append(args, f[0], f[1])
		}
	}
	return args
}

// Logger logs to w at level (warn when empty or unknown); debug shows every
// redraw.
func Logger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil || level == "" {
		l = slog.LevelWarn
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// langFlag finds --lang before the flags are parsed, so that the help and
// the flag errors are already in the reader's language.
func langFlag(args []string) string {
	for i, a := range args {
		switch {
		case a == "--lang" && i+1 < len(args):
			return args[i+1]
		case len(a) > 7 && a[:7] == "--lang=":
			return a[7:]
		}
	}
	return ""
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
