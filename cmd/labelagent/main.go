// Command labelagent is the packing-station label agent: `labelagent run`
// starts the service; the other commands talk to it or work offline.
package main

import (
	"context"
	"errors"
	"fmt"
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
	err := app.root().ExecuteContext(ctx)
	if err != nil {
		var ex *exitError
		if errors.As(err, &ex) {
			if ex.msg != "" {
				fmt.Fprintln(os.Stderr, "labelagent:", ex.msg)
			}
			os.Exit(ex.code)
		}
		fmt.Fprintln(os.Stderr, "labelagent:", err)
		os.Exit(1)
	}
}

// exitError ends the program with a code other than 1, or quietly.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }
