// Package tracking is a client of DHL's Shipment Tracking – Unified API
// (/track/shipments): status and events by tracking number, timestamps
// without an offset read as Europe/Berlin, and a client-side rate limiter,
// daily quota counter and cache that keep within the starter quota (1 call
// a second, 250 a day).
package tracking

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // Europe/Berlin also on machines without a zone database

	"golang.org/x/time/rate"

	"github.com/labelagent/labelagent/dhl/transport"
)

// Status codes of a shipment; values the API adds later read as unknown.
const (
	PreTransit = "pre-transit"
	Transit    = "transit"
	Delivered  = "delivered"
	Failure    = "failure"
	Unknown    = "unknown"
)

// ErrQuotaExhausted is returned once the day's calls are used up: by the
// client's own count, or when DHL's 429 says so (a Retry-After of an hour
// or more, or words of a quota). Then no call is sent until the Berlin day
// changes.
var ErrQuotaExhausted = errors.New("the daily tracking quota is used up; try again tomorrow")

// ErrRateLimited is returned when DHL answered 429 for calls that came too
// fast and retrying within the call did not help: try again shortly. It
// does not block the rest of the day.
var ErrRateLimited = errors.New("DHL's tracking rate limit was hit; try again shortly")

// ErrNotFound is returned when DHL knows no shipment with the number; the
// error also carries DHL's *transport.APIError (status, title, detail).
var ErrNotFound = errors.New("no shipment found with this tracking number")

// Berlin is the zone of parcel-de timestamps that carry no offset.
var berlin = func() *time.Location {
	l, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return l
}()

// Time is a timestamp of the API: a date-time with or without an offset,
// or a bare date.
type Time struct {
	time.Time
	DateOnly bool
	// Raw is the text DHL sent when it is no timestamp this client can
	// read; the time is then zero (an odd timestamp of one event does not
	// lose the whole answer).
	Raw string
}

var shortOffset = regexp.MustCompile(`([+-])(\d):(\d\d)$`)

// ParseTime reads the API's timestamp forms. Without an offset the time is
// read in loc (Europe/Berlin for parcel-de; nil means Berlin).
func ParseTime(s string, loc *time.Location) (Time, error) {
	if loc == nil {
		loc = berlin
	}
	s = strings.TrimSpace(s)
	if len(s) > 64 {
		return Time{}, fmt.Errorf("timestamp too long")
	}
	// "2017-06-21T14:07:17+2:00" appears in DHL's own documentation
	s = shortOffset.ReplaceAllString(s, "${1}0${2}:${3}")
	t, err := parseTime(s, loc)
	if err != nil {
		return t, err
	}
	if y := t.Year(); y < 1990 || y > 2200 {
		return Time{}, fmt.Errorf("%q lies outside any shipment's life", s)
	}
	return t, nil
}

func parseTime(s string, loc *time.Location) (Time, error) {
	for _, f := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05Z0700"} {
		if t, err := time.Parse(f, s); err == nil {
			return Time{Time: t}, nil
		}
	}
	for _, f := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(f, s, loc); err == nil {
			return Time{Time: t}, nil
		}
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return Time{Time: t, DateOnly: true}, nil
	}
	return Time{}, fmt.Errorf("%q is not an ISO 8601 date or date-time", s)
}

// UnmarshalJSON reads a timestamp string (Berlin where no offset is given).
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == "" {
		*t = Time{}
		return nil
	}
	v, err := ParseTime(s, berlin)
	if err != nil {
		if len(s) > 64 {
			s = s[:64]
		}
		*t = Time{Raw: s}
		return nil
	}
	*t = v
	return nil
}

// MarshalJSON writes RFC 3339 (or the date).
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return json.Marshal(t.Raw)
	}
	if t.DateOnly {
		return json.Marshal(t.Format(time.DateOnly))
	}
	return json.Marshal(t.Format(time.RFC3339))
}

// Address is a place in a tracking answer.
type Address struct {
	CountryCode     string `json:"countryCode,omitempty"`
	PostalCode      string `json:"postalCode,omitempty"`
	AddressLocality string `json:"addressLocality,omitempty"`
	StreetAddress   string `json:"streetAddress,omitempty"`
}

// UnmarshalJSON reads the address's fields as text, whether DHL's services
// send them as strings or numbers (a postal code of 53113).
func (a *Address) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*a = Address{CountryCode: text(raw["countryCode"]), PostalCode: text(raw["postalCode"]),
		AddressLocality: text(raw["addressLocality"]), StreetAddress: text(raw["streetAddress"])}
	return nil
}

// text reads a JSON string or number as text ("" for anything else).
func text(b json.RawMessage) string {
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if len(b) == 0 || d.Decode(&v) != nil {
		return ""
	}
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return ""
}

// Place wraps an address.
type Place struct {
	Address Address `json:"address"`
}

// Event is a status of the shipment at a time.
type Event struct {
	Timestamp   Time   `json:"timestamp"`
	Location    *Place `json:"location,omitempty"`
	StatusCode  string `json:"statusCode,omitempty"`
	Status      string `json:"status,omitempty"`
	Description string `json:"description,omitempty"`
	Remark      string `json:"remark,omitempty"`
}

// Shipment is one tracked shipment.
type Shipment struct {
	ID                      string          `json:"id"`
	Service                 string          `json:"service"`
	Origin                  *Place          `json:"origin,omitempty"`
	Destination             *Place          `json:"destination,omitempty"`
	Status                  Event           `json:"status"`
	EstimatedTimeOfDelivery *Time           `json:"estimatedTimeOfDelivery,omitempty"`
	Details                 json.RawMessage `json:"details,omitempty"`
	Events                  []Event         `json:"events,omitempty"` // newest first
}

// UnmarshalJSON reads a shipment; its id may be a string or a JSON number
// (express shipments: "id": 7777777770), read digit-exact.
func (s *Shipment) UnmarshalJSON(b []byte) error {
	type plain Shipment
	var raw struct {
		plain
		ID json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*s = Shipment(raw.plain)
	s.ID = text(raw.ID)
	return nil
}

// Response is the answer of /track/shipments.
type Response struct {
	Shipments                      []Shipment `json:"shipments"`
	PossibleAdditionalShipmentsURL []string   `json:"possibleAdditionalShipmentsUrl,omitempty"`
}

// ParseResponse reads an answer of /track/shipments: tolerant where DHL's
// services differ (ids as strings or numbers, optional fields missing,
// status codes added later read as unknown), strict where it matters: an
// answer without a shipments list, or a shipment without an id, is refused
// rather than shown as a status of no parcel.
func ParseResponse(body []byte) (*Response, error) {
	var probe struct {
		Shipments json.RawMessage `json:"shipments"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		return nil, err
	}
	if len(probe.Shipments) == 0 || string(probe.Shipments) == "null" {
		return nil, errors.New("the answer has no shipments list")
	}
	var r Response
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, err
	}
	for i := range r.Shipments {
		sh := &r.Shipments[i]
		if strings.TrimSpace(sh.ID) == "" {
			return nil, fmt.Errorf("shipment %d of the answer has no id", i+1)
		}
		sh.Status.StatusCode = normaliseCode(sh.Status.StatusCode)
		for j := range sh.Events {
			sh.Events[j].StatusCode = normaliseCode(sh.Events[j].StatusCode)
		}
	}
	return &r, nil
}

func normaliseCode(c string) string {
	switch c {
	case PreTransit, Transit, Delivered, Failure:
		return c
	}
	return Unknown
}

// Query is one tracking request.
type Query struct {
	TrackingNumber      string
	Service             string // e.g. parcel-de, post-de; empty: DHL guesses
	RecipientPostalCode string // needed for full parcel-de data
	Language            string // de, en
	OriginCountryCode   string
	Offset, Limit       int
}

func (q Query) key() string {
	return strings.Join([]string{q.TrackingNumber, q.Service, q.RecipientPostalCode, q.Language, q.OriginCountryCode,
		strconv.Itoa(q.Offset), strconv.Itoa(q.Limit)}, "|")
}

// Options tune the client's courtesy towards the quota.
type Options struct {
	PerSecond  float64       // calls per second (default 1; DHL's starter limit)
	DailyQuota int           // calls per day, counted per Berlin day (default 250; negative: unlimited)
	CacheTTL   time.Duration // how long an answer is reused (default 2h; delivered: 24h)
	Now        func() time.Time
}

// Client calls the Unified Tracking API.
type Client struct {
	t       *transport.Client
	opt     Options
	limiter *rate.Limiter

	mu        sync.Mutex
	day       string
	used      int
	exhausted string    // the Berlin day the server said the quota is gone
	coolUntil time.Time // DHL's Retry-After of a rate limit
	cache     map[string]cached
	calls     int
}

type cached struct {
	resp *Response
	at   time.Time
	ttl  time.Duration
}

// New returns a tracking client over t.
func New(t *transport.Client, opt Options) *Client {
	if opt.PerSecond <= 0 {
		opt.PerSecond = 1
	}
	if opt.DailyQuota == 0 {
		opt.DailyQuota = 250
	}
	if opt.CacheTTL == 0 {
		opt.CacheTTL = 2 * time.Hour
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Client{t: t, opt: opt, limiter: rate.NewLimiter(rate.Limit(opt.PerSecond), 1), cache: map[string]cached{}}
}

// Calls returns how many requests reached DHL (cache hits do not count).
func (c *Client) Calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// Remaining returns the calls left today by the client's own count.
func (c *Client) Remaining() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rollDay()
	if c.opt.DailyQuota < 0 {
		return -1
	}
	if c.exhausted == c.day {
		return 0
	}
	return max(c.opt.DailyQuota-c.used, 0)
}

func (c *Client) rollDay() {
	d := c.opt.Now().In(berlin).Format(time.DateOnly)
	if d != c.day {
		c.day, c.used = d, 0
	}
}

// Track returns the shipments for a tracking number, from the cache when a
// recent answer exists. It waits for the rate limiter (honouring ctx).
func (c *Client) Track(ctx context.Context, q Query) (*Response, error) {
	q.TrackingNumber = strings.TrimSpace(q.TrackingNumber)
	q.RecipientPostalCode = strings.TrimSpace(q.RecipientPostalCode)
	if q.TrackingNumber == "" || len(q.TrackingNumber) > 50 {
		return nil, fmt.Errorf("tracking number %q is not valid", q.TrackingNumber)
	}
	now := c.opt.Now()
	c.mu.Lock()
	if e, ok := c.cache[q.key()]; ok && now.Sub(e.at) < e.ttl {
		c.mu.Unlock()
		return e.resp, nil
	}
	c.rollDay()
	if c.exhausted == c.day || (c.opt.DailyQuota >= 0 && c.used >= c.opt.DailyQuota) {
		c.mu.Unlock()
		return nil, ErrQuotaExhausted
	}
	if now.Before(c.coolUntil) {
		wait := c.coolUntil.Sub(now)
		c.mu.Unlock()
		return nil, fmt.Errorf("%w (DHL asked to wait %s)", ErrRateLimited, wait.Round(time.Second))
	}
	c.used++ // counted before the call: a call that fails still costs quota
	c.mu.Unlock()

	if err := c.limiter.Wait(ctx); err != nil {
		c.mu.Lock()
		c.used-- // not sent: no quota spent
		c.mu.Unlock()
		return nil, fmt.Errorf("tracking: waiting for the rate limit: %w", err)
	}
	v := url.Values{"trackingNumber": {q.TrackingNumber}}
	for k, val := range map[string]string{"service": q.Service, "recipientPostalCode": q.RecipientPostalCode, "language": q.Language, "originCountryCode": q.OriginCountryCode} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if q.Offset > 0 {
		v.Set("offset", strconv.Itoa(q.Offset))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	c.mu.Lock()
	c.calls++
	c.mu.Unlock()
	resp, err := c.t.Do(ctx, transport.Request{Method: http.MethodGet, Path: transport.TrackingPath, Query: v, Auth: transport.AuthKeyOnly, Idempotent: true, Tracking: true})
	if err != nil {
		var ae *transport.APIError
		if errors.As(err, &ae) {
			switch {
			case ae.StatusCode == http.StatusNotFound:
				return nil, fmt.Errorf("%w: %s: %w", ErrNotFound, q.TrackingNumber, err)
			case ae.QuotaExhausted():
				// only when DHL's answer says so: nothing more today
				c.mu.Lock()
				c.exhausted = c.day
				c.mu.Unlock()
				return nil, fmt.Errorf("%w: %w", ErrQuotaExhausted, err)
			case ae.StatusCode == http.StatusTooManyRequests:
				if ae.RetryAfter > 0 {
					c.mu.Lock()
					c.coolUntil = c.opt.Now().Add(ae.RetryAfter)
					c.mu.Unlock()
				}
				return nil, fmt.Errorf("tracking %s: %w: %w", q.TrackingNumber, ErrRateLimited, err)
			}
		}
		return nil, fmt.Errorf("tracking %s: %w", q.TrackingNumber, err)
	}
	r, err := ParseResponse(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("tracking %s: unreadable answer: %w", q.TrackingNumber, err)
	}
	ttl := c.opt.CacheTTL
	for _, sh := range r.Shipments {
		if sh.Status.StatusCode == Delivered && ttl < 24*time.Hour {
			ttl = 24 * time.Hour // nothing more will happen
		}
	}
	c.mu.Lock()
	if len(c.cache) >= 1000 {
		for k, e := range c.cache {
			if now.Sub(e.at) >= e.ttl {
				delete(c.cache, k)
			}
		}
	}
	c.cache[q.key()] = cached{resp: r, at: now, ttl: ttl}
	c.mu.Unlock()
	return r, nil
}
