package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/labelagent/labelagent/agent/apitype"
)

// BenchmarkNATSPool measures jobs sent over NATS JetStream: the latency
// from publish to the label file at a file printer (one job at a time),
// and the throughput of a burst, for one station and for a pool of four
// (four agents on this machine). Run with -benchtime 1x.
func BenchmarkNATSPool(b *testing.B) {
	for _, stations := range []int{1, 4} {
		b.Run(fmt.Sprintf("stations=%d", stations), func(b *testing.B) { benchNATS(b, stations) })
	}
}

func printedFiles(dirs []string) int {
	n := 0
	for _, d := range dirs {
		f, _ := filepath.Glob(filepath.Join(d, "*.prn"))
		n += len(f)
	}
	return n
}

func benchNATS(b *testing.B, stations int) {
	srv := natsServer(b)
	b.Setenv("NATS_PASSWORD", "s3cret")
	var dirs []string
	for i := range stations {
		e := newE2E(b, "")
		cfg, _ := os.ReadFile(e.cfgPath)
		os.WriteFile(e.cfgPath, append(cfg, natsSection(srv.ClientURL(), fmt.Sprint("st", i), "line")...), 0o600)
		e.start()
		dirs = append(dirs, e.out)
	}
	js := natsJS(b, srv.ClientURL(), "wms", "wms")
	ctx := context.Background()
	for deadline := time.Now().Add(20 * time.Second); ; {
		if _, err := js.Consumer(ctx, "LABELAGENT_JOBS", "pool-line"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("no pool consumer")
		}
		time.Sleep(50 * time.Millisecond)
	}
	send := func(i int) {
		msg, _ := json.Marshal(apitype.JobMessage{Kind: apitype.KindZPL, Payload: label(i)})
		if _, err := js.Publish(ctx, "labelagent.jobs.pool.line", msg, jetstream.WithMsgID(fmt.Sprint("b", stations, "-", i))); err != nil {
			b.Fatal(err)
		}
	}
	wait := func(n int) {
		for deadline := time.Now().Add(120 * time.Second); printedFiles(dirs) < n; {
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d printed", printedFiles(dirs), n)
			}
			time.Sleep(200 * time.Microsecond)
		}
	}
	const single, burst = 100, 400
	var lat []time.Duration
	b.ResetTimer()
	for range b.N {
		for i := range single {
			t0 := time.Now()
			send(i)
			wait(i + 1)
			lat = append(lat, time.Since(t0))
		}
		t0 := time.Now()
		for i := single; i < single+burst; i++ {
			send(i)
		}
		wait(single + burst)
		b.ReportMetric(float64(burst)/time.Since(t0).Seconds(), "jobs/s")
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
