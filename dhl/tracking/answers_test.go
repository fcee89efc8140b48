package tracking_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labelagent/labelagent/dhl/sim"
	"github.com/labelagent/labelagent/dhl/tracking"
	"github.com/labelagent/labelagent/dhl/transport"
)

// cannedTracking answers every call with one answer and counts the calls.
func cannedTracking(t *testing.T, status int, header http.Header, body string, clk *clock) (*tracking.Client, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		for k, v := range header {
			w.Header()[k] = v
		}
		if w.Header().Get("Content-Type") == "" {
			ct := "application/json"
			if status >= 400 {
				ct = "application/problem+json"
			}
			w.Header().Set("Content-Type", ct)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	tr, err := transport.New(transport.Config{BaseURL: srv.URL, TrackingBaseURL: srv.URL, TrackingAPIKey: "k", APIKey: "k", Username: "u", Password: "p", Auth: transport.AuthBasic},
		transport.WithSleep(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }), transport.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	return tracking.New(tr, tracking.Options{PerSecond: 1000, Now: clk.Now}), &calls
}

// TestTrackingAnswerShapes reads the shapes DHL's Unified Tracking answers
// with (the seed document's express number, recorded problem documents,
// answers of different services) through the client.
func TestTrackingAnswerShapes(t *testing.T) {
	pj := http.Header{"Content-Type": {"application/problem+json"}}
	type want struct {
		id, code, service string
		events            int
		err               error // errors.Is
		notErr            error // !errors.Is
		status            int   // transport.StatusOf
		words             []string
		calls             int32 // requests that reached DHL for the first call
		again             bool  // a second call at once is sent to DHL
	}
	rows := []struct {
		name   string
		status int
		header http.Header
		body   string
		want   want
	}{
		{name: "parcel-de: Berlin wall time, location with a numeric postal code", status: 200, body: `{"shipments":[{"id":"00340434161094042557","service":"parcel-de",
			"status":{"timestamp":"2026-11-20T10:30:00","statusCode":"transit","status":"ZU","description":"Die Sendung wurde in das Zustellfahrzeug geladen.","location":{"address":{"postalCode":53113,"addressLocality":"Bonn"}}},
			"events":[{"timestamp":"2026-11-20T10:30:00","statusCode":"transit","description":"x"},{"timestamp":"2026-11-19T18:00:00","statusCode":"pre-transit"}]}]}`,
			want: want{id: "00340434161094042557", code: tracking.Transit, service: "parcel-de", events: 2, calls: 1}},
		{name: "express: the id is a JSON number", status: 200, body: `{"shipments":[{"id":7777777770,"service":"express",
			"status":{"timestamp":"2026-11-20T08:00:00+01:00","statusCode":"transit","status":"transit","description":"Shipment has departed from a DHL facility"},
			"details":{"totalNumberOfPieces":1,"pieceIds":["JD014600006281230704"]}}]}`,
			want: want{id: "7777777770", code: tracking.Transit, service: "express", calls: 1}},
		{name: "ecommerce: optional fields missing, a status code added later", status: 200, body: `{"shipments":[{"id":"64888","service":"ecommerce","status":{"statusCode":"on-hold"}}]}`,
			want: want{id: "64888", code: tracking.Unknown, service: "ecommerce", calls: 1}},
		{name: "no status at all", status: 200, body: `{"shipments":[{"id":"64888","service":"ecommerce"}]}`,
			want: want{id: "64888", code: tracking.Unknown, service: "ecommerce", calls: 1}},
		{name: "an odd timestamp keeps the rest", status: 200, body: `{"shipments":[{"id":"1","service":"post-de","status":{"timestamp":"gestern","statusCode":"delivered"}}]}`,
			want: want{id: "1", code: tracking.Delivered, service: "post-de", calls: 1}},
		{name: "strict: no shipments list", status: 200, body: `{"title":"ok"}`,
			want: want{words: []string{"unreadable answer", "no shipments list"}, calls: 1, again: true}},
		{name: "strict: a shipment without id", status: 200, body: `{"shipments":[{"service":"parcel-de","status":{"statusCode":"transit"}}]}`,
			want: want{words: []string{"has no id"}, calls: 1, again: true}},
		{name: "404 problem document", status: 404, header: pj, body: `{"title":"No result found","detail":"No shipment with given tracking number found.","status":404,"instance":"/shipment/8264715546"}`,
			want: want{err: tracking.ErrNotFound, status: 404, words: []string{"No result found", "No shipment with given tracking number found."}, calls: 1, again: true}},
		{name: "429 without Retry-After: a rate limit, retried, not the day's end", status: 429, header: pj, body: `{"status":429,"title":"Too Many Requests","detail":"Too many requests within defined time period, please try again later."}`,
			want: want{err: tracking.ErrRateLimited, notErr: tracking.ErrQuotaExhausted, status: 429, words: []string{"please try again later"}, calls: 4, again: true}},
		{name: "429 with Retry-After: waited for, then no call until it has passed", status: 429, header: http.Header{"Content-Type": {"application/problem+json"}, "Retry-After": {"2"}},
			body: `{"status":429,"title":"Too Many Requests","detail":"Too many requests within defined time period, please try again later."}`,
			want: want{err: tracking.ErrRateLimited, notErr: tracking.ErrQuotaExhausted, status: 429, calls: 4, again: false}},
		{name: "429 saying the daily quota is used up", status: 429, header: pj, body: `{"status":429,"title":"Too Many Requests","detail":"The daily quota of 250 calls is used up. Try again tomorrow."}`,
			want: want{err: tracking.ErrQuotaExhausted, status: 429, words: []string{"daily quota"}, calls: 1, again: false}},
		{name: "429 of the API gateway's quota policy", status: 429, header: http.Header{"Content-Type": {"application/json"}},
			body: `{"fault":{"faultstring":"Rate limit quota violation. Quota limit  exceeded. Identifier : _default","detail":{"errorcode":"policies.ratelimit.QuotaViolation"}}}`,
			want: want{err: tracking.ErrQuotaExhausted, status: 429, words: []string{"QuotaViolation"}, calls: 1, again: false}},
		{name: "401", status: 401, header: pj, body: `{"status":401,"title":"Unauthorized","detail":"Unauthorized for given resource."}`,
			want: want{status: 401, words: []string{"Unauthorized for given resource."}, calls: 1, again: true}},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			clk := &clock{t: time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)}
			c, calls := cannedTracking(t, row.status, row.header, row.body, clk)
			ctx := context.Background()
			r, err := c.Track(ctx, tracking.Query{TrackingNumber: "00340434161094042557"})
			w := row.want
			if calls.Load() != w.calls {
				t.Errorf("%d requests reached DHL, want %d", calls.Load(), w.calls)
			}
			if w.id != "" {
				if err != nil {
					t.Fatal(err)
				}
				sh := r.Shipments[0]
				if sh.ID != w.id || sh.Status.StatusCode != w.code || sh.Service != w.service || len(sh.Events) != w.events {
					t.Fatalf("got id %q code %q service %q events %d", sh.ID, sh.Status.StatusCode, sh.Service, len(sh.Events))
				}
				return
			}
			if err == nil {
				t.Fatal("want an error")
			}
			if w.err != nil && !errors.Is(err, w.err) {
				t.Errorf("want %v, got %v", w.err, err)
			}
			if w.notErr != nil && errors.Is(err, w.notErr) {
				t.Errorf("must not be %v: %v", w.notErr, err)
			}
			if w.status != 0 && transport.StatusOf(err) != w.status {
				t.Errorf("HTTP status %d, want %d", transport.StatusOf(err), w.status)
			}
			var ae *transport.APIError
			if w.status != 0 && !errors.As(err, &ae) {
				t.Errorf("DHL's answer must stay in the error: %v", err)
			}
			for _, word := range w.words {
				if !strings.Contains(err.Error(), word) {
					t.Errorf("the error must say %q: %v", word, err)
				}
			}
			before := calls.Load()
			_, _ = c.Track(ctx, tracking.Query{TrackingNumber: "00340434161094042557", Language: "en"})
			if sent := calls.Load() > before; sent != w.again {
				t.Errorf("a second call at once reached DHL: %v, want %v", sent, w.again)
			}
			if errors.Is(err, tracking.ErrRateLimited) && !w.again {
				clk.Advance(3 * time.Second)
				before = calls.Load()
				_, _ = c.Track(ctx, tracking.Query{TrackingNumber: "00340434161094042557", Language: "fr"})
				if calls.Load() == before {
					t.Error("after the Retry-After has passed, calls go out again")
				}
			}
		})
	}
}

// TestSimulatorTrackingShapes reaches each of the simulator's tracking
// shapes (as "labelagent simulate" serves them) through the client.
func TestSimulatorTrackingShapes(t *testing.T) {
	ctx := context.Background()
	rows := []struct {
		name, number string
		check        func(t *testing.T, r *tracking.Response, err error)
	}{
		{"express number: numeric id", sim.TrackExpress, func(t *testing.T, r *tracking.Response, err error) {
			if err != nil || r.Shipments[0].ID != sim.TrackExpress || r.Shipments[0].Service != "express" || r.Shipments[0].Status.StatusCode != tracking.Transit {
				t.Fatalf("%v %+v", err, r)
			}
		}},
		{"unknown number: 404 problem document", "00340434999999999999", func(t *testing.T, _ *tracking.Response, err error) {
			var ae *transport.APIError
			if !errors.Is(err, tracking.ErrNotFound) || !errors.As(err, &ae) || ae.StatusCode != 404 || ae.Title != "No result found" ||
				ae.Detail != "No shipment with given tracking number found." || ae.Instance != "/shipment/00340434999999999999" {
				t.Fatalf("%v", err)
			}
		}},
		{"429 without Retry-After", sim.TrackRateLimited, func(t *testing.T, _ *tracking.Response, err error) {
			if !errors.Is(err, tracking.ErrRateLimited) || errors.Is(err, tracking.ErrQuotaExhausted) || transport.StatusOf(err) != 429 {
				t.Fatalf("%v", err)
			}
		}},
		{"429 with Retry-After", sim.TrackRateLimitedRetryAfter, func(t *testing.T, _ *tracking.Response, err error) {
			var ae *transport.APIError
			if !errors.Is(err, tracking.ErrRateLimited) || !errors.As(err, &ae) || ae.RetryAfter != 2*time.Second {
				t.Fatalf("%v", err)
			}
		}},
		{"429 for the daily quota", sim.TrackQuota, func(t *testing.T, _ *tracking.Response, err error) {
			if !errors.Is(err, tracking.ErrQuotaExhausted) || transport.StatusOf(err) != 429 {
				t.Fatalf("%v", err)
			}
		}},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			e := newEnv(t, fast, tracking.Options{PerSecond: 1000})
			r, err := e.track.Track(ctx, tracking.Query{TrackingNumber: row.number})
			row.check(t, r, err)
		})
	}
	// the simulator's per-second limit is a rate limit, not the day's end
	e := newEnv(t, sim.Options{TrackingPerSecond: 1, TrackingDailyQuota: -1}, tracking.Options{PerSecond: 1000})
	no := e.ship(t)
	if _, err := e.track.Track(ctx, tracking.Query{TrackingNumber: no}); err != nil {
		t.Fatal(err)
	}
	_, err := e.track.Track(ctx, tracking.Query{TrackingNumber: no, Language: "en"})
	if !errors.Is(err, tracking.ErrRateLimited) || errors.Is(err, tracking.ErrQuotaExhausted) {
		t.Fatalf("a second call within the second is rate limited: %v", err)
	}
	e.clk.Advance(time.Second)
	if _, err := e.track.Track(ctx, tracking.Query{TrackingNumber: no, Language: "fr"}); err != nil {
		t.Fatalf("a second later the call goes through: %v", err)
	}
}

// FuzzParseResponse feeds tracking answers (outside input) to the reader:
// no panic, and what is accepted has an id per shipment and a known code.
func FuzzParseResponse(f *testing.F) {
	f.Add(`{"shipments":[{"id":7777777770,"service":"express","status":{"statusCode":"transit","timestamp":"2026-11-20T08:00:00+01:00"}}]}`)
	f.Add(`{"shipments":[{"id":"1","status":{"timestamp":"x","location":{"address":{"postalCode":53113}}}}]}`)
	f.Add(`{"shipments":[]}`)
	f.Fuzz(func(t *testing.T, in string) {
		r, err := tracking.ParseResponse([]byte(in))
		if err != nil {
			return
		}
		for _, sh := range r.Shipments {
			if strings.TrimSpace(sh.ID) == "" {
				t.Fatal("accepted a shipment without id")
			}
			switch sh.Status.StatusCode {
			case tracking.PreTransit, tracking.Transit, tracking.Delivered, tracking.Failure, tracking.Unknown:
			default:
				t.Fatalf("status code %q not normalised", sh.Status.StatusCode)
			}
		}
	})
}
