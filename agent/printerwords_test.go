package agent

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/printer"
)

// argName finds the arguments a printer detail's English template uses.
var argName = regexp.MustCompile(`\.([a-z_]+)`)

// TestEveryPrinterDetailHasWords: every code the printer package says
// (printer.DetailCodes, not a list here) has words in English and German;
// the catalog's English is the transport's own text, the German uses every
// argument and is not the English.
func TestEveryPrinterDetailHasWords(t *testing.T) {
	codes := printer.DetailCodes()
	if len(codes) < 10 {
		t.Fatalf("only %d printer detail codes: %v", len(codes), codes)
	}
	cat := i18n.Default()
	en, de := i18n.For(i18n.English), i18n.For(i18n.German)
	known := map[string]bool{"printerwords.notes": true}
	for _, c := range codes {
		id := saidID(c)
		known[id] = true
		for _, l := range i18n.Langs() {
			if !cat.Has(l, id) {
				t.Errorf("%s: no %s words", id, l)
			}
		}
		var names []string
		for _, m := range argName.FindAllStringSubmatch(printer.EnglishTemplate(c), -1) {
			if !slices.Contains(names, m[1]) {
				names = append(names, m[1])
			}
		}
		// 1 and other numbers: plural forms agree too.
		for _, base := range []int{1, 7} {
			var kv []any
			for i, n := range names {
				kv = append(kv, n, base+i*(base-1)*3) // 1,1,…  or 7,25,43,…
			}
			s := printer.Say(c, kv...)
			if got, want := en.Err(said([]printer.Said{s})), s.String(); got != want {
				t.Errorf("%s en %v: catalog %q, transport %q", id, kv, got, want)
			}
			g := de.Err(said([]printer.Said{s}))
			if g == s.String() || strings.Contains(g, "<no value>") || strings.Contains(g, "printerwords.") {
				t.Errorf("%s de %v: %q is not German words", id, kv, g)
			}
			for i := 1; i < len(kv); i += 2 {
				if !strings.Contains(g, fmt.Sprint(kv[i])) {
					t.Errorf("%s de: %q lacks argument %s=%v", id, g, kv[i-1], kv[i])
				}
			}
		}
	}
	for _, l := range i18n.Langs() {
		for _, id := range cat.IDs(l) {
			if strings.HasPrefix(id, "printerwords.") && !known[id] {
				t.Errorf("%s: %s words for no printer detail code", id, l)
			}
		}
	}
}

// TestPrinterNotesKeptAndWorded: several things a transport said (the
// Windows spooler's notes) survive the status record's JSON form and read
// as the transport joins them, in either language.
func TestPrinterNotesKeptAndWorded(t *testing.T) {
	st := printer.Status{State: printer.StatePaperOut}.Saying(
		printer.Say(printer.DetailSpoolPaperOut),
		printer.Say(printer.DetailSpoolError, "status", "Fehler, Offline"))
	kept := inOwnWords(st)
	if kept.Said != nil || kept.DetailID != "printerwords.notes" || kept.Detail != st.Detail {
		t.Fatalf("kept %+v from %+v", kept, st)
	}
	if st.Detail != "paper out; printer error: Fehler, Offline" {
		t.Errorf("English detail %q", st.Detail)
	}
	if got := i18n.For(i18n.German).Kept(kept.DetailID, kept.DetailArgs, kept.Detail); got != "kein Papier; Druckerfehler: Fehler, Offline" {
		t.Errorf("German: %q", got)
	}
	if got := i18n.For(i18n.English).Kept(kept.DetailID, kept.DetailArgs, kept.Detail); got != st.Detail {
		t.Errorf("English: %q", got)
	}
	// A transport that cannot report status says why, inside the agent's words.
	ns := keptStatus(printer.Status{State: printer.StateUnknown}, noStatus(printer.Status{}.Saying(printer.Say(printer.DetailNoHSAnswer))))
	if got := i18n.For(i18n.German).Kept(ns.DetailID, ns.DetailArgs, ns.Detail); !strings.HasSuffix(got, ": der Drucker antwortet nicht auf ~HS") {
		t.Errorf("no status, German: %q", got)
	}
}
