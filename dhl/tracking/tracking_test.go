package tracking_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labelagent/labelagent/dhl/parcel"
	"github.com/labelagent/labelagent/dhl/sim"
	"github.com/labelagent/labelagent/dhl/tracking"
	"github.com/labelagent/labelagent/dhl/transport"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type env struct {
	sim   *sim.Server
	clk   *clock
	tr    *transport.Client
	track *tracking.Client
}

func newEnv(t *testing.T, so sim.Options, to tracking.Options) *env {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)}
	so.Now, so.SpecPath = clk.Now, "-"
	s := sim.New(so)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	cfg := s.Config(srv.URL)
	tr, err := transport.New(cfg, transport.WithClock(clk.Now), transport.WithSleep(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }))
	if err != nil {
		t.Fatal(err)
	}
	to.Now = clk.Now
	return &env{sim: s, clk: clk, tr: tr, track: tracking.New(tr, to)}
}

func (e *env) ship(t *testing.T) string {
	t.Helper()
	pc := parcel.New(e.tr)
	pc.SetClock(e.clk.Now)
	res, err := pc.CreateOrders(context.Background(), parcel.ShipmentOrderRequest{Shipments: []parcel.Shipment{{
		Product: "V01PAK", BillingNumber: "33333333330102",
		Shipper:   parcel.Shipper{Name1: "Shop", AddressStreet: "Sträßchensweg 10", PostalCode: "53113", City: "Bonn", Country: "DEU"},
		Consignee: parcel.Consignee{Contact: &parcel.ContactAddress{Name1: "Maria Musterfrau", AddressStreet: "Kurfürstendamm 1", PostalCode: "10719", City: "Berlin", Country: "DEU"}},
		Details:   parcel.ShipmentDetails{Weight: parcel.Weight{UOM: "g", Value: 800}},
	}}}, parcel.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return res.Shipments[0].ShipmentNo
}

var fast = sim.Options{TrackingPerSecond: -1, TrackingDailyQuota: -1}

func TestTrackingFollowsTheShipment(t *testing.T) {
	e := newEnv(t, fast, tracking.Options{PerSecond: 1000, CacheTTL: time.Minute})
	ctx := context.Background()
	no := e.ship(t)
	r, err := e.track.Track(ctx, tracking.Query{TrackingNumber: no, Service: "parcel-de", RecipientPostalCode: "10719"})
	if err != nil {
		t.Fatal(err)
	}
	sh := r.Shipments[0]
	if sh.Status.StatusCode != tracking.PreTransit || sh.Destination == nil || sh.Destination.Address.AddressLocality != "Berlin" {
		t.Fatalf("fresh shipment: %+v", sh)
	}
	// the simulator sends Berlin wall time without an offset: it must be read as such
	if !sh.Status.Timestamp.Equal(e.clk.Now().Truncate(time.Second)) {
		t.Fatalf("timestamp %v, want the instant %v", sh.Status.Timestamp.Time, e.clk.Now())
	}
	if _, err := parcel.New(e.tr).Manifest(ctx, parcel.ManifestRequest{All: true}); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(15 * time.Hour)
	r, err = e.track.Track(ctx, tracking.Query{TrackingNumber: no, Service: "parcel-de", RecipientPostalCode: "10719"})
	if err != nil || r.Shipments[0].Status.StatusCode != tracking.Transit || r.Shipments[0].EstimatedTimeOfDelivery == nil {
		t.Fatalf("in transit with an estimate: %+v %v", r, err)
	}
	ev := r.Shipments[0].Events
	for i := 1; i < len(ev); i++ {
		if ev[i].Timestamp.After(ev[i-1].Timestamp.Time) {
			t.Fatal("events come newest first")
		}
	}
	e.clk.Advance(10 * time.Hour)
	r, err = e.track.Track(ctx, tracking.Query{TrackingNumber: no, Service: "parcel-de"})
	if err != nil || r.Shipments[0].Status.StatusCode != tracking.Delivered {
		t.Fatalf("delivered: %+v %v", r, err)
	}
	if r.Shipments[0].Destination != nil {
		t.Error("without the recipient's postal code DHL gives no address details")
	}
	if _, err := e.track.Track(ctx, tracking.Query{TrackingNumber: "00340434999999999999"}); !errors.Is(err, tracking.ErrNotFound) {
		t.Fatalf("want ErrNotFound, got %v", err)
	}
}

func TestTrackingCacheAndQuota(t *testing.T) {
	e := newEnv(t, fast, tracking.Options{PerSecond: 1000, DailyQuota: 3, CacheTTL: time.Hour})
	ctx := context.Background()
	no := e.ship(t)
	q := tracking.Query{TrackingNumber: no, RecipientPostalCode: "10719"}
	for i := 0; i < 5; i++ {
		if _, err := e.track.Track(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.sim.Requests("GET " + transport.TrackingPath); n != 1 {
		t.Fatalf("repeated queries must come from the cache: %d calls", n)
	}
	e.clk.Advance(2 * time.Hour)
	for i := 0; i < 2; i++ {
		if _, err := e.track.Track(ctx, tracking.Query{TrackingNumber: no, Language: []string{"de", "en"}[i]}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.track.Track(ctx, tracking.Query{TrackingNumber: no, Language: "fr"}); !errors.Is(err, tracking.ErrQuotaExhausted) {
		t.Fatalf("the fourth call of the day exceeds a quota of 3: %v", err)
	}
	if n := e.sim.Requests("GET " + transport.TrackingPath); n != 3 {
		t.Fatalf("the refused call must not reach DHL: %d calls", n)
	}
	e.clk.Advance(24 * time.Hour)
	if e.track.Remaining() != 3 {
		t.Fatalf("the quota renews each day: %d left", e.track.Remaining())
	}
}

func TestServerQuotaAndRateLimit(t *testing.T) {
	e := newEnv(t, sim.Options{TrackingPerSecond: -1, TrackingDailyQuota: 1}, tracking.Options{PerSecond: 1000, DailyQuota: -1})
	ctx := context.Background()
	no := e.ship(t)
	if _, err := e.track.Track(ctx, tracking.Query{TrackingNumber: no}); err != nil {
		t.Fatal(err)
	}
	_, err := e.track.Track(ctx, tracking.Query{TrackingNumber: no, Language: "en"})
	if !errors.Is(err, tracking.ErrQuotaExhausted) || transport.StatusOf(err) != 429 {
		t.Fatalf("DHL's 429 for the day must stop further calls: %v", err)
	}
	if _, err := e.track.Track(ctx, tracking.Query{TrackingNumber: no, Language: "fr"}); !errors.Is(err, tracking.ErrQuotaExhausted) {
		t.Fatal(err)
	}
	if n := e.sim.Requests("GET " + transport.TrackingPath); n != 2 {
		t.Fatalf("after DHL's 429 no call may be sent today: %d calls", n)
	}

	// the client-side limiter: at 1 call a second, the second call waits
	e2 := newEnv(t, fast, tracking.Options{PerSecond: 1})
	no2 := e2.ship(t)
	if _, err := e2.track.Track(ctx, tracking.Query{TrackingNumber: no2}); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := e2.track.Track(short, tracking.Query{TrackingNumber: no2, Language: "en"}); err == nil || !strings.Contains(err.Error(), "rate limit") {
		t.Fatalf("a call within the second must wait for the limiter: %v", err)
	}
}

func TestTrackingNeedsTheKey(t *testing.T) {
	e := newEnv(t, fast, tracking.Options{PerSecond: 1000})
	cfg := e.tr.Config()
	cfg.TrackingAPIKey = "wrong"
	tr, err := transport.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tracking.New(tr, tracking.Options{PerSecond: 1000}).Track(context.Background(), tracking.Query{TrackingNumber: "123456789012"})
	if transport.StatusOf(err) != 401 {
		t.Fatalf("want 401, got %v", err)
	}
}

func TestParseTime(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	tests := []struct {
		in       string
		want     time.Time
		dateOnly bool
	}{
		{"2026-11-21T14:07:17", time.Date(2026, 11, 21, 14, 7, 17, 0, berlin), false},
		{"2026-07-21T14:07:17", time.Date(2026, 7, 21, 12, 7, 17, 0, time.UTC), false}, // summer time
		{"2017-06-21T14:07:17+2:00", time.Date(2017, 6, 21, 12, 7, 17, 0, time.UTC), false},
		{"2017-06-21T14:07:17Z", time.Date(2017, 6, 21, 14, 7, 17, 0, time.UTC), false},
		{"2017-06-21T14:07:17.123+01:00", time.Date(2017, 6, 21, 13, 7, 17, 123e6, time.UTC), false},
		{"2017-06-21T14:07", time.Date(2017, 6, 21, 14, 7, 0, 0, berlin), false},
		{"2017-06-21", time.Date(2017, 6, 21, 0, 0, 0, 0, berlin), true},
	}
	for _, tt := range tests {
		got, err := tracking.ParseTime(tt.in, nil)
		if err != nil || !got.Equal(tt.want) || got.DateOnly != tt.dateOnly {
			t.Errorf("ParseTime(%q) = %v %v %v, want %v", tt.in, got.Time, got.DateOnly, err, tt.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "2017-13-01", "21.06.2017 14:07"} {
		if _, err := tracking.ParseTime(bad, nil); err == nil {
			t.Errorf("ParseTime(%q) should fail", bad)
		}
	}
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-11-21T14:07:17", "2017-06-21T14:07:17+2:00", "2017-06-21", "2017-06-21T14:07:17.123456Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := tracking.ParseTime(s, nil)
		if err != nil {
			return
		}
		again, err := tracking.ParseTime(v.Format(time.RFC3339Nano), nil)
		if !v.DateOnly && (err != nil || !again.Equal(v.Time)) {
			t.Fatalf("%q → %v does not round-trip: %v", s, v.Time, err)
		}
	})
}
