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
		Use:   "tray",
		Short: "Show the operator's tray: jobs, printers, Portokasse, shipments, web pages asking to print",
		Long: `tray shows what the running agent does, in the system tray and a window: the overall state
in the icon, the jobs with their label previews, the printers, the Portokasse balance, today's
shipments and web pages asking to print. A scan field takes order numbers from a barcode scanner.
It needs a running agent (the service or "labelagent run") and a desktop.`,
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
	cmd.Flags().StringVar(&lowBalance, "low-balance", "20", "notify when the Portokasse balance falls below this many euros (0: never)")
	cmd.Flags().DurationVar(&poll, "poll", 5*time.Second, "how often the balance and pairing requests are read (they have no events)")
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
