package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/apikey"
	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
)

// TestStationsSaysWhatWasLost: when more events were made while NATS was
// away than nats.event_buffer keeps, `stations` tells the operator how
// many were kept and how many were lost, in their language.
func TestStationsSaysWhatWasLost(t *testing.T) {
	list := apitype.StationList{Connected: false, Error: "nats: connection closed", Buffered: 100, Dropped: 150,
		Stations: []apitype.StationState{{Station: "st7", Pools: []string{"line"}, Version: "1", Heartbeat: time.Now(),
			Printers: []apitype.StationPrinter{{Name: "zebra", Ready: true, State: "ready"}}, Buffered: 100, Dropped: 150}}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/stations" {
			http.Error(w, `{"status":404,"code":"not_found","message":"no"}`, 404)
			return
		}
		json.NewEncoder(w).Encode(list)
	}))
	defer srv.Close()
	dir := t.TempDir()
	if _, err := apikey.Ensure(dir, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ lang, kept, lost, header string }{
		{"en", "100 events kept for later", "150 events were lost", "HEARTBEAT"},
		{"de", "100 Ereignisse für später aufbewahrt", "150 Ereignisse gingen verloren", "LEBENSZEICHEN"},
	} {
		// The printers' states in the reader's words, not their codes.
		ready := "zebra: " + i18n.For(i18n.Lang(tc.lang)).T("cli.printer_state.ready")
		var out bytes.Buffer
		app := newCLIApp("test", strings.NewReader(""), &out, &out)
		root := app.root()
		app.env = func(string) string { return "" }
		root.SetArgs([]string{"--lang", tc.lang, "--addr", strings.TrimPrefix(srv.URL, "http://"), "--data-dir", dir, "stations"})
		if err := root.Execute(); err != nil {
			t.Fatalf("%s: %v\n%s", tc.lang, err, &out)
		}
		for _, want := range []string{tc.kept, tc.lost, tc.header, "st7", ready} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s: %q missing from\n%s", tc.lang, want, &out)
			}
		}
	}
}
