package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/printer/emulator"
)

// BenchmarkScanToPrinter measures the packing station's promise: from the
// scan (the control API call the tray's scan field makes) to the first byte
// of the DHL label at a network printer, with the simulator answering at
// once and after 300 ms (DHL's usual time). 200 scans each; run with
// -benchtime 1x. The agent's own share is the p99 minus DHL's delay.
func BenchmarkScanToPrinter(b *testing.B) {
	for _, delay := range []time.Duration{0, 300 * time.Millisecond} {
		b.Run(fmt.Sprintf("dhl=%s", delay), func(b *testing.B) { benchScans(b, delay) })
	}
}

func benchScans(b *testing.B, delay time.Duration) {
	base, carriers := startSimulator(b)
	if delay > 0 {
		body := fmt.Sprintf(`{"method":"POST","path":"/parcel/de/shipping/v2/orders","delay_ms":%d,"times":100000}`, delay.Milliseconds())
		resp, err := http.Post(base+"/_sim/faults", "application/json", strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
	em := emulator.New(emulator.Options{})
	defer em.Close()
	addr, err := em.ListenTCP("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	e := newE2E(b, fmt.Sprintf("  - name: zebra\n    transport: tcp\n    tcp: {address: %q}\n", addr.String()))
	cfg, _ := os.ReadFile(e.cfgPath)
	cfg = bytes.Replace(cfg, []byte("default_printer: desk"), []byte("default_printer: zebra"), 1)
	cfg = append(cfg, []byte(carriers)...)
	cfg = append(cfg, "packing:\n  rules:\n    - {name: parcel, carrier: dhl, product: V01PAK, printer: zebra}\n"...)
	os.WriteFile(e.cfgPath, cfg, 0o600)
	e.start()
	const scans = 200
	var csv strings.Builder
	csv.WriteString("ref,name,street,postal_code,city,country,weight_g\n")
	for i := range scans {
		fmt.Fprintf(&csv, "B-%d-%04d,Maria Musterfrau,Kurfürstendamm %d,10719,Berlin,DE,1200\n", delay.Milliseconds(), i, i%200+1)
	}
	if _, err := e.cl.ImportOrders(context.Background(), []byte(csv.String()), "text/csv"); err != nil {
		b.Fatal(err)
	}
	var lat []time.Duration
	b.ResetTimer()
	for range b.N {
		for i := range scans {
			before := em.Received()
			t0 := time.Now()
			res, err := e.cl.Scan(context.Background(), apitype.ScanRequest{Code: fmt.Sprintf("B-%d-%04d", delay.Milliseconds(), i)})
			if err != nil {
				b.Fatal(err)
			}
			if res.Outcome != apitype.ScanPrinted && res.Outcome != apitype.ScanAlreadyShipped {
				b.Fatalf("scan: %+v", res)
			}
			if res.Outcome == apitype.ScanAlreadyShipped {
				continue // b.N > 1: the orders are labelled already
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			err = em.WaitReceived(ctx, before+1)
			cancel()
			if err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
			// Let the label finish before the next scan, as at a real station.
			ctx, cancel = context.WithTimeout(context.Background(), 20*time.Second)
			_, err = em.WaitLabels(ctx, i+1)
			cancel()
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(0.99)-float64(delay.Milliseconds()), "agent-p99-ms")
}
