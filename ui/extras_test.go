package ui

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/printer"
)

func TestStationState(t *testing.T) {
	f := newFakeAgent(t, "")
	f.printers = []apitype.Printer{{Name: "desk", Status: printer.Status{State: printer.StateReady}}}
	m, _ := runModel(t, Options{Addr: f.addr(), Lang: i18n.German})
	waitFor(t, "the first load", func() bool { return m.State().Overall == Ready })
	if st := m.State(); st.Station != nil || StationText(m.L(), st.Station) != "" {
		t.Fatalf("NATS not configured, yet the tray shows %+v", st.Station)
	}

	f.mu.Lock()
	f.station = &apitype.StationList{Connected: true, Server: "nats://lager-1:4222", Buffered: 0}
	f.mu.Unlock()
	waitFor(t, "the connected station", func() bool { st := m.State(); return st.Station != nil && st.Station.Connected })
	if got := StationText(m.L(), m.State().Station); got != "Lager (NATS): verbunden mit nats://lager-1:4222" {
		t.Errorf("connected: %q", got)
	}
	if m.State().Overall != Ready {
		t.Errorf("connected station: overall %v, want ready", m.State().Overall)
	}

	f.mu.Lock()
	f.station = &apitype.StationList{Connected: false, Error: "nats: no servers available for connection", Buffered: 3}
	f.mu.Unlock()
	waitFor(t, "the lost link", func() bool { st := m.State(); return st.Station != nil && !st.Station.Connected })
	if got, want := StationText(m.L(), m.State().Station), "Lager (NATS): keine Verbindung: nats: no servers available for connection (3 Ereignisse warten auf den Server)"; got != want {
		t.Errorf("disconnected:\n got %q\nwant %q", got, want)
	}
	if got := StationText(i18n.For(i18n.English), &Station{Buffered: 1}); got != "Warehouse (NATS): not connected (1 event waits for the server)" {
		t.Errorf("English: %q", got)
	}
	if m.State().Overall != Attention {
		t.Errorf("a station without its warehouse: overall %v, want attention", m.State().Overall)
	}
}

// TestStartServiceWithTheRealProgram asks the real labelagent program to
// start its service on this machine, where none is installed: the tray
// says so in the operator's language instead of failing silently.
func TestStartServiceWithTheRealProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds labelagent")
	}
	m := NewModel(Options{Lang: i18n.German})
	if m.CanStartService() {
		t.Fatal("a model without the program offers to start the service")
	}
	if _, err := m.StartService(context.Background()); err == nil || !strings.Contains(i18n.For(i18n.German).Err(err), "liegt weder neben dem Tray") {
		t.Errorf("no program: %v", err)
	}

	bin := filepath.Join(t.TempDir(), "labelagent")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/labelagent").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if got := AgentBinary(filepath.Join(filepath.Dir(bin), "labelagent-tray")); got != bin {
		t.Errorf("AgentBinary beside the tray = %q, want %q", got, bin)
	}
	if out, _ := exec.Command(bin, "service", "status", "--json").Output(); !strings.Contains(string(out), `"installed": false`) {
		t.Skipf("a labelagent service is installed on this machine: %s", out)
	}
	m = NewModel(Options{Lang: i18n.German, AgentBin: bin})
	if !m.CanStartService() {
		t.Fatal("with the program the tray offers no start")
	}
	_, err := m.StartService(context.Background())
	if got := i18n.For(i18n.German).Err(err); !strings.Contains(got, "Der Dienst labelagent ist auf diesem PC nicht installiert.") {
		t.Errorf("starting a service that is not installed: %q", got)
	}
}
