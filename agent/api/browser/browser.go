// Package browser serves the agent's browser-facing surface on its own
// loopback port, beside the control API (agent/api), which refuses every
// request a browser sends:
//
//   - the browser API under /v1/ for web pages of origins the operator
//     paired (print, job status, events, previews, Portokasse balance, and
//     for origins granted it, shipments and stamps);
//   - the JS client (/labelagent.js, /labelagent.d.ts) and the OpenAPI
//     description (/openapi.yaml);
//   - the operator's dashboard under /dashboard/;
//   - optionally, Zebra Browser Print's endpoints on its own ports (zebra.go).
//
// Protection, checked in this order for every request (guard): the Host
// header must name loopback with this listener's port (DNS rebinding);
// Origin "null" is refused; cross-site requests that are not CORS requests
// (forms, images, navigations) are refused; API calls must come with an
// Origin, the origin's token and JSON (or multipart) bodies, so a plain
// form cannot print; CORS echoes only approved origins; each origin is rate
// limited; bodies are bounded. The dashboard is same-origin only and
// authenticated by a session it gets with the page the agent served.
package browser

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/labelagent/labelagent/agent"
	"github.com/labelagent/labelagent/agent/api"
	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/agent/pairing"
)

// Options configure the browser surface.
type Options struct {
	Agent   *agent.Agent
	Origins *pairing.Registry
	// Control is the control API's handler and Key its API key: money
	// endpoints (balance, stamps, shipments) are served by it, after the
	// browser guard has checked the origin's token and scopes.
	Control http.Handler
	Key     string
	Logger  *slog.Logger
	// Rate and Burst bound each origin's requests (0: config values).
	Rate  float64
	Burst int
}

// Server is the browser API, the JS client and the dashboard.
type Server struct {
	a       *agent.Agent
	origins *pairing.Registry
	control http.Handler
	key     string
	log     *slog.Logger
	api     *http.ServeMux
	dash    *http.ServeMux

	limMu    sync.Mutex
	limiters map[string]*rate.Limiter
	rate     rate.Limit
	burst    int

	sessions *sessions
}

// New returns the browser surface of a started agent.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = o.Agent.Logger()
	}
	cfg := o.Agent.Config().Browser
	if o.Rate == 0 {
		o.Rate = cfg.RatePerSecond
	}
	if o.Burst == 0 {
		o.Burst = cfg.Burst
	}
	s := &Server{a: o.Agent, origins: o.Origins, control: o.Control, key: o.Key, log: o.Logger.With("part", "browser"),
		api: http.NewServeMux(), dash: http.NewServeMux(), limiters: map[string]*rate.Limiter{},
		rate: rate.Limit(o.Rate), burst: o.Burst, sessions: newSessions()}
	if o.Rate <= 0 {
		s.rate = rate.Inf
	}
	s.apiRoutes()
	s.dashRoutes()
	return s
}

// caller is the checked origin of an API request.
type caller struct {
	origin string
	scopes []string
	lang   i18n.Lang
}

func (c *caller) has(scope string) bool {
	for _, s := range c.scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// Handler is the whole browser surface behind its guard.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if !hostMatches(r) {
			s.fail(w, r, http.StatusForbidden, apitype.CodeForbidden, i18n.E("browser.err_host", "host", r.Host))
			return
		}
		if r.Header.Get("Origin") == "null" {
			s.fail(w, r, http.StatusForbidden, apitype.CodeForbidden, i18n.E("browser.err_origin_null"))
			return
		}
		switch p := r.URL.Path; {
		case p == "/labelagent.js" || p == "/labelagent.d.ts" || p == "/openapi.yaml":
			s.public(w, r)
		case strings.HasPrefix(p, "/v1/"):
			s.serveAPI(w, r)
		default:
			s.serveDashboard(w, r)
		}
	})
}

// hostMatches reports whether Host names loopback and this listener's
// port: a page on a rebinding domain sends its own name and is refused.
func hostMatches(r *http.Request) bool {
	if !api.ValidHost(r.Host) {
		return false
	}
	_, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		return false // browsers always send the port of a non-default one
	}
	la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return false
	}
	_, lport, err := net.SplitHostPort(la.String())
	return err == nil && lport == port
}

// crossSiteNoCORS reports a request a browser sent for a form, an image, a
// navigation or a frame from another site: none of them are API calls.
func crossSiteNoCORS(r *http.Request) bool {
	site, mode := r.Header.Get("Sec-Fetch-Site"), r.Header.Get("Sec-Fetch-Mode")
	if site == "" || site == "same-origin" || site == "none" {
		return false
	}
	return mode != "" && mode != "cors"
}

// serveAPI runs the guard of /v1/ and then the route.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	if crossSiteNoCORS(r) {
		s.fail(w, r, http.StatusForbidden, apitype.CodeForbidden, i18n.E("browser.err_cross_site"))
		return
	}
	raw := r.Header.Get("Origin")
	if raw == "" {
		s.fail(w, r, http.StatusForbidden, apitype.CodeForbidden, i18n.E("browser.err_no_origin"))
		return
	}
	origin, err := pairing.NormalizeOrigin(raw)
	if err != nil {
		s.fail(w, r, http.StatusForbidden, apitype.CodeForbidden, err)
		return
	}
	pairPath := r.URL.Path == "/v1/pair"
	o, known := s.origins.Get(origin)
	allowed := pairPath || (known && o.State == apitype.OriginApproved)
	if allowed {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", raw)
		h.Add("Vary", "Origin")
		h.Set("Access-Control-Expose-Headers", "Location, Retry-After")
	}
	if r.Method == http.MethodOptions {
		s.preflight(w, r, allowed)
		return
	}
	if !s.allow(origin) {
		w.Header().Set("Retry-After", "1")
		s.fail(w, r, http.StatusTooManyRequests, apitype.CodeRateLimited, i18n.E("browser.err_rate"))
		return
	}
	c := &caller{origin: origin, lang: langOf(r)}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		if !bodyTypeOK(r) {
			s.fail(w, r, http.StatusUnsupportedMediaType, apitype.CodeBadRequest, i18n.E("browser.err_content_type", "type", r.Header.Get("Content-Type")))
			return
		}
	}
	if pairPath {
		if r.Method == http.MethodPost {
			s.pairRequest(w, r, c)
			return
		}
		if r.Method != http.MethodGet {
			s.fail(w, r, http.StatusMethodNotAllowed, apitype.CodeBadRequest, i18n.E("browser.err_method"))
			return
		}
	}
	token := tokenOf(r)
	if token == "" {
		s.fail(w, r, http.StatusUnauthorized, apitype.CodeNotPaired, pairing.ErrNotPaired)
		return
	}
	st, err := s.origins.Check(origin, token)
	if pairPath {
		s.pairStatus(w, r, c, st, err)
		return
	}
	if err != nil {
		s.failPairing(w, r, err)
		return
	}
	c.scopes = st.Scopes
	s.api.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, c)))
}

type callerKey struct{}

// handle adds a browser API route that needs scope ("" = any paired origin).
func (s *Server) handle(pattern, scope string, h func(w http.ResponseWriter, r *http.Request, c *caller)) {
	s.api.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		c, _ := r.Context().Value(callerKey{}).(*caller)
		if c == nil {
			s.fail(w, r, http.StatusUnauthorized, apitype.CodeNotPaired, pairing.ErrNotPaired)
			return
		}
		if scope != "" && !c.has(scope) {
			s.fail(w, r, http.StatusForbidden, apitype.CodeScope, i18n.E("browser.err_scope", "scope", scope, "origin", c.origin))
			return
		}
		h(w, r, c)
	})
}

// failPairing answers a token that does not work.
func (s *Server) failPairing(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, pairing.ErrDenied):
		s.fail(w, r, http.StatusForbidden, apitype.CodeDenied, err)
	case errors.Is(err, pairing.ErrPending):
		s.fail(w, r, http.StatusForbidden, apitype.CodePending, err)
	default:
		s.fail(w, r, http.StatusUnauthorized, apitype.CodeNotPaired, err)
	}
}

// preflight answers CORS preflights: only for approved origins (and for
// anyone on /v1/pair), with Private Network Access consent when asked.
func (s *Server) preflight(w http.ResponseWriter, r *http.Request, allowed bool) {
	if !allowed {
		s.fail(w, r, http.StatusForbidden, apitype.CodeNotPaired, pairing.ErrNotPaired)
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Idempotency-Key, X-Labelagent-Token, Accept-Language")
	h.Set("Access-Control-Max-Age", "600")
	if r.Header.Get("Access-Control-Request-Private-Network") == "true" {
		h.Set("Access-Control-Allow-Private-Network", "true")
	}
	w.WriteHeader(http.StatusNoContent)
}

// bodyTypeOK: state changes come as JSON (or multipart with the token
// header, which a form cannot add), never as a form's text/plain or
// urlencoded body.
func bodyTypeOK(r *http.Request) bool {
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	return strings.HasPrefix(ct, "application/json") || (strings.HasPrefix(ct, "multipart/form-data") && r.URL.Path == "/v1/jobs")
}

// tokenOf reads the origin's token from a header, never from the query or
// a cookie (which a cross-site request could carry).
func tokenOf(r *http.Request) string {
	if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(v)
	}
	return strings.TrimSpace(r.Header.Get("X-Labelagent-Token"))
}

// allow takes one request from origin's bucket.
func (s *Server) allow(origin string) bool {
	s.limMu.Lock()
	defer s.limMu.Unlock()
	l, ok := s.limiters[origin]
	if !ok {
		if len(s.limiters) > 1000 {
			clear(s.limiters) // many origins: a flood; start over rather than grow
		}
		l = rate.NewLimiter(s.rate, s.burst)
		s.limiters[origin] = l
	}
	return l.Allow()
}

func langOf(r *http.Request) i18n.Lang {
	if l, ok := i18n.ParseLang(r.URL.Query().Get("lang")); ok {
		return l
	}
	return i18n.FromAcceptLanguage(r.Header.Get("Accept-Language"), i18n.English)
}

// fail writes an error answer in the reader's language; the one place that does.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, code string, err error) {
	out := errorBody(status, code, err, langOf(r))
	level := slog.LevelDebug
	if status >= 500 {
		level = slog.LevelError
	}
	s.log.Log(r.Context(), level, "browser request refused", "method", r.Method, "path", r.URL.Path,
		"origin", r.Header.Get("Origin"), "status", status, "err", err)
	writeJSON(w, status, out)
}

// errorBody is the error answer in lang, with the catalog id and arguments
// so that clients can word it themselves.
func errorBody(status int, code string, err error, lang i18n.Lang) apitype.Error {
	out := apitype.Error{Status: status, Code: code, Message: i18n.For(lang).Err(err)}
	var ie *i18n.Error
	if errors.As(err, &ie) {
		out.ID, out.Args = ie.ID, ie.ArgMap()
	}
	return out
}

// failAgent answers the agent's errors as the control API does.
func (s *Server) failAgent(w http.ResponseWriter, r *http.Request, err error) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		s.fail(w, r, http.StatusRequestEntityTooLarge, apitype.CodeTooLarge, i18n.Wrap(err, "browser.err_too_large"))
		return
	}
	e := api.Answer(err, langOf(r))
	s.log.Debug("browser request refused", "method", r.Method, "path", r.URL.Path, "origin", r.Header.Get("Origin"), "status", e.Status, "err", err)
	writeJSON(w, e.Status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// NewHTTPServer wraps h with timeouts for a local server whose event
// streams stay open.
func NewHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
}

// sourceFor is the job source of an origin's jobs: it tells the operator
// where a job came from and keeps each origin to its own jobs. Jobs allow
// 64 bytes of source; longer origins keep their start and a hash.
func sourceFor(origin string) string {
	s := "browser:" + origin
	if len(s) <= 64 {
		return s
	}
	return s[:47] + "#" + pairing.HashToken(origin)[:16]
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ctxWithoutCancel bounds work that must finish even if the page goes away.
func ctxWithoutCancel(r *http.Request, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(r.Context()), d)
}
