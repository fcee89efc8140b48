//go:build tray

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/kardianos/service"
	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/agent/client"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/ui"
)

// onDesktop is the tray build's question whether a person's desktop
// session runs labelagent (see onDesktop in desktop.go).
func (app *cliApp) onDesktop() bool {
	return onDesktop(runtime.GOOS, app.getenv, service.Interactive)
}

// newTrayCmd starts the operator's tray: a client of the running agent.
// --window (not in the help) is the tray's window process, which the tray
// starts as `labelagent tray --window`.
func (app *cliApp) newTrayCmd() *cobra.Command {
	var poll time.Duration
	var window bool
	cmd := &cobra.Command{
		Use:  "tray",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if window {
				return ui.RunWindow(cmd.Context(), app.trayOptions(poll), app.stdin, app.stdout)
			}
			return app.runTray(cmd.Context(), poll)
		},
	}
	cmd.Flags().DurationVar(&poll, "poll", 5*time.Second, "")
	cmd.Flags().BoolVar(&window, "window", false, "")
	_ = cmd.Flags().MarkHidden("window")
	return cmd
}

// trayOptions are the tray's and its window's: the agent this program
// talks to, the reader's language; this program's "service start" starts
// the service, and `labelagent tray --window` is the window.
func (app *cliApp) trayOptions(poll time.Duration) ui.AppOptions {
	cl := app.Client()
	self, _ := os.Executable()
	return ui.AppOptions{
		Model:  ui.Options{Addr: cl.Addr, DataDir: cl.DataDir, Lang: app.L().Lang(), Poll: poll, AgentBin: self},
		Log:    ui.Logger(app.stderr, app.logLevel),
		Window: ui.WindowArgs(self, []string{"tray"}, cl.Addr, cl.DataDir, app.logLevel, poll),
		Stderr: app.stderr,
	}
}

// runTray runs the tray until the operator quits or ctx ends. The tray
// icon wants the main OS thread on Windows: this must be called on the
// main goroutine (cobra runs commands there), never from another one.
// The window is a process of its own (`labelagent tray --window`).
func (app *cliApp) runTray(ctx context.Context, poll time.Duration) error {
	return ui.Run(ctx, app.trayOptions(poll))
}

// runDefault is `labelagent` with no arguments. On a desktop it shows the
// tray: of the service when one answers, else (a single PC without the
// service) of an agent it runs itself, in this process. Without a desktop
// it prints the help.
func (app *cliApp) runDefault(cmd *cobra.Command, _ []string) error {
	if !app.onDesktop() {
		return cmd.Help()
	}
	ctx := cmd.Context()
	// Everything the agent's goroutine reads from app is loaded here,
	// before it starts (app caches it without a lock).
	l := app.L()
	cl := app.Client()
	hctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	_, err := cl.Health(hctx)
	cancel()
	var notRunning *client.NotRunningError
	if !errors.As(err, &notRunning) {
		// The service (or another agent) answers; anything else that
		// answers there the tray shows in plain words.
		return app.runTray(ctx, 5*time.Second)
	}
	if _, err := app.checkedConfig(); err != nil {
		return err
	}
	app.note("tray.single_pc", "addr", cl.Addr)

	agentCtx, stopAgent := context.WithCancel(ctx)
	defer stopAgent()
	agentDone := make(chan error, 1)
	go func() { agentDone <- app.runAgent(agentCtx, nil) }()
	if err := waitListening(ctx, cl, agentDone); err != nil {
		return err
	}
	// The tray ends the process when the operator quits it; if the agent
	// ends first (it failed), the tray goes too and the reason is shown.
	trayCtx, quitTray := context.WithCancel(ctx)
	defer quitTray()
	var agentErr error
	agentEnded := make(chan struct{})
	go func() {
		agentErr = <-agentDone
		close(agentEnded)
		quitTray()
	}()
	trayErr := app.runTray(trayCtx, 5*time.Second)
	stopAgent()
	<-agentEnded
	if agentErr != nil {
		return agentErr
	}
	if trayErr != nil {
		return fmt.Errorf("%s: %w", l.T("tray.title"), trayErr)
	}
	return nil
}

// waitListening waits until the agent started in this process answers, or
// returns why it did not start.
func waitListening(ctx context.Context, cl *client.Client, agentDone <-chan error) error {
	for {
		hctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := cl.Health(hctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case err := <-agentDone:
			if err == nil {
				err = i18n.E("tray.agent_stopped")
			}
			return err
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
