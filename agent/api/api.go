// Package api serves the agent's control API on loopback: JSON under
// /api/v1/ for the CLI and the tray. It only translates HTTP to agent calls.
//
// Protection, because any web page the operator opens can send requests to
// localhost: the Host header must name a loopback host (against DNS
// rebinding), requests carrying Origin or Referer (sent by browsers) are
// refused, and every endpoint but health needs the API key from the data
// directory. The browser-facing print endpoints are a separate surface.
package api

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/labelagent/labelagent/agent"
	"github.com/labelagent/labelagent/agent/apitype"
)

// Server is the control API.
type Server struct {
	a   *agent.Agent
	key string
	log *slog.Logger
	mux *http.ServeMux
}

// New returns the control API for a started agent. key is the API key.
func New(a *agent.Agent, key string, log *slog.Logger) *Server {
	if log == nil {
		log = a.Logger()
	}
	s := &Server{a: a, key: key, log: log, mux: http.NewServeMux()}
	s.routes()
	return s
}

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /api/v1/health", s.health)
	m.HandleFunc("POST /api/v1/jobs", s.authed(s.submit))
	m.HandleFunc("GET /api/v1/jobs", s.authed(s.listJobs))
	m.HandleFunc("GET /api/v1/jobs/{id}", s.authed(s.getJob))
	m.HandleFunc("GET /api/v1/jobs/{id}/payload", s.authed(s.getPayload))
	m.HandleFunc("POST /api/v1/jobs/{id}/cancel", s.authed(s.cancelJob))
	m.HandleFunc("POST /api/v1/jobs/{id}/retry", s.authed(s.retryJob))
	m.HandleFunc("GET /api/v1/printers", s.authed(s.listPrinters))
	m.HandleFunc("GET /api/v1/printers/{name}", s.authed(s.getPrinter))
	m.HandleFunc("POST /api/v1/printers/{name}/pause", s.authed(s.pausePrinter))
	m.HandleFunc("POST /api/v1/printers/{name}/resume", s.authed(s.resumePrinter))
	m.HandleFunc("GET /api/v1/events", s.authed(s.events))
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, &Error{Status: http.StatusNotFound, Code: apitype.CodeNotFound,
			Message: fmt.Sprintf("no such endpoint: %s %s", r.Method, r.URL.Path)})
	})
}

// Handle adds a route that needs the API key, for parts of the agent that
// bring their own endpoints (postage, carriers). Patterns use ServeMux syntax.
func (s *Server) Handle(pattern string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, s.authed(h))
}

// Handler returns the guarded handler to serve.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ValidHost(r.Host) {
			s.fail(w, r, &Error{Status: http.StatusForbidden, Code: apitype.CodeForbidden,
				Message: fmt.Sprintf("host %q is not allowed: the control API answers only to localhost", r.Host)})
			return
		}
		if r.Header.Get("Origin") != "" || r.Header.Get("Referer") != "" {
			s.fail(w, r, &Error{Status: http.StatusForbidden, Code: apitype.CodeForbidden,
				Message: "requests from web pages are not allowed on the control API; browsers use the print endpoints"})
			return
		}
		s.mux.ServeHTTP(w, r)
	})
}

// NewHTTPServer wraps the handler with timeouts that suit a local API whose
// event stream stays open.
func (s *Server) NewHTTPServer() *http.Server {
	return &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
}

// ValidHost reports whether a Host header names this machine's loopback.
func ValidHost(host string) bool {
	if host == "" {
		return false
	}
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get(apitype.HeaderAPIKey)
		if got == "" {
			if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
				got = v
			}
		}
		if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.key)) != 1 {
			s.fail(w, r, &Error{Status: http.StatusUnauthorized, Code: apitype.CodeUnauthorized,
				Message: "missing or wrong API key (the CLI and the tray read it from api.key in the agent's data directory)"})
			return
		}
		h(w, r)
	}
}

// Error is an answer other than success.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// errorFor maps the agent's errors to answers.
func errorFor(err error) *Error {
	var e *Error
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &e):
		return e
	case errors.As(err, &tooBig), errors.Is(err, agent.ErrTooLarge):
		return &Error{http.StatusRequestEntityTooLarge, apitype.CodeTooLarge, err.Error()}
	case errors.Is(err, agent.ErrUnknownPrinter):
		return &Error{http.StatusNotFound, apitype.CodeUnknownPrinter, err.Error()}
	case errors.Is(err, agent.ErrNotFound):
		return &Error{http.StatusNotFound, apitype.CodeNotFound, err.Error()}
	case errors.Is(err, agent.ErrInvalid):
		return &Error{http.StatusBadRequest, apitype.CodeBadRequest, err.Error()}
	case errors.Is(err, agent.ErrKeyReused):
		return &Error{http.StatusUnprocessableEntity, apitype.CodeKeyReused, err.Error()}
	case errors.Is(err, agent.ErrConflict):
		return &Error{http.StatusConflict, apitype.CodeConflict, err.Error()}
	case errors.Is(err, agent.ErrStopped):
		return &Error{http.StatusServiceUnavailable, apitype.CodeUnavailable, err.Error()}
	}
	return &Error{http.StatusInternalServerError, apitype.CodeInternal, "internal error: " + err.Error()}
}

// fail writes every error answer; it is the one place that does.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := errorFor(err)
	level := slog.LevelDebug
	if e.Status >= 500 {
		level = slog.LevelError
	}
	s.log.Log(r.Context(), level, "api request refused", "method", r.Method, "path", r.URL.Path, "status", e.Status, "err", e.Message)
	writeJSON(w, e.Status, apitype.Error{Status: e.Status, Code: e.Code, Message: e.Message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// DecodeJSON reads a JSON body strictly (unknown fields are errors) within limit bytes.
func DecodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &Error{http.StatusUnsupportedMediaType, apitype.CodeBadRequest, fmt.Sprintf("send JSON (Content-Type application/json), not %q", ct)}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &Error{http.StatusRequestEntityTooLarge, apitype.CodeTooLarge, fmt.Sprintf("request body larger than %d bytes", limit)}
		}
		if errors.Is(err, io.EOF) {
			return &Error{http.StatusBadRequest, apitype.CodeBadRequest, "empty request body: send a JSON object"}
		}
		return &Error{http.StatusBadRequest, apitype.CodeBadRequest, "invalid JSON: " + err.Error()}
	}
	if dec.More() {
		return &Error{http.StatusBadRequest, apitype.CodeBadRequest, "invalid JSON: more than one value in the body"}
	}
	return nil
}
