package station

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// BenchmarkStationPublishToQueue measures the stream's own part of a
// job's latency, one job at a time, stage by stage: from a back office's
// Publish to the station receiving the message (the server stores it and
// hands it to the waiting pull request), the claim in the replicated
// bucket (pools only), the job handed to the agent's queue (here an
// in-memory queue: the agent's disk write is in the end-to-end benchmark,
// the same for the control API), and the acknowledgement confirmed (off
// the job's path: printing does not wait for it). Also Publish's own
// round trip (until the stream's acknowledgement).
func BenchmarkStationPublishToQueue(b *testing.B) {
	for _, subject := range []string{"labelagent.jobs.pool.line", "labelagent.jobs.station.st1"} {
		b.Run(subject[len("labelagent.jobs."):], func(b *testing.B) {
			srv := startServer(b, -1, b.TempDir())
			defer srv.Shutdown()
			st := newStation(b, []string{srv.ClientURL()}, "st1", []string{"line"}, 1)
			stages := make(chan stageAt, 16)
			st.setHook(func(s stageAt) { stages <- s })
			js := publisher(b, srv.ClientURL())
			waitStream(b, js, "LABELAGENT_JOBS")
			time.Sleep(500 * time.Millisecond) // the consumers bind
			lat := map[string][]time.Duration{}
			b.ResetTimer()
			for i := range b.N {
				t0 := time.Now()
				if _, err := js.Publish(context.Background(), subject, job(i), jetstream.WithMsgID(fmt.Sprint("bench-", i))); err != nil {
					b.Fatal(err)
				}
				lat["publish"] = append(lat["publish"], time.Since(t0))
				prev := t0
				for {
					var s stageAt
					select {
					case s = <-stages:
					case <-time.After(10 * time.Second):
						b.Fatal("job not acknowledged")
					}
					lat[s.stage] = append(lat[s.stage], s.at.Sub(prev))
					if s.stage == "queued" {
						lat["total"] = append(lat["total"], s.at.Sub(t0))
					}
					prev = s.at
					if s.stage == "acked" {
						break
					}
				}
			}
			b.StopTimer()
			ms := func(d []time.Duration, p float64) float64 {
				slices.Sort(d)
				return float64(d[int(p*float64(len(d)-1))].Microseconds()) / 1000
			}
			for _, k := range []string{"total", "publish", "received", "claimed", "queued", "acked"} {
				if len(lat[k]) > 0 {
					b.ReportMetric(ms(lat[k], 0.5), k+"-p50-ms")
					b.ReportMetric(ms(lat[k], 0.99), k+"-p99-ms")
				}
			}
		})
	}
}
