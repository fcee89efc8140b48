package agent_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent"
	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/agent/store"
	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/printer/transports"
	"github.com/labelagent/labelagent/zpl"
)

// scriptPrinter is a printer.Printer whose behaviour a test sets: failing
// writes, a write that hangs until released, any status.
type scriptPrinter struct {
	mu        sync.Mutex
	writes    [][]byte
	failNext  int
	failErr   error
	block     chan struct{} // non-nil: Write waits for it (or ctx)
	status    printer.Status
	statusErr error
	started   chan struct{} // receives once per Write start
}

var _ printer.Printer = (*scriptPrinter)(nil)

func newScript() *scriptPrinter {
	return &scriptPrinter{status: printer.Status{State: printer.StateReady}, started: make(chan struct{}, 100)}
}

func (p *scriptPrinter) Open(context.Context) error { return nil }
func (p *scriptPrinter) Close() error               { return nil }

func (p *scriptPrinter) Write(ctx context.Context, b []byte) error {
	p.mu.Lock()
	block := p.block
	p.mu.Unlock()
	select {
	case p.started <- struct{}{}:
	default:
	}
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failNext > 0 {
		p.failNext--
		if p.failErr != nil {
			return p.failErr
		}
		return errors.New("connection reset by printer")
	}
	p.writes = append(p.writes, bytes.Clone(b))
	return nil
}

func (p *scriptPrinter) Status(context.Context) (printer.Status, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status, p.statusErr
}

func (p *scriptPrinter) set(f func(p *scriptPrinter)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(p)
}

func (p *scriptPrinter) got() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]byte(nil), p.writes...)
}

// testConfig has a scripted printer "zebra" (default) and a file printer "file".
func testConfig(t *testing.T, dir string) *config.Config {
	t.Helper()
	cfg, err := config.Load("", func(c *config.Config) {
		c.DataDir = dir
		c.Listen = "127.0.0.1:0"
		c.Jobs.RetryInitial = 5 * time.Millisecond
		c.Jobs.RetryMax = 20 * time.Millisecond
		c.Jobs.MaxAttempts = 4
		c.Jobs.MaxPayload = 64 << 10
		c.Printers = []printer.Config{
			{Name: "zebra", Transport: "tcp", TCP: printer.TCPConfig{Address: "127.0.0.1:9"}, StatusInterval: 20 * time.Millisecond},
			{Name: "file", Transport: "file"},
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func start(t *testing.T, cfg *config.Config, scripts map[string]*scriptPrinter, opts ...func(*agent.Options)) *agent.Agent {
	t.Helper()
	o := agent.Options{
		Config:   cfg,
		Logger:   slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		HoldPoll: 10 * time.Millisecond,
		OpenPrinter: func(pc printer.Config, log *slog.Logger) (printer.Printer, error) {
			if s, ok := scripts[pc.Name]; ok {
				return s, nil
			}
			return transports.New(pc, log)
		},
	}
	for _, f := range opts {
		f(&o)
	}
	a, err := agent.New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(t, a) })
	return a
}

func stop(t *testing.T, a *agent.Agent) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.Stop(ctx); err != nil {
		t.Errorf("stop: %v", err)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// zplLabel is complete for the default media, so the agent sends it unchanged.
func zplLabel(i int) []byte {
	return []byte(fmt.Sprintf("^XA^PW823^LL1590^MNY^FO20,20^A0N,30,30^FDlabel %04d^FS^XZ", i))
}

func submit(t *testing.T, a *agent.Agent, req apitype.SubmitRequest) apitype.Job {
	t.Helper()
	if req.Kind == "" {
		req.Kind = apitype.KindZPL
	}
	j, _, err := a.Submit(context.Background(), req)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	return j
}

// waitState polls until the job reaches want; the deadline only guards a
// hung test, it asserts nothing about speed.
func waitState(t *testing.T, a *agent.Agent, id string, want apitype.JobState) apitype.Job {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		j, err := a.Job(id)
		if err != nil {
			t.Fatal(err)
		}
		if j.State == want {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s is %s (last error %q), want %s; history %+v", id, j.State, j.LastError, want, j.History)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func states(j apitype.Job) []apitype.JobState {
	var s []apitype.JobState
	for _, h := range j.History {
		s = append(s, h.State)
	}
	return s
}

func TestJobGoesThroughItsStatesAndIsPrinted(t *testing.T) {
	sp := newScript()
	a := start(t, testConfig(t, t.TempDir()), map[string]*scriptPrinter{"zebra": sp})
	sub := a.Subscribe(100)
	defer sub.Close()
	j := submit(t, a, apitype.SubmitRequest{Payload: zplLabel(1), Copies: 2, Name: "order 4711"})
	if j.State != apitype.StateQueued || j.Printer != "zebra" || j.ID == "" {
		t.Fatalf("submitted job = %+v, want queued on the default printer", j)
	}
	done := waitState(t, a, j.ID, apitype.StateDone)
	if got := states(done); fmt.Sprint(got) != "[queued printing done]" {
		t.Errorf("history states %v, want [queued printing done]", got)
	}
	if done.Attempts != 1 || done.Finished == nil {
		t.Errorf("attempts %d finished %v", done.Attempts, done.Finished)
	}
	// Copies are the printer's own quantity (^PQ), so it counts them.
	w := sp.got()
	want := bytes.Replace(zplLabel(1), []byte("^XZ"), []byte("^PQ2^XZ"), 1)
	if len(w) != 1 || !bytes.Equal(w[0], want) {
		t.Fatalf("printer got %q, want %q in one write", w, want)
	}
	// The event stream told the same story, preparing included.
	var seen []apitype.JobState
	timeout := time.After(5 * time.Second)
	for len(seen) == 0 || seen[len(seen)-1] != apitype.StateDone {
		select {
		case e := <-sub.C():
			if e.Type == apitype.EventJob && e.Job.ID == j.ID {
				seen = append(seen, e.Job.State)
			}
		case <-timeout:
			t.Fatalf("events so far %v", seen)
		}
	}
	if fmt.Sprint(seen) != "[queued preparing printing done]" {
		t.Errorf("events %v, want [queued preparing printing done]", seen)
	}
}

func TestFilePrinterWritesEachJobAsAFile(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	a := start(t, cfg, nil, func(o *agent.Options) {})
	j := submit(t, a, apitype.SubmitRequest{Printer: "file", Payload: zplLabel(7)})
	waitState(t, a, j.ID, apitype.StateDone)
	dir, _ := cfg.Printer("file")
	files, _ := filepath.Glob(filepath.Join(dir.File.Dir, "*.prn"))
	if len(files) != 1 {
		t.Fatalf("files %v, want one", files)
	}
	data, _ := os.ReadFile(files[0])
	if !bytes.Equal(data, zplLabel(7)) {
		t.Fatalf("file holds %q", data)
	}
}

func TestJobsForOnePrinterPrintInOrder(t *testing.T) {
	sp := newScript()
	a := start(t, testConfig(t, t.TempDir()), map[string]*scriptPrinter{"zebra": sp})
	var last apitype.Job
	for i := range 60 {
		last = submit(t, a, apitype.SubmitRequest{Payload: zplLabel(i)})
	}
	waitState(t, a, last.ID, apitype.StateDone)
	w := sp.got()
	if len(w) != 60 {
		t.Fatalf("%d writes, want 60", len(w))
	}
	for i, b := range w {
		if !bytes.Equal(b, zplLabel(i)) {
			t.Fatalf("write %d is %q, want label %d", i, b, i)
		}
	}
}

func TestIdempotencyKeyReturnsTheFirstJob(t *testing.T) {
	sp := newScript()
	a := start(t, testConfig(t, t.TempDir()), map[string]*scriptPrinter{"zebra": sp})
	first, existing, err := a.Submit(context.Background(), apitype.SubmitRequest{Kind: apitype.KindZPL, Payload: zplLabel(1), IdempotencyKey: "order-4711"})
	if err != nil || existing {
		t.Fatalf("first submit: existing=%v err=%v", existing, err)
	}
	waitState(t, a, first.ID, apitype.StateDone)
	again, existing, err := a.Submit(context.Background(), apitype.SubmitRequest{Kind: apitype.KindZPL, Payload: zplLabel(1), IdempotencyKey: "order-4711"})
	if err != nil || !existing || again.ID != first.ID || again.State != apitype.StateDone {
		t.Fatalf("second submit = %+v existing=%v err=%v, want job %s done", again, existing, err, first.ID)
	}
	time.Sleep(50 * time.Millisecond)
	if n := len(sp.got()); n != 1 {
		t.Fatalf("printed %d times, want once", n)
	}
}

func TestConcurrentDuplicateSubmissionsMakeOneJob(t *testing.T) {
	sp := newScript()
	a := start(t, testConfig(t, t.TempDir()), map[string]*scriptPrinter{"zebra": sp})
	var wg sync.WaitGroup
	ids := make(chan string, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j, _, err := a.Submit(context.Background(), apitype.SubmitRequest{Kind: apitype.KindZPL, Payload: zplLabel(1), IdempotencyKey: "double-click"})
			if err != nil {
				t.Error(err)
				return
			}
			ids <- j.ID
		}()
	}
	wg.Wait()
	close(ids)
	first := ""
	for id := range ids {
		if first == "" {
			first = id
		}
		if id != first {
			t.Fatalf("two jobs %s and %s for one key", first, id)
		}
	}
	waitState(t, a, first, apitype.StateDone)
	if n := len(sp.got()); n != 1 {
		t.Fatalf("printed %d times", n)
	}
}

func TestFailedWriteIsRetriedWithBackoff(t *testing.T) {
	sp := newScript()
	sp.failNext = 2
	a := start(t, testConfig(t, t.TempDir()), map[string]*scriptPrinter{"zebra": sp})
	j := submit(t, a, apitype.SubmitRequest{Payload: zplLabel(1)})
	done := waitState(t, a, j.ID, apitype.StateDone)
	if done.Attempts != 3 {
		t.Errorf("attempts %d, want 3", done.Attempts)
	}
	if got := states(done); fmt.Sprint(got) != "[queued printing queued printing queued printing done]" {
		t.Errorf("history %v", got)
	}
	if !strings.Contains(done.History[2].Note, "connection reset by printer") || !strings.Contains(done.History[2].Note, "next try in") {
		t.Errorf("retry note %q should say what failed and when it retries", done.History[2].Note)
	}
	if n := len(sp.got()); n != 1 {
		t.Errorf("%d successful writes", n)
	}
}

func TestJobFailsAfterMaxAttemptsAndCanBeRetried(t *testing.T) {
	sp := newScript()
	sp.failNext = 100
	sp.failErr = errors.New("write tcp 127.0.0.1:9100: broken pipe")
	a := start(t, testConfig(t, t.TempDir()), map[string]*scriptPrinter{"zebra": sp})
	j := submit(t, a, apitype.SubmitRequest{Payload: zplLabel(1)})
	failed := waitState(t, a, j.ID, apitype.StateFailed)
	if failed.Attempts != 4 || !strings.Contains(failed.LastError, "broken pipe") || !strings.Contains(failed.LastError, "gave up after 4 attempts") {
		t.Fatalf("failed job: attempts %d, error %q", failed.Attempts, failed.LastError)
	}
	// A second job is not stuck behind the failed one.
	sp.set(func(p *scriptPrinter) { p.failNext = 0 })
	j2 := submit(t, a, apitype.SubmitRequest{Payload: zplLabel(2)})
	waitState(t, a, j2.ID, apitype.StateDone)
	// The operator retries the failed job.
	if _, err := a.Retry(context.Background(), j.ID); err != nil {
		t.Fatal(err)
	}
	done := waitState(t, a, j.ID, apitype.StateDone)
	if done.LastError != "" || done.Attempts != 1 {
		t.Errorf("after retry: attempts %d, error %q", done.Attempts, done.LastError)
	}
	if _, err := a.Cancel(context.Background(), j.ID); !errors.Is(err, agent.ErrConflict) {
		t.Errorf("cancelling a done job: %v, want ErrConflict", err)
	}
}

func TestUnpreparablePayloadFailsAtOnceWithReason(t *testing.T) {
	sp := newScript()
	// The submission check catches what it can cheaply; what only the
	// conversion finds (here: a preparer that refuses) fails at once.
	a := start(t, testConfig(t, t.TempDir()), map[string]*scriptPrinter{"zebra": sp}, func(o *agent.Options) {
		o.Preparer = agent.PreparerFunc(func(context.Context, apitype.Kind, []byte, printer.ProfileConfig) ([]byte, error) {
			return nil, fmt.Errorf("%w: the PDF's page 1 cannot be rendered", zpl.ErrBadInput)
		})
	})
	j := submit(t, a, apitype.SubmitRequest{Kind: apitype.KindZPL, Payload: zplLabel(1)})
	f := waitState(t, a, j.ID, apitype.StateFailed)
	if f.Attempts != 0 || !strings.Contains(f.LastError, "cannot prepare") {
		t.Fatalf("attempts %d error %q", f.Attempts, f.LastError)
	}
	if len(sp.got()) != 0 {
		t.Fatal("nothing may reach the printer")
	}
}

func TestPausedPrinterHoldsJobsUntilResumedAndPauseSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	sp := newScript()
	cfg := testConfig(t, dir)
	a := start(t, cfg, map[string]*scriptPrinter{"zebra": sp})
	if _, err := a.PausePrinter("zebra"); err != nil {
		t.Fatal(err)
	}
	j := submit(t, a, apitype.SubmitRequest{Payload: zplLabel(1)})
	time.Sleep(100 * time.Millisecond)
	if got, _ := a.Job(j.ID); got.State != apitype.StateQueued || len(sp.got()) != 0 {
		t.Fatalf("paused printer printed: state %s, writes %d", got.State, len(sp.got()))
	}
	p, _ := a.Printer("zebra")
	if !p.Paused || p.Queued != 1 {
		t.Fatalf("printer report %+v", p)
	}
	stop(t, a)

	sp2 := newScript()
	a2 := start(t, cfg, map[string]*scriptPrinter{"zebra": sp2})
	if p, _ := a2.Printer("zebra"); !p.Paused || p.Queued != 1 {
		t.Fatalf("after restart: %+v, want paused with the job still queued", p)
	}
	if _, err := a2.ResumePrinter("zebra"); err != nil {
		t.Fatal(err)
	}
	waitState(t, a2, j.ID, apitype.StateDone)
	if len(sp2.got()) != 1 {
		t.Fatal("resumed printer did not print")
	}
	if _, err := a2.PausePrinter("nope"); !errors.Is(err, agent.ErrUnknownPrinter) {
		t.Errorf("pause unknown printer: %v", err)
	}
}

func TestCancelQueuedJobNeverPrints(t *testing.T) {
	sp := newScript()
	a := start(t, testConfig(t, t.TempDir()), map[string]*scriptPrinter{"zebra": sp})
	if _, err := a.PausePrinter("zebra"); err != nil {
		t.Fatal(err)
	}
	j1 := submit(t, a, apitype.SubmitRequest{Payload: zplLabel(1)})
	j2 := submit(t, a, apitype.SubmitRequest{Payload: zplLabel(2)})
	c, err := a.Cancel(context.Background(), j1.ID)
	if err != nil || c.State != apitype.StateCancelled {
		t.Fatalf("cancel: %+v %v", c, err)
	}
	if _, err := a.ResumePrinter("zebra"); err != nil {
		t.Fatal(err)
	}
	waitState(t, a, j2.ID, apitype.StateDone)
	w := sp.got()
	if len(w) != 1 || !bytes.Equal(w[0], zplLabel(2)) {
		t.Fatalf("printer got %q, want only label 2", w)
	}
	if _, err := a.Cancel(context.Background(), "999"); !errors.Is(err, agent.ErrNotFound) {
		t.Errorf("cancel unknown job: %v", err)
	}
}

func TestCancelStopsTheJobBeingWritten(t *testing.T) {
	sp := newScript()
	sp.block = make(chan struct{})
	a := start(t, testConfig(t, t.TempDir()), map[string]*scriptPrinter{"zebra": sp})
	j := submit(t, a, apitype.SubmitRequest{Payload: zplLabel(1)})
	<-sp.started
	c, err := a.Cancel(context.Background(), j.ID)
	if err != nil || c.State != apitype.StateCancelled {
		t.Fatalf("cancel while printing: %+v %v", c, err)
	}
	if c.Attempts != 1 || c.History[len(c.History)-1].Note != "cancelled by the operator" {
		t.Errorf("cancelled job %+v", c)
	}
}

func TestJobsWaitWhilePrinterCannotPrint(t *testing.T) {
	sp := newScript()
	sp.status = printer.Status{State: printer.StatePaperOut, Problems: []printer.State{printer.StatePaperOut}, Detail: "paper out"}
	a := start(t, testConfig(t, t.TempDir()), map[string]*scriptPrinter{"zebra": sp})
	j := submit(t, a, apitype.SubmitRequest{Payload: zplLabel(1)})
	time.Sleep(100 * time.Millisecond)
	got, _ := a.Job(j.ID)
	if got.State != apitype.StateQueued || got.Attempts != 0 || len(sp.got()) != 0 {
		t.Fatalf("job during paper out: %s attempts %d writes %d; want held, untried", got.State, got.Attempts, len(sp.got()))
	}
	if p, _ := a.Printer("zebra"); p.Status.State != printer.StatePaperOut {
		t.Fatalf("printer status %+v", p.Status)
	}
	// An unreachable printer holds jobs too, and says why.
	sp.set(func(p *scriptPrinter) { p.statusErr = errors.New("dial tcp 10.0.0.9:9100: connect: no route to host") })
	time.Sleep(50 * time.Millisecond)
	if p, _ := a.Printer("zebra"); p.Status.State != printer.StateOffline || !strings.Contains(p.Status.Detail, "no route") {
		t.Fatalf("unreachable printer status %+v", p.Status)
	}
	sp.set(func(p *scriptPrinter) { p.statusErr, p.status = nil, printer.Status{State: printer.StateReady} })
	done := waitState(t, a, j.ID, apitype.StateDone)
	if done.Attempts != 1 {
		t.Errorf("attempts %d", done.Attempts)
	}
}

func TestRawPrintersAreNeverAskedForStatus(t *testing.T) {
	sp := newScript()
	sp.status = printer.Status{State: printer.StatePaperOut} // would hold, if it were asked
	cfg := testConfig(t, t.TempDir())
	cfg.Printers[0].Profile.Language = "raw"
	a := start(t, cfg, map[string]*scriptPrinter{"zebra": sp})
	j := submit(t, a, apitype.SubmitRequest{Kind: apitype.KindRaw, Payload: []byte("\x1b@ESC/POS")})
	waitState(t, a, j.ID, apitype.StateDone)
}

func TestUnfinishedJobsResumeAfterACrash(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	// What a crash leaves behind: one job recorded as printing, two queued.
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 3 {
		j, _, err := st.Submit(apitype.Job{Printer: "zebra", Kind: apitype.KindZPL, Copies: 1, State: apitype.StateQueued}, zplLabel(i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, j.ID)
	}
	inFlight, _ := st.Get(ids[0])
	inFlight.State, inFlight.Attempts = apitype.StatePrinting, 1
	if err := st.Put(inFlight); err != nil {
		t.Fatal(err)
	}
	st.Close()

	sp := newScript()
	a := start(t, cfg, map[string]*scriptPrinter{"zebra": sp})
	for _, id := range ids {
		waitState(t, a, id, apitype.StateDone)
	}
	again, _ := a.Job(ids[0])
	if again.Attempts != 2 || !strings.Contains(fmt.Sprint(again.History), "stopped while this job was printing") {
		t.Errorf("in-flight job after restart: attempts %d history %+v", again.Attempts, again.History)
	}
	w := sp.got()
	if len(w) != 3 || !bytes.Equal(w[0], zplLabel(0)) || !bytes.Equal(w[2], zplLabel(2)) {
		t.Fatalf("printed %q", w)
	}
}

func TestStopLetsTheWriteFinishOrRequeuesIt(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	sp := newScript()
	sp.block = make(chan struct{})
	a := start(t, cfg, map[string]*scriptPrinter{"zebra": sp})
	j := submit(t, a, apitype.SubmitRequest{Payload: zplLabel(1)})
	<-sp.started
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := a.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := st.Get(j.ID)
	st.Close()
	if got.State != apitype.StateQueued || got.Sending == nil || !strings.Contains(got.History[len(got.History)-1].Note, "printer is asked what it printed") {
		t.Fatalf("abandoned job %+v, want queued, marked as being sent", got)
	}
	// The next start finds it half sent to a printer that cannot say what
	// it printed: held for the operator, not sent a second time. A write
	// that finishes within the grace period completes normally.
	sp2 := newScript()
	sp2.block = make(chan struct{})
	a2 := start(t, cfg, map[string]*scriptPrinter{"zebra": sp2})
	held := waitState(t, a2, j.ID, apitype.StateFailed)
	if !strings.Contains(held.LastError, "may have printed") || len(sp2.got()) != 0 {
		t.Fatalf("half-sent job after the restart: %q, %d writes", held.LastError, len(sp2.got()))
	}
	j2 := submit(t, a2, apitype.SubmitRequest{Payload: zplLabel(2)})
	<-sp2.started
	go func() { time.Sleep(20 * time.Millisecond); close(sp2.block) }()
	if err := a2.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, _ = store.Open(dir)
	got, _ = st.Get(j2.ID)
	st.Close()
	if got.State != apitype.StateDone || got.Sending != nil {
		t.Fatalf("job finished during stop is %s (sending %+v)", got.State, got.Sending)
	}
}

func TestBadSubmissionsAreRefusedClearly(t *testing.T) {
	a := start(t, testConfig(t, t.TempDir()), map[string]*scriptPrinter{"zebra": newScript()})
	big := bytes.Repeat([]byte("^XA"), 64<<10)
	cases := []struct {
		name string
		req  apitype.SubmitRequest
		err  error
		msg  string
	}{
		{"unknown printer", apitype.SubmitRequest{Printer: "nope", Kind: apitype.KindZPL, Payload: zplLabel(1)}, agent.ErrUnknownPrinter, `"nope" (configured: zebra, file)`},
		{"empty payload", apitype.SubmitRequest{Kind: apitype.KindZPL}, agent.ErrInvalid, "label is empty"},
		{"too large", apitype.SubmitRequest{Kind: apitype.KindZPL, Payload: big}, agent.ErrTooLarge, "jobs.max_payload"},
		{"bad kind", apitype.SubmitRequest{Kind: "docx", Payload: []byte("x")}, agent.ErrInvalid, `kind "docx"`},
		{"negative copies", apitype.SubmitRequest{Kind: apitype.KindZPL, Payload: zplLabel(1), Copies: -1}, agent.ErrInvalid, "copies -1"},
		{"too many copies", apitype.SubmitRequest{Kind: apitype.KindZPL, Payload: zplLabel(1), Copies: 1000}, agent.ErrInvalid, "max_copies"},
		{"not a pdf", apitype.SubmitRequest{Kind: apitype.KindPDF, Payload: []byte("hello")}, agent.ErrInvalid, "not a PDF"},
		{"not a png", apitype.SubmitRequest{Kind: apitype.KindPNG, Payload: []byte("\x89PNG\r\n\x1a\nbroken")}, agent.ErrInvalid, "not a PNG"},
		{"not zpl", apitype.SubmitRequest{Kind: apitype.KindZPL, Payload: []byte("Dear customer")}, agent.ErrInvalid, "not ZPL"},
		{"long key", apitype.SubmitRequest{Kind: apitype.KindZPL, Payload: zplLabel(1), IdempotencyKey: strings.Repeat("k", 201)}, agent.ErrInvalid, "idempotency key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := a.Submit(context.Background(), c.req)
			if !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("err = %v, want %v mentioning %q", err, c.err, c.msg)
			}
		})
	}
	jobs, err := a.Jobs(agent.JobFilter{})
	if err != nil || len(jobs) != 0 {
		t.Fatalf("refused submissions left %d jobs (%v)", len(jobs), err)
	}
}

func TestKindIsDetectedWhenMissing(t *testing.T) {
	sp := newScript()
	a := start(t, testConfig(t, t.TempDir()), map[string]*scriptPrinter{"zebra": sp})
	j, _, err := a.Submit(context.Background(), apitype.SubmitRequest{Payload: zplLabel(1)})
	if err != nil || j.Kind != apitype.KindZPL {
		t.Fatalf("kind %s err %v", j.Kind, err)
	}
	j, _, err = a.Submit(context.Background(), apitype.SubmitRequest{Payload: []byte{0x1b, 'A'}})
	if err != nil || j.Kind != apitype.KindRaw {
		t.Fatalf("kind %s err %v", j.Kind, err)
	}
}

func TestOldFinishedJobsArePrunedWithTheirPayloadsAndKeys(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	cfg.Jobs.Retention = time.Hour
	var mu sync.Mutex
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	sp := newScript()
	a := start(t, cfg, map[string]*scriptPrinter{"zebra": sp}, func(o *agent.Options) { o.Now = clock })
	old := submit(t, a, apitype.SubmitRequest{Payload: zplLabel(1), IdempotencyKey: "old"})
	waitState(t, a, old.ID, apitype.StateDone)
	if _, err := a.PausePrinter("zebra"); err != nil {
		t.Fatal(err)
	}
	waiting := submit(t, a, apitype.SubmitRequest{Payload: zplLabel(2)})

	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()
	recent := submit(t, a, apitype.SubmitRequest{Printer: "file", Payload: zplLabel(3)})
	waitState(t, a, recent.ID, apitype.StateDone)
	a.Prune()

	if _, err := a.Job(old.ID); !errors.Is(err, agent.ErrNotFound) {
		t.Errorf("old finished job still there: %v", err)
	}
	if j, err := a.Job(waiting.ID); err != nil || j.State != apitype.StateQueued {
		t.Errorf("an unfinished job must never be pruned: %+v %v", j, err)
	}
	if _, err := a.Job(recent.ID); err != nil {
		t.Errorf("recent job pruned: %v", err)
	}
	st, _ := a.Store().Stats()
	if st.Jobs != 2 || st.Payloads != 2 || st.IdempotencyKeys != 0 {
		t.Errorf("store after pruning %+v, want 2 jobs, 2 payloads, 0 keys", st)
	}
	// The key is free again.
	again := submit(t, a, apitype.SubmitRequest{Payload: zplLabel(1), IdempotencyKey: "old"})
	if again.ID == old.ID {
		t.Error("pruned key still returned the pruned job")
	}
}

func TestListFiltersAndPages(t *testing.T) {
	a := start(t, testConfig(t, t.TempDir()), map[string]*scriptPrinter{"zebra": newScript()})
	if _, err := a.PausePrinter("zebra"); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 5 {
		ids = append(ids, submit(t, a, apitype.SubmitRequest{Payload: zplLabel(i)}).ID)
	}
	f := submit(t, a, apitype.SubmitRequest{Printer: "file", Payload: zplLabel(9)})
	waitState(t, a, f.ID, apitype.StateDone)
	page, err := a.Jobs(agent.JobFilter{Printer: "zebra", Limit: 2})
	if err != nil || len(page) != 2 || page[0].ID != ids[4] || page[1].ID != ids[3] {
		t.Fatalf("first page %+v %v", page, err)
	}
	page, _ = a.Jobs(agent.JobFilter{Printer: "zebra", Limit: 10, Before: ids[3]})
	var got []string
	for _, j := range page {
		got = append(got, j.ID)
	}
	sort.Strings(got)
	if fmt.Sprint(got) != fmt.Sprint(ids[:3]) {
		t.Fatalf("second page %v, want %v", got, ids[:3])
	}
	done, _ := a.Jobs(agent.JobFilter{State: apitype.StateDone})
	if len(done) != 1 || done[0].ID != f.ID {
		t.Fatalf("done filter %+v", done)
	}
	if _, err := a.Jobs(agent.JobFilter{State: "sleeping"}); !errors.Is(err, agent.ErrInvalid) {
		t.Errorf("bad state filter: %v", err)
	}
}

func TestConverterTroubleIsRetriedButBadInputFailsAtOnce(t *testing.T) {
	sp := newScript()
	var calls int
	var mu sync.Mutex
	prep := agent.PreparerFunc(func(ctx context.Context, kind apitype.Kind, p []byte, _ printer.ProfileConfig) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if bytes.Contains(p, []byte("broken")) {
			return nil, fmt.Errorf("%w: page 1 has no content stream", zpl.ErrBadInput)
		}
		if calls < 3 {
			return nil, fmt.Errorf("%w: out of memory", zpl.ErrRenderer)
		}
		return p, nil
	})
	a := start(t, testConfig(t, t.TempDir()), map[string]*scriptPrinter{"zebra": sp}, func(o *agent.Options) { o.Preparer = prep })
	j := submit(t, a, apitype.SubmitRequest{Payload: zplLabel(1)})
	done := waitState(t, a, j.ID, apitype.StateDone)
	if done.Attempts != 3 || !strings.Contains(fmt.Sprint(done.History), "PDF renderer unavailable") {
		t.Errorf("renderer trouble: attempts %d, history %+v", done.Attempts, done.History)
	}
	bad := submit(t, a, apitype.SubmitRequest{Payload: []byte("^XA broken ^XZ")})
	failed := waitState(t, a, bad.ID, apitype.StateFailed)
	if failed.Attempts != 0 || !strings.Contains(failed.LastError, "no content stream") {
		t.Errorf("bad input: attempts %d, error %q", failed.Attempts, failed.LastError)
	}
}
