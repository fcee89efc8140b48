// Command labelagent is the packing-station label agent: `labelagent run`
// starts the service; the other commands talk to it or work offline.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// version is set at link time (-ldflags "-X main.version=…").
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	app := newCLIApp(version, os.Stdin, os.Stdout, os.Stderr)
	app.args = os.Args[1:]
	if err := app.root().ExecuteContext(ctx); err != nil {
		os.Exit(app.report(err))
	}
}
