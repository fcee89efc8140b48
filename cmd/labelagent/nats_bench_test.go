package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
)

// lastReceived waits for the label after the have labels printed so far
// and says when its ^XZ reached a printer.
func lastReceived(tb testing.TB, sts []natsStation, have int) time.Time {
	tb.Helper()
	waitLabelsOut(tb, sts, have+1, 10*time.Second)
	var last time.Time
	for _, s := range sts {
		if ls := s.em.Labels(); len(ls) > 0 && ls[len(ls)-1].Received.After(last) {
			last = ls[len(ls)-1].Received
		}
	}
	return last
}

func percentile(lat []time.Duration, p float64) float64 {
	s := slices.Clone(lat)
	slices.Sort(s)
	return float64(s[int(p*float64(len(s)-1))].Microseconds()) / 1000
}

// BenchmarkNATSPool measures jobs sent over NATS JetStream to real agents
// whose printers print at once (network printers, the emulator stamps the
// arrival of ^XZ): the latency from publish to the last byte at the
// printer, one job at a time, and the throughput of a burst of 400 jobs,
// for one station and for a pool of four (four agents on this machine: a
// CPU-bound figure, see BenchmarkNATSPoolPrinting for printers that take
// time). With one station it also measures the same agent's control API
// in between, so "what the stream adds" is read at the same machine load.
// Run with -benchtime 1x.
func BenchmarkNATSPool(b *testing.B) {
	for _, stations := range []int{1, 4} {
		b.Run(fmt.Sprintf("stations=%d", stations), func(b *testing.B) {
			sts, js := startNATSStations(b, natsServer(b).ClientURL(), make([]time.Duration, stations)...)
			const single, burst = 500, 400
			var lat, api []time.Duration
			sent := map[string]time.Time{} // job name → when it was sent
			b.ResetTimer()
			for range b.N {
				for i := range single {
					have := printedAll(sts)
					t0 := time.Now()
					sendPool(b, js, fmt.Sprint("b", stations), i)
					sent[fmt.Sprint("b", stations, "-", i)] = t0
					lat = append(lat, lastReceived(b, sts, have).Sub(t0))
					if stations == 1 { // the control API of the same agent, alternating
						have++
						t0 = time.Now()
						if _, err := sts[0].e.cl.Submit(context.Background(), apitype.SubmitRequest{Printer: "zebra", Kind: apitype.KindZPL, Payload: label(i), Name: fmt.Sprint("api-", i)}); err != nil {
							b.Fatal(err)
						}
						sent[fmt.Sprint("api-", i)] = t0
						api = append(api, lastReceived(b, sts, have).Sub(t0))
					}
				}
				// The way in alone, to the job's creation in the agent
				// (before its disk write and the printer): the stream's part
				// (publish, fetch, claim) against the control API's (HTTP).
				var in, apiIn []time.Duration
				for _, s := range sts {
					jobs, err := s.e.cl.Jobs(context.Background(), client.JobsQuery{Limit: 10000})
					if err != nil {
						b.Fatal(err)
					}
					for _, j := range jobs {
						if t0, ok := sent[j.Name]; ok {
							if strings.HasPrefix(j.Name, "api-") {
								apiIn = append(apiIn, j.Created.Sub(t0))
							} else {
								in = append(in, j.Created.Sub(t0))
							}
						}
					}
				}
				b.ReportMetric(percentile(in, 0.50), "in-p50-ms")
				b.ReportMetric(percentile(in, 0.99), "in-p99-ms")
				if len(apiIn) > 0 {
					b.ReportMetric(percentile(apiIn, 0.50), "api-in-p50-ms")
					b.ReportMetric(percentile(apiIn, 0.99), "api-in-p99-ms")
				}
				have := printedAll(sts)
				cpu0, disk0 := agentsCPU(b, sts), agentsWritten(b, sts)
				t0 := time.Now()
				for i := single; i < single+burst; i++ {
					sendPool(b, js, fmt.Sprint("b", stations), i)
				}
				waitLabelsOut(b, sts, have+burst, 120*time.Second)
				b.ReportMetric(float64(burst)/time.Since(t0).Seconds(), "jobs/s")
				b.ReportMetric(float64((agentsCPU(b, sts)-cpu0).Microseconds())/1000/burst, "agent-cpu-ms/job")
				b.ReportMetric(float64(agentsWritten(b, sts)-disk0)/1024/burst, "agent-disk-kB/job")
				if stations == 1 { // the same burst through the control API
					have, cpu0, disk0 = printedAll(sts), agentsCPU(b, sts), agentsWritten(b, sts)
					for i := range burst {
						if _, err := sts[0].e.cl.Submit(context.Background(), apitype.SubmitRequest{Printer: "zebra", Kind: apitype.KindZPL, Payload: label(i)}); err != nil {
							b.Fatal(err)
						}
					}
					waitLabelsOut(b, sts, have+burst, 120*time.Second)
					b.ReportMetric(float64((agentsCPU(b, sts)-cpu0).Microseconds())/1000/burst, "api-agent-cpu-ms/job")
					b.ReportMetric(float64(agentsWritten(b, sts)-disk0)/1024/burst, "api-agent-disk-kB/job")
				}
			}
			b.StopTimer()
			b.ReportMetric(percentile(lat, 0.50), "p50-ms")
			b.ReportMetric(percentile(lat, 0.99), "p99-ms")
			if len(api) > 0 {
				b.ReportMetric(percentile(api, 0.50), "api-p50-ms")
				b.ReportMetric(percentile(api, 0.99), "api-p99-ms")
			}
		})
	}
}

// zebraLabel is how long one bench label (^LL1590 at 203 dpi: 7.8 in, a
// DHL label's 199 mm) takes on a Zebra ZD421 at its 6 ips: 1.3 s.
const zebraLabel = time.Second * 1590 / 203 / 6

// BenchmarkNATSPoolPrinting is what a warehouse sees: printers that take
// zebraLabel per label. A burst of 24 jobs to the pool, until the last
// label is out, for one station and for a pool of four. Run with
// -benchtime 1x.
func BenchmarkNATSPoolPrinting(b *testing.B) {
	for _, stations := range []int{1, 4} {
		b.Run(fmt.Sprintf("stations=%d", stations), func(b *testing.B) {
			sts, js := startNATSStations(b, natsServer(b).ClientURL(), slices.Repeat([]time.Duration{zebraLabel}, stations)...)
			const burst = 24
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				for i := range burst {
					sendPool(b, js, fmt.Sprint("p", stations), i)
				}
				waitLabelsOut(b, sts, burst, 5*time.Minute)
				d := time.Since(t0)
				b.ReportMetric(float64(burst)/d.Seconds()*60, "labels/min")
				b.ReportMetric(d.Seconds(), "wall-s")
			}
			b.StopTimer()
			for i, s := range sts {
				b.ReportMetric(float64(s.em.FormatsPrinted()), fmt.Sprintf("st%d-labels", i))
			}
		})
	}
}

// agentsCPU is the CPU time (user and system) the agents' processes have
// used so far, from /proc/PID/stat.
func agentsCPU(tb testing.TB, sts []natsStation) time.Duration {
	var total time.Duration
	for _, s := range sts {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.e.proc.cmd.Process.Pid))
		if err != nil {
			tb.Skipf("no /proc here: %v", err)
		}
		// Fields after the command name in parentheses: utime and stime are
		// the 12th and 13th, in clock ticks (100 a second on Linux).
		f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		total += time.Duration(ut+st) * 10 * time.Millisecond
	}
	return total
}

// agentsWritten is what the agents' processes have written to disk so far
// (write_bytes of /proc/PID/io: what reached the storage layer, the
// store's pages and its fsyncs).
func agentsWritten(tb testing.TB, sts []natsStation) int64 {
	var total int64
	for _, s := range sts {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", s.e.proc.cmd.Process.Pid))
		if err != nil {
			tb.Skipf("no /proc here: %v", err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "write_bytes: "); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				total += n
			}
		}
	}
	return total
}
