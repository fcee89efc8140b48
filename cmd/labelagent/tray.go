//go:build tray

package main

import (
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/ui"
)

// newTrayCmd starts the operator's tray: a client of the running agent.
func (app *cliApp) newTrayCmd() *cobra.Command {
	var lowBalance string
	var poll time.Duration
	cmd := &cobra.Command{
		Use:  "tray",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var low int64
			if lowBalance != "" {
				f, err := i18n.ParseDecimal(lowBalance)
				if err != nil || f < 0 {
					return usage(i18n.E("cli.not_a_number", "value", lowBalance))
				}
				low = int64(f*100 + 0.5)
			}
			cl := app.Client()
			return ui.Run(cmd.Context(), ui.AppOptions{
				Model: ui.Options{Addr: cl.Addr, DataDir: cl.DataDir, Lang: app.L().Lang(), LowBalanceCents: low, Poll: poll},
				Log:   trayLog(app.logLevel),
			})
		},
	}
	cmd.Flags().StringVar(&lowBalance, "low-balance", "20", "")
	cmd.Flags().DurationVar(&poll, "poll", 5*time.Second, "")
	return cmd
}

// trayLog logs to standard error; --log-level debug shows every redraw.
func trayLog(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil || level == "" {
		l = slog.LevelWarn
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}
