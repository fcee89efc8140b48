package sim

import (
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

func (s *Server) track(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("DHL-API-Key")
	if key != s.opt.APIKey {
		writeProblem(w, http.StatusUnauthorized, "Unauthorized", "Invalid or missing DHL-API-Key.")
		return
	}
	now := s.opt.Now()
	if wait, ok := s.trackingAllowed(key, now); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		writeProblem(w, http.StatusTooManyRequests, "Too Many Requests", "Rate limit or daily quota exceeded.")
		return
	}
	q := r.URL.Query()
	no := strings.TrimSpace(q.Get("trackingNumber"))
	if no == "" {
		writeProblem(w, http.StatusBadRequest, "Bad Request", "trackingNumber is required.")
		return
	}
	if svc := q.Get("service"); svc != "" && svc != "parcel-de" && svc != "post-de" {
		writeProblem(w, http.StatusNotFound, "No result found", "No shipment with given tracking number found.")
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
		writeProblem(w, http.StatusNotFound, "No result found", "No shipment with given tracking number found.")
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

// trackingAllowed applies the per-second limit and the daily quota.
func (s *Server) trackingAllowed(key string, now time.Time) (time.Duration, bool) {
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
		y, m, d := now.In(berlin).Date()
		return time.Date(y, m, d+1, 0, 0, 0, 0, berlin).Sub(now), false
	}
	if ps := s.opt.TrackingPerSecond; ps > 0 {
		gap := time.Duration(float64(time.Second) / ps)
		if last, ok := l.last[key]; ok && now.Sub(last) < gap {
			return gap - now.Sub(last), false
		}
	}
	l.last[key] = now
	l.count[key]++
	return 0, true
}

// String describes the simulator for logs.
func (s *Server) String() string {
	return fmt.Sprintf("DHL simulator (contract checks: %v)", s.contract != nil)
}
