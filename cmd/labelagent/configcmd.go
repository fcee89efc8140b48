package main

import (
	"errors"
	"fmt"
	"io"
	"regexp"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/labelagent/labelagent/agent"
	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/agent/i18n"
)

// checkedConfig loads the configuration and checks it completely: the
// file's keys and types, the values, the printers' label profiles and the
// carrier sections. `config check` and `run` both use it, so they refuse a
// file with the same list of problems.
func (app *cliApp) checkedConfig() (*config.Config, error) {
	cfg, err := app.Config()
	if cfg == nil {
		return nil, err
	}
	return cfg, cfg.Locate(agent.CheckConfig(cfg))
}

// ProblemJSON is one configuration problem in --json output.
type ProblemJSON struct {
	File    string         `json:"file,omitempty"`
	Line    int            `json:"line,omitempty"`
	Key     string         `json:"key,omitempty"`
	Env     string         `json:"env,omitempty"`  // the environment variable the value came from
	Flag    string         `json:"flag,omitempty"` // the flag the value came from
	Message string         `json:"message"`
	ID      string         `json:"id,omitempty"`
	Args    map[string]any `json:"args,omitempty"`
}

func problemsJSON(l *i18n.Localizer, e *config.Error) []ProblemJSON {
	out := make([]ProblemJSON, 0, len(e.Problems))
	for _, perr := range e.Problems {
		var p *config.Problem
		if !errors.As(perr, &p) {
			out = append(out, ProblemJSON{Message: l.Err(perr)})
			continue
		}
		pj := ProblemJSON{File: p.File, Line: p.Line, Key: p.Key, Env: p.Env, Flag: p.Flag, Message: p.Message(l)}
		var ie *i18n.Error
		if errors.As(p.Err, &ie) {
			pj.ID, pj.Args = ie.ID, ie.ArgMap()
		}
		out = append(out, pj)
	}
	return out
}

// ConfigCheckJSON is `config check --json`.
type ConfigCheckJSON struct {
	File           string        `json:"file"`
	Valid          bool          `json:"valid"`
	Problems       []ProblemJSON `json:"problems"`
	Printers       []string      `json:"printers,omitempty"`
	DefaultPrinter string        `json:"default_printer,omitempty"`
	Listen         string        `json:"listen,omitempty"`
	DataDir        string        `json:"data_dir,omitempty"`
	Language       string        `json:"language,omitempty"`
}

func (app *cliApp) newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:  "config",
		Args: cobra.NoArgs,
	}
	check := &cobra.Command{
		Use:  "check [FILE]",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				app.configPath = args[0]
			}
			l := app.L()
			cfg, err := app.checkedConfig()
			var ce *config.Error
			if err != nil && !errors.As(err, &ce) {
				return err // unreadable file
			}
			res := ConfigCheckJSON{Valid: ce == nil, Problems: []ProblemJSON{}}
			if cfg != nil {
				res.File = cfg.Source()
				res.DefaultPrinter, res.Listen, res.DataDir, res.Language = cfg.DefaultPrinter, cfg.Listen, cfg.DataDir, string(l.Lang())
				for _, p := range cfg.Printers {
					res.Printers = append(res.Printers, p.Name)
				}
			}
			if ce != nil {
				res.File = ce.File
				res.Problems = problemsJSON(l, ce)
			}
			if app.jsonOut {
				if err := app.printJSON(res); err != nil {
					return err
				}
			} else if ce != nil {
				fmt.Fprintln(app.stderr, ce.Localize(l))
			} else {
				app.say("config.valid", "file", app.configSource(cfg), "printers", l.N("config.printers", len(cfg.Printers)),
					"default", cfg.DefaultPrinter, "listen", cfg.Listen, "data_dir", cfg.DataDir)
			}
			if ce != nil {
				return quiet(1)
			}
			return nil
		},
	}
	var showSecrets bool
	show := &cobra.Command{
		Use:  "show",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := app.Config()
			var ce *config.Error
			if cfg == nil || (err != nil && !errors.As(err, &ce)) {
				return err
			}
			// Shown even with problems (config check lists those): what
			// the agent would work with is what IT needs to see.
			out, err := yaml.Marshal(cfg)
			if err != nil {
				return err
			}
			if !showSecrets {
				if out, err = redactSecrets(out); err != nil {
					return err
				}
			}
			if app.jsonOut {
				var m map[string]any
				if err := yaml.Unmarshal(out, &m); err != nil {
					return err
				}
				return app.printJSON(struct {
					File   string         `json:"file"`
					Config map[string]any `json:"config"`
				}{cfg.Source(), m})
			}
			return app.emit(nil, func(w io.Writer) error {
				fmt.Fprintf(w, "# %s\n%s", app.T("config.shown_from", "file", app.configSource(cfg)), out)
				return nil
			})
		},
	}
	show.Flags().BoolVar(&showSecrets, "secrets", false, "")
	cmd.AddCommand(check, show)
	return cmd
}

// VersionJSON is `version --json`.
type VersionJSON struct {
	Version string `json:"version"`
}

func (app *cliApp) newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:  "version",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return app.emit(VersionJSON{Version: app.version}, func(w io.Writer) error {
				_, err := fmt.Fprintln(w, "labelagent", app.version)
				return err
			})
		},
	}
}

var secretKey = regexp.MustCompile(`(?i)(password|secret|api_key|token)`)

// redactSecrets hides the values of secret keys in YAML, so that the
// configuration can be shown on a screen or pasted into a ticket.
func redactSecrets(doc []byte) ([]byte, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(doc, &n); err != nil {
		return nil, err
	}
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if v.Kind == yaml.ScalarNode && v.Value != "" && secretKey.MatchString(k.Value) {
					v.Value, v.Tag, v.Style = "********", "!!str", 0
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&n)
	return yaml.Marshal(&n)
}
