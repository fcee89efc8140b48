package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/labelagent/labelagent/agent"
	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/agent/station/stationtest"
	"github.com/labelagent/labelagent/printer"
)

// TestStationWordsInTheReadersLanguage: what the NATS station says to
// people (the reason it rejected a message, as its last error in
// /api/v1/sources; why the stations cannot be listed) and what the agent
// says itself about a printer's status are worded by the reader's
// Accept-Language; the rejection published on the bus keeps its English
// reason for machines, with the catalog id and arguments beside it.
func TestStationWordsInTheReadersLanguage(t *testing.T) {
	dir := t.TempDir()
	srv, err := stationtest.Server(t.TempDir(), stationtest.User{Name: "st1", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	cfg, err := config.Load("", func(c *config.Config) {
		c.DataDir = dir
		c.Language = "de"
		c.NATS.URLs = []string{srv.ClientURL()}
		c.NATS.Station, c.NATS.User, c.NATS.Password = "st1", "st1", "pw"
		// A raw printer: the agent does not ask it how it is.
		c.Printers = []printer.Config{{Name: "raw", Transport: "tcp", TCP: printer.TCPConfig{Address: closedPort(t), ConnectTimeout: time.Second},
			Profile: printer.ProfileConfig{Language: "raw"}}}
	})
	if err != nil {
		t.Fatal(err)
	}
	var sub *agent.Subscription
	f := serve(t, cfg, func(a *agent.Agent) { sub = a.Subscribe(256) })
	defer sub.Close()
	en := &client.Client{Addr: f.addr, Key: key, Lang: "en"}
	de := &client.Client{Addr: f.addr, Key: key, Lang: "de"}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stream, err := en.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()

	// The printer's status on the agent's bus is in its language (German),
	// on an English subscriber's /api/v1/events in English.
	for said := ""; said == ""; {
		select {
		case e := <-sub.C():
			if e.Printer != nil && e.Printer.Status.DetailID != "" {
				said = e.Printer.Status.Detail
			}
		case <-ctx.Done():
			t.Fatal("no printer status on the bus")
		}
		if said != "" && said != "der Status dieses Druckers wird nicht abgefragt" {
			t.Errorf("printer status on the bus: %q, want the agent's German", said)
		}
	}

	// The agent's own words about the printer's status (once the worker
	// has looked).
	for ps, _ := en.Printers(ctx); len(ps) != 1 || ps[0].Status.Detail == ""; ps, _ = en.Printers(ctx) {
		if ctx.Err() != nil {
			t.Fatalf("no status detail: %+v", ps)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, tc := range []struct {
		cl   *client.Client
		want string
	}{{en, "status is not queried for this printer"}, {de, "der Status dieses Druckers wird nicht abgefragt"}} {
		ps, err := tc.cl.Printers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != 1 || ps[0].Status.Detail != tc.want || ps[0].Status.DetailID != "stationwords.printer.not_queried" {
			t.Errorf("%s: printers %+v, want detail %q", tc.cl.Lang, ps, tc.want)
		}
		p, err := tc.cl.Printer(ctx, "raw")
		if err != nil || p.Status.Detail != tc.want {
			t.Errorf("%s: printer %+v %v, want detail %q", tc.cl.Lang, p.Status, err, tc.want)
		}
	}

	// (A pause publishes the printer again, with its status.)
	if p, err := de.PausePrinter(ctx, "raw"); err != nil || p.Status.Detail != "der Status dieses Druckers wird nicht abgefragt" {
		t.Errorf("pause answers %+v %v, want the German detail", p.Status, err)
	}
	if _, err := de.ResumePrinter(ctx, "raw"); err != nil {
		t.Fatal(err)
	}
	for said := ""; said == ""; {
		e, err := stream.Next()
		if err != nil {
			t.Fatal(err)
		}
		if e.Printer != nil && e.Printer.Status.DetailID != "" {
			said = e.Printer.Status.Detail
			if said != "status is not queried for this printer" {
				t.Errorf("printer status on an English /api/v1/events: %q", said)
			}
		}
	}

	// A message that can never be a job: rejected, the reason on the bus.
	nc, err := nats.Connect(srv.ClientURL(), nats.UserInfo("st1", "pw"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	rejected := make(chan *nats.Msg, 4)
	if _, err := nc.ChanSubscribe("labelagent.events.st1.rejected", rejected); err != nil {
		t.Fatal(err)
	}
	// (The stream exists once the station has bound its consumer.)
	for {
		if _, err := nc.Request("labelagent.jobs.station.st1", []byte(`{"kind":"docx","payload":"QQ=="}`), time.Second); err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("the job stream never came")
		}
		time.Sleep(100 * time.Millisecond)
	}
	select {
	case m := <-rejected:
		var ev apitype.StationEvent
		if err := json.Unmarshal(m.Data, &ev); err != nil || ev.Rejected == nil {
			t.Fatalf("rejection event %s: %v", m.Data, err)
		}
		r := ev.Rejected
		if r.Reason != `kind "docx": want zpl, raw, pdf or png` || r.ReasonID != "stationwords.bad_kind" || r.ReasonArgs["kind"] != `"docx"` {
			t.Errorf("rejection on the bus: %+v, want the English reason with its id and arguments", r)
		}
	case <-ctx.Done():
		t.Fatal("no rejection published")
	}
	for _, tc := range []struct {
		cl   *client.Client
		want string
	}{
		{en, `message 1 on labelagent.jobs.station.st1: kind "docx": want zpl, raw, pdf or png`},
		{de, `Nachricht 1 auf labelagent.jobs.station.st1: Art "docx": erlaubt sind zpl, raw, pdf oder png`},
	} {
		srcs, err := tc.cl.Sources(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(srcs) != 1 || srcs[0].Kind != "nats" || srcs[0].Rejected != 1 || srcs[0].LastError != tc.want || srcs[0].LastErrorID != "stationwords.rejected" {
			t.Errorf("%s: sources %+v, want last error %q", tc.cl.Lang, srcs, tc.want)
		}
	}

	// The servers go away: the stations cannot be listed, said in the
	// reader's language around the client library's own words.
	srv.Shutdown()
	srv.WaitForShutdown()
	for _, tc := range []struct {
		cl   *client.Client
		want string
		last map[string]string // last error id: its words
	}{
		{en, "the stations' bucket cannot be read: ", map[string]string{"stationwords.disconnected": "disconnected", "stationwords.subject": "taking jobs from "}},
		{de, "der Bucket der Stationen kann nicht gelesen werden: ", map[string]string{"stationwords.disconnected": "Verbindung getrennt", "stationwords.subject": "Aufträge von "}},
	} {
		// The client library reports the disconnection on its own
		// goroutine; the consumer's next fetch may fail after it.
		for {
			srcs, err := tc.cl.Sources(ctx)
			if err == nil && len(srcs) == 1 && tc.last[srcs[0].LastErrorID] != "" && strings.HasPrefix(srcs[0].LastError, tc.last[srcs[0].LastErrorID]) {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("%s: sources %+v %v, want last error beginning %q", tc.cl.Lang, srcs, err, tc.last)
			}
			time.Sleep(20 * time.Millisecond)
		}
		list, err := tc.cl.Stations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(list.Error, tc.want) || list.ErrorID != "stationwords.list" {
			t.Errorf("%s: stations %+v, want an error beginning %q", tc.cl.Lang, list, tc.want)
		}
	}
}
