package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// runEmulate runs `labelagent emulate` in-process with commands typed on
// its standard input, until it has answered lines lines, then interrupts it.
func runEmulate(t *testing.T, input string, lines int, args ...string) string {
	t.Helper()
	var out, errb syncBuffer
	app := newCLIApp("1.2.3", strings.NewReader(input), &out, &errb)
	app.env = func(string) string { return "" }
	root := app.root()
	root.SetArgs(append([]string{"emulate", "--tcp", "127.0.0.1:0"}, args...))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(out.String(), "\n") < lines && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("emulate: %v\n%s", err, errb.String())
	}
	return out.String()
}

// TestEmulateSpeaksTheReadersLanguage: what emulate says about where it
// listens, its state and the commands typed at it is in the reader's
// language; a refused command is named with the reason.
func TestEmulateSpeaksTheReadersLanguage(t *testing.T) {
	// 5 lines for the TCP printer and its config entry, 1 status, 1 per command (help: 10).
	out := runEmulate(t, "paper-out on\nfly\npause maybe\nhelp\n", 5+1+3+10, "--lang", "de")
	for _, want := range []string{
		"Netzwerkdrucker auf 127.0.0.1:",
		"transport: tcp",
		"Drucker: bereit; 0 Formate gedruckt (0 Etiketten), 0 gepuffert; 0 Bytes empfangen",
		"Drucker: kein Papier;",
		"Fehler: unbekannter Befehl „fly“ (help listet die Befehle)",
		"Fehler: pause: „maybe“ ist weder on noch off",
		"Befehle (einer pro Zeile):",
		"alle Störungen beheben",
		"Beendet: kein Papier;",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("want %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "printer") || strings.Contains(out, "error:") {
		t.Errorf("English left in:\n%s", out)
	}
}

// TestEmulateJSONLines: with --json every line is one JSON object, the
// status has the fault and the counters, and a refusal carries its code.
func TestEmulateJSONLines(t *testing.T) {
	out := runEmulate(t, "head-open on\nbaud x\n", 4, "--json", "--lang", "en")
	var events []EmulatorEvent
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var ev EmulatorEvent
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("not one JSON object per line: %q: %v", line, err)
		}
		events = append(events, ev)
	}
	if len(events) != 5 {
		t.Fatalf("want listening, status, status, error, stopped; got %d events:\n%s", len(events), out)
	}
	if ev := events[0]; ev.Event != "listening" || ev.Transport != "tcp" || !strings.HasPrefix(ev.Address, "127.0.0.1:") {
		t.Errorf("first event: %+v", ev)
	}
	if ev := events[2]; ev.Event != "status" || ev.Command != "head-open on" || ev.Status == nil || !ev.Status.HeadOpen || ev.Status.State != "head_open" {
		t.Errorf("after head-open on: %+v %+v", ev, ev.Status)
	}
	if ev := events[3]; ev.Event != "error" || ev.Error == nil || ev.Error.ID != "emulate.cmd_not_number" || ev.Error.Message != `baud: "x" is not a number of 0 or more` {
		t.Errorf("after baud x: %+v %+v", ev, ev.Error)
	}
	if ev := events[4]; ev.Event != "stopped" || ev.Status == nil {
		t.Errorf("last event: %+v", ev)
	}
}
