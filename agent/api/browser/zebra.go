package browser

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/agent/pairing"
	"github.com/labelagent/labelagent/printer"
)

// Zebra Browser Print compatibility: the endpoints BrowserPrint.js calls on
// 127.0.0.1:9100 (HTTPS 9101), with its JSON shapes, so a web page written
// for Browser Print prints through labelagent's queue unchanged.
//
// Browser Print has no tokens: like Zebra's app, which asks the user to
// "accept" a host, an origin is allowed once the operator approved it
// (dashboard or `labelagent origins approve`); until then its first call
// files a pairing request and is refused. Labels go through the job queue;
// status queries (~HS, ~HQES, ~HI, ^HH, SGD getvar) are asked at once, in
// turn with the jobs, and their answer is kept for /read.

// Device is a printer as Browser Print describes it.
type Device struct {
	DeviceType   string `json:"deviceType"`
	UID          string `json:"uid"`
	Provider     string `json:"provider"`
	Name         string `json:"name"`
	Connection   string `json:"connection"`
	Version      int    `json:"version"`
	Manufacturer string `json:"manufacturer"`
}

// zebraState holds what printers answered, per origin and device, until
// the page reads it.
type zebraState struct {
	mu      sync.Mutex
	answers map[string][]byte
}

const (
	zebraProvider  = "labelagent"
	maxZebraAnswer = 64 << 10
)

// ZebraHandler serves the Browser Print endpoints behind the same guard
// rules as the browser API: loopback Host with this port, no Origin null,
// no cross-site forms, approved origins only, rate limits, bounded bodies.
func (s *Server) ZebraHandler() http.Handler {
	st := &zebraState{answers: map[string][]byte{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /available", s.zebra(st, s.zAvailable))
	mux.HandleFunc("GET /default", s.zebra(st, s.zDefault))
	mux.HandleFunc("GET /config", s.zebra(st, s.zConfig))
	mux.HandleFunc("POST /write", s.zebra(st, s.zWrite))
	mux.HandleFunc("POST /read", s.zebra(st, s.zRead))
	mux.HandleFunc("OPTIONS /", s.zebra(st, nil))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if !hostMatches(r) {
			s.fail(w, r, http.StatusForbidden, apitype.CodeForbidden, i18n.E("browser.err_host", "host", r.Host))
			return
		}
		s.fail(w, r, http.StatusNotFound, apitype.CodeNotFound, i18n.E("browser.err_no_endpoint", "method", r.Method, "path", r.URL.Path))
	})
	return mux
}

type zebraFunc func(w http.ResponseWriter, r *http.Request, st *zebraState, origin string)

func (s *Server) zebra(st *zebraState, h zebraFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if !hostMatches(r) {
			s.fail(w, r, http.StatusForbidden, apitype.CodeForbidden, i18n.E("browser.err_host", "host", r.Host))
			return
		}
		raw := r.Header.Get("Origin")
		if raw == "null" {
			s.fail(w, r, http.StatusForbidden, apitype.CodeForbidden, i18n.E("browser.err_origin_null"))
			return
		}
		if crossSiteNoCORS(r) {
			s.fail(w, r, http.StatusForbidden, apitype.CodeForbidden, i18n.E("browser.err_cross_site"))
			return
		}
		if raw == "" {
			s.fail(w, r, http.StatusForbidden, apitype.CodeForbidden, i18n.E("browser.err_no_origin"))
			return
		}
		origin, err := pairing.NormalizeOrigin(raw)
		if err != nil {
			s.fail(w, r, http.StatusForbidden, apitype.CodeForbidden, err)
			return
		}
		if !s.allow(origin) {
			w.Header().Set("Retry-After", "1")
			s.fail(w, r, http.StatusTooManyRequests, apitype.CodeRateLimited, i18n.E("browser.err_rate"))
			return
		}
		scopes, ok := s.origins.Accepted(origin)
		if !ok || !contains(scopes, apitype.ScopePrint) {
			if r.Method != http.MethodOptions {
				code, err := s.origins.RequestBrowserPrint(origin)
				if err != nil {
					s.failPairing(w, r, err)
					return
				}
				s.log.Info("a Browser Print page asks to print", "origin", origin, "code", code)
				s.fail(w, r, http.StatusForbidden, apitype.CodePending, i18n.E("browser.err_zebra_pending", "origin", origin, "code", code))
				return
			}
			s.fail(w, r, http.StatusForbidden, apitype.CodeNotPaired, pairing.ErrNotPaired)
			return
		}
		hd := w.Header()
		hd.Set("Access-Control-Allow-Origin", raw)
		hd.Add("Vary", "Origin")
		if r.Method == http.MethodOptions {
			hd.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
			hd.Set("Access-Control-Allow-Headers", "Content-Type")
			hd.Set("Access-Control-Max-Age", "600")
			if r.Header.Get("Access-Control-Request-Private-Network") == "true" {
				hd.Set("Access-Control-Allow-Private-Network", "true")
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h(w, r, st, origin)
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// devices maps the configured printers to Browser Print devices.
func (s *Server) devices() []Device {
	var out []Device
	for _, p := range s.a.Printers() {
		pc, _ := s.a.Config().Printer(p.Name)
		out = append(out, DeviceFor(pc))
	}
	return out
}

// DeviceFor describes a configured printer as a Browser Print device. The
// uid is where the printer is (host:port, USB or serial device, queue), so
// it stays the same while the printer does; the file printer, which is
// nowhere else, uses its name.
func DeviceFor(pc printer.Config) Device {
	conn := map[string]string{"tcp": "network", "usb": "usb", "serial": "serial", "spool": "driver", "file": "driver"}[pc.Transport]
	uid := pc.Address()
	if pc.Transport == "file" || uid == "" {
		uid = "labelagent:" + pc.Name
	}
	return Device{DeviceType: "printer", UID: uid, Provider: zebraProvider, Name: pc.Name, Connection: conn, Version: 3, Manufacturer: zebraProvider}
}

func (s *Server) zAvailable(w http.ResponseWriter, r *http.Request, _ *zebraState, _ string) {
	ds := s.devices()
	if ds == nil {
		ds = []Device{}
	}
	// "printer" is what BrowserPrint.js 3.x reads; "deviceList" what 1.x read.
	writeJSON(w, http.StatusOK, map[string][]Device{"printer": ds, "deviceList": ds})
}

// zDefault answers the default printer, or an empty body when the type is
// not "printer" (Browser Print's way of saying "none").
func (s *Server) zDefault(w http.ResponseWriter, r *http.Request, _ *zebraState, _ string) {
	if t := r.URL.Query().Get("type"); t != "" && t != "printer" {
		w.WriteHeader(http.StatusOK)
		return
	}
	pc, ok := s.a.Config().Printer(s.a.Config().DefaultPrinter)
	if !ok {
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, http.StatusOK, DeviceFor(pc))
}

func (s *Server) zConfig(w http.ResponseWriter, r *http.Request, _ *zebraState, _ string) {
	writeJSON(w, http.StatusOK, map[string]any{"application": map[string]any{
		"version": "labelagent " + s.a.Health().Version, "build_number": 0, "api_level": 4,
		"platform": runtime.GOOS, "supportedConversions": map[string][]string{},
	}})
}

// ZebraBody is what BrowserPrint.js posts to /write and /read, as
// text/plain JSON.
type ZebraBody struct {
	Device *Device `json:"device"`
	Data   string  `json:"data"`
}

// readZebraBody reads a Browser Print request body within limit bytes.
func readZebraBody(w http.ResponseWriter, r *http.Request, limit int64) (ZebraBody, error) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return ZebraBody{}, err
	}
	return ParseZebraBody(raw, r.Header.Get("Content-Type"))
}

// ParseZebraBody accepts a body as BrowserPrint.js sends it (JSON in a
// text/plain body), as JSON, or as a form with "device" and "data".
func ParseZebraBody(raw []byte, contentType string) (ZebraBody, error) {
	var b ZebraBody
	ct, _, _ := mime.ParseMediaType(contentType)
	if ct == "application/x-www-form-urlencoded" {
		v, err := url.ParseQuery(string(raw))
		if err != nil {
			return b, i18n.Wrap(err, "browser.err_bad_json")
		}
		b.Data = v.Get("data")
		if d := v.Get("device"); d != "" {
			b.Device = &Device{}
			if err := json.Unmarshal([]byte(d), b.Device); err != nil {
				return ZebraBody{}, i18n.Wrap(err, "browser.err_bad_json")
			}
		}
		return b, nil
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return b, nil
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return ZebraBody{}, i18n.Wrap(err, "browser.err_bad_json")
	}
	return b, nil
}

// printerFor finds the configured printer of a device (by uid, then name);
// no device means the default printer.
func (s *Server) printerFor(d *Device) (string, bool) {
	if d == nil || (d.UID == "" && d.Name == "") {
		return s.a.Config().DefaultPrinter, true
	}
	for _, pc := range s.a.Config().Printers {
		if dev := DeviceFor(pc); dev.UID == d.UID && d.UID != "" {
			return pc.Name, true
		}
	}
	for _, pc := range s.a.Config().Printers {
		if pc.Name == d.Name {
			return pc.Name, true
		}
	}
	return "", false
}

func (s *Server) zWrite(w http.ResponseWriter, r *http.Request, st *zebraState, origin string) {
	limit := int64(s.a.Config().Jobs.MaxPayload)
	b, err := readZebraBody(w, r, limit+64<<10)
	if err != nil {
		s.zFail(w, r, err)
		return
	}
	name, ok := s.printerFor(b.Device)
	if !ok {
		s.fail(w, r, http.StatusNotFound, apitype.CodeUnknownPrinter, i18n.E("browser.err_zebra_device"))
		return
	}
	if b.Data == "" {
		w.WriteHeader(http.StatusOK)
		return
	}
	if IsQuery([]byte(b.Data)) {
		ctx, cancel := ctxWithoutCancel(r, 10*time.Second)
		defer cancel()
		answer, err := s.a.Exchange(ctx, name, []byte(b.Data))
		if err != nil {
			s.fail(w, r, http.StatusBadGateway, apitype.CodeUnavailable, err)
			return
		}
		st.mu.Lock()
		k := origin + "\x00" + name
		buf := append(st.answers[k], answer...)
		if len(buf) > maxZebraAnswer {
			buf = buf[len(buf)-maxZebraAnswer:]
		}
		st.answers[k] = buf
		st.mu.Unlock()
		w.WriteHeader(http.StatusOK)
		return
	}
	job, _, err := s.a.Submit(r.Context(), apitype.SubmitRequest{Printer: name, Payload: []byte(b.Data),
		Source: sourceFor(origin)})
	if err != nil {
		s.failAgent(w, r, err)
		return
	}
	s.log.Debug("Browser Print job queued", "origin", origin, "job", job.ID, "printer", name)
	w.Header().Set("X-Labelagent-Job", job.ID)
	w.WriteHeader(http.StatusOK)
}

// zRead returns what the printer answered since the last read (possibly
// nothing), as Browser Print does.
func (s *Server) zRead(w http.ResponseWriter, r *http.Request, st *zebraState, origin string) {
	b, err := readZebraBody(w, r, maxSmallBody)
	if err != nil {
		s.zFail(w, r, err)
		return
	}
	name, ok := s.printerFor(b.Device)
	if !ok {
		s.fail(w, r, http.StatusNotFound, apitype.CodeUnknownPrinter, i18n.E("browser.err_zebra_device"))
		return
	}
	st.mu.Lock()
	k := origin + "\x00" + name
	answer := st.answers[k]
	delete(st.answers, k)
	st.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(answer)
}

func (s *Server) zFail(w http.ResponseWriter, r *http.Request, err error) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		s.failAgent(w, r, err)
		return
	}
	s.fail(w, r, http.StatusBadRequest, apitype.CodeBadRequest, err)
}

// IsQuery reports whether data only asks the printer something: host
// status and identification (~HS, ~HQES, ~HI, ~HM, ~HD), ^XA^HH^XZ, or SGD
// "! U1 getvar" lines. Anything else is a job for the queue.
func IsQuery(data []byte) bool {
	s := strings.TrimSpace(string(data))
	if s == "" || len(s) > 4096 {
		return false
	}
	for s != "" {
		s = strings.TrimLeft(s, " \t\r\n")
		up := strings.ToUpper(s)
		switch {
		case s == "":
			return true
		case strings.HasPrefix(up, "~HQES"):
			s = s[5:]
		case strings.HasPrefix(up, "~HS"), strings.HasPrefix(up, "~HI"), strings.HasPrefix(up, "~HM"), strings.HasPrefix(up, "~HD"):
			s = s[3:]
		case strings.HasPrefix(strings.ReplaceAll(up, " ", ""), "^XA^HH^XZ"):
			i := strings.Index(up, "^XZ")
			s = s[i+3:]
		case strings.HasPrefix(up, "! U1 GETVAR "):
			line, rest, _ := strings.Cut(s, "\n")
			if strings.ContainsAny(line, "^~") {
				return false
			}
			s = rest
		default:
			return false
		}
	}
	return true
}
