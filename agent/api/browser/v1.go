package browser

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labelagent/labelagent/agent"
	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/agent/packing"
	"github.com/labelagent/labelagent/agent/pairing"
)

// Wire types of the browser API that the control API does not have.

// PairRequest asks the operator to let this origin print.
type PairRequest struct {
	App string `json:"app,omitempty"` // the page's name for itself, shown to the operator
}

// PairStatus answers a pairing request and GET /v1/pair.
type PairStatus struct {
	Origin string   `json:"origin"`
	State  string   `json:"state"`           // pending, approved
	Token  string   `json:"token,omitempty"` // only in the answer to the request
	Code   string   `json:"code,omitempty"`  // show it: the operator sees the same code
	Scopes []string `json:"scopes,omitempty"`
}

const maxSmallBody = 16 << 10

func (s *Server) apiRoutes() {
	s.handle("GET /v1/printers", "", s.printers)
	s.handle("POST /v1/jobs", apitype.ScopePrint, s.submit)
	s.handle("GET /v1/jobs/{id}", apitype.ScopePrint, s.job)
	s.handle("GET /v1/jobs/{id}/preview", apitype.ScopePrint, s.preview)
	s.handle("GET /v1/events", "", s.events)
	s.handle("GET /v1/postage/balance", apitype.ScopePrint, s.viaControl("/api/v1/stamps/balance"))
	s.handle("POST /v1/postage/stamps", apitype.ScopePostage, s.viaControl("/api/v1/stamps/purchases"))
	s.handle("POST /v1/shipments", apitype.ScopeShipping, s.viaControl("/api/v1/shipments"))
	s.handle("GET /v1/shipments/{id}", apitype.ScopeShipping, func(w http.ResponseWriter, r *http.Request, c *caller) {
		s.proxy(w, r, c.origin, "/api/v1/shipments/"+url.PathEscape(r.PathValue("id")))
	})
	s.handle("POST /v1/shipments/{id}/reprint", apitype.ScopeShipping, func(w http.ResponseWriter, r *http.Request, c *caller) {
		s.proxy(w, r, c.origin, "/api/v1/shipments/"+url.PathEscape(r.PathValue("id"))+"/reprint")
	})
	s.handle("/v1/", "", func(w http.ResponseWriter, r *http.Request, _ *caller) {
		s.fail(w, r, http.StatusNotFound, apitype.CodeNotFound, i18n.E("browser.err_no_endpoint", "method", r.Method, "path", r.URL.Path))
	})
}

// pairRequest: POST /v1/pair. Anyone may ask; only the operator decides.
func (s *Server) pairRequest(w http.ResponseWriter, r *http.Request, c *caller) {
	var req PairRequest
	if err := decodeJSON(w, r, 4<<10, &req); err != nil {
		s.fail(w, r, http.StatusBadRequest, apitype.CodeBadRequest, err)
		return
	}
	token, code, err := s.origins.Request(c.origin, req.App)
	switch {
	case errors.Is(err, pairing.ErrDenied):
		s.fail(w, r, http.StatusForbidden, apitype.CodeDenied, err)
		return
	case errors.Is(err, pairing.ErrTooMany):
		s.fail(w, r, http.StatusTooManyRequests, apitype.CodeRateLimited, err)
		return
	case err != nil:
		s.fail(w, r, http.StatusInternalServerError, apitype.CodeInternal, err)
		return
	}
	s.log.Info("a web page asks to print", "origin", c.origin, "app", req.App, "code", code)
	writeJSON(w, http.StatusAccepted, PairStatus{Origin: c.origin, State: apitype.OriginPending, Token: token, Code: code})
}

// pairStatus: GET /v1/pair with the token: pending, approved (with the
// scopes), or an error once denied or unknown.
func (s *Server) pairStatus(w http.ResponseWriter, r *http.Request, c *caller, st pairing.Status, err error) {
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, PairStatus{Origin: c.origin, State: apitype.OriginApproved, Scopes: st.Scopes})
	case errors.Is(err, pairing.ErrPending):
		writeJSON(w, http.StatusOK, PairStatus{Origin: c.origin, State: apitype.OriginPending, Code: st.Code})
	default:
		s.failPairing(w, r, err)
	}
}

func (s *Server) printers(w http.ResponseWriter, r *http.Request, _ *caller) {
	writeJSON(w, http.StatusOK, apitype.PrinterList{Printers: s.a.Printers()})
}

// submit: POST /v1/jobs as JSON (payload base64) or multipart (fields
// printer, kind, copies, idempotency_key, name; the label in part "payload").
func (s *Server) submit(w http.ResponseWriter, r *http.Request, c *caller) {
	limit := int64(s.a.Config().Jobs.MaxPayload)
	var req apitype.SubmitRequest
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		var err error
		req, err = readMultipart(w, r, params["boundary"], limit)
		if err != nil {
			s.failAgent(w, r, err)
			return
		}
	} else if err := decodeJSON(w, r, limit/3*4+64<<10, &req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.failAgent(w, r, err)
			return
		}
		s.fail(w, r, http.StatusBadRequest, apitype.CodeBadRequest, err)
		return
	}
	if int64(len(req.Payload)) > limit {
		s.failAgent(w, r, &http.MaxBytesError{Limit: limit})
		return
	}
	if req.IdempotencyKey == "" {
		req.IdempotencyKey = r.Header.Get("Idempotency-Key")
	}
	if req.IdempotencyKey != "" {
		// Keys are per origin: one shop cannot collide with another's.
		req.IdempotencyKey = sourceFor(c.origin) + "|" + req.IdempotencyKey
	}
	req.Source = sourceFor(c.origin)
	job, existing, err := s.a.Submit(r.Context(), req)
	if err != nil {
		s.failAgent(w, r, err)
		return
	}
	status := http.StatusCreated
	if existing {
		status = http.StatusOK
	}
	w.Header().Set("Location", "/v1/jobs/"+job.ID)
	writeJSON(w, status, apitype.SubmitResponse{Job: ownView(r, job), Existing: existing})
}

// ownView shows a job to the origin that sent it, with its own key, in
// the page's language.
func ownView(r *http.Request, j apitype.Job) apitype.Job {
	if _, k, ok := strings.Cut(j.IdempotencyKey, "|"); ok {
		j.IdempotencyKey = k
	}
	return agent.JobIn(j, i18n.For(langOf(r)))
}

func readMultipart(w http.ResponseWriter, r *http.Request, boundary string, limit int64) (apitype.SubmitRequest, error) {
	var req apitype.SubmitRequest
	if boundary == "" {
		return req, i18n.K(agent.ErrInvalid, "browser.err.multipart_boundary")
	}
	// A body that is not well-formed multipart is the sender's mistake;
	// only a body over the limit is "too large".
	bad := func(err error) error {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		return i18n.KWrap(agent.ErrInvalid, err, "browser.err.multipart")
	}
	mr := multipart.NewReader(http.MaxBytesReader(w, r.Body, limit+64<<10), boundary)
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return req, bad(err)
		}
		name := p.FormName()
		if name == "payload" {
			req.Payload, err = io.ReadAll(io.LimitReader(p, limit+1))
			if err != nil {
				return req, bad(err)
			}
			continue
		}
		v, err := io.ReadAll(io.LimitReader(p, 1024))
		if err != nil {
			return req, bad(err)
		}
		val := string(v)
		switch name {
		case "printer":
			req.Printer = val
		case "kind":
			req.Kind = apitype.Kind(val)
		case "name":
			req.Name = val
		case "idempotency_key":
			req.IdempotencyKey = val
		case "copies":
			n, err := strconv.Atoi(val)
			if err != nil {
				return req, i18n.K(agent.ErrInvalid, "api.copies_not_number", "value", val)
			}
			req.Copies = n
		default:
			return req, i18n.K(agent.ErrInvalid, "browser.err.unknown_field", "field", name,
				"allowed", []string{"payload", "printer", "kind", "name", "idempotency_key", "copies"})
		}
	}
	return req, nil
}

// ownJob loads a job of this origin; another origin's job is "not found".
func (s *Server) ownJob(w http.ResponseWriter, r *http.Request, c *caller) (apitype.Job, bool) {
	j, err := s.a.Job(r.PathValue("id"))
	if err == nil && j.Source != sourceFor(c.origin) {
		err = i18n.K(agent.ErrNotFound, "job.not_found", "id", r.PathValue("id"))
	}
	if err != nil {
		s.failAgent(w, r, err)
		return j, false
	}
	return j, true
}

func (s *Server) job(w http.ResponseWriter, r *http.Request, c *caller) {
	j, ok := s.ownJob(w, r, c)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, ownView(r, j))
}

// preview: the job's label drawn by the agent's one preview (the control
// API's GET /api/v1/jobs/{id}/preview, with its label, format and verify).
func (s *Server) preview(w http.ResponseWriter, r *http.Request, c *caller) {
	j, ok := s.ownJob(w, r, c)
	if !ok {
		return
	}
	s.proxy(w, r, c.origin, "/api/v1/jobs/"+url.PathEscape(j.ID)+"/preview")
}

// events streams the origin's own jobs and every printer as server-sent
// events. Pages read it with fetch (EventSource cannot send the token).
func (s *Server) events(w http.ResponseWriter, r *http.Request, c *caller) {
	src := sourceFor(c.origin)
	shipping := c.has(apitype.ScopeShipping)
	s.stream(w, r, func(e apitype.Event) (apitype.Event, bool) {
		switch e.Type {
		case apitype.EventJob:
			if e.Job == nil || e.Job.Source != src {
				return e, false
			}
			j := ownView(r, *e.Job)
			e.Job = &j
			return e, true
		case apitype.EventPrinter, apitype.EventLagged:
			return e, true
		case apitype.EventShipment:
			return e, shipping
		}
		return e, false // the rest is the operator's business
	}, nil)
}

// stream writes agent events (filtered by keep) and, if extra is not nil,
// named events it delivers, until the client goes or the agent stops.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, keep func(apitype.Event) (apitype.Event, bool), extra <-chan sse) {
	rc := http.NewResponseController(w)
	sub := s.a.Subscribe(256)
	defer sub.Close()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := io.WriteString(w, ": labelagent events\n\n"); err != nil {
		return
	}
	_ = rc.Flush()
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		var err error
		select {
		case <-r.Context().Done():
			return
		case <-ping.C:
			_, err = io.WriteString(w, ": ping\n\n")
		case x := <-extra:
			_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", x.name, x.data)
		case e, ok := <-sub.C():
			if !ok {
				return
			}
			e, ok = keep(e)
			if !ok {
				continue
			}
			if e.Job != nil { // in the page's language, not the agent's
				j := agent.JobIn(*e.Job, i18n.For(langOf(r)))
				e.Job = &j
			}
			if e.Scan != nil {
				sc := packing.MessageIn(*e.Scan, i18n.For(langOf(r)))
				e.Scan = &sc
			}
			data, jerr := json.Marshal(e)
			if jerr != nil {
				continue
			}
			_, err = fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.Seq, e.Type, data)
		}
		if err != nil || rc.Flush() != nil {
			return
		}
	}
}

type sse struct {
	name string
	data []byte
}

// viaControl serves a browser API call with the control API's endpoint at
// path, after the guard checked the origin's token and scope: the postage
// and shipment services and the one preview are the agent's, reached one
// way only.
func (s *Server) viaControl(path string) func(w http.ResponseWriter, r *http.Request, c *caller) {
	return func(w http.ResponseWriter, r *http.Request, c *caller) { s.proxy(w, r, c.origin, path) }
}

// proxy sends r to the control API's path (with r's query) and copies the
// answer back.
func (s *Server) proxy(w http.ResponseWriter, r *http.Request, who, path string) {
	if s.control == nil {
		s.fail(w, r, http.StatusServiceUnavailable, apitype.CodeUnavailable, i18n.E("browser.err_no_control"))
		return
	}
	var body io.Reader = http.NoBody
	if r.Method == http.MethodPost {
		data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			s.failAgent(w, r, err)
			return
		}
		body = bytes.NewReader(data)
	}
	u := path
	if r.URL.RawQuery != "" {
		u += "?" + r.URL.RawQuery
	}
	in := httptest.NewRequestWithContext(r.Context(), r.Method, u, body)
	in.Host = "127.0.0.1"
	in.RemoteAddr = r.RemoteAddr
	in.Header.Set(apitype.HeaderAPIKey, s.key)
	for _, h := range []string{"Content-Type", "Idempotency-Key", "Accept-Language"} {
		if v := r.Header.Get(h); v != "" {
			in.Header.Set(h, v)
		}
	}
	rec := httptest.NewRecorder()
	s.control.ServeHTTP(rec, in)
	for _, h := range []string{"Content-Type", "Content-Length", "Retry-After"} {
		if v := rec.Header().Get(h); v != "" {
			w.Header().Set(h, v)
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodGet {
		s.log.Info("browser call through the control API", "origin", who, "method", r.Method, "path", path, "status", rec.Code)
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// decodeJSON reads a JSON body strictly within limit bytes.
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		if errors.Is(err, io.EOF) {
			return i18n.E("browser.err_empty_body")
		}
		return i18n.Wrap(err, "browser.err_bad_json")
	}
	return nil
}
