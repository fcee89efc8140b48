//go:build tray && linux

package ui

import (
	"context"
	"log/slog"
	"time"

	"fyne.io/systray"
	"github.com/godbus/dbus/v5"
)

// runTrayLoop puts the tray on the session bus as a StatusNotifierItem and
// keeps it there until ctx ends. Without a session bus there is no tray
// icon to show: the window is all there is, and closing it ends the tray
// (trayShown).
func runTrayLoop(ctx context.Context, log *slog.Logger, ready func()) {
	if _, err := dbus.SessionBus(); err != nil {
		log.Warn("no D-Bus session bus: the tray icon cannot be shown; closing the window ends labelagent-tray", "err", err)
		ready()
		<-ctx.Done()
		return
	}
	// start exports the item and its menu before it returns; systray's
	// own Run would call ready before that. Its end is not called: it
	// closes the shared session bus connection, which the process's end
	// does anyway.
	systray.SetTitle("labelagent") // its Id too; some hosts fail on an item without one
	start, _ := systray.RunWithExternalLoop(nil, nil)
	start()
	ready()
	<-ctx.Done()
}

// trayShown: a StatusNotifierWatcher (the desktop's tray host) is on the
// session bus.
func trayShown() bool {
	conn, err := dbus.SessionBus()
	if err != nil {
		return false
	}
	var has bool
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err = conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, "org.kde.StatusNotifierWatcher").Store(&has)
	return err == nil && has
}

// osIcon: the StatusNotifierItem takes PNG.
func osIcon(png []byte) ([]byte, error) { return png, nil }

// desktopNotifier shows notices through the desktop's notification server
// (org.freedesktop.Notifications on the session bus), one after another.
func desktopNotifier(log *slog.Logger) func(Notice) { return queuedNotifier(log, notifyDBus) }

func notifyDBus(n Notice) error {
	conn, err := dbus.SessionBus() // shared; not to be closed
	if err != nil {
		return err
	}
	// A failed job and a printer that needs hands stay until read.
	urgency := byte(1)
	if n.Kind == "failed_job" || n.Kind == "printer" {
		urgency = 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hints := map[string]dbus.Variant{"urgency": dbus.MakeVariant(urgency), "desktop-entry": dbus.MakeVariant("labelagent-tray")}
	return conn.Object("org.freedesktop.Notifications", "/org/freedesktop/Notifications").CallWithContext(ctx,
		"org.freedesktop.Notifications.Notify", 0, "labelagent", uint32(0), "printer", n.Title, n.Body, []string{}, hints, int32(-1)).Err
}

// openBrowser opens url in the desktop's browser (xdg-open). It does not
// wait for the browser: xdg-open may run it in the foreground.
func openBrowser(url string) error { return startDetached("xdg-open", url) }
