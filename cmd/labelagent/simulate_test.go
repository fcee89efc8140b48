package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/config"
)

// runSimulate runs `labelagent simulate` in-process until it has printed
// what it prints on start, and returns that; the simulator keeps serving
// until the test ends.
func runSimulate(t *testing.T, args ...string) (stdout string) {
	t.Helper()
	var out, errb syncBuffer
	app := newCLIApp("1.2.3", strings.NewReader(""), &out, &errb)
	app.env = func(string) string { return "" }
	root := app.root()
	root.SetArgs(append([]string{"simulate", "--addr", "127.0.0.1:0", "--log-level", "error"}, args...))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("simulate: %v\n%s", err, errb.String())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "sender:") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	return out.String()
}

// TestSimulateSaysWhereInTheReadersLanguage: the banner is German with
// --lang de; the configuration it prints is one the agent accepts.
func TestSimulateSaysWhereInTheReadersLanguage(t *testing.T) {
	out := runSimulate(t, "--lang", "de")
	for _, want := range []string{"Simulatoren von DHL und Deutscher Post lauschen auf http://127.0.0.1:", "Sendungsverfolgung:", "Konfiguration für den Agenten:", "dhl:\n  base_url: http://127.0.0.1:"} {
		if !strings.Contains(out, want) {
			t.Errorf("want %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "listening") || strings.Contains(out, "Configuration for") {
		t.Errorf("English left in:\n%s", out)
	}
}

// TestSimulateJSON: --json is one object with the endpoints (which answer)
// and the configuration, which config.Load accepts.
func TestSimulateJSON(t *testing.T) {
	out := runSimulate(t, "--json")
	var info SimulatorJSON
	if err := json.Unmarshal([]byte(out), &info); err != nil || strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Fatalf("not one JSON line: %v\n%s", err, out)
	}
	if len(info.Endpoints) != 6 || !strings.HasPrefix(info.Endpoints["shipping"], info.BaseURL+"/") {
		t.Errorf("endpoints: %v", info.Endpoints)
	}
	resp, err := http.Get(info.BaseURL + "/_sim/shipments")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /_sim/shipments: %s", resp.Status)
	}
	file := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(file, []byte(info.Config+"data_dir: "+filepath.Dir(file)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := config.Load(file); err != nil {
		t.Fatalf("the printed configuration is refused: %v\n%s", err, info.Config)
	}
}
