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
// job's latency: from a back office's Publish (which waits for the
// stream's acknowledgement) to the job handed to the agent's queue (here
// an in-memory queue: the agent's disk write is in the end-to-end
// benchmark), one job at a time, for a pool (fetch, claim in the
// replicated bucket, queue) and for the station's own subject (no claim).
func BenchmarkStationPublishToQueue(b *testing.B) {
	for _, subject := range []string{"labelagent.jobs.pool.line", "labelagent.jobs.station.st1"} {
		b.Run(subject[len("labelagent.jobs."):], func(b *testing.B) {
			srv := startServer(b, -1, b.TempDir())
			defer srv.Shutdown()
			st := newStation(b, []string{srv.ClientURL()}, "st1", []string{"line"}, 1)
			got := make(chan time.Time, 1)
			st.q.mu.Lock()
			st.q.queued = got
			st.q.mu.Unlock()
			js := publisher(b, srv.ClientURL())
			waitStream(b, js, "LABELAGENT_JOBS")
			time.Sleep(500 * time.Millisecond) // the consumers bind
			var lat, pub []time.Duration
			b.ResetTimer()
			for i := range b.N {
				t0 := time.Now()
				if _, err := js.Publish(context.Background(), subject, job(i), jetstream.WithMsgID(fmt.Sprint("bench-", i))); err != nil {
					b.Fatal(err)
				}
				pub = append(pub, time.Since(t0))
				select {
				case t1 := <-got:
					lat = append(lat, t1.Sub(t0))
				case <-time.After(10 * time.Second):
					b.Fatal("job not queued")
				}
			}
			b.StopTimer()
			ms := func(d []time.Duration, p float64) float64 {
				slices.Sort(d)
				return float64(d[int(p*float64(len(d)-1))].Microseconds()) / 1000
			}
			b.ReportMetric(ms(lat, 0.5), "p50-ms")
			b.ReportMetric(ms(lat, 0.99), "p99-ms")
			b.ReportMetric(ms(pub, 0.5), "publish-p50-ms")
			b.ReportMetric(ms(pub, 0.99), "publish-p99-ms")
		})
	}
}
