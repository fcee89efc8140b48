package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labelagent/labelagent/dhl/transport"
)

// trackingLimits counts Unified Tracking calls per API key.
type trackingLimits struct {
	last  map[string]time.Time
	day   string
	count map[string]int
}

func (s *Server) routesTracking() {
	s.mux.HandleFunc("GET "+transport.TrackingPath, s.track)
}

// alpha2 of the countries the simulator's shipments go to.
func alpha2(c string) string {
	m := map[string]string{"DEU": "DE", "NLD": "NL", "GBR": "GB", "FRA": "FR", "AUT": "AT", "CHE": "CH", "BEL": "BE", "USA": "US", "POL": "PL", "ITA": "IT", "ESP": "ES"}
	if v, ok := m[c]; ok {
		return v
	}
	if len(c) >= 2 {
		return c[:2]
	}
	return c
}

// trackEvent is one event on a simulated route.
type trackEvent struct {
	at                       time.Time
	code, status, desc, city string
}

// route derives the events of a shipment from the simulator's clock: data
// received at creation, then (once closed out) the trip to the recipient.
func route(sp *shipment, now time.Time) []trackEvent {
	ev := []trackEvent{{sp.Created, "pre-transit", "PARCEL_ANNOUNCED",
		"Die Auftragsdaten zu dieser Sendung wurden vom Absender elektronisch an DHL übermittelt.", sp.OriginCity}}
	if sp.Cancelled || sp.Manifested.IsZero() {
		return ev
	}
	m := sp.Manifested
	steps := []trackEvent{
		{m.Add(2 * time.Hour), "transit", "PICKED_UP", "Die Sendung wurde im Start-Paketzentrum bearbeitet.", sp.OriginCity},
		{m.Add(14 * time.Hour), "transit", "ARRIVED", "Die Sendung wurde im Ziel-Paketzentrum bearbeitet.", sp.DestCity},
		{m.Add(18 * time.Hour), "transit", "OUT_FOR_DELIVERY", "Die Sendung wurde in das Zustellfahrzeug geladen.", sp.DestCity},
		{m.Add(22 * time.Hour), "delivered", "DELIVERED", "Die Sendung wurde erfolgreich zugestellt.", sp.DestCity},
	}
	for _, e := range steps {
		if !e.at.After(now) {
			ev = append(ev, e)
		}
	}
	return ev
}

// Tracking numbers that make the simulator answer with DHL's rarer shapes
// (see "labelagent simulate --help").
const (
	// TrackExpress is the express number of DHL's own documentation; its
	// answer carries the id as a JSON number, as express answers do.
	TrackExpress = "7777777770"
	// TrackRateLimited answers 429 without Retry-After (calls too fast).
	TrackRateLimited = "SIM-429"
	// TrackRateLimitedRetryAfter answers 429 with Retry-After: 2.
	TrackRateLimitedRetryAfter = "SIM-429-RA"
	// TrackQuota answers 429 for a used-up daily quota.
	TrackQuota = "SIM-QUOTA"
)

// DHL's words for a tracking 429 of calls too fast (recorded), and the
// simulator's for the used-up daily quota (the answer says so, and its
// Retry-After points to the next Berlin day).
const (
	rateLimitDetail = "Too many requests within defined time period, please try again later."
	quotaDetailFmt  = "The daily quota of %d calls is used up. Try again tomorrow."
)

// trackingProblem writes Unified Tracking's problem document: title,
// status, detail (and instance) — no statusCode, unlike Parcel DE.
func trackingProblem(w http.ResponseWriter, status int, title, detail, instance string) {
	doc := map[string]any{"title": title, "status": status, "detail": detail}
	if instance != "" {
		doc["instance"] = instance
	}
	writeJSON(w, status, "application/problem+json", doc)
}

func (s *Server) track(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("DHL-API-Key")
	if key != s.opt.APIKey {
		trackingProblem(w, http.StatusUnauthorized, "Unauthorized", "Unauthorized for given resource.", "")
		return
	}
	now := s.opt.Now()
	q := r.URL.Query()
	no := strings.TrimSpace(q.Get("trackingNumber"))
	switch no {
	case TrackRateLimited:
		trackingProblem(w, http.StatusTooManyRequests, "Too Many Requests", rateLimitDetail, "")
		return
	case TrackRateLimitedRetryAfter:
		w.Header().Set("Retry-After", "2")
		trackingProblem(w, http.StatusTooManyRequests, "Too Many Requests", rateLimitDetail, "")
		return
	case TrackQuota:
		w.Header().Set("Retry-After", strconv.Itoa(int(untilTomorrow(now)/time.Second)+1))
		trackingProblem(w, http.StatusTooManyRequests, "Too Many Requests", fmt.Sprintf(quotaDetailFmt, max(s.opt.TrackingDailyQuota, 250)), "")
		return
	}
	if wait, quota, ok := s.trackingAllowed(key, now); !ok {
		if quota {
			w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
			trackingProblem(w, http.StatusTooManyRequests, "Too Many Requests", fmt.Sprintf(quotaDetailFmt, s.opt.TrackingDailyQuota), "")
			return
		}
		// DHL's per-second limit answers without Retry-After
		trackingProblem(w, http.StatusTooManyRequests, "Too Many Requests", rateLimitDetail, "")
		return
	}
	if no == "" {
		trackingProblem(w, http.StatusBadRequest, "Invalid input", "Input is invalid: trackingNumber is required.", "")
		return
	}
	svc := q.Get("service")
	if no == TrackExpress && (svc == "" || svc == "express") {
		s.trackExpress(w, now)
		return
	}
	notFound := func() {
		trackingProblem(w, http.StatusNotFound, "No result found", "No shipment with given tracking number found.", "/shipment/"+no)
	}
	if svc != "" && svc != "parcel-de" && svc != "post-de" {
		notFound()
		return
	}
	s.mu.Lock()
	sp := s.shipments[no]
	var evs []trackEvent
	if sp != nil {
		evs = route(sp, now)
	}
	rs := s.returns[strings.TrimPrefix(no, "RET")]
	s.mu.Unlock()
	if sp == nil && rs != nil {
		sp = &shipment{No: rs.No, Created: rs.Created, DestPostal: "53113", DestCity: "Bonn", Dest: "DEU", OriginPostal: rs.Postal}
		evs = route(sp, now)
	}
	if sp == nil {
		notFound()
		return
	}
	full := q.Get("recipientPostalCode") != "" && q.Get("recipientPostalCode") == sp.DestPostal
	// parcel-de timestamps carry no offset: local time in Germany
	ts := func(t time.Time) string { return t.In(berlin).Format("2006-01-02T15:04:05") }
	events := make([]map[string]any, 0, len(evs))
	for i := len(evs) - 1; i >= 0; i-- { // newest first
		e := evs[i]
		m := map[string]any{"timestamp": ts(e.at), "statusCode": e.code, "status": e.status, "description": e.desc}
		if full && e.city != "" {
			m["location"] = map[string]any{"address": map[string]any{"addressLocality": e.city}}
		}
		events = append(events, m)
	}
	shipmentDoc := map[string]any{
		"id": no, "service": "parcel-de", "status": events[0], "events": events,
		"details": map[string]any{"product": map[string]any{"productName": productName(sp.Product)}},
	}
	if full {
		shipmentDoc["origin"] = map[string]any{"address": map[string]any{"countryCode": "DE", "postalCode": sp.OriginPostal, "addressLocality": sp.OriginCity}}
		shipmentDoc["destination"] = map[string]any{"address": map[string]any{"countryCode": alpha2(sp.Dest), "postalCode": sp.DestPostal, "addressLocality": sp.DestCity}}
		if evs[len(evs)-1].code == "transit" {
			shipmentDoc["estimatedTimeOfDelivery"] = ts(sp.Manifested.Add(22 * time.Hour))
		}
	}
	w.Header().Set("Content-Language", "de")
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"shipments": []any{shipmentDoc}})
}

// trackExpress answers for DHL's documented express number: the id is a
// JSON number, times carry an offset, most optional fields are missing.
func (s *Server) trackExpress(w http.ResponseWriter, now time.Time) {
	ts := func(t time.Time) string { return t.In(berlin).Format(time.RFC3339) }
	ev := func(at time.Time, code, desc, where string) map[string]any {
		return map[string]any{"timestamp": ts(at), "statusCode": code, "status": code, "description": desc,
			"location": map[string]any{"address": map[string]any{"addressLocality": where}}}
	}
	events := []any{
		ev(now.Add(-2*time.Hour), "transit", "Shipment has departed from a DHL facility", "LEIPZIG - GERMANY"),
		ev(now.Add(-20*time.Hour), "transit", "Processed at LEIPZIG - GERMANY", "LEIPZIG - GERMANY"),
		ev(now.Add(-26*time.Hour), "pre-transit", "Shipment picked up", "BONN - GERMANY"),
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"shipments": []any{map[string]any{
		"id": json.Number(TrackExpress), "service": "express",
		"origin":      map[string]any{"address": map[string]any{"addressLocality": "BONN - GERMANY"}},
		"destination": map[string]any{"address": map[string]any{"addressLocality": "LONDON - UNITED KINGDOM"}},
		"status":      events[0],
		"details":     map[string]any{"proofOfDeliverySignedAvailable": false, "totalNumberOfPieces": 1, "pieceIds": []string{"JD014600006281230704"}},
		"events":      events,
	}}})
}

func untilTomorrow(now time.Time) time.Duration {
	y, m, d := now.In(berlin).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, berlin).Sub(now)
}

// trackingAllowed applies the per-second limit and the daily quota; quota
// reports which one refused.
func (s *Server) trackingAllowed(key string, now time.Time) (wait time.Duration, quota, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := &s.tracking
	if l.last == nil {
		l.last, l.count = map[string]time.Time{}, map[string]int{}
	}
	day := now.In(berlin).Format(time.DateOnly)
	if day != l.day {
		l.day, l.count = day, map[string]int{}
	}
	if q := s.opt.TrackingDailyQuota; q > 0 && l.count[key] >= q {
		return untilTomorrow(now), true, false
	}
	if ps := s.opt.TrackingPerSecond; ps > 0 {
		gap := time.Duration(float64(time.Second) / ps)
		if last, ok := l.last[key]; ok && now.Sub(last) < gap {
			return gap - now.Sub(last), false, false
		}
	}
	l.last[key] = now
	l.count[key]++
	return 0, false, true
}

// String describes the simulator for logs.
func (s *Server) String() string {
	return fmt.Sprintf("DHL simulator (contract checks: %v)", s.contract != nil)
}
