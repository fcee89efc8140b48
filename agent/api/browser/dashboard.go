package browser

import (
	"bytes"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/labelagent/labelagent/agent"
	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/agent/pairing"
)

//go:embed static
var staticFS embed.FS

// The dashboard's session: a cookie the browser sends only to same-site
// requests (SameSite=Strict, HttpOnly), which it gets only with the page
// the agent served, plus a CSRF token in that page that every change must
// repeat in a header. Neither reaches another origin.
const (
	sessionCookie = "labelagent_dashboard"
	csrfHeader    = "X-Labelagent-CSRF"
	sessionTTL    = 12 * time.Hour
	maxSessions   = 64
)

type session struct {
	csrf    string
	created time.Time
}

type sessions struct {
	mu sync.Mutex
	m  map[string]session
}

func newSessions() *sessions { return &sessions{m: map[string]session{}} }

func (ss *sessions) create() (id string, s session) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	now := time.Now()
	for k, v := range ss.m {
		if now.Sub(v.created) > sessionTTL {
			delete(ss.m, k)
		}
	}
	if len(ss.m) >= maxSessions {
		var oldest string
		for k, v := range ss.m {
			if oldest == "" || v.created.Before(ss.m[oldest].created) {
				oldest = k
			}
		}
		delete(ss.m, oldest)
	}
	id, s = randomHex(32), session{csrf: randomHex(32), created: now}
	ss.m[id] = s
	return id, s
}

func (ss *sessions) get(id string) (session, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.m[id]
	if !ok || time.Since(s.created) > sessionTTL {
		return session{}, false
	}
	return s, true
}

func (s *Server) dashRoutes() {
	m := s.dash
	m.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/dashboard/", http.StatusFound)
	})
	m.HandleFunc("GET /dashboard/{$}", s.dashPage)
	m.HandleFunc("GET /dashboard/app.js", s.static("static/dashboard/app.js", "text/javascript; charset=utf-8"))
	m.HandleFunc("GET /dashboard/app.css", s.static("static/dashboard/app.css", "text/css; charset=utf-8"))
	m.HandleFunc("GET /dashboard/api/state", s.sessioned(s.dashState))
	m.HandleFunc("GET /dashboard/api/events", s.sessioned(s.dashEvents))
	m.HandleFunc("GET /dashboard/api/jobs/{id}/preview", s.sessioned(s.dashPreview))
	m.HandleFunc("POST /dashboard/api/jobs/{id}/reprint", s.sessioned(s.dashReprint))
	m.HandleFunc("POST /dashboard/api/jobs/{id}/cancel", s.sessioned(s.dashCancel))
	m.HandleFunc("POST /dashboard/api/printers/{name}/pause", s.sessioned(s.dashPause(true)))
	m.HandleFunc("POST /dashboard/api/printers/{name}/resume", s.sessioned(s.dashPause(false)))
	m.HandleFunc("POST /dashboard/api/printers/{name}/test", s.sessioned(s.dashTestPrint))
	m.HandleFunc("POST /dashboard/api/origins/{verb}", s.sessioned(s.dashOrigin))
	m.HandleFunc("GET /dashboard/api/balance", s.sessioned(s.dashBalance))
	// The packing station's scan field: the same scan as the tray's and
	// the CLI's, through the control API's handler.
	m.HandleFunc("POST /dashboard/api/scan", s.sessioned(func(w http.ResponseWriter, r *http.Request) {
		s.proxy(w, r, "dashboard", "/api/v1/scan")
	}))
	m.HandleFunc("GET /dashboard/api/shipments", s.sessioned(func(w http.ResponseWriter, r *http.Request) {
		r.URL.RawQuery = "day=today"
		s.proxy(w, r, "dashboard", "/api/v1/shipments")
	}))
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, http.StatusNotFound, apitype.CodeNotFound, i18n.E("browser.err_no_endpoint", "method", r.Method, "path", r.URL.Path))
	})
}

// serveDashboard admits same-origin requests only: no Origin or our own,
// and no cross-site fetch metadata. The Host check ran before.
func (s *Server) serveDashboard(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" && o != selfOrigin(r) {
		s.fail(w, r, http.StatusForbidden, apitype.CodeForbidden, i18n.E("browser.err_dash_origin"))
		return
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		s.fail(w, r, http.StatusForbidden, apitype.CodeForbidden, i18n.E("browser.err_dash_origin"))
		return
	}
	h := w.Header()
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' blob: data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	s.dash.ServeHTTP(w, r)
}

func selfOrigin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// sessioned requires the dashboard session; changes need its CSRF token too.
func (s *Server) sessioned(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		var ses session
		ok := err == nil
		if ok {
			ses, ok = s.sessions.get(c.Value)
		}
		if !ok {
			s.fail(w, r, http.StatusUnauthorized, apitype.CodeUnauthorized, i18n.E("browser.err_dash_session"))
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			got := r.Header.Get(csrfHeader)
			if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(ses.csrf)) != 1 {
				s.fail(w, r, http.StatusForbidden, apitype.CodeForbidden, i18n.E("browser.err_dash_csrf"))
				return
			}
		}
		h(w, r)
	}
}

var pageTmpl = template.Must(template.New("index.html").Funcs(template.FuncMap{
	"t": func(l *i18n.Localizer, id string) string { return l.T(id) },
}).ParseFS(staticFS, "static/dashboard/index.html"))

// jsArgs are the argument names the dashboard's strings use; the page gets
// them as {name} placeholders it fills in itself.
var jsArgs = []any{"count", "{count}", "origin", "{origin}", "code", "{code}", "printer", "{printer}", "scope", "{scope}",
	"time", "{time}", "app", "{app}", "detail", "{detail}", "ahead", "{ahead}", "order", "{order}", "tracking", "{tracking}",
	"carrier", "{carrier}", "product", "{product}", "message", "{message}", "url", "{url}"}

// dashPage serves the dashboard and starts a session. Only a top-level
// navigation of this very host gets it (no frames: X-Frame-Options).
func (s *Server) dashPage(w http.ResponseWriter, r *http.Request) {
	if d := r.Header.Get("Sec-Fetch-Dest"); d != "" && d != "document" {
		s.fail(w, r, http.StatusForbidden, apitype.CodeForbidden, i18n.E("browser.err_dash_origin"))
		return
	}
	lang := langOf(r)
	l := i18n.For(lang)
	strs := map[string]string{}
	for _, id := range i18n.Default().IDs(lang) {
		if k, ok := strings.CutPrefix(id, "browser.dash_"); ok {
			strs[k] = l.T(id, jsArgs...)
		}
		if k, ok := strings.CutPrefix(id, "wait."); ok { // why a job waits
			strs["wait_"+k] = l.T(id, jsArgs...)
		}
	}
	id, ses := s.sessions.create()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil, MaxAge: int(sessionTTL.Seconds())})
	var buf bytes.Buffer
	err := pageTmpl.Execute(&buf, map[string]any{"L": l, "Lang": string(lang), "CSRF": ses.csrf, "Strings": strs,
		"Version": s.a.Health().Version})
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, apitype.CodeInternal, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) static(name, ctype string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		data, err := fs.ReadFile(staticFS, name)
		if err != nil {
			s.fail(w, r, http.StatusNotFound, apitype.CodeNotFound, err)
			return
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(data)
	}
}

// public serves the JS client, its types and the OpenAPI file to any page:
// they hold no secret, and a page must load the client before it can pair.
func (s *Server) public(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Allow-Methods", "GET")
		if r.Header.Get("Access-Control-Request-Private-Network") == "true" {
			w.Header().Set("Access-Control-Allow-Private-Network", "true")
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		s.fail(w, r, http.StatusMethodNotAllowed, apitype.CodeBadRequest, i18n.E("browser.err_method"))
		return
	}
	f := publicFiles[r.URL.Path]
	w.Header().Set("Access-Control-Allow-Origin", "*")
	s.static(f[0], f[1])(w, r)
}

var publicFiles = map[string][2]string{
	"/labelagent.js":   {"static/labelagent.js", "text/javascript; charset=utf-8"},
	"/labelagent.d.ts": {"static/labelagent.d.ts", "application/typescript; charset=utf-8"},
	"/openapi.yaml":    {"static/openapi.yaml", "application/yaml; charset=utf-8"},
}

// DashState is everything the dashboard shows, loaded at once.
type DashState struct {
	Printers []apitype.Printer     `json:"printers"`
	Jobs     []apitype.Job         `json:"jobs"`
	Origins  []apitype.Origin      `json:"origins"`
	Postage  bool                  `json:"postage"`  // INTERNETMARKE is configured
	Shipping bool                  `json:"shipping"` // DHL shipments are configured
	Balance  *apitype.StampBalance `json:"balance,omitempty"`
}

func (s *Server) dashState(w http.ResponseWriter, r *http.Request) {
	jobs, err := s.a.Jobs(agent.JobFilter{Limit: 50})
	if err != nil {
		s.failAgent(w, r, err)
		return
	}
	for i := range jobs {
		jobs[i] = agent.JobIn(jobs[i], i18n.For(langOf(r)))
	}
	writeJSON(w, http.StatusOK, DashState{Printers: s.a.Printers(), Jobs: jobs, Origins: s.origins.List(), Postage: s.a.Postage() != nil,
		Shipping: s.a.Shipments() != nil})
}

func (s *Server) dashBalance(w http.ResponseWriter, r *http.Request) {
	s.proxy(w, r, "dashboard", "/api/v1/stamps/balance")
}

// dashEvents streams every job and printer change, and "origins" when a
// page asks to pair or a decision is made.
func (s *Server) dashEvents(w http.ResponseWriter, r *http.Request) {
	changes, stop := s.origins.Subscribe()
	defer stop()
	extra := make(chan sse)
	go func() {
		for {
			select {
			case <-r.Context().Done():
				return
			case <-changes:
				data, _ := json.Marshal(s.origins.List())
				select {
				case extra <- sse{name: "origins", data: data}:
				case <-r.Context().Done():
					return
				}
			}
		}
	}()
	s.stream(w, r, func(e apitype.Event) (apitype.Event, bool) { return e, true }, extra)
}

func (s *Server) dashPreview(w http.ResponseWriter, r *http.Request) {
	s.proxy(w, r, "dashboard", "/api/v1/jobs/"+url.PathEscape(r.PathValue("id"))+"/preview")
}

func (s *Server) dashReprint(w http.ResponseWriter, r *http.Request) {
	j, err := s.a.Retry(r.Context(), r.PathValue("id"))
	if err != nil {
		s.failAgent(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, j)
}

func (s *Server) dashCancel(w http.ResponseWriter, r *http.Request) {
	j, err := s.a.Cancel(r.Context(), r.PathValue("id"))
	if err != nil {
		s.failAgent(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, j)
}

func (s *Server) dashPause(pause bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var p apitype.Printer
		var err error
		if pause {
			p, err = s.a.PausePrinter(r.PathValue("name"))
		} else {
			p, err = s.a.ResumePrinter(r.PathValue("name"))
		}
		if err != nil {
			s.failAgent(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, p)
	}
}

// dashTestPrint prints a small label that says which printer and when.
func (s *Server) dashTestPrint(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	l := i18n.For(langOf(r))
	now := time.Now()
	label := TestLabel(l.T("browser.test_label_title"), name, l.Time(now))
	j, _, err := s.a.Submit(r.Context(), apitype.SubmitRequest{Printer: name, Kind: apitype.KindZPL, Payload: label,
		Source: "dashboard", Name: l.T("browser.test_label_name")})
	if err != nil {
		s.failAgent(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, apitype.SubmitResponse{Job: j})
}

// TestLabel is the dashboard's test print: a frame, a title, the printer's
// name and the time, and a barcode that scanners can check.
func TestLabel(title, printerName, at string) []byte {
	clean := func(s string) string { return strings.NewReplacer("^", " ", "~", " ").Replace(s) }
	var b strings.Builder
	b.WriteString("^XA^CI28\n^FO20,20^GB760,400,4^FS\n")
	b.WriteString("^FO50,50^A0N,50,50^FD" + clean(title) + "^FS\n")
	b.WriteString("^FO50,130^A0N,40,40^FD" + clean(printerName) + "^FS\n")
	b.WriteString("^FO50,190^A0N,30,30^FD" + clean(at) + "^FS\n")
	b.WriteString("^FO50,250^BY2^BCN,100,Y,N,N^FDLABELAGENT-TEST^FS\n^XZ\n")
	return []byte(b.String())
}

// dashOrigin approves, denies or revokes a pairing from the dashboard.
func (s *Server) dashOrigin(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "application/json") {
		s.fail(w, r, http.StatusUnsupportedMediaType, apitype.CodeBadRequest, i18n.E("browser.err_content_type", "type", r.Header.Get("Content-Type")))
		return
	}
	var d apitype.OriginDecision
	if err := decodeJSON(w, r, maxSmallBody, &d); err != nil {
		s.fail(w, r, http.StatusBadRequest, apitype.CodeBadRequest, err)
		return
	}
	o, err := Decide(s.origins, r.PathValue("verb"), d)
	if err != nil {
		s.failDecision(w, r, err)
		return
	}
	s.log.Info("pairing decided in the dashboard", "origin", o.Origin, "state", o.State, "scopes", strings.Join(o.Scopes, ","))
	writeJSON(w, http.StatusOK, o)
}

func (s *Server) failDecision(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, pairing.ErrUnknown):
		s.fail(w, r, http.StatusNotFound, apitype.CodeNotFound, err)
	case errors.Is(err, errUnknownVerb):
		s.fail(w, r, http.StatusNotFound, apitype.CodeNotFound, err)
	default:
		s.fail(w, r, http.StatusBadRequest, apitype.CodeBadRequest, err)
	}
}

var errUnknownVerb = i18n.E("browser.err_verb")

// Decide applies an operator's decision: approve, deny or revoke.
func Decide(reg *pairing.Registry, verb string, d apitype.OriginDecision) (apitype.Origin, error) {
	origin, err := pairing.NormalizeOrigin(d.Origin)
	if err != nil {
		return apitype.Origin{}, err
	}
	switch verb {
	case "approve":
		return reg.Approve(origin, d.Scopes)
	case "deny":
		return reg.Deny(origin)
	case "revoke":
		o, _ := reg.Get(origin)
		if err := reg.Revoke(origin); err != nil {
			return apitype.Origin{}, err
		}
		o.State = "revoked"
		return o, nil
	}
	return apitype.Origin{}, errUnknownVerb
}
