package browser

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/zpl"
	"github.com/labelagent/labelagent/zpl/render"
)

// renderPreview draws a job's first label as PNG, at its printer's
// resolution and size. It is the one place the browser surface renders;
// when the agent's shared preview function lands it calls that instead.
func (s *Server) renderPreview(j apitype.Job, payload []byte) ([]byte, error) {
	switch j.Kind {
	case apitype.KindPNG:
		return payload, nil
	case apitype.KindZPL, apitype.KindRaw:
	default:
		return nil, i18n.E("browser.err_preview_kind", "kind", string(j.Kind))
	}
	opts := render.Options{}
	if pc, ok := s.a.Config().Printer(j.Printer); ok {
		if p, err := zpl.ProfileFrom(pc.Profile); err == nil {
			opts = render.Options{DPI: p.DPI, Width: p.WidthDots, Height: p.HeightDots}
		}
	}
	labels, err := render.Render(payload, opts)
	if err != nil {
		return nil, i18n.Wrap(err, "browser.err_preview")
	}
	if len(labels) == 0 {
		return nil, i18n.E("browser.err_preview_empty")
	}
	return labels[0].PNG()
}

// writePreview answers with the PNG of job j.
func (s *Server) writePreview(w http.ResponseWriter, r *http.Request, j apitype.Job) {
	_, payload, err := s.a.Payload(j.ID)
	if err != nil {
		s.failAgent(w, r, err)
		return
	}
	png, err := s.renderPreview(j, payload)
	if err != nil {
		s.fail(w, r, http.StatusUnprocessableEntity, apitype.CodeBadRequest, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", strconv.Itoa(len(png)))
	w.Header().Set("Cache-Control", fmt.Sprintf("private, max-age=%d", 3600))
	_, _ = w.Write(png)
}
