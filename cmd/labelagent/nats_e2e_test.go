package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/labelagent/labelagent/agent/apitype"
)

// natsServer starts an embedded JetStream server with three users: the
// station, a WMS that may send jobs, and an intruder that may not.
func natsServer(tb testing.TB) *server.Server {
	tb.Helper()
	all := &server.SubjectPermission{Allow: []string{">"}}
	opts := &server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: tb.TempDir(), NoLog: true, NoSigs: true,
		Users: []*server.User{
			{Username: "station", Password: "s3cret", Permissions: &server.Permissions{Publish: all, Subscribe: all}},
			{Username: "wms", Password: "wms", Permissions: &server.Permissions{Publish: &server.SubjectPermission{Allow: []string{"labelagent.jobs.>", "$JS.API.>", "_INBOX.>"}}, Subscribe: all}},
			{Username: "intruder", Password: "x", Permissions: &server.Permissions{Publish: &server.SubjectPermission{Deny: []string{"labelagent.jobs.>"}}, Subscribe: all}},
		}}
	s, err := server.NewServer(opts)
	if err != nil {
		tb.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		tb.Fatal("nats server did not start")
	}
	tb.Cleanup(s.Shutdown)
	return s
}

func natsJS(tb testing.TB, url, user, pass string) jetstream.JetStream {
	tb.Helper()
	nc, err := nats.Connect(url, nats.UserInfo(user, pass))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	return js
}

func natsSection(url, station string, pools ...string) string {
	p := ""
	if len(pools) > 0 {
		p = fmt.Sprintf("  pools: [%s]\n", strings.Join(pools, ", "))
	}
	return fmt.Sprintf("nats:\n  urls: [%q]\n  user: station\n  password: $NATS_PASSWORD\n  station: %s\n%s  heartbeat: 1s\n  ack_wait: 2s\n", url, station, p)
}

// TestNATSKilledBetweenFetchAndAck sends jobs to a station over NATS and
// kills the agent -9 while it takes them: after the restart every job is
// printed, each once (or twice only where the agent was printing it when it
// died), and an intruder's messages never enter.
func TestNATSKilledBetweenFetchAndAck(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end NATS test skipped in -short mode")
	}
	srv := natsServer(t)
	e := newE2E(t, "")
	cfg, _ := os.ReadFile(e.cfgPath)
	os.WriteFile(e.cfgPath, append(cfg, natsSection(srv.ClientURL(), "st7")...), 0o600)
	t.Setenv("NATS_PASSWORD", "s3cret")
	if out, code := e.cli("--config", e.cfgPath, "config", "check"); code != 0 {
		t.Fatalf("config check: %s", out)
	}
	e.start()
	js := natsJS(t, srv.ClientURL(), "wms", "wms")
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := js.Stream(ctx, "LABELAGENT_JOBS"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the station created no job stream")
		}
		time.Sleep(50 * time.Millisecond)
	}
	const n = 60
	for i := range n {
		msg, _ := json.Marshal(apitype.JobMessage{Kind: apitype.KindZPL, Payload: label(5000 + i), Name: fmt.Sprint("N", i)})
		if _, err := js.Publish(ctx, "labelagent.jobs.station.st7", msg, jetstream.WithMsgID(fmt.Sprint("wms-", i))); err != nil {
			t.Fatal(err)
		}
		if i == n/3 {
			e.kill()
			e.start()
		}
	}
	// An intruder may not send jobs.
	bad := natsJS(t, srv.ClientURL(), "intruder", "x")
	if _, err := bad.Publish(ctx, "labelagent.jobs.station.st7", []byte(`{"kind":"zpl","payload":"XlhBXlha"}`)); err == nil {
		t.Error("an intruder's job was accepted by the server")
	}
	printedOnce(t, e, "nats:", n)
	// doctor checks the connection through the running agent.
	out, _ := e.cli("--config", e.cfgPath, "--json", "doctor")
	var rep DoctorReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("doctor: %v\n%s", err, out)
	}
	natsOK := false
	for _, c := range rep.Checks {
		natsOK = natsOK || (c.Check == "nats" && c.Status == "ok" && strings.Contains(c.Message, "st7"))
	}
	if !natsOK {
		t.Errorf("doctor did not find the NATS connection: %s", out)
	}
	if out, _ := e.cli("printers"); !strings.Contains(out, "NATS): connected") {
		t.Errorf("printers does not say the station is connected: %s", out)
	}
	out, code := e.cli("--json", "stations")
	var list apitype.StationList
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || !list.Connected || len(list.Stations) != 1 || list.Stations[0].Station != "st7" {
		t.Errorf("stations: %d %s", code, out)
	}
}
