package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/agent/client"
	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/agent/i18n"
)

// cliApp carries what every command needs: global flags, the configuration
// (loaded once, on demand), the agent client and the output streams.
type cliApp struct {
	version string
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer

	configPath  string
	dataDir     string
	addr        string
	logLevel    string
	jsonOut     bool
	lang        string
	showVersion bool     // --version
	args        []string // the command line as given (os.Args[1:]), for refusals before --json is parsed

	helpLang i18n.Lang // the language the help texts are in ("" before the first help)

	env   func(string) string // nil: os.Getenv (tests set it)
	clock func() time.Time    // nil: time.Now (golden tests fix it)
	loc   *i18n.Localizer

	cfg    *config.Config
	cfgErr error
	loaded bool
	cl     *client.Client
	log    *slog.Logger
}

func newCLIApp(version string, stdin io.Reader, stdout, stderr io.Writer) *cliApp {
	return &cliApp{version: version, stdin: stdin, stdout: stdout, stderr: stderr}
}

func (app *cliApp) root() *cobra.Command {
	root := &cobra.Command{
		Use:           "labelagent",
		SilenceUsage:  true,
		SilenceErrors: true,
		// --version is ours rather than cobra's, whose words are English.
		// No command: the help, or on a desktop in a build with the tray,
		// the tray (with the agent in this process when no service answers).
		RunE: func(cmd *cobra.Command, args []string) error {
			if !app.showVersion {
				return app.runDefault(cmd, args)
			}
			return app.emit(VersionJSON{Version: app.version}, func(w io.Writer) error {
				_, err := fmt.Fprintln(w, app.versionLine())
				return err
			})
		},
	}
	root.SetOut(app.stdout)
	root.SetErr(app.stderr)
	root.SetIn(app.stdin)
	pf := root.PersistentFlags()
	pf.StringVarP(&app.configPath, "config", "c", "", "")
	pf.StringVar(&app.dataDir, "data-dir", "", "")
	pf.StringVar(&app.addr, "addr", "", "")
	pf.StringVar(&app.logLevel, "log-level", "", "")
	pf.BoolVar(&app.jsonOut, "json", false, "")
	pf.StringVar(&app.lang, "lang", "", "")
	_ = root.RegisterFlagCompletionFunc("lang", cobra.FixedCompletions(langNames(), cobra.ShellCompDirectiveNoFileComp))
	root.Flags().BoolVarP(&app.showVersion, "version", "v", false, "")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		// Parsing stopped at the bad flag: a --json after it is not set yet,
		// but the refusal is to be JSON all the same.
		if !app.jsonOut && wantsJSON(app.args) {
			app.jsonOut = true
		}
		return usage(err)
	})
	// Help, usage and completions are worded in the reader's language once
	// the flags that choose it are read (see help.go).
	root.SetHelpFunc(app.helpOf(root))
	root.SetUsageFunc(app.usageOf(root))
	root.SetHelpCommand(app.newHelpCmd(root))
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if cmd.Name() == cobra.ShellCompRequestCmd || cmd.Name() == cobra.ShellCompNoDescRequestCmd {
			app.completionLang(args)
			app.localizeHelp(root)
			return nil
		}
		return app.checkLang()
	}

	root.AddCommand(
		app.newRunCmd(),
		app.newPrintCmd(),
		app.newJobsCmd(),
		app.newPrintersCmd(),
		app.newConfigCmd(),
		app.newVersionCmd(),
		app.newTrayCmd(),
		newShipCmd(app),
		newManifestCmd(app),
		newDayEndCmd(app, "dayend"),
		newReturnCmd(app),
		newTrackCmd(app),
		newSimulateCmd(app),
		newConvertCmd(app),
		newPreviewCmd(app),
		newEmulateCmd(app),
		newStampCmd(app),
		newFrankingCmd(app),
		newOriginsCmd(app),
		newBrowserCmd(app),
		app.newServiceCmd(),
		newSourcesCmd(app),
		newOrdersCmd(app),
		newScanCmd(app),
		newRulesCmd(app),
		newScaleCmd(app),
		newStationsCmd(app),
		app.newDoctorCmd(),
	)
	return root
}

// Config loads the configuration once: the --config file (or the default
// file), then the environment, then the command-line overrides.
func (app *cliApp) Config() (*config.Config, error) {
	if app.loaded {
		return app.cfg, app.cfgErr
	}
	app.loaded = true
	path := app.configPath
	if path == "" {
		path = config.DefaultConfigFile()
	}
	app.cfg, app.cfgErr = config.Load(path, func(c *config.Config) {
		if app.dataDir != "" { // the flag wins over the file and the environment
			c.DataDir = app.dataDir
			c.SetOrigin("data_dir", "--data-dir")
		}
	})
	if app.cfg != nil && app.logLevel != "" {
		app.cfg.Log.Level = app.logLevel
	}
	return app.cfg, app.cfgErr
}

// Client returns the control API client. The address and data directory
// come from the flags, else the environment, else the configuration file if
// one is named or installed, else the defaults.
func (app *cliApp) Client() *client.Client {
	if app.cl != nil {
		return app.cl
	}
	c := &client.Client{Addr: app.addr, DataDir: app.dataDir, Lang: string(app.L().Lang())}
	if c.Addr == "" || c.DataDir == "" {
		if path := app.configPath; path != "" || config.DefaultConfigFile() != "" {
			if cfg, err := app.Config(); cfg != nil && err == nil {
				if c.Addr == "" {
					c.Addr = cfg.Listen
				}
				if c.DataDir == "" {
					c.DataDir = cfg.DataDir
				}
			}
		}
	}
	app.cl = c
	return c
}

// Logger logs to standard error at the configured level.
func (app *cliApp) Logger() *slog.Logger {
	if app.log != nil {
		return app.log
	}
	level := app.logLevel
	if level == "" {
		if cfg, _ := app.Config(); cfg != nil {
			level = cfg.Log.Level
		}
	}
	app.log = slog.New(slog.NewTextHandler(app.stderr, &slog.HandlerOptions{Level: parseLevel(level)}))
	return app.log
}

func parseLevel(s string) slog.Level {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}
