package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/station/stationtest"
	"github.com/labelagent/labelagent/printer/emulator"
)

// natsServer starts an embedded JetStream server as a warehouse sets it
// up: the stations st0 … st3 and st7 (pool "line") have exactly the
// README's least-privilege permissions; a WMS may send jobs, an intruder
// may not; an administrator's agent, started once, has created the streams
// and buckets. Every password is "s3cret".
func natsServer(tb testing.TB) *server.Server {
	tb.Helper()
	users := []stationtest.User{{Name: "admin", Password: "s3cret"},
		{Name: "wms", Password: "s3cret", Permissions: `permissions: { publish: { allow: ["labelagent.jobs.>", "$JS.API.>", "_INBOX.>"] }, subscribe: { allow: [">"] } }`},
		{Name: "intruder", Password: "s3cret", Permissions: `permissions: { publish: { deny: ["labelagent.jobs.>"] }, subscribe: { allow: [">"] } }`}}
	for _, st := range []string{"st0", "st1", "st2", "st3", "st7"} {
		perm, err := stationtest.ReadmePermissions(filepath.Join("..", "..", "README.md"), st, "line")
		if err != nil {
			tb.Fatal(err)
		}
		users = append(users, stationtest.User{Name: st, Password: "s3cret", Permissions: perm})
	}
	s, err := stationtest.Server(tb.TempDir(), users...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Shutdown)
	// The administrator's agent creates what the stations may not.
	tb.Setenv("NATS_PASSWORD", "s3cret")
	admin := newE2E(tb, "")
	cfg, _ := os.ReadFile(admin.cfgPath)
	os.WriteFile(admin.cfgPath, append(cfg, natsSection(s.ClientURL(), "admin")...), 0o600)
	admin.start()
	js := natsJS(tb, s.ClientURL(), "admin", "s3cret")
	for deadline := time.Now().Add(20 * time.Second); ; {
		if _, err := js.Stream(context.Background(), "KV_labelagent_stations_claims"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatal("the administrator's agent created no streams and buckets")
		}
		time.Sleep(50 * time.Millisecond)
	}
	admin.kill()
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
	return fmt.Sprintf("nats:\n  urls: [%q]\n  user: %s\n  password: $NATS_PASSWORD\n  station: %s\n%s  heartbeat: 1s\n  ack_wait: 2s\n", url, station, station, p)
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
	js := natsJS(t, srv.ClientURL(), "wms", "s3cret")
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
	bad := natsJS(t, srv.ClientURL(), "intruder", "s3cret")
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

// natsStation is a real agent (`labelagent run`) joined to a NATS
// warehouse, printing pool jobs on its own network printer (the emulator).
type natsStation struct {
	e  *e2e
	em *emulator.Emulator
}

// startNATSStations starts an agent on the pool "line" per print delay,
// each with a printer "zebra" that takes that long a label (0: at once),
// and waits until every one of them waits on the pool.
func startNATSStations(tb testing.TB, url string, printDelays ...time.Duration) ([]natsStation, jetstream.JetStream) {
	tb.Helper()
	tb.Setenv("NATS_PASSWORD", "s3cret")
	var sts []natsStation
	n := len(printDelays)
	for i, delay := range printDelays {
		em := emulator.New(emulator.Options{PrintDelay: delay})
		tb.Cleanup(func() { em.Close() })
		addr, err := em.ListenTCP("127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		e := newE2E(tb, fmt.Sprintf("  - name: zebra\n    transport: tcp\n    tcp: {address: %q}\n", addr.String()))
		cfg, _ := os.ReadFile(e.cfgPath)
		os.WriteFile(e.cfgPath, append(cfg, natsSection(url, fmt.Sprint("st", i), "line")+"  printer: zebra\n"...), 0o600)
		e.start()
		sts = append(sts, natsStation{e: e, em: em})
	}
	js := natsJS(tb, url, "wms", "s3cret")
	ctx := context.Background()
	for deadline := time.Now().Add(30 * time.Second); ; {
		if c, err := js.Consumer(ctx, "LABELAGENT_JOBS", "pool-line"); err == nil {
			if info, err := c.Info(ctx); err == nil && info.NumWaiting >= n {
				break
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("the %d stations never all waited on the pool", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return sts, js
}

// sendPool publishes job i to the pool "line" under a message id.
func sendPool(tb testing.TB, js jetstream.JetStream, tag string, i int) {
	msg, _ := json.Marshal(apitype.JobMessage{Kind: apitype.KindZPL, Payload: label(i), Name: fmt.Sprint(tag, "-", i)})
	if _, err := js.Publish(context.Background(), "labelagent.jobs.pool.line", msg, jetstream.WithMsgID(fmt.Sprint(tag, "-", i))); err != nil {
		tb.Fatal(err)
	}
}

// printedAll is how many labels the stations' printers have finished.
func printedAll(sts []natsStation) int {
	n := 0
	for _, s := range sts {
		n += s.em.FormatsPrinted()
	}
	return n
}

func waitLabelsOut(tb testing.TB, sts []natsStation, n int, within time.Duration) {
	tb.Helper()
	for deadline := time.Now().Add(within); printedAll(sts) < n; {
		if time.Now().After(deadline) {
			tb.Fatalf("%d of %d labels printed", printedAll(sts), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestNATSPoolJobsGoToFreeStations sends a burst of 18 jobs to a pool of
// three stations: st0's printer takes 1.3 s a label (a Zebra at 6 ips),
// st1's and st2's 300 ms. A station takes a pool job only while its
// printer has room (nats.pool_backlog, 2), so the fast stations print
// most of the burst and the whole takes a fraction of what one printer
// needs; sharing the burst evenly (what pulling batches regardless of the
// printer did) would leave six labels at the slow printer, 7.8 s. Every
// job prints once.
func TestNATSPoolJobsGoToFreeStations(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end NATS test skipped in -short mode")
	}
	const slow, fast, jobs = 1300 * time.Millisecond, 300 * time.Millisecond, 18
	sts, js := startNATSStations(t, natsServer(t).ClientURL(), slow, fast, fast)
	t0 := time.Now()
	for i := range jobs {
		sendPool(t, js, "free", i)
	}
	waitLabelsOut(t, sts, jobs, 60*time.Second)
	wall := time.Since(t0)
	seen := map[string]int{}
	var per []int
	for _, s := range sts {
		ls := s.em.Labels()
		per = append(per, len(ls))
		for _, l := range ls {
			for _, m := range reJobMarker.FindAllSubmatch(l.Data, -1) {
				seen[string(m[1])]++
			}
		}
	}
	t.Logf("labels per station %v, %d in %v (one fast printer alone: %v)", per, jobs, wall.Round(time.Millisecond), jobs*fast)
	if len(seen) != jobs {
		t.Errorf("%d distinct jobs printed, want %d", len(seen), jobs)
	}
	for k, v := range seen {
		if v != 1 {
			t.Errorf("job %s printed %d times", k, v)
		}
	}
	for i, n := range per {
		if n == 0 {
			t.Errorf("station st%d printed none (per station %v)", i, per)
		}
	}
	if per[0] > 4 {
		t.Errorf("the slow station printed %d of %d (per station %v): it took pool jobs while its printer was busy", per[0], jobs, per)
	}
	// An even share leaves six labels at the slow printer (7.8 s); taking
	// by free printers, the slow one prints two or three while the fast
	// ones print the rest.
	if even := jobs / 3 * slow; wall > even*3/4 {
		t.Errorf("the burst took %v, an even share takes %v: the stations did not share it by free printers", wall, even)
	}
}
