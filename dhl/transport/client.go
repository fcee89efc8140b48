package transport

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
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// MaxBodySize bounds what is read from a DHL answer (labels of 30 shipments
// fit comfortably).
const MaxBodySize = 64 << 20

// AuthKind says how a request authenticates.
type AuthKind int

// Authentication of a request.
const (
	// AuthUser: dhl-api-key plus the business-portal user (Basic or Bearer).
	AuthUser AuthKind = iota
	// AuthKeyOnly: only the API key, in the header Unified Tracking wants.
	AuthKeyOnly
	// AuthNone: no credentials (version endpoints, public label downloads).
	AuthNone
)

// Request is one call to a DHL API.
type Request struct {
	Method string
	// Path is the full path below the host, e.g. ShippingPath+"/orders".
	Path  string
	Query url.Values
	// JSON, when not nil, is marshalled as the body (application/json).
	JSON   any
	Header http.Header
	Auth   AuthKind
	// Idempotent requests are retried after 5xx and network errors; others
	// only after 429 (the server refused them without acting).
	Idempotent bool
	// Tracking sends the request to TrackingBaseURL.
	Tracking bool
}

// Response is a successful (2xx) answer.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// Client sends requests to the DHL APIs. It is safe for concurrent use.
type Client struct {
	cfg    Config
	hc     *http.Client
	log    *slog.Logger
	sleep  func(context.Context, time.Duration) error
	now    func() time.Time
	tokens *tokenCache
	redact *strings.Replacer
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (tests put a contract checker under it).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithLogger sets the logger; requests are logged at debug level with
// secrets redacted.
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// WithSleep replaces the wait between retries (tests keep it short).
func WithSleep(f func(context.Context, time.Duration) error) Option {
	return func(c *Client) { c.sleep = f }
}

// WithClock replaces the clock used for token expiry.
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// New builds a client from cfg (defaults filled in; secrets are not read
// from the environment here: call cfg.WithEnv first where wanted).
func New(cfg Config, opts ...Option) (*Client, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("dhl configuration: %w", err)
	}
	c := &Client{cfg: cfg, now: time.Now, sleep: sleepCtx}
	for _, o := range opts {
		o(c)
	}
	if c.hc == nil {
		c.hc = &http.Client{}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	var pairs []string
	for _, s := range cfg.secrets() {
		pairs = append(pairs, s, "[REDACTED]", url.QueryEscape(s), "[REDACTED]")
	}
	c.redact = strings.NewReplacer(pairs...)
	c.tokens = &tokenCache{}
	return c, nil
}

// Config returns the effective configuration.
func (c *Client) Config() Config { return c.cfg }

// Redact replaces every configured secret in s.
func (c *Client) Redact(s string) string { return c.redact.Replace(s) }

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Do sends req, authenticating, retrying and decoding errors as configured.
// A status of 400 or more becomes an *APIError.
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	var body []byte
	if req.JSON != nil {
		b, err := json.Marshal(req.JSON)
		if err != nil {
			return nil, fmt.Errorf("encode %s %s: %w", req.Method, req.Path, err)
		}
		body = b
	}
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = 500 * time.Millisecond
	bo.MaxInterval = 10 * time.Second
	bo.MaxElapsedTime = 0
	bo.Reset()
	refreshed := false
	for attempt := 0; ; attempt++ {
		resp, err := c.attempt(ctx, req, body)
		if err == nil {
			return resp, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		var ae *APIError
		isAPI := errors.As(err, &ae)
		// An expired or revoked token: fetch a new one, once.
		if isAPI && ae.StatusCode == http.StatusUnauthorized && req.Auth == AuthUser && c.oauth() && !refreshed {
			refreshed = true
			c.tokens.invalidate()
			c.log.DebugContext(ctx, "dhl: 401, refreshing the access token", "path", req.Path)
			continue
		}
		if attempt >= c.cfg.MaxRetries {
			return nil, err
		}
		wait := bo.NextBackOff()
		switch {
		case isAPI && ae.StatusCode == http.StatusTooManyRequests:
			if ae.QuotaExhausted() || ae.RetryAfter > c.cfg.MaxRetryWait {
				return nil, err // e.g. a daily quota: waiting here helps nobody
			}
			if ae.RetryAfter > 0 {
				wait = ae.RetryAfter
			}
		case isAPI && ae.StatusCode >= 500 && req.Idempotent:
			if ae.RetryAfter > 0 && ae.RetryAfter <= c.cfg.MaxRetryWait {
				wait = ae.RetryAfter // a 503 may say when to come back
			}
		case !isAPI && (req.Idempotent || errors.Is(err, ErrNotSent)) && !errors.Is(err, errNoRetry):
			// network error or timeout of one attempt; a connection that was
			// never made may be retried for any call
		default:
			return nil, err
		}
		c.log.DebugContext(ctx, "dhl: retrying", "path", req.Path, "attempt", attempt+1, "wait", wait, "err", c.Redact(err.Error()))
		if err := c.sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("%s %s: gave up waiting to retry: %w", req.Method, req.Path, err)
		}
	}
}

var errNoRetry = errors.New("not retryable")

// ErrNotSent marks a failure before the request left: the login failed or
// the connection could not be made. Nothing was created or billed.
var ErrNotSent = errors.New("the request was not sent")

// notSent reports whether a transport error happened before any byte of
// the request could reach the server (the connection was never made).
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

func (c *Client) oauth() bool { return strings.EqualFold(c.cfg.Auth, AuthOAuth) }

func (c *Client) baseURL(req Request) string {
	if req.Tracking {
		return strings.TrimRight(c.cfg.TrackingBaseURL, "/")
	}
	return strings.TrimRight(c.cfg.BaseURL, "/")
}

func (c *Client) attempt(ctx context.Context, req Request, body []byte) (*Response, error) {
	u := c.baseURL(req) + req.Path
	if len(req.Query) > 0 {
		u += "?" + req.Query.Encode()
	}
	actx := ctx
	if c.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, c.cfg.Timeout)
		defer cancel()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hr, err := http.NewRequestWithContext(actx, req.Method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w: %w", req.Method, req.Path, err, errNoRetry)
	}
	for k, v := range req.Header {
		hr.Header[k] = v
	}
	hr.Header.Set("Accept", "application/json")
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	switch req.Auth {
	case AuthUser:
		hr.Header.Set("dhl-api-key", c.cfg.APIKey)
		if c.oauth() {
			tok, err := c.token(ctx)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrNotSent, err)
			}
			hr.Header.Set("Authorization", "Bearer "+tok)
		} else {
			hr.SetBasicAuth(c.cfg.Username, c.cfg.Password)
		}
	case AuthKeyOnly:
		hr.Header.Set("DHL-API-Key", c.cfg.TrackingAPIKey)
	}
	start := c.now()
	resp, err := c.hc.Do(hr)
	if err != nil {
		if notSent(err) {
			return nil, fmt.Errorf("%s %s: %w: %s", req.Method, req.Path, ErrNotSent, c.Redact(err.Error()))
		}
		if ctx.Err() == nil && actx.Err() != nil {
			return nil, fmt.Errorf("%s %s: no answer within %s: %w", req.Method, req.Path, c.cfg.Timeout, context.DeadlineExceeded)
		}
		return nil, fmt.Errorf("%s %s: %s", req.Method, req.Path, c.Redact(err.Error()))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodySize+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the answer: %w", req.Method, req.Path, err)
	}
	if len(data) > MaxBodySize {
		return nil, fmt.Errorf("%s %s: answer larger than %d bytes: %w", req.Method, req.Path, MaxBodySize, errNoRetry)
	}
	c.log.DebugContext(ctx, "dhl request", "method", req.Method, "url", c.Redact(u), "status", resp.StatusCode,
		"duration", c.now().Sub(start), "headers", c.Redact(redactHeaders(hr.Header)), "bytes", len(data))
	if resp.StatusCode >= 400 {
		return nil, ParseError(req.Method, req.Path, resp.StatusCode, resp.Header, data)
	}
	return &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

func redactHeaders(h http.Header) string {
	var b strings.Builder
	for k, v := range h {
		switch strings.ToLower(k) {
		case "authorization", "dhl-api-key":
			fmt.Fprintf(&b, "%s=[REDACTED] ", k)
		default:
			fmt.Fprintf(&b, "%s=%s ", k, strings.Join(v, ","))
		}
	}
	return strings.TrimSpace(b.String())
}

// tokenCache holds one OAuth access token.
type tokenCache struct {
	mu      sync.Mutex
	token   string
	expires time.Time
}

func (t *tokenCache) invalidate() {
	t.mu.Lock()
	t.token = ""
	t.mu.Unlock()
}

// tokenAnswer is the token endpoint's answer.
type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// token returns a cached access token, fetching one when there is none or
// it expires within a minute. Holding the lock while fetching makes
// concurrent callers share one fetch.
func (c *Client) token(ctx context.Context) (string, error) {
	t := c.tokens
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token != "" && c.now().Before(t.expires.Add(-time.Minute)) {
		return t.token, nil
	}
	form := url.Values{
		"grant_type":    {"password"},
		"username":      {c.cfg.Username},
		"password":      {c.cfg.Password},
		"client_id":     {c.cfg.APIKey},
		"client_secret": {c.cfg.APISecret},
	}
	var last error
	for attempt := 0; attempt <= max(c.cfg.MaxRetries, 0); attempt++ {
		tok, exp, err := c.fetchToken(ctx, form)
		if err == nil {
			t.token, t.expires = tok, exp
			return tok, nil
		}
		last = err
		var ae *APIError
		if errors.As(err, &ae) && !ae.Temporary() {
			break
		}
		if err := c.sleep(ctx, time.Duration(attempt+1)*500*time.Millisecond); err != nil {
			break
		}
	}
	return "", fmt.Errorf("DHL login (OAuth token) failed: %w", last)
}

func (c *Client) fetchToken(ctx context.Context, form url.Values) (string, time.Time, error) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(actx, http.MethodPost, strings.TrimRight(c.cfg.BaseURL, "/")+TokenPath, strings.NewReader(form.Encode()))
	if err != nil {
		return "", time.Time{}, err
	}
	hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	hr.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(hr)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("%s", c.Redact(err.Error()))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", time.Time{}, err
	}
	c.log.DebugContext(ctx, "dhl token request", "status", resp.StatusCode, "user", c.cfg.Username)
	if resp.StatusCode >= 400 {
		return "", time.Time{}, ParseError(http.MethodPost, TokenPath, resp.StatusCode, resp.Header, data)
	}
	var ta tokenAnswer
	if err := json.Unmarshal(data, &ta); err != nil || ta.AccessToken == "" {
		return "", time.Time{}, fmt.Errorf("token endpoint answered without an access token")
	}
	if ta.ExpiresIn <= 0 {
		ta.ExpiresIn = 300
	}
	return ta.AccessToken, c.now().Add(time.Duration(ta.ExpiresIn) * time.Second), nil
}
