package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNATSSection(t *testing.T) {
	c, err := load(write(t, "nats:\n  urls: [nats://nats1:4222, tls://nats2:4222]\n  station: st7\n  pools: [parcel-line]\n"), noenv)
	if err != nil {
		t.Fatal(err)
	}
	n := c.NATS
	if !n.Enabled() || n.Prefix != "labelagent" || n.JobStream != "LABELAGENT_JOBS" || n.Bucket != "labelagent_stations" ||
		n.Heartbeat != 10*time.Second || n.AckWait != 30*time.Second || n.EventBuffer != 10000 || n.PoolBacklog != 2 || n.Replicas != 1 {
		t.Fatalf("defaults %+v", n)
	}
	if c, err := load(write(t, "# no nats\n"), noenv); err != nil || c.NATS.Enabled() {
		t.Fatalf("NATS is off without urls: %v %+v", err, c.NATS)
	}
	base := "nats:\n  urls: [nats://nats1:4222]\n  station: st7\n"
	for _, tc := range []struct{ name, body, want string }{
		{"url", "nats:\n  urls: [http://nats1]\n  station: st7\n", "nats.urls[0]: http://nats1 is not a NATS server URL"},
		{"station", "nats:\n  urls: [nats://nats1:4222]\n  station: st 7\n", "nats.station: st 7 may hold only"},
		{"pool", base + "  pools: [parcel.line]\n", "nats.pools[0]: parcel.line may hold only"},
		{"two credentials", base + "  user: a\n  creds_file: /x.creds\n", "give one of creds_file, nkey_file, user/password"},
		{"cert without key", base + "  tls: {cert_file: /c.pem}\n", "tls.cert_file and tls.key_file go together"},
		{"heartbeat", base + "  heartbeat: 100ms\n", "nats.heartbeat"},
		{"ack wait", base + "  ack_wait: 10ms\n", "nats.ack_wait"},
		{"replicas", base + "  replicas: 7\n", "nats.replicas"},
		{"pool backlog", base + "  pool_backlog: -1\n", "nats.pool_backlog"},
		{"event buffer", base + "  event_buffer: -5\n", "nats.event_buffer"},
		{"printer", base + "  printer: nowhere\n", "nats.printer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(write(t, tc.body), noenv)
			var ce *Error
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
