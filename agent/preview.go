package agent

import (
	"context"
	"errors"
	"strings"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/zpl"
	"github.com/labelagent/labelagent/zpl/preview"
)

// ErrNoPreview marks a payload that has no preview: a raw job in another
// printer language, or input that cannot become a label.
var ErrNoPreview = errors.New("no preview")

// Preview draws a job's labels as its printer would print them: the
// payload prepared for the printer's profile, as printing does it
// (zpl/preview, the one preview everything uses). With check, every
// barcode is read back.
func (a *Agent) Preview(ctx context.Context, id string, check bool) (apitype.Job, *preview.Result, error) {
	j, payload, err := a.Payload(id)
	if err != nil {
		return j, nil, err
	}
	res, err := a.preview(ctx, j.Printer, j.Kind, payload, check)
	return j, res, err
}

// PreviewPayload draws a payload that is not a job (yet) for a printer
// (the default printer when empty), for the tray, the dashboard and the
// browser pages.
func (a *Agent) PreviewPayload(ctx context.Context, printerName string, kind apitype.Kind, payload []byte, check bool) (*preview.Result, error) {
	if printerName == "" {
		printerName = a.cfg.DefaultPrinter
	}
	if len(payload) == 0 {
		return nil, i18n.K(ErrInvalid, "job.empty_payload")
	}
	if int64(len(payload)) > int64(a.cfg.Jobs.MaxPayload) {
		return nil, i18n.K(ErrTooLarge, "job.too_large", "size", len(payload), "limit", a.cfg.Jobs.MaxPayload.String())
	}
	if kind != "" && !kind.Valid() {
		return nil, i18n.K(ErrInvalid, "job.bad_kind", "value", string(kind), "allowed", []string{"zpl", "raw", "pdf", "png"})
	}
	return a.preview(ctx, printerName, kind, payload, check)
}

func (a *Agent) preview(ctx context.Context, printerName string, kind apitype.Kind, payload []byte, check bool) (*preview.Result, error) {
	for _, pc := range a.cfg.Printers {
		if pc.Name != printerName {
			continue
		}
		p, err := zpl.ProfileFrom(pc.Profile)
		if err != nil {
			return nil, i18n.KWrap(ErrInvalid, err, "job.printer_profile", "printer", printerName)
		}
		res, err := preview.Render(ctx, a.conv, preview.Request{Kind: string(kind), Payload: payload, Profile: p, Verify: check})
		switch {
		case errors.Is(err, preview.ErrNoPreview), errors.Is(err, zpl.ErrBadInput):
			return nil, i18n.KWrap(ErrNoPreview, err, "job.no_preview")
		case err != nil:
			return nil, err
		}
		return res, nil
	}
	return nil, i18n.K(ErrUnknownPrinter, "job.unknown_printer", "printer", printerName, "allowed", strings.Join(a.printerNames(), ", "))
}
