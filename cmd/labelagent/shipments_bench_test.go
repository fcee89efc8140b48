package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/dhl/parcel"
	"github.com/labelagent/labelagent/dhl/sim"
	"github.com/labelagent/labelagent/dhl/transport"
	"github.com/labelagent/labelagent/printer/emulator"
)

// BenchmarkShipmentLatency measures API create → first byte at the printer
// emulator through the real binary, with the DHL simulator answering at
// once and after 300 ms, and DHL's own time (the same order sent straight
// to the simulator) as the baseline: the agent's share is the difference.
// Run with -benchtime 1x.
func BenchmarkShipmentLatency(b *testing.B) {
	for _, delay := range []time.Duration{0, 300 * time.Millisecond} {
		b.Run(fmt.Sprintf("dhl=%s", delay), func(b *testing.B) {
			n := 100
			if delay > 0 {
				n = 30
			}
			s := sim.New(sim.Options{Seed: 11})
			srv := httptest.NewServer(s)
			defer srv.Close()
			sc := s.Config(srv.URL)
			var bn strings.Builder
			for p, no := range sc.BillingNumbers {
				fmt.Fprintf(&bn, "    %s: %q\n", p, no)
			}
			em := emulator.New(emulator.Options{})
			defer em.Close()
			addr, err := em.ListenTCP("127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			e := newE2E(b, fmt.Sprintf("  - name: zebra\n    transport: tcp\n    tcp: {address: %q}\n", addr.String()))
			cfg, _ := os.ReadFile(e.cfgPath)
			cfg = append(cfg, fmt.Sprintf("dhl:\n  base_url: %s\n  api_key: %s\n  api_secret: %s\n  username: %s\n  password: %q\n  billing_numbers:\n%s  shipper: {name1: Shop GmbH, street: Sträßchensweg 10, postal_code: \"53113\", city: Bonn}\nshipments:\n  printer: zebra\n",
				srv.URL, sc.APIKey, sc.APISecret, sc.Username, sc.Password, bn.String())...)
			if err := os.WriteFile(e.cfgPath, cfg, 0o600); err != nil {
				b.Fatal(err)
			}
			e.start()
			order := json.RawMessage(`{"product":"V01PAK","consignee":{"name1":"Maria Musterfrau","addressStreet":"Kurfürstendamm 1","postalCode":"10719","city":"Berlin","country":"DEU"},"details":{"weight":{"uom":"kg","value":1.2}}}`)
			var sh parcel.Shipment
			_ = json.Unmarshal(order, &sh)
			tr, err := transport.New(sc)
			if err != nil {
				b.Fatal(err)
			}
			direct := parcel.New(tr)
			if delay > 0 {
				s.Inject(sim.Fault{Path: transport.ShippingPath + "/orders", Delay: delay, Times: 4 * n})
			}
			var viaAgent, dhl []time.Duration
			// Where the agent's time goes, from the shipment's and the job's
			// history: request → intent on disk, DHL's answer stored → job
			// queued, job queued → printing.
			var toIntent, storedToQueued, queuedToPrinting, answerToStored []time.Duration
			b.ResetTimer()
			for range b.N {
				for i := range n {
					// DHL's own time for the same order.
					o := sh
					o.BillingNumber = sc.BillingNumbers["V01PAK"]
					o.Shipper = parcel.Shipper{Name1: "Shop GmbH", AddressStreet: "Sträßchensweg 10", PostalCode: "53113", City: "Bonn", Country: "DEU"}
					t0 := time.Now()
					if _, err := direct.CreateOrders(context.Background(), parcel.ShipmentOrderRequest{Shipments: []parcel.Shipment{o}},
						parcel.CreateOptions{DocFormat: parcel.DocFormatZPL2, PrintFormat: parcel.PrintFormat910300600}); err != nil {
						b.Fatal(err)
					}
					dhl = append(dhl, time.Since(t0))

					before := em.Received()
					t0 = time.Now()
					done := make(chan error, 1)
					go func() {
						_, err := e.cl.CreateShipment(context.Background(), apitype.ShipmentCreateRequest{OrderRef: fmt.Sprintf("bench-%s-%05d", delay, i), Order: order})
						done <- err
					}()
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					err := em.WaitReceived(ctx, before+1)
					cancel()
					if err != nil {
						b.Fatal(err)
					}
					viaAgent = append(viaAgent, time.Since(t0))
					if err := <-done; err != nil {
						b.Fatal(err)
					}
					if sh, err := e.cl.Shipment(context.Background(), fmt.Sprintf("bench-%s-%05d", delay, i)); err == nil && len(sh.History) >= 3 && len(sh.Prints) == 1 {
						toIntent = append(toIntent, sh.History[0].At.Sub(t0))
						if j, err := e.cl.Job(context.Background(), sh.Prints[0].JobID); err == nil && len(j.History) >= 2 {
							storedToQueued = append(storedToQueued, j.Created.Sub(sh.History[1].At))
							answerToStored = append(answerToStored, sh.History[1].At.Sub(sh.History[0].At))
							for _, h := range j.History {
								if h.State == apitype.StatePrinting {
									queuedToPrinting = append(queuedToPrinting, h.At.Sub(j.Created))
									break
								}
							}
						}
					}
					wctx, wcancel := context.WithTimeout(context.Background(), 30*time.Second)
					_, err = em.WaitLabels(wctx, i+1)
					wcancel()
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StopTimer()
			pct := func(d []time.Duration, p float64) float64 {
				d = slices.Clone(d)
				slices.Sort(d)
				return float64(d[int(p*float64(len(d)-1))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(viaAgent, 0.5), "p50-ms")
			b.ReportMetric(pct(viaAgent, 0.99), "p99-ms")
			b.ReportMetric(pct(dhl, 0.5), "dhl-p50-ms")
			b.ReportMetric(pct(dhl, 0.99), "dhl-p99-ms")
			b.ReportMetric(pct(viaAgent, 0.5)-pct(dhl, 0.5), "added-p50-ms")
			b.ReportMetric(pct(viaAgent, 0.99)-pct(dhl, 0.99), "added-p99-ms")
			if len(toIntent) > 0 && len(storedToQueued) > 0 && len(queuedToPrinting) > 0 {
				b.Logf("p50: request→intent on disk %.2f ms, intent→answer stored %.2f ms (DHL's time inside), answer stored→job queued %.2f ms, job queued→printing %.2f ms",
					pct(toIntent, 0.5), pct(answerToStored, 0.5), pct(storedToQueued, 0.5), pct(queuedToPrinting, 0.5))
			}
		})
	}
}
