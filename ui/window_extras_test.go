//go:build tray

package ui

import (
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
)

// TestBuyStampsOnceWhenAnswerLost buys from the Portokasse tab: when the
// agent's answer is lost, buying the same again sends the same
// idempotency key (the agent's journal answers with the one purchase);
// once answered, the next purchase is a new one.
func TestBuyStampsOnceWhenAnswerLost(t *testing.T) {
	a := test.NewApp()
	defer a.Quit()
	f := newFakeAgent(t, "")
	f.balance = &apitype.StampBalance{Cents: 4295, At: readAt}
	f.products = []apitype.StampProduct{{Code: 1, Name: "Standardbrief", PriceCents: 95, Default: true}}
	f.dropBuy = true
	m, _ := runModel(t, Options{Addr: f.addr(), Lang: i18n.German})
	w := onUI(func() *Window { return newWindow(a, m, do) })
	waitFor(t, "the balance", func() bool { return onUI(func() bool { return !w.BuyB.Disabled() }) })

	out := func() string { return onUI(func() string { return w.PurchOut.Text }) }
	do(func() { w.buy(1, 2) })
	waitFor(t, "the lost answer", func() bool { return strings.HasPrefix(out(), "Das hat nicht geklappt") })
	do(func() { w.buy(1, 2) })
	waitFor(t, "the purchase", func() bool { return strings.HasPrefix(out(), "Gekauft: ") })
	if !strings.Contains(out(), "2 × Standardbrief") || !strings.Contains(out(), "1,90 €") {
		t.Errorf("bought: %q", out())
	}
	do(func() { w.buy(1, 2) })
	waitFor(t, "the second purchase", func() bool { f.mu.Lock(); defer f.mu.Unlock(); return len(f.buys) == 3 })
	f.mu.Lock()
	buys := append([]apitype.StampBuyRequest(nil), f.buys...)
	f.mu.Unlock()
	if buys[0].IdempotencyKey == "" || buys[1].IdempotencyKey != buys[0].IdempotencyKey {
		t.Errorf("the retry after a lost answer used another key: %q, %q", buys[0].IdempotencyKey, buys[1].IdempotencyKey)
	}
	if buys[2].IdempotencyKey == buys[1].IdempotencyKey {
		t.Errorf("a new purchase after an answered one reused its key %q", buys[2].IdempotencyKey)
	}
	if buys[0].Product != 1 || buys[0].Quantity != 2 {
		t.Errorf("sent %+v", buys[0])
	}
	waitFor(t, "two purchases listed", func() bool { return len(m.State().Purchases) == 2 })
}

// TestMenuStartServiceAndStation: while the service does not answer, the
// menu offers to start it (when the labelagent program is known); the
// warehouse link shows as a line of its own.
func TestMenuStartServiceAndStation(t *testing.T) {
	a := test.NewApp()
	defer a.Quit()
	f := newFakeAgent(t, "")
	f.station = &apitype.StationList{Connected: true, Server: "nats://lager-1:4222"}
	m, _ := runModel(t, Options{Addr: f.addr(), Lang: i18n.German, AgentBin: "/usr/bin/labelagent"})
	w := onUI(func() *Window { return newWindow(a, m, do) })
	waitFor(t, "the station", func() bool { return m.State().Station != nil })
	labels := func() string {
		return strings.Join(menuTexts(onUI(func() *fyne.Menu { return w.h.trayMenu(m.State()) })), "\n")
	}
	if got := labels(); !strings.Contains(got, "Lager (NATS): verbunden mit nats://lager-1:4222") || strings.Contains(got, "Dienst starten") {
		t.Errorf("menu with the service running:\n%s", got)
	}
	if onUI(func() bool { return w.StartSvc.Visible() }) {
		t.Error("the window offers to start a running service")
	}
	f.stop()
	waitFor(t, "service not running", func() bool { return m.State().Overall == NotRunning })
	if got := labels(); !strings.Contains(got, "Dienst läuft nicht\nDienst starten") {
		t.Errorf("menu with the service stopped:\n%s", got)
	}
	if !onUI(func() bool { return w.StartSvc.Visible() && w.StartSvc.Text == "Dienst starten" }) {
		t.Error("the window does not offer to start the stopped service")
	}
}

// TestCloseToTrayAndReopen: closing the window to the tray destroys it
// (its widgets stop following the model, so they can be collected) and
// opening it again from the tray shows what the operator left: the tab,
// the job filter and search, a half-typed scan with the focus, the
// selected job with its preview, and a purchase whose answer was lost
// keeps its key.
func TestCloseToTrayAndReopen(t *testing.T) {
	a := test.NewApp()
	defer a.Quit()
	f := newFakeAgent(t, "")
	f.jobs = []apitype.Job{
		{ID: "j1", Name: "ORD-1", State: apitype.StateDone, Printer: "desk", Created: readAt},
		{ID: "j2", Name: "ORD-2", State: apitype.StateFailed, LastError: "Papier leer", Printer: "desk", Created: readAt.Add(time.Minute)},
	}
	m, _ := runModel(t, Options{Addr: f.addr(), Lang: i18n.German})
	h := &host{a: a, m: m, do: do, closable: true, closedGC: 10}
	gcPercent := func() int { p := debug.SetGCPercent(-1); debug.SetGCPercent(p); return p }
	openGC := gcPercent()
	w := onUI(func() *Window { return h.open(tabJobs) })
	waitFor(t, "the jobs", func() bool { return onUI(func() bool { return len(w.shown) == 2 }) })
	do(func() {
		w.stateSel.SetSelected("fehlgeschlagen")
		w.Search.SetText("ORD")
		w.selectJob("j2")
	})
	waitFor(t, "the preview", func() bool { return onUI(func() bool { return w.preview.Resource != nil }) })
	do(func() {
		test.Type(w.Scan, "47")
		w.tabs.SelectIndex(tabPortokasse)
		h.vs.buyKey = pendingBuy{key: "lost-answer", product: 1, quantity: 2}
	})
	before := onUI(func() int { m.mu.Lock(); defer m.mu.Unlock(); return len(m.onChange) })

	do(h.close)
	if onUI(func() bool { return h.w != nil }) {
		t.Fatal("the window is still there after closing it to the tray")
	}
	if after := onUI(func() int { m.mu.Lock(); defer m.mu.Unlock(); return len(m.onChange) }); after != before-1 {
		t.Errorf("the closed window still follows the model (%d callbacks, were %d)", after, before)
	}
	if got := gcPercent(); got != 10 {
		t.Errorf("GC percent while closed: %d, want 10", got)
	}
	// The model goes on while the window is closed; the menu follows it.
	j := apitype.Job{ID: "j3", Name: "ORD-3", State: apitype.StateFailed, LastError: "Kopf offen", Printer: "desk", Created: readAt.Add(2 * time.Minute)}
	f.emit(apitype.Event{Type: apitype.EventJob, Job: &j})
	waitFor(t, "the event while closed", func() bool { return len(m.State().Jobs) == 3 })
	if got := strings.Join(menuTexts(onUI(func() *fyne.Menu { return h.trayMenu(m.State()) })), "\n"); !strings.Contains(got, "ORD-3") {
		t.Errorf("the menu does not follow the model while the window is closed:\n%s", got)
	}

	// "Open labelagent" from the menu builds a new window as it was left.
	do(func() {
		for _, it := range h.trayMenu(m.State()).Items {
			if it.Label == "labelagent öffnen" {
				it.Action()
			}
		}
	})
	w2 := onUI(func() *Window { return h.w })
	if w2 == nil || w2 == w {
		t.Fatal("opening from the tray did not build a new window")
	}
	got := onUI(func() []string {
		return []string{strconv.Itoa(w2.tabs.SelectedIndex()), w2.stateSel.Selected, w2.Search.Text, w2.Scan.Text, w2.selected, w2.h.vs.buyKey.key}
	})
	want := []string{strconv.Itoa(tabPortokasse), "fehlgeschlagen", "ORD", "47", "j2", "lost-answer"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("the reopened window shows %q, want %q", got, want)
	}
	if got := gcPercent(); got != openGC {
		t.Errorf("GC percent with the window open again: %d, want %d as before", got, openGC)
	}
	if !onUI(func() bool { return w2.W.Canvas().Focused() == w2.Scan }) {
		t.Error("the scan field has not the focus in the reopened window")
	}
	// The filter applies: the failed jobs matching "ORD", the new one too.
	waitFor(t, "the filtered list", func() bool {
		return onUI(func() bool { return len(w2.shown) == 2 && w2.shown[0].ID == "j3" })
	})
	waitFor(t, "the preview again", func() bool {
		return onUI(func() bool { return w2.preview.Resource != nil && w2.preview.Resource.Name() == "j2.png" })
	})
	if got := onUI(func() string { return w2.JobDetail.Text }); !strings.Contains(got, "Papier leer") {
		t.Errorf("the selected job's error: %q", got)
	}
}
