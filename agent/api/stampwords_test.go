package api

import (
	"strings"
	"testing"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
	imsim "github.com/labelagent/labelagent/dhl/sim/internetmarke"
)

// TestPurchaseWordsInTheReadersLanguage: a purchase's problem is worded
// for the reader (Accept-Language), INTERNETMARKE's operator message in
// the language INTERNETMARKE gives it in, also when it is read back later
// from the journal; a purchase whose outcome is open says so in the
// reader's words.
func TestPurchaseWordsInTheReadersLanguage(t *testing.T) {
	w := newStampWorld(t, true)
	ctx := t.Context()
	w.sim.SetBalance(42)
	_, _ = w.cl.BuyStamps(ctx, apitype.StampBuyRequest{IdempotencyKey: "low"})
	list, err := w.cl.StampPurchases(ctx, false, 0)
	if err != nil || len(list) != 1 {
		t.Fatalf("list %+v %v", list, err)
	}
	de := &client.Client{Addr: w.cl.Addr, Key: w.cl.Key, Lang: "de"}
	en := &client.Client{Addr: w.cl.Addr, Key: w.cl.Key, Lang: "en"}
	pde, err := de.StampPurchase(ctx, list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	pen, err := en.StampPurchase(ctx, list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(pen.Error, "Portokasse balance too low: 0,42 € left, 0,95 € needed") ||
		!strings.Contains(pde.Error, "Portokasse-Guthaben zu gering: 0,42 € übrig, 0,95 € benötigt") {
		t.Errorf("failed purchase: en %q, de %q", pen.Error, pde.Error)
	}
	if lde, _ := de.StampPurchases(ctx, false, 0); len(lde) != 1 || lde[0].Error != pde.Error {
		t.Errorf("the list says %+v, the purchase %q", lde, pde.Error)
	}

	// Checkout fails twice with a server error: not charged, not settled.
	w.sim.SetBalance(500)
	got := map[string]apitype.StampPurchase{}
	for _, c := range []*client.Client{de, en} {
		w.sim.Inject(imsim.Fault{Op: "checkout", Kind: imsim.ServerError, Times: 2})
		p, err := c.BuyStamps(ctx, apitype.StampBuyRequest{IdempotencyKey: "open-" + c.Lang})
		if err != nil {
			t.Fatalf("%s: %v", c.Lang, err)
		}
		got[c.Lang] = p
	}
	if p := got["de"]; !p.Pending || !strings.HasPrefix(p.Error, "Kauf noch offen, sein Ergebnis ist noch nicht bekannt: ") {
		t.Errorf("pending purchase in German: %+v", p)
	}
	if p := got["en"]; !strings.HasPrefix(p.Error, "purchase pending, its outcome is not known yet: ") || p.Error == got["de"].Error {
		t.Errorf("pending purchase in English: %q (German %q)", p.Error, got["de"].Error)
	}
}
