package station

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	bolt "go.etcd.io/bbolt"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/config"
)

func startServer(t testing.TB, port int, dir string) *server.Server {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server did not start")
	}
	return s
}

var errBad = errors.New("unknown printer")

// queue is a station's agent: an idempotent queue.
type queue struct {
	mu   sync.Mutex
	jobs map[string]apitype.SubmitRequest
	// queued, when set, hears when each job is in the queue.
	queued chan time.Time
}

func (q *queue) submit(_ context.Context, r apitype.SubmitRequest) (apitype.Job, bool, error) {
	if r.Printer == "nowhere" {
		return apitype.Job{}, false, errBad
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, ok := q.jobs[r.IdempotencyKey]; ok {
		return apitype.Job{ID: r.IdempotencyKey}, true, nil
	}
	q.jobs[r.IdempotencyKey] = r
	if q.queued != nil {
		q.queued <- time.Now()
	}
	return apitype.Job{ID: r.IdempotencyKey}, false, nil
}

func (ts *testStation) printers() []apitype.Printer {
	ts.pmu.Lock()
	defer ts.pmu.Unlock()
	return []apitype.Printer{ts.printer}
}

func (q *queue) n() int { q.mu.Lock(); defer q.mu.Unlock(); return len(q.jobs) }

func (q *queue) has(key string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	_, ok := q.jobs[key]
	return ok
}

type testStation struct {
	*Station
	q      *queue
	events chan apitype.Event
	cancel context.CancelFunc
	done   chan struct{}
	// printer is the station's printer as the agent reports it (the
	// default printer, "zebra").
	pmu     sync.Mutex
	printer apitype.Printer
	hook    func(stageAt) // when set (under pmu), hears each stage a job passes
}

type stageAt struct {
	stage string
	at    time.Time
}

func (ts *testStation) onStage(stage string) {
	at := time.Now()
	ts.pmu.Lock()
	hook := ts.hook
	ts.pmu.Unlock()
	if hook != nil {
		hook(stageAt{stage, at})
	}
}

func (ts *testStation) setHook(hook func(stageAt)) {
	ts.pmu.Lock()
	ts.hook = hook
	ts.pmu.Unlock()
}

func (ts *testStation) setPrinter(f func(p *apitype.Printer)) {
	ts.pmu.Lock()
	f(&ts.printer)
	p := ts.printer
	ts.pmu.Unlock()
	ts.events <- apitype.Event{Type: apitype.EventPrinter, At: time.Now(), Printer: &p}
}

func newStation(t testing.TB, urls []string, name string, pools []string, replicas int) *testStation {
	t.Helper()
	return startStation(t, urls, name, pools, func(c *config.NATSConfig) { c.Replicas = replicas })
}

// newStationAs starts a station with a user's credentials.
func newStationAs(t testing.TB, urls []string, name string, pools []string, user, password string) *testStation {
	t.Helper()
	return startStation(t, urls, name, pools, func(c *config.NATSConfig) { c.User, c.Password = user, password })
}

// startStation starts a station with the tests' settings (heartbeat 1s,
// ack wait 2s), changed by mods.
func startStation(t testing.TB, urls []string, name string, pools []string, mods ...func(*config.NATSConfig)) *testStation {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "s.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg := config.NATSConfig{URLs: urls, Station: name, Pools: pools, Prefix: "labelagent", JobStream: "LABELAGENT_JOBS",
		EventStream: "LABELAGENT_EVENTS", Bucket: "labelagent_stations", Heartbeat: time.Second, AckWait: 2 * time.Second,
		EventBuffer: 10000, Replicas: 1, PoolBacklog: 2}
	for _, m := range mods {
		m(&cfg)
	}
	q := &queue{jobs: map[string]apitype.SubmitRequest{}}
	events := make(chan apitype.Event, 1024)
	ts := &testStation{done: make(chan struct{}), printer: apitype.Printer{Name: "zebra", Default: true}}
	st, err := New(Options{Config: cfg, Submit: q.submit, Permanent: func(err error) bool { return errors.Is(err, errBad) },
		Events: events, DB: db, Version: "test", Log: slog.New(slog.DiscardHandler),
		Printers: func() []apitype.Printer { return ts.printers() }})
	if err != nil {
		t.Fatal(err)
	}
	st.stage = ts.onStage
	ctx, cancel := context.WithCancel(context.Background())
	ts.Station, ts.q, ts.events, ts.cancel = st, q, events, cancel
	go func() { st.Run(ctx); close(ts.done) }()
	t.Cleanup(func() { cancel(); <-ts.done })
	return ts
}

func publisher(t testing.TB, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func waitStream(t testing.TB, js jetstream.JetStream, name string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, err := js.Stream(context.Background(), name); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream %s never created", name)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func job(i int) []byte {
	b, _ := json.Marshal(apitype.JobMessage{Kind: apitype.KindZPL, Payload: []byte(fmt.Sprintf("^XA^FDjob %d^FS^XZ", i)), Name: fmt.Sprint("job ", i)})
	return b
}

// publish sends n jobs with message ids, retrying through outages as a
// careful sender does (the stream drops a repeated id).
func publish(t *testing.T, js jetstream.JetStream, subject string, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		for try := 0; ; try++ {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err := js.Publish(ctx, subject, job(i), jetstream.WithMsgID(fmt.Sprint("m", i)))
			cancel()
			if err == nil {
				break
			}
			if try > 100 {
				t.Fatalf("publish %d: %v", i, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func waitJobs(t *testing.T, want int, qs ...*queue) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		total := 0
		for _, q := range qs {
			total += q.n()
		}
		if total >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d jobs arrived", total, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestPoolOfThreeTakesEachJobOnce(t *testing.T) {
	srv := startServer(t, -1, t.TempDir())
	defer srv.Shutdown()
	url := srv.ClientURL()
	a := newStation(t, []string{url}, "st1", []string{"line"}, 1)
	b := newStation(t, []string{url}, "st2", []string{"line"}, 1)
	c := newStation(t, []string{url}, "st3", []string{"line"}, 1)
	js := publisher(t, url)
	waitStream(t, js, "LABELAGENT_JOBS")
	// Publish once all three stations wait on the pool's consumer, so the
	// test shows the pool shared, not one station that happened to be first.
	for deadline := time.Now().Add(20 * time.Second); ; {
		if c, err := js.Consumer(context.Background(), "LABELAGENT_JOBS", "pool-line"); err == nil {
			if info, err := c.Info(context.Background()); err == nil && info.NumWaiting >= 3 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the three stations never waited on the pool")
		}
		time.Sleep(20 * time.Millisecond)
	}
	const n = 1000
	publish(t, js, "labelagent.jobs.pool.line", 0, n)
	waitJobs(t, n, a.q, b.q, c.q)
	time.Sleep(500 * time.Millisecond) // a duplicate would arrive now
	seen := map[string]int{}
	for _, s := range []*testStation{a, b, c} {
		s.q.mu.Lock()
		for k := range s.q.jobs {
			seen[k]++
		}
		s.q.mu.Unlock()
		if s.q.n() == 0 {
			t.Errorf("%s took no job of the pool", s.cfg.Station)
		}
	}
	if len(seen) != n {
		t.Fatalf("%d distinct jobs, want %d", len(seen), n)
	}
	for k, v := range seen {
		if v != 1 {
			t.Errorf("%s taken by %d stations", k, v)
		}
	}
	// Jobs for one station go only there.
	publish(t, js, "labelagent.jobs.station.st2", n, 5)
	waitJobs(t, n+5, a.q, b.q, c.q)
	// The bucket knows all three.
	deadline := time.Now().Add(10 * time.Second)
	for {
		list := a.Stations(context.Background())
		if len(list.Stations) == 3 && list.Connected {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stations %+v", list)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestMalformedMessagesAreTerminatedWithReason(t *testing.T) {
	srv := startServer(t, -1, t.TempDir())
	defer srv.Shutdown()
	url := srv.ClientURL()
	s := newStation(t, []string{url}, "st1", nil, 1)
	js := publisher(t, url)
	waitStream(t, js, "LABELAGENT_JOBS")
	ctx := context.Background()
	bad := [][]byte{[]byte("not json"), []byte(`{"kind":"docx","payload":"QQ=="}`), []byte(`{"kind":"zpl"}`),
		[]byte(`{"kind":"zpl","payload":"QQ==","printer":"nowhere"}`), []byte(`{"kind":"zpl","payload":"QQ==","color":"red"}`)}
	for _, m := range bad {
		if _, err := js.Publish(ctx, "labelagent.jobs.station.st1", m); err != nil {
			t.Fatal(err)
		}
	}
	publish(t, js, "labelagent.jobs.station.st1", 0, 1)
	waitJobs(t, 1, s.q)
	deadline := time.Now().Add(15 * time.Second)
	for s.Status().Rejected < int64(len(bad)) {
		if time.Now().After(deadline) {
			t.Fatalf("status %+v", s.Status())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Terminated, not redelivered: nothing pending after the ack wait.
	time.Sleep(2500 * time.Millisecond)
	cons, err := js.Consumer(ctx, "LABELAGENT_JOBS", "station-st1")
	if err != nil {
		t.Fatal(err)
	}
	info, err := cons.Info(ctx)
	if err != nil || info.NumAckPending != 0 || info.NumPending != 0 || info.NumRedelivered != 0 {
		t.Fatalf("consumer %+v %v", info, err)
	}
	// The reasons were published on the station's event subject.
	es, err := js.Stream(ctx, "LABELAGENT_EVENTS")
	if err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		si, _ := es.Info(ctx, jetstream.WithSubjectFilter("labelagent.events.st1.rejected"))
		if si != nil && si.State.Subjects["labelagent.events.st1.rejected"] == uint64(len(bad)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rejections published: %+v", si)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if s.q.n() != 1 {
		t.Fatalf("%d jobs", s.q.n())
	}
}

// outage is how long the tests keep the server away: by default 5 s,
// longer than every timer the tests' stations run on (a heartbeat entry
// expires after 3 s, the ack wait is 2 s, a pull request 2 s, a reconnect
// attempt every 1 s), so every state a longer outage reaches is reached;
// LABELAGENT_NATS_OUTAGE=60s runs a real minute (and 10m ten): the
// restart, buffer-bound and lost-acknowledgement tests all use it.
func outage(t *testing.T) time.Duration {
	t.Helper()
	if v := os.Getenv("LABELAGENT_NATS_OUTAGE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("LABELAGENT_NATS_OUTAGE=%q: %v", v, err)
		}
		return d
	}
	return 5 * time.Second
}

// restartServer stops the server, keeps it away for the outage while
// during runs, and starts it again on the same port and store.
func restartServer(t *testing.T, srv *server.Server, dir string, during func()) *server.Server {
	t.Helper()
	u, err := url.Parse(srv.ClientURL()) // (the port it listened on, also once it is down)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(u.Port())
	srv.Shutdown()
	srv.WaitForShutdown()
	t0 := time.Now()
	during()
	time.Sleep(outage(t) - time.Since(t0))
	t.Logf("the server was away %v", time.Since(t0).Round(time.Millisecond))
	srv2 := startServer(t, p, dir)
	t.Cleanup(srv2.Shutdown)
	return srv2
}

func TestServerRestartAndEventsBufferedWhileDown(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := startServer(t, -1, dir)
	url := srv.ClientURL()
	s := newStation(t, []string{url}, "st1", []string{"line"}, 1)
	js := publisher(t, url)
	waitStream(t, js, "LABELAGENT_JOBS")
	publish(t, js, "labelagent.jobs.pool.line", 0, 100)
	waitJobs(t, 50, s.q)
	// The server goes away mid-run; the station keeps making events.
	restartServer(t, srv, dir, func() {
		for i := 0; i < 300; i++ {
			s.events <- apitype.Event{Seq: uint64(i + 1), Type: apitype.EventJob, At: time.Now(), Job: &apitype.Job{ID: fmt.Sprint(i), State: apitype.StateDone}}
		}
		deadline := time.Now().Add(10 * time.Second)
		for s.Buffered() < 300 {
			if time.Now().After(deadline) {
				t.Fatalf("buffered %d", s.Buffered())
			}
			time.Sleep(20 * time.Millisecond)
		}
		if st := s.Status(); st.State != "down" {
			t.Errorf("state while the server is away: %+v", st)
		}
		if l := s.Stations(context.Background()); l.Connected || l.Buffered < 300 {
			t.Errorf("station list while the server is away: %+v", l)
		}
	})
	publish(t, js, "labelagent.jobs.pool.line", 100, 100)
	waitJobs(t, 200, s.q)
	time.Sleep(time.Second)
	if n := s.q.n(); n != 200 {
		t.Fatalf("%d jobs, want 200", n)
	}
	deadline := time.Now().Add(20 * time.Second)
	for s.Buffered() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d events still buffered after the server came back", s.Buffered())
		}
		time.Sleep(50 * time.Millisecond)
	}
	ctx := context.Background()
	es, err := js.Stream(ctx, "LABELAGENT_EVENTS")
	if err != nil {
		t.Fatal(err)
	}
	si, err := es.Info(ctx, jetstream.WithSubjectFilter("labelagent.events.st1.job"))
	if err != nil || si.State.Subjects["labelagent.events.st1.job"] != 300 {
		t.Fatalf("job events in the stream: %+v %v", si, err)
	}
	// The heartbeat is back in the bucket (its entry may have expired
	// while the server was away).
	for deadline := time.Now().Add(10 * time.Second); ; {
		if l := s.Stations(ctx); l.Connected && len(l.Stations) == 1 && l.Stations[0].Buffered == 0 && l.Dropped == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stations after the outage: %+v", s.Stations(ctx))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestEventBufferBoundWhileDown makes more events while the server is away
// than nats.event_buffer keeps: the newest are kept and delivered after
// the reconnect, the oldest are dropped, and the count is in the
// station's status, its state in the bucket and the station list (which
// `labelagent stations` and `printers` print).
func TestEventBufferBoundWhileDown(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := startServer(t, -1, dir)
	url := srv.ClientURL()
	s := startStation(t, []string{url}, "st1", nil, func(c *config.NATSConfig) { c.EventBuffer = 100 })
	js := publisher(t, url)
	waitStream(t, js, "LABELAGENT_EVENTS")
	restartServer(t, srv, dir, func() {
		for i := range 250 {
			s.events <- apitype.Event{Seq: uint64(i + 1), Type: apitype.EventJob, At: time.Now(), Job: &apitype.Job{ID: fmt.Sprint("job", i+1)}}
		}
		deadline := time.Now().Add(10 * time.Second)
		for s.Dropped() < 150 {
			if time.Now().After(deadline) {
				t.Fatalf("buffered %d, dropped %d", s.Buffered(), s.Dropped())
			}
			time.Sleep(20 * time.Millisecond)
		}
		if b := s.Buffered(); b != 100 {
			t.Errorf("%d events kept, want the bound 100", b)
		}
	})
	ctx := context.Background()
	for deadline := time.Now().Add(20 * time.Second); s.Buffered() > 0; {
		if time.Now().After(deadline) {
			t.Fatalf("%d events still buffered", s.Buffered())
		}
		time.Sleep(50 * time.Millisecond)
	}
	es, err := js.Stream(ctx, "LABELAGENT_EVENTS")
	if err != nil {
		t.Fatal(err)
	}
	si, err := es.Info(ctx, jetstream.WithSubjectFilter("labelagent.events.st1.job"))
	if err != nil || si.State.Subjects["labelagent.events.st1.job"] != 100 {
		t.Fatalf("job events in the stream: %+v %v", si, err)
	}
	// The kept ones are the newest: job151 … job250, in order.
	first, err := es.GetMsg(ctx, si.State.FirstSeq)
	if err != nil {
		t.Fatal(err)
	}
	var ev apitype.StationEvent
	if err := json.Unmarshal(first.Data, &ev); err != nil || ev.Job == nil || ev.Job.ID != "job151" {
		t.Errorf("first event after the outage: %s %v", first.Data, err)
	}
	if l := s.Stations(ctx); l.Dropped != 150 {
		t.Errorf("station list: dropped %d, want 150", l.Dropped)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		l := s.Stations(ctx)
		if len(l.Stations) == 1 && l.Stations[0].Dropped == 150 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the station's state does not say what it dropped: %+v", l)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestEventIDsDifferAcrossRestarts: the agent's event sequence starts
// again at each start, and an id the stream has seen within its dedupe
// window is dropped; a restarted station's events must all arrive.
func TestEventIDsDifferAcrossRestarts(t *testing.T) {
	t.Parallel()
	srv := startServer(t, -1, t.TempDir())
	defer srv.Shutdown()
	url := srv.ClientURL()
	js := publisher(t, url)
	for run := range 2 {
		s := newStation(t, []string{url}, "st1", nil, 1)
		for i := range 5 {
			s.events <- apitype.Event{Seq: uint64(i + 1), Type: apitype.EventJob, At: time.Now(), Job: &apitype.Job{ID: fmt.Sprint(run, "-", i)}}
		}
		waitStream(t, js, "LABELAGENT_EVENTS")
		es, _ := js.Stream(context.Background(), "LABELAGENT_EVENTS")
		for deadline := time.Now().Add(10 * time.Second); ; {
			si, _ := es.Info(context.Background(), jetstream.WithSubjectFilter("labelagent.events.st1.job"))
			if si != nil && si.State.Subjects["labelagent.events.st1.job"] == uint64(5*(run+1)) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("run %d: job events in the stream %+v", run+1, si)
			}
			time.Sleep(50 * time.Millisecond)
		}
		s.cancel()
		<-s.done
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestClusterLosesLeader runs a 3-node JetStream cluster with the streams
// replicated three times and shuts down the job stream's leader mid-run:
// every job is still printed exactly once.
func TestClusterLosesLeader(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test skipped in -short mode")
	}
	ports := []int{freePort(t), freePort(t), freePort(t)}
	routes := []int{freePort(t), freePort(t), freePort(t)}
	var servers []*server.Server
	var urls []string
	for i := range 3 {
		var rs []*url.URL
		for j := range 3 {
			if j != i {
				u, _ := url.Parse(fmt.Sprintf("nats://127.0.0.1:%d", routes[j]))
				rs = append(rs, u)
			}
		}
		o := &server.Options{ServerName: fmt.Sprint("n", i), Host: "127.0.0.1", Port: ports[i], JetStream: true,
			StoreDir: t.TempDir(), NoLog: true, NoSigs: true, Routes: rs,
			Cluster: server.ClusterOpts{Name: "warehouse", Host: "127.0.0.1", Port: routes[i]}}
		srv, err := server.NewServer(o)
		if err != nil {
			t.Fatal(err)
		}
		go srv.Start()
		servers = append(servers, srv)
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", ports[i]))
	}
	defer func() {
		for _, s := range servers {
			s.Shutdown()
		}
	}()
	for _, s := range servers {
		if !s.ReadyForConnections(20 * time.Second) {
			t.Fatal("cluster node did not start")
		}
	}
	a := newStation(t, urls, "st1", []string{"line"}, 3)
	b := newStation(t, urls, "st2", []string{"line"}, 3)
	nc, err := nats.Connect(strings.Join(urls, ","), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	deadline := time.Now().Add(60 * time.Second)
	var leader string
	for {
		if st, err := js.Stream(context.Background(), "LABELAGENT_JOBS"); err == nil {
			if info, err := st.Info(context.Background()); err == nil && info.Cluster != nil && info.Cluster.Leader != "" {
				leader = info.Cluster.Leader
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the replicated job stream got no leader")
		}
		time.Sleep(200 * time.Millisecond)
	}
	publish(t, js, "labelagent.jobs.pool.line", 0, 200)
	waitJobs(t, 100, a.q, b.q)
	for _, s := range servers {
		if s.Name() == leader {
			s.Shutdown()
		}
	}
	publish(t, js, "labelagent.jobs.pool.line", 200, 200)
	waitJobs(t, 400, a.q, b.q)
	time.Sleep(3 * time.Second) // redeliveries after the ack wait would show now
	seen := map[string]int{}
	for _, s := range []*testStation{a, b} {
		s.q.mu.Lock()
		for k := range s.q.jobs {
			seen[k]++
		}
		s.q.mu.Unlock()
	}
	if len(seen) != 400 {
		t.Fatalf("%d distinct jobs after losing leader %s, want 400", len(seen), leader)
	}
	for k, v := range seen {
		if v != 1 {
			t.Errorf("%s taken %d times", k, v)
		}
	}
}

// waitPoolWaiting waits until exactly n pull requests wait on the pool's
// durable (a station that stopped asking has let its last one run out).
func waitPoolWaiting(t *testing.T, js jetstream.JetStream, n int) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; {
		if c, err := js.Consumer(context.Background(), "LABELAGENT_JOBS", "pool-line"); err == nil {
			if info, err := c.Info(context.Background()); err == nil && info.NumWaiting == n {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("never exactly %d stations waiting on the pool", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPoolJobsOnlyWhileThePrinterHasRoom: a station whose printer is
// paused, or already holds pool_backlog jobs, takes no pool job; the
// other station takes them all, and the first takes jobs again once its
// printer has room.
func TestPoolJobsOnlyWhileThePrinterHasRoom(t *testing.T) {
	t.Parallel()
	srv := startServer(t, -1, t.TempDir())
	defer srv.Shutdown()
	url := srv.ClientURL()
	a := newStation(t, []string{url}, "st1", []string{"line"}, 1)
	b := newStation(t, []string{url}, "st2", []string{"line"}, 1)
	js := publisher(t, url)
	waitPoolWaiting(t, js, 2)
	a.setPrinter(func(p *apitype.Printer) { p.Paused = true })
	waitPoolWaiting(t, js, 1)
	publish(t, js, "labelagent.jobs.pool.line", 0, 20)
	waitJobs(t, 20, a.q, b.q)
	if a.q.n() != 0 || b.q.n() != 20 {
		t.Fatalf("printer paused at st1: st1 took %d, st2 %d of 20", a.q.n(), b.q.n())
	}
	// st2's printer now holds two jobs (the backlog), st1's is back.
	b.setPrinter(func(p *apitype.Printer) { p.Queued = 2 })
	a.setPrinter(func(p *apitype.Printer) { p.Paused = false })
	waitPoolWaiting(t, js, 1)
	publish(t, js, "labelagent.jobs.pool.line", 20, 10)
	waitJobs(t, 30, a.q, b.q)
	if a.q.n() != 10 || b.q.n() != 20 {
		t.Fatalf("st2's printer full: st1 took %d, st2 %d of the next 10", a.q.n(), b.q.n()-20)
	}
	// Jobs for the station itself come whatever its printer holds.
	publish(t, js, "labelagent.jobs.station.st2", 30, 3)
	waitJobs(t, 33, a.q, b.q)
	if b.q.n() != 23 {
		t.Fatalf("st2 took %d of its own 3 jobs", b.q.n()-20)
	}
}

// TestLostAcknowledgementIsSentAgain: the server goes away after a job is
// queued and before its acknowledgement; once it is back the station
// acknowledges the job again before the server can hand it out again, so
// it is not delivered a second time (which, after an outage longer than a
// claim lasts, could reach another station of the pool).
func TestLostAcknowledgementIsSentAgain(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := startServer(t, -1, dir)
	s := newStation(t, []string{srv.ClientURL()}, "st1", []string{"line"}, 1)
	js := publisher(t, srv.ClientURL())
	waitPoolWaiting(t, js, 1)
	var once sync.Once
	gone := make(chan struct{})
	s.setHook(func(st stageAt) {
		if st.stage == "queued" {
			once.Do(func() { srv.Shutdown(); srv.WaitForShutdown(); close(gone) })
		}
	})
	publish(t, js, "labelagent.jobs.pool.line", 0, 1)
	<-gone
	waitJobs(t, 1, s.q)
	s.setHook(nil)
	// Away longer than the ack wait (2 s): without the second
	// acknowledgement the server hands the job out again.
	restartServer(t, srv, dir, func() {})
	waitPoolWaiting(t, js, 1)
	time.Sleep(3 * time.Second) // past the ack wait after the restart too
	cons, err := js.Consumer(context.Background(), "LABELAGENT_JOBS", "pool-line")
	if err != nil {
		t.Fatal(err)
	}
	info, err := cons.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st := s.Status(); st.Duplicates != 0 || info.NumRedelivered != 0 || info.NumAckPending != 0 || s.q.n() != 1 {
		t.Fatalf("after the outage: status %+v, consumer redelivered %d, ack pending %d, jobs %d", st, info.NumRedelivered, info.NumAckPending, s.q.n())
	}
}
