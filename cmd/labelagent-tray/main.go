//go:build tray

// Command labelagent-tray is the operator's tray on its own: a client of the
// running agent (the service, or "labelagent run") that links only the tray
// (ui), the control API client and the message catalog, not the agent. The
// desktop session starts it (the .deb's autostart entry, the Windows
// installer's Run key); being small keeps an idle tray's memory low.
//
// Build it with -tags tray (Fyne needs cgo and OpenGL); without the tag it
// only says so.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/labelagent/labelagent/ui"
)

// version is set at link time (-ldflags "-X main.version=…").
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(ui.Main(ctx, version, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
