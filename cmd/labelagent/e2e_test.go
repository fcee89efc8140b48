package main

// End-to-end tests: they build the real binary, start it as a user or the
// service would, and talk to it over its control API and its CLI.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
)

var builtBinary struct {
	once sync.Once
	path string
	err  error
}

// binary builds cmd/labelagent once per test run.
func binary(tb testing.TB) string {
	tb.Helper()
	builtBinary.once.Do(func() {
		dir, err := os.MkdirTemp("", "labelagent-e2e-")
		if err != nil {
			builtBinary.err = err
			return
		}
		builtBinary.path = filepath.Join(dir, "labelagent")
		out, err := exec.Command("go", "build", "-tags", "crashhook", "-o", builtBinary.path, ".").CombinedOutput()
		if err != nil {
			builtBinary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if builtBinary.err != nil {
		tb.Fatal(builtBinary.err)
	}
	return builtBinary.path
}

func TestMain(m *testing.M) {
	// Dates print in local time; the golden files are in UTC. time.Local
	// cannot be set safely here (package init of imported libraries, e.g.
	// nats-server's process stats, already runs goroutines that read it:
	// -race says so), so the tests run in a child with TZ=UTC instead.
	if os.Getenv("TZ") != "UTC" {
		cmd := exec.Command(os.Args[0], os.Args[1:]...)
		cmd.Env = append(os.Environ(), "TZ=UTC")
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				os.Exit(ee.ExitCode())
			}
			fmt.Fprintln(os.Stderr, "running the tests with TZ=UTC:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	code := m.Run()
	if builtBinary.path != "" {
		os.RemoveAll(filepath.Dir(builtBinary.path))
	}
	os.Exit(code)
}

func freeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// syncBuffer collects a running process's output; tests read it while
// the process still writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// agentProc is one running `labelagent run`.
type agentProc struct {
	cmd    *exec.Cmd
	out    *syncBuffer
	exited chan struct{}
}

type e2e struct {
	tb      testing.TB
	bin     string
	dir     string
	cfgPath string
	addr    string
	out     string
	proc    *agentProc
	cl      *client.Client
	env     []string // extra environment of the agent (e.g. LABELAGENT_CRASH_AT)
}

func newE2E(tb testing.TB, extraPrinters string) *e2e {
	tb.Helper()
	dir := tb.TempDir()
	e := &e2e{tb: tb, bin: binary(tb), dir: dir, addr: freeAddr(tb), out: filepath.Join(dir, "labels")}
	e.cfgPath = filepath.Join(dir, "config.yaml")
	cfg := fmt.Sprintf(`listen: %s
data_dir: %s
log: {level: info}
jobs: {retry_initial: 20ms, retry_max: 200ms}
default_printer: desk
printers:
  - name: desk
    transport: file
    file: {dir: %s}
%s`, e.addr, filepath.Join(dir, "data"), e.out, extraPrinters)
	if err := os.WriteFile(e.cfgPath, []byte(cfg), 0o600); err != nil {
		tb.Fatal(err)
	}
	e.cl = &client.Client{Addr: e.addr, DataDir: filepath.Join(dir, "data")}
	tb.Cleanup(func() {
		if e.proc != nil {
			e.proc.cmd.Process.Kill()
			<-e.proc.exited
		}
	})
	return e
}

func (e *e2e) start() {
	e.tb.Helper()
	cmd := exec.Command(e.bin, "run", "--config", e.cfgPath)
	if len(e.env) > 0 {
		cmd.Env = append(os.Environ(), e.env...)
	}
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		e.tb.Fatal(err)
	}
	p := &agentProc{cmd: cmd, out: out, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(p.exited) }()
	e.proc = p
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := e.cl.Health(ctx)
		cancel()
		if err == nil {
			return
		}
		select {
		case <-p.exited:
			e.tb.Fatalf("agent exited at start: %s", out)
		default:
		}
		if time.Now().After(deadline) {
			e.tb.Fatalf("agent did not answer: %v\n%s", err, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *e2e) kill() {
	e.tb.Helper()
	if err := e.proc.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		e.tb.Fatal(err)
	}
	<-e.proc.exited
	e.proc = nil
}

func (e *e2e) cli(args ...string) (string, int) {
	e.tb.Helper()
	cmd := exec.Command(e.bin, append([]string{"--addr", e.addr, "--data-dir", filepath.Join(e.dir, "data")}, args...)...)
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8") // English, whatever the machine's language (tests of German say --lang de)
	out, err := cmd.CombinedOutput()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		e.tb.Fatal(err)
	}
	return string(out), code
}

func label(i int) []byte {
	return []byte(fmt.Sprintf("^XA^PW823^LL1590^MNY^FO40,40^A0N,40,40^FDJOB-%04d^FS^BY3^FO40,120^BCN,120,Y,N,N^FD%010d^FS^XZ\n", i, i))
}

var reJobMarker = regexp.MustCompile(`JOB-(\d{4})`)

// printedCounts reads the file printer's output: how often each job's label came out.
func printedCounts(tb testing.TB, dir string) map[string]int {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.prn"))
	if err != nil {
		tb.Fatal(err)
	}
	counts := map[string]int{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		for _, m := range reJobMarker.FindAllSubmatch(data, -1) {
			counts[string(m[1])]++
		}
	}
	return counts
}

// TestCrashSafetyUnderSIGKILL submits 500 jobs while the agent is killed
// with SIGKILL three times. Every acknowledged job must end done; a job may
// come out twice only if the agent was printing it when it was killed.
func TestCrashSafetyUnderSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end crash test skipped in -short mode")
	}
	const jobs, workers = 500, 4
	e := newE2E(t, "")
	e.start()
	killAt := []int{120, 250, 380}

	var (
		mu    sync.Mutex
		acked = map[int]string{} // job number → id
		// Submissions the client has started and not yet heard back from:
		// the killer kills only while there is one, so answers get lost.
		pending     atomic.Int32
		resubmitted atomic.Int32 // acknowledged only after an earlier try of the same job failed
		existing    atomic.Int32 // …and the answer said the first try had been stored (its answer was lost)
		lost        atomic.Int32 // tries that failed after the request went out (not refused)
	)
	next := make(chan int)
	go func() {
		for i := range jobs {
			next <- i
		}
		close(next)
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				for attempt := 0; ; attempt++ {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					pending.Add(1)
					resp, err := e.cl.Submit(ctx, apitype.SubmitRequest{Kind: apitype.KindZPL, Payload: label(i), IdempotencyKey: fmt.Sprintf("order-%04d", i)})
					pending.Add(-1)
					cancel()
					if err == nil {
						if attempt > 0 {
							resubmitted.Add(1)
							if resp.Existing {
								existing.Add(1)
							}
						}
						mu.Lock()
						if prev, ok := acked[i]; ok && prev != resp.Job.ID {
							t.Errorf("job %d acknowledged twice with different ids %s and %s", i, prev, resp.Job.ID)
						}
						acked[i] = resp.Job.ID
						mu.Unlock()
						break
					}
					var nr *client.NotRunningError
					if !errors.As(err, &nr) {
						lost.Add(1)
					}
					// The agent died under us: the answer was lost, so send again
					// with the same key once it is back.
					if attempt > 500 {
						t.Errorf("job %d: %v", i, err)
						return
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
		}()
	}
	// The killer: at each mark, SIGKILL the agent while a submission is
	// on its way, then start it again; the submitters keep going.
	kills := 0
	for _, at := range killAt {
		deadline := time.Now().Add(time.Minute)
		for {
			mu.Lock()
			n := len(acked)
			mu.Unlock()
			if n >= at && pending.Load() > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("kill at %d: %d acknowledged, %d in flight", at, n, pending.Load())
			}
			time.Sleep(100 * time.Microsecond)
		}
		e.kill()
		kills++
		e.start()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if kills < 3 {
		t.Fatalf("only %d kills happened", kills)
	}
	// The lost-answer path ran: submissions that failed at a kill were sent
	// again with their key and acknowledged (as the stored job where the
	// first try had got in).
	if resubmitted.Load() == 0 {
		t.Fatalf("no submission had to be sent again across %d kills: the kills did not hit submissions in flight", kills)
	}
	t.Logf("%d tries lost at a kill, %d jobs acknowledged on a later try, %d of them as the job the lost try had stored", lost.Load(), resubmitted.Load(), existing.Load())
	if len(acked) != jobs {
		t.Fatalf("%d jobs acknowledged, want %d", len(acked), jobs)
	}

	// Every acknowledged job ends done.
	deadline := time.Now().Add(2 * time.Minute)
	var all []apitype.Job
	for {
		var err error
		all, err = e.cl.Jobs(context.Background(), client.JobsQuery{Limit: 10000})
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, j := range all {
			if j.State == apitype.StateDone {
				done++
			}
		}
		if done == jobs {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d jobs done after the kills", done, jobs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(all) != jobs {
		t.Fatalf("the store holds %d jobs, want %d: an idempotent resubmission made a second job", len(all), jobs)
	}

	// Which jobs were being printed at a kill: the agent says so in their history.
	inFlight := map[string]bool{}
	for i, id := range acked {
		j, err := e.cl.Job(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range j.History {
			if strings.Contains(h.Note, "stopped while this job was printing") || strings.Contains(h.Note, "stopped while sending this job") {
				inFlight[fmt.Sprintf("%04d", i)] = true
			}
		}
	}
	counts := printedCounts(t, e.out)
	dupes := 0
	for i := range jobs {
		k := fmt.Sprintf("%04d", i)
		switch n := counts[k]; {
		case n == 0:
			t.Errorf("acknowledged job %s never printed", k)
		case n > 1 && !inFlight[k]:
			t.Errorf("job %s printed %d times but was not in flight at a kill", k, n)
		case n > 2:
			t.Errorf("job %s printed %d times", k, n)
		case n == 2:
			dupes++
		}
	}
	if len(inFlight) > kills {
		t.Errorf("%d jobs in flight across %d kills: one printer prints one job at a time", len(inFlight), kills)
	}
	leftovers, _ := filepath.Glob(filepath.Join(e.out, ".writing-*"))
	t.Logf("%d kills, %d jobs in flight at a kill, %d printed twice, %d partial files left", kills, len(inFlight), dupes, len(leftovers))
}

func TestCLIAgainstTheRunningAgent(t *testing.T) {
	e := newE2E(t, "")
	e.start()
	f := filepath.Join(e.dir, "label.zpl")
	os.WriteFile(f, label(1), 0o600)

	out, code := e.cli("print", "--wait", "--name", "order 4711", f)
	if code != 0 || !strings.Contains(out, "printed") {
		t.Fatalf("print --wait: %d %s", code, out)
	}
	out, code = e.cli("jobs", "list")
	if code != 0 || !strings.Contains(out, "done") || !strings.Contains(out, "order 4711") {
		t.Fatalf("jobs list: %d %s", code, out)
	}
	out, code = e.cli("jobs", "show", "1")
	if code != 0 || !strings.Contains(out, "history:") {
		t.Fatalf("jobs show: %d %s", code, out)
	}
	out, code = e.cli("printers")
	if code != 0 || !strings.Contains(out, "desk (default)") || !strings.Contains(out, "ready") {
		t.Fatalf("printers: %d %s", code, out)
	}
	if c := printedCounts(t, e.out); c["0001"] != 1 {
		t.Fatalf("printed %v", c)
	}

	// Bad input: clear messages, non-zero exits, nothing stored.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"print", "--printer", "nope", f}, `there is no printer "nope" (configured: desk)`},
		{[]string{"print", "--kind", "pdf", f}, "not a PDF"},
		{[]string{"print", "/does/not/exist.zpl"}, "no such file"},
		{[]string{"jobs", "show", "999"}, "there is no job 999"},
		{[]string{"jobs", "cancel", "1"}, "already done"},
		{[]string{"printers", "pause", "nope"}, `there is no printer "nope"`},
	} {
		out, code := e.cli(c.args...)
		if code == 0 || !strings.Contains(out, c.want) {
			t.Errorf("labelagent %v: exit %d, output %q; want failure mentioning %q", c.args, code, out, c.want)
		}
	}
	if jobs, _ := e.cl.Jobs(context.Background(), client.JobsQuery{}); len(jobs) != 1 {
		t.Errorf("%d jobs after refused submissions, want 1", len(jobs))
	}

	// A wrong key file: refused with a hint.
	bad := filepath.Join(e.dir, "other")
	os.MkdirAll(bad, 0o700)
	os.WriteFile(filepath.Join(bad, "api.key"), []byte("wrong\n"), 0o600)
	cmd := exec.Command(e.bin, "--addr", e.addr, "--data-dir", bad, "jobs", "list")
	o, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(o), "API key") {
		t.Errorf("wrong key: %v %s", err, o)
	}

	// A second agent on the same data directory refuses to start.
	second := exec.Command(e.bin, "run", "--config", e.cfgPath)
	o, err = second.CombinedOutput()
	if err == nil || !strings.Contains(string(o), "already running") {
		t.Errorf("second agent: %v %s", err, o)
	}

	// SIGTERM stops it cleanly.
	e.proc.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-e.proc.exited:
	case <-time.After(20 * time.Second):
		t.Fatal("agent did not stop on SIGTERM")
	}
	if code := e.proc.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d after SIGTERM: %s", code, e.proc.out)
	}
	e.proc = nil
	out, code = e.cli("jobs", "list")
	if code == 0 || !strings.Contains(out, "not running") {
		t.Errorf("CLI with the agent stopped: %d %s", code, out)
	}
}

func TestConfigCheck(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("printers:\n  - {name: z, transport: tcp, tcp: {address: '127.0.0.1:9100'}, profile: {dpi: 300, label: 910-300-600}}\n"), 0o600)
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("listen: 0.0.0.0:80\nprinterz: []\nprinters:\n  - {name: z, transport: tcp}\n  - {name: s, transport: serial, serial: {device: /dev/ttyS0, baud: 12345}}\n  - {name: f, transport: file, profile: {label: 5x5parsec}}\n"), 0o600)

	out, err := exec.Command(bin, "config", "check", good).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "is valid") {
		t.Fatalf("good config: %v %s", err, out)
	}
	out, err = exec.Command(bin, "config", "check", bad).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "bad.yaml:2: printerz: unknown key") {
		t.Fatalf("config with unknown key: %v %s", err, out)
	}
	os.WriteFile(bad, []byte("listen: 0.0.0.0:80\nprinters:\n  - {name: z, transport: tcp}\n  - {name: s, transport: serial, serial: {device: /dev/ttyS0, baud: 12345}}\n  - {name: f, transport: file, profile: {label: 5x5parsec}}\n"), 0o600)
	out, err = exec.Command(bin, "config", "check", bad).CombinedOutput()
	for _, want := range []string{"not a loopback", "tcp.address", "12345", "5x5parsec"} {
		if err == nil || !strings.Contains(string(out), want) {
			t.Errorf("config check should fail mentioning %q: %v %s", want, err, out)
		}
	}
}
