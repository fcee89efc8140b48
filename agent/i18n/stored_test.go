package i18n

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"
)

// A kept message survives JSON and is worded in each reader's language:
// nested messages and catalog errors too, a foreign error as it was, a
// time in the reader's format, a count in the plural it needs; a record
// without an id shows its stored words.
func TestKeptMessagesInEachLanguage(t *testing.T) {
	dial := errors.New("dial tcp 10.0.0.9:9100: connection refused")
	at := time.Date(2026, 11, 24, 13, 5, 0, 0, time.UTC)
	cases := []struct {
		name   string
		id     string
		kv     []any
		en, de string
	}{
		{"plural one", "queuewords.gave_up", []any{"count", 1, "error", dial},
			"gave up after 1 attempt: " + dial.Error(), "Nach 1 Versuch aufgegeben: " + dial.Error()},
		{"plural other, nested catalog error", "queuewords.gave_up", []any{"count", 3, "error", E("queuewords.preparing_failed", "error", dial)},
			"gave up after 3 attempts: preparing the label: " + dial.Error(), "Nach 3 Versuchen aufgegeben: Vorbereiten des Etiketts fehlgeschlagen: " + dial.Error()},
		{"nested message", "queuewords.may_have_printed", []any{"why", Message{ID: "queuewords.why.no_counter", Args: []any{"printer", "zebra"}}},
			`may have printed: the agent stopped while sending it, and printer "zebra" cannot say what it printed (it has no label counter); look at the printer and retry the job only if its label is missing`,
			"Vielleicht schon gedruckt: Der Agent wurde beim Senden beendet, und Drucker „zebra“ kann nicht sagen, was er gedruckt hat (er hat keinen Etikettenzähler). Am Drucker nachsehen und den Auftrag nur wiederholen, wenn das Etikett fehlt"},
		{"nested plural", "queuewords.printed_counted", []any{"count", 2, "from", int64(100), "to", int64(103), "extra", Message{ID: "queuewords.extra_labels", Args: []any{"count", 1}}},
			"printed: the printer took all 2 labels and reports none of them left to print (its label counter went from 100 to 103); 1 more label was counted than this job has: something else printed on this printer meanwhile",
			"Gedruckt: Der Drucker hat alle 2 Etiketten übernommen und meldet keines mehr zu drucken (sein Etikettenzähler ging von 100 auf 103); 1 Etikett mehr gezählt, als der Auftrag hat: Inzwischen wurde auf diesem Drucker noch etwas anderes gedruckt"},
		{"decimal", "queuewords.attempt_failed", []any{"attempt", 2, "error", dial, "seconds", 1.5},
			"attempt 2 failed: " + dial.Error() + "; next try in 1.5 s", "Versuch 2 fehlgeschlagen: " + dial.Error() + "; nächster Versuch in 1,5 s"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw, err := json.Marshal(Keep(c.kv))
			if err != nil {
				t.Fatal(err)
			}
			var args map[string]any
			if err := json.Unmarshal(raw, &args); err != nil {
				t.Fatal(err)
			}
			if got := For(English).Kept(c.id, args, "stored"); got != c.en {
				t.Errorf("en %q\nwant %q", got, c.en)
			}
			if got := For(German).Kept(c.id, args, "stored"); got != c.de {
				t.Errorf("de %q\nwant %q", got, c.de)
			}
		})
	}
	// A time keeps its instant and is read in the reader's format.
	args := Keep([]any{"at", at})
	raw, _ := json.Marshal(args)
	_ = json.Unmarshal(raw, &args)
	if kv := Unkeep(args); len(kv) != 2 {
		t.Errorf("time kept as %#v", kv)
	} else if got, ok := kv[1].(time.Time); !ok || !got.Equal(at) {
		t.Errorf("time kept as %#v", kv)
	}
	// A list of messages stays a list of messages.
	args = Keep([]any{"why", []Message{{ID: "queuewords.cancelled"}, {ID: "queuewords.retried"}}})
	raw, _ = json.Marshal(args)
	_ = json.Unmarshal(raw, &args)
	if kv := Unkeep(args); len(kv) != 2 {
		t.Errorf("messages kept as %#v", kv)
	} else if got := For(German).format(kv[1]); got != "Vom Bediener abgebrochen; Vom Bediener erneut gestartet" {
		t.Errorf("messages worded %q", got)
	}
	// No id, or an id the catalog lacks: the stored words.
	for _, id := range []string{"", "queuewords.no_such_message"} {
		if got := For(German).Kept(id, nil, "gave up after 10 attempts"); got != "gave up after 10 attempts" {
			t.Errorf("%q: %q, want the stored words", id, got)
		}
	}
}

// KeepErr keeps a catalog error's id, also with a cause, and only the
// words of an error the catalog does not word in full.
func TestKeepErr(t *testing.T) {
	dial := errors.New("connection refused")
	text, id, args := KeepErr(Wrap(dial, "queuewords.preparing_failed", "error", "x"))
	if id != "queuewords.preparing_failed" || text != "preparing the label: x: connection refused" {
		t.Fatalf("kept %q %q %v", text, id, args)
	}
	raw, _ := json.Marshal(args)
	_ = json.Unmarshal(raw, &args)
	if got := For(German).Kept(id, args, text); got != "Vorbereiten des Etiketts fehlgeschlagen: x: connection refused" {
		t.Errorf("with a cause in German: %q", got)
	}
	wrapped := fmt.Errorf("printer zebra: %w", E("queuewords.cancelled"))
	if text, id, _ := KeepErr(wrapped); id != "" || text != wrapped.Error() {
		t.Errorf("words around a catalog error: kept id %q (%q), want only the words", id, text)
	}
	if text, id, args := KeepErr(nil); text != "" || id != "" || args != nil {
		t.Errorf("nil error kept as %q %q %v", text, id, args)
	}
}

// BenchmarkKeptNote: what a job's history note costs, kept when the queue
// records it (English text, id, args) and worded again when it is read.
func BenchmarkKeptNote(b *testing.B) {
	kv := []any{"count", 3, "error", errors.New("dial tcp 10.0.0.9:9100: connection refused")}
	de := For(German)
	b.Run("keep", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			args := Keep(kv)
			_ = For(English).Kept("queuewords.gave_up", args, "")
		}
	})
	args := Keep(kv)
	raw, _ := json.Marshal(args)
	_ = json.Unmarshal(raw, &args)
	b.Run("word", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = de.Kept("queuewords.gave_up", args, "")
		}
	})
}
