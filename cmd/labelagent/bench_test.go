package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/printer/emulator"
)

// BenchmarkAgentDurableSubmit measures acknowledged (fsynced) submissions
// per second through the control API of the real binary, 8 clients at once,
// with the printer paused so that only acceptance is measured.
func BenchmarkAgentDurableSubmit(b *testing.B) {
	e := newE2E(b, "")
	e.start()
	if _, err := e.cl.PausePrinter(context.Background(), "desk"); err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	b.SetParallelism(4) // 4 x GOMAXPROCS(2) = 8 clients
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(n.Add(1))
			if _, err := e.cl.Submit(context.Background(), apitype.SubmitRequest{Kind: apitype.KindZPL, Payload: label(i)}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
}

// BenchmarkAgentLatency measures the agent's own latency: from the moment a
// client sends a job to the moment its last byte reaches a network printer
// (the emulator timestamps ^XZ), one job at a time, fsync included. It also
// reports the idle agent's resident memory. Run with -benchtime 1x: each
// run sends 500 jobs.
func BenchmarkAgentLatency(b *testing.B) {
	em := emulator.New(emulator.Options{})
	defer em.Close()
	addr, err := em.ListenTCP("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	e := newE2E(b, fmt.Sprintf("  - name: zebra\n    transport: tcp\n    tcp: {address: %q}\n", addr.String()))
	e.start()
	time.Sleep(2 * time.Second) // settle, then read the idle footprint
	rss := residentMB(b, e.proc.cmd.Process.Pid)

	const jobs = 500
	var lat []time.Duration
	b.ResetTimer()
	for range b.N {
		for i := range jobs {
			want := len(em.Labels()) + 1
			t0 := time.Now()
			if _, err := e.cl.Submit(context.Background(), apitype.SubmitRequest{Printer: "zebra", Kind: apitype.KindZPL, Payload: label(i)}); err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			got, err := em.WaitLabels(ctx, want)
			cancel()
			if err != nil {
				b.Fatal(err)
			}
			lat = append(lat, got[want-1].Received.Sub(t0))
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(rss, "idle-RSS-MB")
}

func residentMB(tb testing.TB, pid int) float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Skipf("no /proc here: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return float64(kb) / 1024
		}
	}
	tb.Fatal("VmRSS not found")
	return 0
}
