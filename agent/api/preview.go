package api

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/labelagent/labelagent/agent"
	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/zpl/preview"
	"github.com/labelagent/labelagent/zpl/render"
)

// Label previews: the one preview (zpl/preview) for the job's printer
// profile, or for a payload that is not a job, as PNG (one label per
// request) or as JSON describing every label.
func (s *Server) previewRoutes() {
	s.mux.HandleFunc("GET /api/v1/jobs/{id}/preview", s.authed(s.jobPreview))
	s.mux.HandleFunc("POST /api/v1/preview", s.authed(s.payloadPreview))
}

// previewQuery reads label (1-based), format (png or json) and verify.
type previewQuery struct {
	label  int
	json   bool
	verify bool
}

func parsePreviewQuery(r *http.Request, extra ...string) (previewQuery, error) {
	q := previewQuery{label: 1}
	vals := r.URL.Query()
	for k := range vals {
		known := k == "label" || k == "format" || k == "verify"
		for _, e := range extra {
			known = known || k == e
		}
		if !known {
			return q, Refuse(http.StatusBadRequest, apitype.CodeBadRequest, "api.unknown_param", "name", k)
		}
	}
	if v := vals.Get("label"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return q, Refuse(http.StatusBadRequest, apitype.CodeBadRequest, "preview.bad_label", "value", v)
		}
		q.label = n
	}
	switch vals.Get("format") {
	case "", "png":
	case "json":
		q.json = true
	default:
		return q, Refuse(http.StatusBadRequest, apitype.CodeBadRequest, "preview.bad_format", "value", vals.Get("format"))
	}
	switch vals.Get("verify") {
	case "", "false", "0":
	case "true", "1":
		q.verify = true
	default:
		return q, Refuse(http.StatusBadRequest, apitype.CodeBadRequest, "preview.bad_verify", "value", vals.Get("verify"))
	}
	return q, nil
}

func (s *Server) jobPreview(w http.ResponseWriter, r *http.Request) {
	q, err := parsePreviewQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	j, res, err := s.a.Preview(r.Context(), r.PathValue("id"), q.verify)
	if err != nil {
		s.fail(w, r, previewError(err))
		return
	}
	s.writePreview(w, r, q, res, j.ID, j.Printer)
}

func (s *Server) payloadPreview(w http.ResponseWriter, r *http.Request) {
	q, err := parsePreviewQuery(r, "printer", "kind")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	limit := int64(s.a.Config().Jobs.MaxPayload)
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			err = Refuse(http.StatusRequestEntityTooLarge, apitype.CodeTooLarge, "api.payload_too_large", "limit", s.a.Config().Jobs.MaxPayload.String())
		}
		s.fail(w, r, err)
		return
	}
	if len(body) == 0 {
		s.fail(w, r, Refuse(http.StatusBadRequest, apitype.CodeBadRequest, "preview.empty"))
		return
	}
	printer := r.URL.Query().Get("printer")
	if printer == "" {
		printer = s.a.Config().DefaultPrinter
	}
	res, err := s.a.PreviewPayload(r.Context(), printer, apitype.Kind(r.URL.Query().Get("kind")), body, q.verify)
	if err != nil {
		s.fail(w, r, previewError(err))
		return
	}
	s.writePreview(w, r, q, res, "", printer)
}

// previewError words a payload without a preview for the operator.
func previewError(err error) error {
	if errors.Is(err, agent.ErrNoPreview) {
		return &Refusal{http.StatusUnprocessableEntity, apitype.CodeBadRequest, i18n.KWrap(nil, errors.Unwrap(err), "preview.none")}
	}
	return err
}

func (s *Server) writePreview(w http.ResponseWriter, r *http.Request, q previewQuery, res *preview.Result, job, printer string) {
	if q.json {
		d := DescribePreview(res, i18n.For(s.Lang(r)))
		d.Job, d.Printer = job, printer
		writeJSON(w, http.StatusOK, d)
		return
	}
	if q.label > len(res.Labels) {
		s.fail(w, r, Refuse(http.StatusNotFound, apitype.CodeNotFound, "preview.no_such_label", "label", q.label, "count", len(res.Labels)))
		return
	}
	l := res.Labels[q.label-1]
	png, err := l.PNG()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("Content-Length", strconv.Itoa(len(png)))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set(apitype.HeaderPreviewLabels, strconv.Itoa(len(res.Labels)))
	h.Set(apitype.HeaderPreviewWarnings, strconv.Itoa(len(l.Warnings)))
	h.Set(apitype.HeaderPreviewUndrawn, strconv.Itoa(len(l.Undrawn)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(png)
}

// NoteText words a renderer note in the reader's language.
func NoteText(loc *i18n.Localizer, n render.Note, english string) string {
	id := "preview.note." + n.Code
	if !i18n.Default().Has(loc.Lang(), id) {
		return english
	}
	kv := make([]any, 0, 2*len(n.Args))
	for k, v := range n.Args {
		kv = append(kv, k, v)
	}
	if c, err := strconv.Atoi(n.Args["count"]); err == nil {
		return loc.N(id, c, kv...) // "1 character", "3 characters"
	}
	return loc.T(id, kv...)
}

// DescribePreview is a preview as the API and `labelagent preview --json`
// describe it, its warnings in loc's language.
func DescribePreview(res *preview.Result, loc *i18n.Localizer) apitype.Preview {
	out := apitype.Preview{Kind: apitype.Kind(res.Kind), DPI: res.DPI, Labels: make([]apitype.PreviewLabel, 0, len(res.Labels))}
	checked, ok := false, true
	for i, l := range res.Labels {
		pl := apitype.PreviewLabel{Index: i + 1, WidthDots: l.Image.W, HeightDots: l.Image.H}
		for j, w := range l.Warnings {
			if j < len(l.Notes) {
				w = NoteText(loc, l.Notes[j], w)
			}
			pl.Warnings = append(pl.Warnings, w)
		}
		for _, b := range l.Barcodes {
			pl.Barcodes = append(pl.Barcodes, apitype.PreviewBarcode{Symbology: b.Symbology, Data: b.Data, GS1: b.GS1, Clipped: b.Clipped,
				X: b.Bounds.Min.X, Y: b.Bounds.Min.Y, Width: b.Bounds.Dx(), Height: b.Bounds.Dy()})
		}
		for _, u := range l.Undrawn {
			pl.Undrawn = append(pl.Undrawn, apitype.PreviewUndrawn{Command: u.Command, Data: u.Data, Reason: u.Reason})
		}
		if rep := l.Report; rep != nil {
			checked = true
			if err := rep.Err(); err != nil {
				ok = false
				pl.Problems = append(pl.Problems, err.Error())
			}
			for _, u := range rep.Unverified {
				pl.Unverified = append(pl.Unverified, u.Format+" "+strconv.Quote(u.Text))
			}
		}
		out.Labels = append(out.Labels, pl)
	}
	out.DPI = res.DPI
	if checked {
		out.Verified = &ok
	}
	return out
}
