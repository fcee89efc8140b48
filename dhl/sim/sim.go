// Package sim simulates the DHL Parcel DE APIs the agent uses — Shipping v2,
// Returns v1, Unified Tracking and the OAuth token endpoint — under their
// real base paths, for tests, benchmarks and the offline demo. It follows
// the official contract (every Shipping request is checked against
// ../shared/specs when the file is there), checks credentials like the
// sandbox, keeps shipments in memory, renders real ZPL II and PDF labels
// with barcodes that decode, and injects faults on request: 401, 429 with
// Retry-After, 5xx, Latin-1 HTML error pages and slow answers.
package sim

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/labelagent/labelagent/dhl/internal/contract"
	"github.com/labelagent/labelagent/dhl/transport"
)

// Defaults of Options.
const (
	DefaultAPIKey    = "sim-api-key"
	DefaultAPISecret = "sim-api-secret"
)

// Options configure a simulator.
type Options struct {
	// Credentials accepted; empty: DefaultAPIKey, DefaultAPISecret and the
	// public sandbox user (user-valid / SandboxPasswort2023!).
	APIKey, APISecret, Username, Password string
	// Seed makes shipment numbers deterministic.
	Seed int64
	// SpecPath is the Shipping v2 contract to check requests against; empty:
	// look for ../shared/specs beside the module; "-": do not check.
	SpecPath string
	// TokenTTL is the lifetime of access tokens (default 1799s like DHL).
	TokenTTL time.Duration
	// TrackingPerSecond and TrackingDailyQuota limit Unified Tracking calls
	// per API key (defaults 1 and 250, DHL's starter quota; negative: off).
	TrackingPerSecond  float64
	TrackingDailyQuota int
	// Now is the clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// Fault is an answer the simulator gives instead of the normal one.
type Fault struct {
	Method string // "" any
	Path   string // prefix of the URL path, "" any (e.g. "/parcel/de/shipping/v2/orders")
	// Status is the HTTP status to answer; 0 serves normally (after Delay).
	Status int
	// RetryAfter is sent as a Retry-After header (whole seconds, rounded up).
	RetryAfter time.Duration
	// Delay holds the answer back (a slow or hanging server).
	Delay time.Duration
	// Latin1HTML answers with an HTML page in ISO-8859-1, as some DHL
	// gateways do, instead of application/problem+json.
	Latin1HTML bool
	// Drop serves the request normally (a create creates the shipments)
	// and then cuts the connection before the answer: a lost answer.
	Drop bool
	// Times is how many requests it applies to (0: one).
	Times int
}

// Server is the simulator; it is an http.Handler.
type Server struct {
	opt      Options
	contract *contract.Contract
	specErr  error
	mux      *http.ServeMux
	log      *slog.Logger
	fonts    *fontSet

	mu         sync.Mutex
	faults     []Fault
	tokens     map[string]time.Time
	shipments  map[string]*shipment
	order      []string // shipment numbers in creation order
	serial     uint64
	retSerial  uint64
	returns    map[string]*returnShipment
	docs       map[string]docRef // label download tokens
	tracking   trackingLimits
	requests   map[string]int
	tokenCalls int
}

// New builds a simulator. A contract that is present but cannot be loaded
// is reported by SpecError and requests are then not checked.
func New(opt Options) *Server {
	if opt.APIKey == "" {
		opt.APIKey = DefaultAPIKey
	}
	if opt.APISecret == "" {
		opt.APISecret = DefaultAPISecret
	}
	if opt.Username == "" && opt.Password == "" {
		opt.Username, opt.Password = transport.SandboxUser, transport.SandboxPassword
	}
	if opt.TokenTTL == 0 {
		opt.TokenTTL = 1799 * time.Second
	}
	if opt.TrackingPerSecond == 0 {
		opt.TrackingPerSecond = 1
	}
	if opt.TrackingDailyQuota == 0 {
		opt.TrackingDailyQuota = 250
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	s := &Server{
		opt: opt, log: opt.Logger, tokens: map[string]time.Time{}, shipments: map[string]*shipment{},
		returns: map[string]*returnShipment{}, docs: map[string]docRef{}, requests: map[string]int{},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	// the font is compiled in: failing to parse it is a broken build
	fonts, err := newFontSet()
	if err != nil {
		panic(err)
	}
	s.fonts = fonts
	s.serial = seedSerial(opt.Seed)
	s.retSerial = uint64(opt.Seed%1_000_000+1_000_000) * 1000
	if opt.SpecPath != "-" {
		path := opt.SpecPath
		if path == "" {
			path, _ = contract.FindSpec(contract.ParcelShipping)
		}
		if path != "" {
			s.contract, s.specErr = contract.Load(path)
		}
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST "+transport.TokenPath, s.token)
	s.routesShipping()
	s.routesReturns()
	s.routesTracking()
	s.mux.HandleFunc("POST /_sim/faults", s.adminFault)
	s.mux.HandleFunc("GET /_sim/shipments", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, "application/json", s.Shipments())
	})
	s.mux.HandleFunc("POST /_sim/expire-tokens", func(w http.ResponseWriter, _ *http.Request) {
		s.ExpireTokens()
		w.WriteHeader(http.StatusNoContent)
	})
	return s
}

// Validating reports whether requests are checked against the contract.
func (s *Server) Validating() bool { return s.contract != nil }

// SpecError is why a present contract could not be loaded.
func (s *Server) SpecError() error { return s.specErr }

// Credentials returns what clients must send.
func (s *Server) Credentials() (apiKey, apiSecret, username, password string) {
	return s.opt.APIKey, s.opt.APISecret, s.opt.Username, s.opt.Password
}

// Config returns a client configuration for a simulator served at baseURL.
func (s *Server) Config(baseURL string) transport.Config {
	return transport.Config{
		BaseURL: baseURL, APIKey: s.opt.APIKey, APISecret: s.opt.APISecret,
		Username: s.opt.Username, Password: s.opt.Password, Auth: transport.AuthOAuth,
		BillingNumbers: map[string]string{
			"V01PAK": "33333333330102", "V53WPAK": "33333333335301", "V54EPAK": "33333333335401",
			"V62KP": "33333333336201", "V66WPI": "33333333336601",
		},
		ReturnBillingNumber: "33333333330701",
	}
}

// Inject queues a fault.
func (s *Server) Inject(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	s.faults = append(s.faults, f)
	s.mu.Unlock()
}

// ExpireTokens revokes every access token, so the next call gets a 401.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	s.tokens = map[string]time.Time{}
	s.mu.Unlock()
}

// Requests returns how many requests reached an operation, by "METHOD path".
func (s *Server) Requests(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[key]
}

// TokenRequests returns how many tokens were handed out.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenCalls
}

// adminFault injects a fault over HTTP (for the demo and for tests of the
// real binary): {"method":"POST","path":"/parcel/de/shipping/v2/orders",
// "status":429,"retry_after_s":2,"delay_ms":0,"latin1_html":false,"times":1}.
func (s *Server) adminFault(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Method      string  `json:"method"`
		Path        string  `json:"path"`
		Status      int     `json:"status"`
		RetryAfterS float64 `json:"retry_after_s"`
		DelayMS     int     `json:"delay_ms"`
		Latin1HTML  bool    `json:"latin1_html"`
		Drop        bool    `json:"drop"`
		Times       int     `json:"times"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		http.Error(w, "fault: "+err.Error(), http.StatusBadRequest)
		return
	}
	if in.Status != 0 && (in.Status < 400 || in.Status > 599) {
		http.Error(w, "fault: status must be 400–599 (or 0 for a slow normal answer)", http.StatusBadRequest)
		return
	}
	s.Inject(Fault{Method: in.Method, Path: in.Path, Status: in.Status, RetryAfter: time.Duration(in.RetryAfterS * float64(time.Second)),
		Delay: time.Duration(in.DelayMS) * time.Millisecond, Latin1HTML: in.Latin1HTML, Drop: in.Drop, Times: in.Times})
	w.WriteHeader(http.StatusNoContent)
}

// ServeHTTP applies faults, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests[r.Method+" "+r.URL.Path]++
	var fault *Fault
	if !strings.HasPrefix(r.URL.Path, "/_sim/") {
		for i := range s.faults {
			f := &s.faults[i]
			if (f.Method == "" || f.Method == r.Method) && strings.HasPrefix(r.URL.Path, f.Path) {
				cp := *f
				fault = &cp
				f.Times--
				if f.Times <= 0 {
					s.faults = append(s.faults[:i], s.faults[i+1:]...)
				}
				break
			}
		}
	}
	s.mu.Unlock()
	if fault != nil {
		if fault.Delay > 0 {
			t := time.NewTimer(fault.Delay)
			select {
			case <-r.Context().Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		if fault.Status != 0 {
			s.writeFault(w, *fault)
			return
		}
		if fault.Drop {
			// Carry the request out, then lose the answer.
			s.mux.ServeHTTP(discardWriter{h: http.Header{}}, r)
			panic(http.ErrAbortHandler)
		}
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) writeFault(w http.ResponseWriter, f Fault) {
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((f.RetryAfter+time.Second-1)/time.Second)))
	}
	if f.Latin1HTML {
		page := fmt.Sprintf("<html><head><title>%d %s</title></head><body><h1>Fehler %d</h1><p>Der Dienst ist vorübergehend nicht verfügbar. Bitte versuchen Sie es später erneut – Grüße aus Bonn.</p></body></html>",
			f.Status, http.StatusText(f.Status), f.Status)
		body, _ := charmap.ISO8859_1.NewEncoder().String(strings.ReplaceAll(page, "–", "-"))
		w.Header().Set("Content-Type", "text/html; charset=iso-8859-1")
		w.WriteHeader(f.Status)
		_, _ = w.Write([]byte(body))
		return
	}
	detail := map[int]string{
		401: "Unauthorized for given resource.",
		429: rateLimitDetail,
		500: "An unexpected internal error occurred.",
		502: "Bad gateway.",
		503: "The service is temporarily unavailable.",
	}[f.Status]
	writeProblem(w, f.Status, http.StatusText(f.Status), detail)
}

// writeProblem answers with DHL's RequestStatus as problem+json.
func writeProblem(w http.ResponseWriter, status int, title, detail string) {
	if len(detail) > 80 {
		detail = detail[:77] + "..."
	}
	writeJSON(w, status, "application/problem+json", map[string]any{
		"title": title, "statusCode": status, "status": status, "detail": detail,
	})
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// token is the OAuth2 password grant endpoint.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, "application/json", map[string]string{"error": "invalid_request", "error_description": "form body expected"})
		return
	}
	f := r.PostForm
	switch {
	case f.Get("grant_type") != "password":
		writeJSON(w, http.StatusBadRequest, "application/json", map[string]string{"error": "unsupported_grant_type", "error_description": "grant_type must be password"})
	case f.Get("client_id") != s.opt.APIKey || f.Get("client_secret") != s.opt.APISecret:
		writeJSON(w, http.StatusUnauthorized, "application/json", map[string]string{"error": "invalid_client", "error_description": "Invalid client credentials (API key or secret)"})
	case f.Get("username") != s.opt.Username || f.Get("password") != s.opt.Password:
		writeJSON(w, http.StatusUnauthorized, "application/json", map[string]string{"error": "invalid_grant", "error_description": "Invalid user credentials"})
	default:
		b := make([]byte, 24)
		_, _ = rand.Read(b)
		tok := hex.EncodeToString(b)
		s.mu.Lock()
		s.tokens[tok] = s.opt.Now().Add(s.opt.TokenTTL)
		s.tokenCalls++
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, "application/json", map[string]any{
			"access_token": tok, "token_type": "Bearer", "expires_in": int(s.opt.TokenTTL / time.Second),
		})
	}
}

var errUnauthorized = errors.New("unauthorized")

// authorize checks the API key and the user (Basic or Bearer).
func (s *Server) authorize(r *http.Request) error {
	if r.Header.Get("dhl-api-key") != s.opt.APIKey {
		return fmt.Errorf("%w: invalid or missing dhl-api-key", errUnauthorized)
	}
	auth := r.Header.Get("Authorization")
	if u, p, ok := r.BasicAuth(); ok {
		if u == s.opt.Username && p == s.opt.Password {
			return nil
		}
		return fmt.Errorf("%w: invalid user credentials", errUnauthorized)
	}
	if tok, ok := strings.CutPrefix(auth, "Bearer "); ok {
		s.mu.Lock()
		exp, known := s.tokens[tok]
		s.mu.Unlock()
		if known && s.opt.Now().Before(exp) {
			return nil
		}
		return fmt.Errorf("%w: access token invalid or expired", errUnauthorized)
	}
	return fmt.Errorf("%w: no credentials", errUnauthorized)
}

// withAuth wraps a handler of the user-authenticated APIs.
func (s *Server) withAuth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := s.authorize(r); err != nil {
			w.Header().Set("WWW-Authenticate", `Basic realm="DHL", Bearer`)
			writeProblem(w, http.StatusUnauthorized, "Unauthorized", strings.TrimPrefix(err.Error(), "unauthorized: "))
			return
		}
		h(w, r)
	}
}

// discardWriter swallows an answer that is to be lost.
type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d discardWriter) WriteHeader(int)             {}

func randRead(b []byte) (int, error) { return rand.Read(b) }
