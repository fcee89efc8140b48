package tcp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/printer/emulator"
	"github.com/labelagent/labelagent/printer/internal/link"
	"github.com/labelagent/labelagent/printer/tcp"
)

func setup(t testing.TB, mod func(*printer.Config)) (*emulator.Emulator, *tcp.Printer) {
	t.Helper()
	e := emulator.New(emulator.Options{})
	addr, err := e.ListenTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := printer.Config{Name: "zebra", Transport: "tcp", TCP: printer.TCPConfig{Address: addr.String()}}
	if mod != nil {
		mod(&cfg)
	}
	p, err := tcp.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(); e.Close() })
	return e, p
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// label makes a format with a body of n pseudo-random printable bytes, so
// that a lost, doubled or reordered chunk shows.
func label(i, n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "^XA^FDjob %d^FS^GFA,%d,%d,1,", i, n, n)
	x := uint32(i*7919 + 1)
	for j := 0; j < n; j++ {
		x = x*1664525 + 1013904223
		b.WriteByte("0123456789ABCDEF"[x>>28])
	}
	b.WriteString("^XZ")
	return b.Bytes()
}

func TestBytesArriveIntactAndInOrder(t *testing.T) {
	e, p := setup(t, nil)
	ctx := testCtx(t)
	var jobs [][]byte
	for i := 0; i < 20; i++ {
		job := label(i, 1+i*20000) // up to 380 KB: several chunks each
		jobs = append(jobs, job)
		if err := p.Write(ctx, job); err != nil {
			t.Fatalf("job %d: %v", i, err)
		}
	}
	labels, err := e.WaitLabels(ctx, len(jobs))
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range labels {
		if !bytes.Equal(l.Data, jobs[i]) {
			t.Fatalf("label %d differs from job %d (%d vs %d bytes)", i, i, len(l.Data), len(jobs[i]))
		}
	}
}

func TestStatusEveryFault(t *testing.T) {
	e, p := setup(t, nil)
	ctx := testCtx(t)
	tests := []struct {
		faults emulator.Faults
		state  printer.State
	}{
		{emulator.Faults{}, printer.StateReady},
		{emulator.Faults{PaperOut: true}, printer.StatePaperOut},
		{emulator.Faults{HeadOpen: true}, printer.StateHeadOpen},
		{emulator.Faults{RibbonOut: true}, printer.StateRibbonOut},
		{emulator.Faults{Paused: true}, printer.StatePaused},
		{emulator.Faults{PaperOut: true, Paused: true}, printer.StatePaperOut},
	}
	for _, tt := range tests {
		e.SetFaults(tt.faults)
		st, err := p.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.State != tt.state || st.CanPrint() != (tt.state == printer.StateReady) {
			t.Errorf("faults %+v: status %+v, want %s", tt.faults, st, tt.state)
		}
	}
}

func TestDisconnectMidJobFailsThenRecovers(t *testing.T) {
	e, p := setup(t, nil)
	ctx := testCtx(t)
	job := label(1, 200000)
	e.DisconnectAfter(1000)
	err := p.Write(ctx, job)
	if err == nil {
		t.Fatal("a job cut off in the middle was reported as sent")
	}
	if !strings.Contains(err.Error(), `printer "zebra"`) {
		t.Fatalf("error does not name the printer: %v", err)
	}
	if err := p.Write(ctx, job); err != nil {
		t.Fatalf("next attempt: %v", err)
	}
	labels, err := e.WaitLabels(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) != 1 || !bytes.Equal(labels[0].Data, job) {
		t.Fatalf("%d labels", len(labels))
	}
}

func TestReconnectAfterPrinterClosedIdleConnection(t *testing.T) {
	e := emulator.New(emulator.Options{})
	addr, err := e.ListenTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p, _ := tcp.New(printer.Config{Name: "zebra", TCP: printer.TCPConfig{Address: addr.String()}}, nil)
	defer p.Close()
	ctx := testCtx(t)
	if err := p.Write(ctx, label(1, 10)); err != nil {
		t.Fatal(err)
	}
	// The printer restarts: every connection is gone, it listens again.
	e.Close()
	e2 := emulator.New(emulator.Options{})
	defer e2.Close()
	if _, err := e2.ListenTCP(addr.String()); err != nil {
		t.Skipf("port not reusable at once: %v", err)
	}
	time.Sleep(50 * time.Millisecond) // let the reader see the close
	if err := p.Write(ctx, label(2, 10)); err != nil {
		t.Fatalf("write after printer restart: %v", err)
	}
	if _, err := e2.WaitLabels(ctx, 1); err != nil {
		t.Fatal(err)
	}
}

func TestStalledPrinterTimesOutWithoutLeak(t *testing.T) {
	e, p := setup(t, func(c *printer.Config) { c.TCP.WriteTimeout = 300 * time.Millisecond })
	ctx := testCtx(t)
	if err := p.Open(ctx); err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	e.SetStopReading(true)
	t0 := time.Now()
	err := p.Write(ctx, make([]byte, 64<<20))
	if !errors.Is(err, link.ErrStalled) || !strings.Contains(err.Error(), "printer stopped taking data for 300ms") {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(t0); d > 10*time.Second {
		t.Fatalf("took %v", d)
	}
	t.Log(err)
	p.Close()
	e.SetStopReading(false)
	waitGoroutines(t, before)
}

// waitGoroutines polls until no more goroutines run than before (the
// reader of the closed connection needs a moment to notice).
func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSlowPrinterIsNotAStall(t *testing.T) {
	e, p := setup(t, func(c *printer.Config) { c.TCP.WriteTimeout = 500 * time.Millisecond })
	e.SetBytesPerSecond(1 << 20)
	// 2 s of transfer, four times the write timeout.
	job := label(1, 2<<20)
	if err := p.Write(testCtx(t), job); err != nil {
		t.Fatalf("slow but moving printer: %v", err)
	}
}

func TestCancelStopsPromptly(t *testing.T) {
	e, p := setup(t, nil)
	e.SetStopReading(true)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	err := p.Write(ctx, make([]byte, 64<<20))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Fatalf("cancel took %v", d)
	}
}

func TestUnreachablePrinterIsOffline(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	p, _ := tcp.New(printer.Config{Name: "gone", TCP: printer.TCPConfig{Address: addr}}, nil)
	st, err := p.Status(testCtx(t))
	if err == nil || st.State != printer.StateOffline || !strings.Contains(st.Detail, "refused") {
		t.Fatalf("%+v %v", st, err)
	}
	if err := p.Write(testCtx(t), []byte("^XA^XZ")); err == nil || !strings.Contains(err.Error(), `printer "gone": connect to`) {
		t.Fatalf("%v", err)
	}
}

// BenchmarkThroughput measures bytes per second into the emulator over
// loopback (no throttle): the transport's own ceiling.
func BenchmarkThroughput(b *testing.B) {
	e, p := setup(b, nil)
	job := label(1, 1<<20)
	ctx := context.Background()
	b.SetBytes(int64(len(job)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := p.Write(ctx, job); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := e.WaitLabels(ctx, b.N); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkLineRate throttles the emulator to a 10 Mbit/s line (1.25 MB/s)
// and reports the achieved fraction of it.
func BenchmarkLineRate(b *testing.B) {
	const rate = 10_000_000 / 8
	e, p := setup(b, nil)
	e.SetBytesPerSecond(rate)
	job := label(1, 256<<10)
	ctx := context.Background()
	b.SetBytes(int64(len(job)))
	b.ResetTimer()
	t0 := time.Now()
	for i := 0; i < b.N; i++ {
		if err := p.Write(ctx, job); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := e.WaitLabels(ctx, b.N); err != nil {
		b.Fatal(err)
	}
	got := float64(b.N*len(job)) / time.Since(t0).Seconds()
	b.ReportMetric(got/rate*100, "%line")
}

func TestSilentPrinter(t *testing.T) {
	e, p := setup(t, func(c *printer.Config) { c.TCP.StatusTimeout = 200 * time.Millisecond })
	ctx := testCtx(t)
	if st, err := p.Status(ctx); err != nil || st.State != printer.StateReady {
		t.Fatalf("%+v %v", st, err)
	}
	// It answered before: silence now means it cannot take a job.
	e.SetStopReading(true)
	st, err := p.Status(ctx)
	if err == nil || st.State != printer.StateOffline || st.CanPrint() {
		t.Fatalf("%+v %v", st, err)
	}
	e.SetStopReading(false)
	if st, err := p.Status(ctx); err != nil || st.State != printer.StateReady {
		t.Fatalf("after it reads again: %+v %v", st, err)
	}

	// A printer that never answers ~HS (not ZPL) is unknown, which does not hold jobs.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 1024)
				for {
					if _, err := c.Read(buf); err != nil {
						return
					}
				}
			}()
		}
	}()
	mute, _ := tcp.New(printer.Config{Name: "mute", TCP: printer.TCPConfig{Address: ln.Addr().String(), StatusTimeout: 200 * time.Millisecond}}, nil)
	defer mute.Close()
	st, err = mute.Status(ctx)
	if !errors.Is(err, printer.ErrNoStatus) || st.State != printer.StateUnknown || !st.CanPrint() {
		t.Fatalf("%+v %v", st, err)
	}
}
