//go:build tray && !linux && !windows

package ui

import (
	"context"
	"log/slog"
)

// runTrayLoop: no tray here; the window is all there is, and closing it
// ends the tray (trayShown).
func runTrayLoop(ctx context.Context, _ *slog.Logger, ready func()) {
	ready()
	<-ctx.Done()
}

func trayShown() bool { return false }

func osIcon(png []byte) ([]byte, error) { return png, nil }

// desktopNotifier logs the notices: no notification service is used here.
func desktopNotifier(log *slog.Logger) func(Notice) {
	return func(n Notice) { log.Warn("notice", "title", n.Title, "body", n.Body) }
}

// openBrowser opens url with the system's opener (macOS: open).
func openBrowser(url string) error { return startDetached("open", url) }
