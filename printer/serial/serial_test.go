package serial_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/printer/emulator"
	"github.com/labelagent/labelagent/printer/internal/link"
	"github.com/labelagent/labelagent/printer/serial"
)

func setup(t testing.TB, mod func(*printer.Config)) (*emulator.Emulator, *serial.Printer) {
	t.Helper()
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("the serial emulator needs pseudo-terminals")
	}
	e := emulator.New(emulator.Options{})
	dev, err := e.OpenPTY(filepath.Join(t.TempDir(), "ttyPrinter"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := printer.Config{Name: "zebra-serial", Transport: "serial",
		Serial: printer.SerialConfig{Device: dev, Baud: 115200}}
	if mod != nil {
		mod(&cfg)
	}
	p, err := serial.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(); e.Close() })
	return e, p
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func label(i, n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "^XA^FDjob %d^FS^GFA,%d,%d,1,", i, n, n)
	x := uint32(i*7919 + 1)
	for j := 0; j < n; j++ {
		x = x*1664525 + 1013904223
		b.WriteByte("0123456789ABCDEF\r\n\x00\x11\x13\xff"[x>>27%22])
	}
	b.WriteString("^XZ")
	return b.Bytes()
}

func TestBytesArriveIntactAndInOrder(t *testing.T) {
	e, p := setup(t, nil)
	ctx := testCtx(t)
	var jobs [][]byte
	for i := 0; i < 10; i++ {
		job := label(i, 1+i*30000)
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

func TestLineSettings(t *testing.T) {
	// 8E2 with RTS/CTS (set through termios): the port opens with these
	// settings (a PTY accepts them) and bytes still pass.
	e, p := setup(t, func(c *printer.Config) {
		c.Serial.DataBits, c.Serial.Parity, c.Serial.StopBits, c.Serial.Flow = 8, "even", "2", "rtscts"
	})
	if err := p.Write(testCtx(t), []byte("^XA^FDsettings^XZ")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.WaitLabels(testCtx(t), 1); err != nil {
		t.Fatal(err)
	}
}

func TestStatusEveryFault(t *testing.T) {
	e, p := setup(t, nil)
	ctx := testCtx(t)
	for _, tt := range []struct {
		faults emulator.Faults
		state  printer.State
	}{
		{emulator.Faults{}, printer.StateReady},
		{emulator.Faults{PaperOut: true}, printer.StatePaperOut},
		{emulator.Faults{HeadOpen: true}, printer.StateHeadOpen},
		{emulator.Faults{RibbonOut: true}, printer.StateRibbonOut},
		{emulator.Faults{Paused: true}, printer.StatePaused},
		{emulator.Faults{HeadOpen: true, RibbonOut: true}, printer.StateHeadOpen},
	} {
		e.SetFaults(tt.faults)
		st, err := p.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.State != tt.state {
			t.Errorf("faults %+v: %+v, want %s", tt.faults, st, tt.state)
		}
	}
}

func TestDisconnectMidJobFailsThenRecovers(t *testing.T) {
	e, p := setup(t, nil)
	ctx := testCtx(t)
	job := label(1, 100000)
	e.DisconnectAfter(2000)
	err := p.Write(ctx, job)
	if err == nil {
		t.Fatal("a job cut off in the middle was reported as sent")
	}
	t.Log(err)
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

func TestStalledPrinterTimesOutWithoutLeak(t *testing.T) {
	e, p := setup(t, func(c *printer.Config) { c.Serial.WriteTimeout = 300 * time.Millisecond })
	ctx := testCtx(t)
	if err := p.Open(ctx); err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	e.SetStopReading(true)
	err := p.Write(ctx, make([]byte, 1<<20))
	if !errors.Is(err, link.ErrStalled) || !strings.Contains(err.Error(), `printer "zebra-serial"`) {
		t.Fatalf("err = %v", err)
	}
	t.Log(err)
	p.Close()
	e.SetStopReading(false)
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before-1 { // -1: the port's reader ended with Close
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSlowBaudIsNotAStall(t *testing.T) {
	e, p := setup(t, func(c *printer.Config) { c.Serial.Baud, c.Serial.WriteTimeout = 9600, 300*time.Millisecond })
	e.SetBaud(9600, 10)
	job := label(1, 1500) // about 1.6 s at 960 bytes/s: five write timeouts
	t0 := time.Now()
	if err := p.Write(testCtx(t), job); err != nil {
		t.Fatalf("slow but moving printer: %v", err)
	}
	if d := time.Since(t0); d < time.Second {
		t.Fatalf("1.5 KB at 9600 baud took only %v: the throttle does not work", d)
	}
}

func TestMissingDevice(t *testing.T) {
	p, err := serial.New(printer.Config{Name: "nope", Serial: printer.SerialConfig{Device: "/dev/does-not-exist"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := p.Status(testCtx(t))
	if err == nil || st.State != printer.StateOffline || !strings.Contains(err.Error(), `printer "nope": open serial port /dev/does-not-exist`) {
		t.Fatalf("%+v %v", st, err)
	}
}

func TestMode(t *testing.T) {
	for _, tt := range []struct {
		cfg  printer.SerialConfig
		want string
	}{
		{printer.SerialConfig{}, ""},
		{printer.SerialConfig{Parity: "even", StopBits: "2"}, ""},
		{printer.SerialConfig{Parity: "weird"}, `serial.parity "weird"`},
		{printer.SerialConfig{StopBits: "3"}, `serial.stop_bits "3"`},
	} {
		_, err := serial.Mode(tt.cfg)
		if (err == nil) != (tt.want == "") || err != nil && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v", tt.cfg, err)
		}
	}
}

// BenchmarkLineRate115200 sends labels through a PTY whose far end reads
// like a 115200 baud 8N1 line (11520 bytes/s) and reports the share of
// that line rate the transport achieves.
func BenchmarkLineRate115200(b *testing.B) {
	const rate = 115200 / 10
	e, p := setup(b, nil)
	e.SetBaud(115200, 10)
	job := label(1, 2*rate) // two seconds of line time per label
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

// BenchmarkThroughput is the PTY path without a throttle.
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

// XON/XOFF through the kernel: after the printer sends XOFF no more bytes
// reach it until XON, and the job then completes intact. With flow
// control off the same printer keeps receiving, which shows the check
// can fail.
func TestXonXoff(t *testing.T) {
	for _, flow := range []string{"xonxoff", "none"} {
		t.Run(flow, func(t *testing.T) {
			e, p := setup(t, func(c *printer.Config) { c.Serial.Flow = flow })
			e.SetBytesPerSecond(100_000)
			job := label(5, 300_000) // 3 s at that rate
			done := make(chan error, 1)
			go func() { done <- p.Write(testCtx(t), job) }()
			if err := e.WaitReceived(testCtx(t), 20_000); err != nil {
				t.Fatal(err)
			}
			e.SetXoff(true)
			time.Sleep(300 * time.Millisecond) // the few KiB already in the terminal buffers drain
			held := e.Received()
			time.Sleep(300 * time.Millisecond)
			moved := e.Received() - held
			e.SetXoff(false)
			if flow == "xonxoff" && moved > 0 {
				t.Fatalf("%d bytes arrived after XOFF", moved)
			}
			if flow == "none" && moved == 0 {
				t.Fatal("without flow control the sender should not have stopped")
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			labels, err := e.WaitLabels(testCtx(t), 1)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(labels[0].Data, job) {
				t.Fatal("label differs from the job")
			}
		})
	}
}
