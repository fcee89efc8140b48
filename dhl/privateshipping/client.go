package privateshipping

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/labelagent/labelagent/dhl/transport"
)

// maxBody bounds what is read from an answer (a cart of 100 items, a PDF
// label).
const maxBody = 16 << 20

// Client talks to DHL Online Franking. It is safe for concurrent use.
type Client struct {
	base   string
	key    string
	hc     *http.Client
	log    *slog.Logger
	sleep  func(context.Context, time.Duration) error
	tries  int
	redact *strings.Replacer
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithLogger sets the logger (requests at debug level, the key redacted).
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// WithSleep replaces the wait between retries (tests keep it short).
func WithSleep(f func(context.Context, time.Duration) error) Option {
	return func(c *Client) { c.sleep = f }
}

// New returns a client for baseURL (scheme and host; BasePath is appended)
// authenticating with the developer portal's API key.
func New(baseURL, apiKey string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("online franking base URL %q: want https://host", baseURL)
	}
	if apiKey == "" {
		return nil, errors.New("online franking: no API key (franking.api_key or " + EnvAPIKey + ")")
	}
	c := &Client{base: strings.TrimRight(baseURL, "/"), key: apiKey, tries: 4,
		sleep: func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}}
	for _, o := range opts {
		o(c)
	}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: 30 * time.Second}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.redact = strings.NewReplacer(apiKey, "[REDACTED]")
	return c, nil
}

// Problem is one entry of DHL's error answer ("code" is a business code
// such as vls.gpm.address.plzRequired, not the HTTP status).
type Problem struct {
	Code     string `json:"code"`
	Detail   string `json:"detail"`
	Property string `json:"property,omitempty"`
}

// Field returns the problem's property in the request's own terms:
// DHL's "item._0.address.receiver.plz" becomes "items[0].address.receiver.plz".
func (p Problem) Field() string {
	parts := strings.Split(p.Property, ".")
	var out []string
	for i := 0; i < len(parts); i++ {
		if parts[i] == "item" && i+1 < len(parts) && strings.HasPrefix(parts[i+1], "_") {
			out = append(out, "items["+strings.TrimPrefix(parts[i+1], "_")+"]")
			i++
			continue
		}
		if strings.HasPrefix(parts[i], "_") && len(out) > 0 {
			out[len(out)-1] += "[" + strings.TrimPrefix(parts[i], "_") + "]"
			continue
		}
		out = append(out, parts[i])
	}
	return strings.Join(out, ".")
}

// APIError is an answer with status 400 or more.
type APIError struct {
	Method, Path string
	StatusCode   int
	Problems     []Problem
	// Text is a non-JSON body's readable text.
	Text       string
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "DHL Online Franking %s %s: HTTP %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	for _, p := range e.Problems {
		b.WriteString(": ")
		if p.Property != "" {
			b.WriteString(p.Field() + ": ")
		}
		b.WriteString(cmpOr(p.Detail, p.Code))
		if p.Code != "" && p.Detail != "" {
			b.WriteString(" (" + p.Code + ")")
		}
	}
	if len(e.Problems) == 0 && e.Text != "" {
		b.WriteString(": " + e.Text)
	}
	switch e.StatusCode {
	case http.StatusUnauthorized:
		b.WriteString(" (check franking.api_key)")
	case http.StatusForbidden:
		b.WriteString(" (the app is not enabled for Private Shipping in the developer portal)")
	}
	return b.String()
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Temporary reports whether the same request may succeed later.
func (e *APIError) Temporary() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// StatusOf returns the HTTP status of an *APIError in err's chain, or 0.
func StatusOf(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.StatusCode
	}
	return 0
}

// UnknownOutcomeError says a request that changes something was sent but
// its answer was lost: DHL may or may not have acted on it.
type UnknownOutcomeError struct{ Err error }

func (e *UnknownOutcomeError) Error() string {
	return "no answer from DHL Online Franking, the cart may or may not have been created: " + e.Err.Error()
}
func (e *UnknownOutcomeError) Unwrap() error { return e.Err }

type request struct {
	method, path string
	query        url.Values
	body         any
	idempotent   bool
	accept       string
}

func (c *Client) do(ctx context.Context, r request) ([]byte, http.Header, error) {
	var payload []byte
	if r.body != nil {
		var err error
		if payload, err = json.Marshal(r.body); err != nil {
			return nil, nil, err
		}
	}
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = 500 * time.Millisecond
	bo.MaxInterval = 10 * time.Second
	var lastErr error
	for attempt := 1; attempt <= c.tries; attempt++ {
		body, hdr, sent, err := c.once(ctx, r, payload)
		if err == nil {
			return body, hdr, nil
		}
		lastErr = err
		var ae *APIError
		retry := false
		wait := bo.NextBackOff()
		switch {
		case errors.As(err, &ae):
			// A 429 was refused without acting; 5xx only for reads.
			retry = ae.StatusCode == http.StatusTooManyRequests || (ae.StatusCode >= 500 && r.idempotent)
			if ae.RetryAfter > 0 {
				wait = ae.RetryAfter
			}
		case ctx.Err() != nil:
			return nil, nil, err
		default:
			// Network trouble: reads are retried; a write whose request left
			// has an unknown outcome and is never re-sent blindly.
			if !r.idempotent && sent {
				return nil, nil, &UnknownOutcomeError{Err: err}
			}
			retry = true
		}
		if !retry || attempt == c.tries {
			break
		}
		c.log.Debug("online franking: retrying", "path", r.path, "attempt", attempt, "wait", wait, "err", c.redact.Replace(err.Error()))
		if err := c.sleep(ctx, wait); err != nil {
			return nil, nil, err
		}
	}
	return nil, nil, lastErr
}

// once sends one request; sent is false when it certainly did not leave.
func (c *Client) once(ctx context.Context, r request, payload []byte) (body []byte, hdr http.Header, sent bool, err error) {
	u := c.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, rd)
	if err != nil {
		return nil, nil, false, err
	}
	req.Header.Set("dhl-api-key", c.key)
	req.Header.Set("Accept", cmpOr(r.accept, "application/json"))
	if payload != nil {
		req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	}
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		// A failed dial never reached DHL; anything later may have.
		var op *net.OpError
		sent = !(errors.As(err, &op) && op.Op == "dial")
		return nil, nil, sent, fmt.Errorf("DHL Online Franking %s %s: %s", r.method, r.path, c.redact.Replace(err.Error()))
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	c.log.Debug("online franking", "method", r.method, "path", r.path, "status", resp.StatusCode, "took", time.Since(start))
	if err != nil {
		return nil, nil, true, fmt.Errorf("DHL Online Franking %s %s: reading the answer: %w", r.method, r.path, err)
	}
	if len(body) > maxBody {
		return nil, nil, true, fmt.Errorf("DHL Online Franking %s %s: answer larger than %d bytes", r.method, r.path, maxBody)
	}
	if resp.StatusCode >= 400 {
		return nil, nil, true, decodeError(r.method, r.path, resp, body)
	}
	return body, resp.Header, true, nil
}

func decodeError(method, path string, resp *http.Response, body []byte) error {
	ae := &APIError{Method: method, Path: path, StatusCode: resp.StatusCode,
		RetryAfter: transport.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
	text := transport.DecodeText(resp.Header.Get("Content-Type"), body)
	var one Problem
	var many []Problem
	var wrapped struct {
		Errors []Problem `json:"errors"`
		Title  string    `json:"title"`
		Detail string    `json:"detail"`
	}
	switch {
	case json.Unmarshal(text, &many) == nil && len(many) > 0:
		ae.Problems = many
	case json.Unmarshal(text, &wrapped) == nil && len(wrapped.Errors) > 0:
		ae.Problems = wrapped.Errors
	case json.Unmarshal(text, &one) == nil && (one.Code != "" || one.Detail != ""):
		ae.Problems = []Problem{one}
	case json.Unmarshal(text, &wrapped) == nil && (wrapped.Title != "" || wrapped.Detail != ""):
		ae.Problems = []Problem{{Detail: strings.TrimSpace(wrapped.Title + " " + wrapped.Detail)}}
	default:
		t := strings.TrimSpace(stripTags(string(text)))
		if len(t) > 300 {
			t = t[:300] + "…"
		}
		ae.Text = t
	}
	return ae
}

func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
			b.WriteByte(' ')
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// Products reads the product catalog, narrowed by f. The agent caches it and
// refreshes it about once a day; do not call this per order.
func (c *Client) Products(ctx context.Context, f Filter) ([]Product, error) {
	q := url.Values{}
	if f.Search != "" {
		q.Set("search", f.Search)
	}
	if f.Destination != "" {
		q.Set("destination", f.Destination)
	}
	if f.WeightGrams > 0 {
		q.Set("weight", strconv.Itoa(f.WeightGrams))
	}
	body, _, err := c.do(ctx, request{method: http.MethodGet, path: ProductsPath, query: q, idempotent: true})
	if err != nil {
		return nil, err
	}
	var cat Catalog
	if err := json.Unmarshal(body, &cat); err != nil {
		return nil, fmt.Errorf("DHL Online Franking product catalog: %w", err)
	}
	return cat.Products, nil
}

// CreateCart fills a prepaid shopping cart. The request is checked first
// (Validate) and sent only when DHL would take it. Creating a cart costs
// nothing, but a lost answer is still reported as *UnknownOutcomeError: the
// cart may exist, unpaid, and it must not be paid twice.
func (c *Client) CreateCart(ctx context.Context, req CartRequest, catalog []Product) (*Cart, error) {
	if err := Validate(req, catalog); err != nil {
		return nil, err
	}
	body, _, err := c.do(ctx, request{method: http.MethodPost, path: CartsPath, body: req})
	if err != nil {
		return nil, err
	}
	return decodeCart(body)
}

// Cart loads a cart with its status, items, services and PAKIDs.
func (c *Client) Cart(ctx context.Context, id string) (*Cart, error) {
	if id == "" {
		return nil, errors.New("no shopping cart id")
	}
	body, _, err := c.do(ctx, request{method: http.MethodGet, path: CartPath(id), idempotent: true})
	if err != nil {
		return nil, err
	}
	return decodeCart(body)
}

func decodeCart(body []byte) (*Cart, error) {
	var cart Cart
	if err := json.Unmarshal(body, &cart); err != nil {
		return nil, fmt.Errorf("DHL Online Franking cart: %w", err)
	}
	if cart.ShoppingCartID == "" {
		return nil, errors.New("DHL Online Franking cart: the answer has no shoppingCartId")
	}
	return &cart, nil
}

// Label returns an item's label as PDF.
func (c *Client) Label(ctx context.Context, pakID string) ([]byte, error) {
	body, hdr, err := c.do(ctx, request{method: http.MethodGet, path: LabelPath(pakID), idempotent: true, accept: "application/pdf"})
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(body, []byte("%PDF-")) {
		return nil, fmt.Errorf("DHL Online Franking label %s: not a PDF (%s)", pakID, hdr.Get("Content-Type"))
	}
	return body, nil
}

// QRCode returns an item's QR code for drop-off as PNG.
func (c *Client) QRCode(ctx context.Context, pakID string) ([]byte, error) {
	body, hdr, err := c.do(ctx, request{method: http.MethodGet, path: QRPath(pakID), idempotent: true, accept: "image/png"})
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(body, []byte("\x89PNG\r\n\x1a\n")) {
		return nil, fmt.Errorf("DHL Online Franking QR code %s: not a PNG (%s)", pakID, hdr.Get("Content-Type"))
	}
	return body, nil
}

// BookPickup books a pickup without parcels in a cart.
func (c *Client) BookPickup(ctx context.Context, p Pickup) (*PickupBooking, error) {
	if err := Validate(CartRequest{Pickup: &p}, nil); err != nil {
		return nil, err
	}
	body, _, err := c.do(ctx, request{method: http.MethodPost, path: PickupsPath, body: p})
	if err != nil {
		return nil, err
	}
	var b PickupBooking
	if err := json.Unmarshal(body, &b); err != nil || b.PickupID == "" {
		return nil, fmt.Errorf("DHL Online Franking pickup: unreadable answer")
	}
	return &b, nil
}
