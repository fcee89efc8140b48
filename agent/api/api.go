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
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/labelagent/labelagent/agent"
	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
)

// Server is the control API.
type Server struct {
	a    *agent.Agent
	key  string
	log  *slog.Logger
	mux  *http.ServeMux
	lang i18n.Lang // for requests without Accept-Language
}

// New returns the control API for a started agent. key is the API key.
func New(a *agent.Agent, key string, log *slog.Logger) *Server {
	if log == nil {
		log = a.Logger()
	}
	s := &Server{a: a, key: key, log: log, mux: http.NewServeMux(),
		lang: i18n.Detect(os.Getenv, a.Config().Language)}
	s.routes()
	s.mountShipments()
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
	s.frankingRoutes()
	s.packingRoutes()
	s.Handle("GET /api/v1/stations", func(w http.ResponseWriter, r *http.Request) {
		st := s.a.Station()
		if st == nil {
			s.fail(w, r, Refuse(http.StatusServiceUnavailable, "nats_not_configured", "nats.not_configured"))
			return
		}
		list := st.Stations(r.Context())
		list.Error = i18n.For(s.Lang(r)).Kept(list.ErrorID, list.ErrorArgs, list.Error)
		writeJSON(w, http.StatusOK, list)
	})
	s.previewRoutes()
	m.HandleFunc("GET /api/v1/sources", s.authed(func(w http.ResponseWriter, r *http.Request) {
		list, l := s.a.Sources(), i18n.For(s.Lang(r))
		for i, src := range list {
			list[i].LastError = l.Kept(src.LastErrorID, src.LastErrorArgs, src.LastError)
		}
		writeJSON(w, http.StatusOK, apitype.SourceList{Sources: list})
	}))
	m.HandleFunc("GET /api/v1/carriers/check", s.authed(s.checkCarriers))
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, Refuse(http.StatusNotFound, apitype.CodeNotFound, "api.no_endpoint", "method", r.Method, "path", r.URL.Path))
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
			s.fail(w, r, Refuse(http.StatusForbidden, apitype.CodeForbidden, "api.bad_host", "host", r.Host))
			return
		}
		if r.Header.Get("Origin") != "" || r.Header.Get("Referer") != "" {
			s.fail(w, r, Refuse(http.StatusForbidden, apitype.CodeForbidden, "api.from_browser"))
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
			s.fail(w, r, Refuse(http.StatusUnauthorized, apitype.CodeUnauthorized, "api.bad_key"))
			return
		}
		h(w, r)
	}
}

// Error is an answer other than success with words of its own (not from
// the catalog). New code uses Refuse, whose words are translated.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Refusal is an answer other than success whose words come from the
// message catalog, so the client reads them in its Accept-Language.
type Refusal struct {
	Status int
	Code   string
	Msg    *i18n.Error
}

func (e *Refusal) Error() string { return e.Msg.Error() }
func (e *Refusal) Unwrap() error { return e.Msg }

// Refuse returns an answer with status and machine code, worded by the
// catalog message id with its key/value arguments.
func Refuse(status int, code, id string, kv ...any) *Refusal {
	return &Refusal{Status: status, Code: code, Msg: i18n.E(id, kv...)}
}

// RefuseWrap is Refuse with a cause whose words (a carrier's, a journal's)
// follow after a colon, localized where they come from the catalog too.
func RefuseWrap(status int, code string, cause error, id string, kv ...any) *Refusal {
	return &Refusal{Status: status, Code: code, Msg: i18n.KWrap(nil, cause, id, kv...)}
}

// errorFor maps the agent's errors to an answer's status and code.
func errorFor(err error) (status int, code string) {
	var e *Error
	var rf *Refusal
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &rf):
		return rf.Status, rf.Code
	case errors.As(err, &e):
		return e.Status, e.Code
	case errors.As(err, &tooBig), errors.Is(err, agent.ErrTooLarge):
		return http.StatusRequestEntityTooLarge, apitype.CodeTooLarge
	case errors.Is(err, agent.ErrUnknownPrinter):
		return http.StatusNotFound, apitype.CodeUnknownPrinter
	case errors.Is(err, agent.ErrNotFound):
		return http.StatusNotFound, apitype.CodeNotFound
	case errors.Is(err, agent.ErrInvalid):
		return http.StatusBadRequest, apitype.CodeBadRequest
	case errors.Is(err, agent.ErrKeyReused):
		return http.StatusUnprocessableEntity, apitype.CodeKeyReused
	case errors.Is(err, agent.ErrConflict):
		return http.StatusConflict, apitype.CodeConflict
	case errors.Is(err, agent.ErrStopped):
		return http.StatusServiceUnavailable, apitype.CodeUnavailable
	}
	return http.StatusInternalServerError, apitype.CodeInternal
}

// Lang is the language of the answer to r: its Accept-Language, else the
// agent's language.
func (s *Server) Lang(r *http.Request) i18n.Lang {
	return i18n.FromAcceptLanguage(r.Header.Get("Accept-Language"), s.lang)
}

// Answer is the error body for err in lang: the message in that language,
// with the catalog id and arguments when the words come from the catalog.
func Answer(err error, lang i18n.Lang) apitype.Error {
	status, code := errorFor(err)
	if status == http.StatusInternalServerError && code == apitype.CodeInternal {
		var ie *i18n.Error
		if !errors.As(err, &ie) {
			err = i18n.Wrap(err, "api.internal")
		}
	}
	out := apitype.Error{Status: status, Code: code, Message: i18n.For(lang).Err(err)}
	var ie *i18n.Error
	if errors.As(err, &ie) {
		out.ID, out.Args = ie.ID, ie.ArgMap()
	}
	return out
}

// fail writes every error answer; it is the one place that does.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := Answer(err, s.Lang(r))
	level := slog.LevelDebug
	if e.Status >= 500 {
		level = slog.LevelError
	}
	s.log.Log(r.Context(), level, "api request refused", "method", r.Method, "path", r.URL.Path, "status", e.Status, "err", err.Error())
	writeJSON(w, e.Status, e)
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
		return Refuse(http.StatusUnsupportedMediaType, apitype.CodeBadRequest, "api.not_json", "content_type", ct)
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return Refuse(http.StatusRequestEntityTooLarge, apitype.CodeTooLarge, "api.body_too_large", "limit", limit)
		}
		if errors.Is(err, io.EOF) {
			return Refuse(http.StatusBadRequest, apitype.CodeBadRequest, "api.empty_body")
		}
		return &Refusal{http.StatusBadRequest, apitype.CodeBadRequest, i18n.KWrap(nil, err, "api.bad_json")}
	}
	if dec.More() {
		return Refuse(http.StatusBadRequest, apitype.CodeBadRequest, "api.json_trailing")
	}
	return nil
}
