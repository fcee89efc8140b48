package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/labelagent/labelagent/agent"
	"github.com/labelagent/labelagent/agent/config"
)

func (app *cliApp) newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check or show the configuration",
		Args:  cobra.NoArgs,
	}
	check := &cobra.Command{
		Use:   "check [FILE]",
		Short: "Validate a configuration file; list every problem and exit non-zero if there is one",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				app.configPath = args[0]
			}
			cfg, err := app.Config()
			var ce *config.Error
			if cfg != nil && (err == nil || errors.As(err, &ce)) {
				// The file parsed: list every problem, the converter's included.
				if errs := agent.CheckConfig(cfg); len(errs) > 0 {
					err = &config.Error{File: cfg.Source(), Problems: errs}
				}
			}
			if err != nil {
				if errors.As(err, &ce) {
					fmt.Fprintln(app.stderr, err)
					return &exitError{code: 1}
				}
				return err
			}
			fmt.Fprintf(app.stdout, "%s is valid: %d printer(s), default %q, control API on %s, data in %s\n",
				cfg.Source(), len(cfg.Printers), cfg.DefaultPrinter, cfg.Listen, cfg.DataDir)
			return nil
		},
	}
	show := &cobra.Command{
		Use:   "show",
		Short: "Print the effective configuration (file, environment and defaults combined)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := app.Config()
			if err != nil {
				return err
			}
			out, err := yaml.Marshal(cfg)
			if err != nil {
				return err
			}
			fmt.Fprintf(app.stdout, "# from %s\n%s", cfg.Source(), out)
			return nil
		},
	}
	cmd.AddCommand(check, show)
	return cmd
}

func (app *cliApp) newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(app.stdout, "labelagent", app.version)
		},
	}
}
