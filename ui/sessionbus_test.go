//go:build tray && linux

package ui

import (
	"bufio"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// sessionBus is a private D-Bus session bus (dbus-daemon) for a smoke
// test, with the two services of a desktop the tray talks to played by the
// test: the tray host (org.kde.StatusNotifierWatcher, which items register
// with) and the notification server (org.freedesktop.Notifications).
type sessionBus struct {
	addr string
	conn *dbus.Conn

	mu    sync.Mutex
	items []string  // bus names that registered a StatusNotifierItem
	notes []busNote // notifications received
}

type busNote struct {
	app, summary, body string
	urgency            byte
}

func startSessionBus(t *testing.T) *sessionBus {
	t.Helper()
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		t.Skip("dbus-daemon is not installed (Debian package dbus-daemon; make test installs it): the tray smoke test needs a session bus")
	}
	b := &sessionBus{addr: startDBusDaemon(t)}
	var err error
	if b.conn, err = dbus.Connect(b.addr); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.conn.Close() })
	for _, x := range []struct {
		v          any
		path, name string
	}{
		{sniWatcher{b}, "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher"},
		{notifyServer{b}, "/org/freedesktop/Notifications", "org.freedesktop.Notifications"},
	} {
		if err := b.conn.Export(x.v, dbus.ObjectPath(x.path), x.name); err != nil {
			t.Fatal(err)
		}
		if r, err := b.conn.RequestName(x.name, dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
			t.Fatalf("taking %s on the bus: %v %v", x.name, r, err)
		}
	}
	return b
}

type sniWatcher struct{ b *sessionBus }

// RegisterStatusNotifierItem is how an item announces itself to the tray host.
func (w sniWatcher) RegisterStatusNotifierItem(sender dbus.Sender, _ string) *dbus.Error {
	w.b.mu.Lock()
	w.b.items = append(w.b.items, string(sender))
	w.b.mu.Unlock()
	return nil
}

type notifyServer struct{ b *sessionBus }

// Notify is org.freedesktop.Notifications.Notify.
func (n notifyServer) Notify(app string, _ uint32, _, summary, body string, _ []string, hints map[string]dbus.Variant, _ int32) (uint32, *dbus.Error) {
	n.b.mu.Lock()
	defer n.b.mu.Unlock()
	note := busNote{app: app, summary: summary, body: body}
	if u, ok := hints["urgency"].Value().(byte); ok {
		note.urgency = u
	}
	n.b.notes = append(n.b.notes, note)
	return uint32(len(n.b.notes)), nil
}

// item is the bus name of the first StatusNotifierItem registered.
func (b *sessionBus) item() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.items) == 0 {
		return ""
	}
	return b.items[0]
}

// menuItem is an entry of a dbusmenu layout.
type menuItem struct {
	id       int32
	label    string
	enabled  bool
	children []menuItem
}

// menu reads the item's menu as a tray host does (com.canonical.dbusmenu
// GetLayout on the item's /StatusNotifierMenu).
func (b *sessionBus) menu(t *testing.T, item string) []menuItem {
	t.Helper()
	var rev uint32
	var root dbusLayout
	call := b.conn.Object(item, "/StatusNotifierMenu").Call("com.canonical.dbusmenu.GetLayout", 0, int32(0), int32(-1), []string{})
	if err := call.Store(&rev, &root); err != nil {
		t.Fatalf("GetLayout: %v", err)
	}
	return decodeLayout(root).children
}

type dbusLayout struct {
	ID       int32
	Props    map[string]dbus.Variant
	Children []dbus.Variant
}

func decodeLayout(l dbusLayout) menuItem {
	it := menuItem{id: l.ID, enabled: true}
	if v, ok := l.Props["label"].Value().(string); ok {
		it.label = v
	}
	if v, ok := l.Props["enabled"].Value().(bool); ok {
		it.enabled = v
	}
	if v, ok := l.Props["type"].Value().(string); ok && v == "separator" {
		it.label = "---"
	}
	for _, c := range l.Children {
		var cl dbusLayout
		if err := dbus.Store([]any{c.Value()}, &cl); err == nil {
			it.children = append(it.children, decodeLayout(cl))
		}
	}
	return it
}

// labels lists a menu's labels, a submenu's indented.
func menuLabels(items []menuItem) string {
	var b strings.Builder
	var walk func(items []menuItem, indent string)
	walk = func(items []menuItem, indent string) {
		for _, it := range items {
			b.WriteString(indent + it.label + "\n")
			walk(it.children, indent+"  ")
		}
	}
	walk(items, "")
	return b.String()
}

// click sends a "clicked" event for the first item whose label starts with
// prefix, as a tray host does when the operator picks it.
func (b *sessionBus) click(t *testing.T, item, prefix string) {
	t.Helper()
	var found *menuItem
	var walk func(items []menuItem)
	walk = func(items []menuItem) {
		for i := range items {
			if found == nil && strings.HasPrefix(items[i].label, prefix) {
				found = &items[i]
			}
			walk(items[i].children)
		}
	}
	items := b.menu(t, item)
	walk(items)
	if found == nil {
		t.Fatalf("the tray menu has no %q:\n%s", prefix, menuLabels(items))
	}
	if err := b.conn.Object(item, "/StatusNotifierMenu").Call("com.canonical.dbusmenu.Event", 0, found.id, "clicked", dbus.MakeVariant(""), uint32(time.Now().Unix())).Err; err != nil {
		t.Fatalf("clicking %q: %v", prefix, err)
	}
}

// notes are the notifications received so far.
func (b *sessionBus) received() []busNote {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]busNote(nil), b.notes...)
}

// startDBusDaemon starts a private session bus and returns its address.
func startDBusDaemon(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon did not say its address: %v", err)
	}
	return strings.TrimSpace(line)
}
