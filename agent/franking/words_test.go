package franking

import (
	"context"
	"strings"
	"testing"

	"github.com/labelagent/labelagent/agent/i18n"
)

// A cart whose label the queue refuses keeps the problem as a catalog
// message, read back from the journal in each reader's language; the
// queue's own refusal inside it is worded too. An older record's words are
// shown as they are.
func TestCartProblemInTheReadersLanguage(t *testing.T) {
	w := newWorld(t)
	w.j.opts.Submit = func(context.Context, string, string, string, []byte) (string, error) {
		return "", i18n.E("job.unknown_printer", "printer", "nope", "allowed", "desk")
	}
	c := w.create("W-1")
	if _, err := w.sim.Pay(c.ShoppingCartID, 0); err != nil {
		t.Fatal(err)
	}
	_ = w.j.Reconcile(context.Background())
	got := w.get(c.ID)
	if got.ErrorID != "queuewords.franking.print_failed" || len(got.Items) == 0 {
		t.Fatalf("cart %+v", got)
	}
	pak := got.Items[0].PAKID
	en, de := got.ErrorIn(i18n.For(i18n.English)), got.ErrorIn(i18n.For(i18n.German))
	if en != got.Error || !strings.HasPrefix(en, "printing the label of "+pak+": ") {
		t.Errorf("English %q (kept %q)", en, got.Error)
	}
	want := "Etikett für " + pak + " drucken: " + i18n.For(i18n.German).T("job.unknown_printer", "printer", "nope", "allowed", "desk")
	if de != want {
		t.Errorf("German %q, want %q", de, want)
	}
	got.ErrorID, got.ErrorArgs = "", nil // as recorded before
	if s := got.ErrorIn(i18n.For(i18n.German)); s != got.Error {
		t.Errorf("an older record says %q, want its words %q", s, got.Error)
	}
}
