package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/api/browser"
	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/printer/emulator"
)

const benchOrigin = "https://shop.example"

// browserBench starts the real binary with the browser API (rate limit
// lifted: the benchmark measures the agent, not the limit) and pairs an
// origin; it returns a function that submits one label as a page would.
func browserBench(b *testing.B, extraPrinters string) (*e2e, func(printer string, i int) (time.Duration, error)) {
	baddr := freeAddr(b)
	e := newE2E(b, extraPrinters+"browser:\n  listen: "+baddr+"\n  rate_per_second: 1000000\n  burst: 1000000\n")
	e.start()
	body := bytes.NewReader([]byte(`{"app":"bench"}`))
	r, _ := http.NewRequest("POST", "http://"+baddr+"/v1/pair", body)
	r.Header.Set("Origin", benchOrigin)
	r.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		b.Fatal(err)
	}
	var ps browser.PairStatus
	json.NewDecoder(resp.Body).Decode(&ps)
	resp.Body.Close()
	if _, err := e.cl.ApproveOrigin(context.Background(), benchOrigin, nil); err != nil {
		b.Fatal(err)
	}
	cl := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	submit := func(printer string, i int) (time.Duration, error) {
		data, _ := json.Marshal(apitype.SubmitRequest{Printer: printer, Kind: apitype.KindZPL, Payload: label(i)})
		r, _ := http.NewRequest("POST", "http://"+baddr+"/v1/jobs", bytes.NewReader(data))
		r.Header.Set("Origin", benchOrigin)
		r.Header.Set("Authorization", "Bearer "+ps.Token)
		r.Header.Set("Content-Type", "application/json")
		t0 := time.Now()
		resp, err := cl.Do(r)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return 0, fmt.Errorf("submit: %s", resp.Status)
		}
		return time.Since(t0), nil
	}
	return e, submit
}

// BenchmarkBrowserSubmit measures acknowledged (fsynced) submissions per
// second through the browser API of the real binary — Origin, token and
// scope checked, JSON with base64 decoded — 8 clients at once, printer
// paused so that only acceptance is measured; p50/p99 of the answer time.
func BenchmarkBrowserSubmit(b *testing.B) {
	e, submit := browserBench(b, "")
	if _, err := e.cl.PausePrinter(context.Background(), "desk"); err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(4) // 4 x GOMAXPROCS(2) = 8 clients
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			d, err := submit("desk", int(n.Add(1)))
			if err != nil {
				b.Fatal(err)
			}
			mine = append(mine, d)
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
	reportPercentiles(b, lat)
}

// BenchmarkBrowserLatency measures from a page's submission through the
// browser API to the last byte at a network printer (the emulator
// timestamps ^XZ), one job at a time. Run with -benchtime 1x: 300 jobs.
func BenchmarkBrowserLatency(b *testing.B) {
	em := emulator.New(emulator.Options{})
	defer em.Close()
	addr, err := em.ListenTCP("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	_, submit := browserBench(b, fmt.Sprintf("  - name: zebra\n    transport: tcp\n    tcp: {address: %q}\n", addr.String()))
	const jobs = 300
	var lat []time.Duration
	b.ResetTimer()
	for range b.N {
		for i := range jobs {
			want := len(em.Labels()) + 1
			t0 := time.Now()
			if _, err := submit("zebra", i); err != nil {
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
	reportPercentiles(b, lat)
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
