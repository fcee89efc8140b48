package shipment

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
)

// A request the DHL client's own check refuses as a whole (here a profile
// longer than the contract allows) is recorded as failed with our words,
// kept with their catalog id: the record reads in the reader's language.
// Nothing reaches DHL.
func TestLocallyRefusedRequestIsRecordedInTheReadersWords(t *testing.T) {
	w := newWorld(t)
	w.profile = strings.Repeat("p", 40)
	w.start("")
	res, err := w.j.Create(context.Background(), []Request{{OrderRef: "order-profile-1", Order: order("A"), Print: true}})
	if err != nil {
		t.Fatal(err)
	}
	r := res[0].Record
	if r == nil || r.State != apitype.ShipmentFailed || r.ErrorID != "dhlcheck.invalid" {
		t.Fatalf("recorded %+v (err %v)", r, res[0].Err)
	}
	if len(w.dhlShipments()) != 0 {
		t.Fatal("a refused request reached DHL")
	}
	stored, err := w.j.Get(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(stored)
	var back Record
	_ = json.Unmarshal(b, &back)
	en, de := w.j.Wire(&back, i18n.For(i18n.English)), w.j.Wire(&back, i18n.For(i18n.German))
	if want := "invalid input: profile: is 40 characters long, at most 35 are allowed"; en.Error != want || back.Error != want {
		t.Errorf("English: %q / stored %q, want %q", en.Error, back.Error, want)
	}
	if want := "ungültige Angaben: Profil: ist 40 Zeichen lang, erlaubt sind höchstens 35"; de.Error != want {
		t.Errorf("German: %q, want %q", de.Error, want)
	}
	last := de.History[len(de.History)-1].Note
	if !strings.Contains(last, "Profil: ist 40 Zeichen lang") {
		t.Errorf("the history in German: %q", last)
	}
}
