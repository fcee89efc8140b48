//go:build tray

package ui

import (
	"strings"
	"testing"

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
	tray := newTestTray(t, m)
	labels := func() string { return strings.Join(menuTexts(tray.trayMenu(m.State())), "\n") }
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
