// Package preview is the one way labelagent shows a label before it is
// printed: the payload (ZPL, PDF or PNG) is prepared for the printer
// profile exactly as a print job is, and the ZPL the printer would get is
// drawn by zpl/render, one pixel per printer dot. The CLI (`labelagent
// preview`), the control API (GET /api/v1/jobs/{id}/preview and POST
// /api/v1/preview), the browser API, the tray and the dashboard all use it,
// so they all show the same picture.
//
// With Verify, every barcode on the preview is read back (zpl/verify): a
// barcode that does not scan or that the renderer could not draw fails
// the check.
package preview

import (
	"context"
	"errors"
	"fmt"
	"image"

	"github.com/labelagent/labelagent/zpl"
	"github.com/labelagent/labelagent/zpl/render"
	"github.com/labelagent/labelagent/zpl/verify"
)

// Request says what to preview.
type Request struct {
	Kind    string // zpl.KindZPL, KindPDF, KindPNG or KindRaw; "" detects it from the payload
	Payload []byte
	Profile zpl.Profile
	// Verify reads every barcode back; Expect adds values that must be
	// found on each label.
	Verify bool
	Expect []verify.Expectation
}

// Label is one label of a preview.
type Label struct {
	*render.Label
	Report *verify.Report // with Verify: what the scan found
}

// Result is a preview: the ZPL the printer would get and its labels.
type Result struct {
	Kind   string
	DPI    int // the printer's resolution: one pixel per dot
	ZPL    []byte
	Labels []Label
	Notes  []zpl.PageNote // PDF: how pages were put on labels (cut from a sheet, turned, shrunk)
}

// Errors a caller maps to answers.
var (
	// ErrNoPreview is returned for payloads that are not a label language
	// the renderer reads (a raw job for another printer language).
	ErrNoPreview = errors.New("no preview for this payload")
	// ErrBadInput wraps input that cannot become a label (malformed ZPL,
	// PDF or PNG, a size the profile cannot take).
	ErrBadInput = zpl.ErrBadInput
)

// Render prepares the payload for the profile as printing does and draws
// it. conv converts PDF and PNG (and may be shared with printing); it is
// not used for ZPL.
func Render(ctx context.Context, conv *zpl.Converter, req Request) (*Result, error) {
	kind := req.Kind
	if kind == "" || kind == zpl.KindRaw {
		detected := zpl.DetectKind(req.Payload)
		if kind == zpl.KindRaw && detected != zpl.KindZPL {
			return nil, fmt.Errorf("%w: a raw job that is not ZPL", ErrNoPreview)
		}
		kind = detected
	}
	if kind == zpl.KindRaw {
		return nil, fmt.Errorf("%w: the payload is neither ZPL, PDF nor PNG", ErrNoPreview)
	}
	p := req.Profile
	var src []byte
	var notes []zpl.PageNote
	var err error
	if p.Raw {
		// The printer takes the payload as it is: draw that.
		if kind != zpl.KindZPL {
			return nil, fmt.Errorf("%w: a %s payload for a raw printer", ErrNoPreview, kind)
		}
		src = req.Payload
	} else {
		if conv == nil && kind != zpl.KindZPL {
			return nil, fmt.Errorf("%w: %s needs the converter", ErrNoPreview, kind)
		}
		if conv == nil {
			src, err = zpl.PrepareZPL(req.Payload, p, 0)
			if err != nil {
				err = fmt.Errorf("%w: %w", zpl.ErrBadInput, err)
			}
		} else {
			src, notes, err = conv.PrepareNotes(ctx, kind, req.Payload, p)
		}
		if err != nil {
			return nil, err
		}
	}
	opts := Options(p)
	labels, err := render.Render(src, opts)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", zpl.ErrBadInput, err)
	}
	res := &Result{Kind: kind, DPI: opts.DPI, ZPL: src, Labels: make([]Label, len(labels)), Notes: notes}
	for i, l := range labels {
		res.Labels[i].Label = l
	}
	if !req.Verify && len(req.Expect) == 0 {
		return res, nil
	}
	var sources []image.Image
	if kind == zpl.KindPDF || kind == zpl.KindPNG {
		if sources, err = verify.LabelSources(ctx, conv, kind, req.Payload, p); err != nil {
			return nil, err
		}
	}
	for i := range res.Labels {
		rep, err := verify.CheckLabel(ctx, res.Labels[i].Label, req.Expect)
		if err != nil {
			return nil, err
		}
		if i < len(sources) {
			c, err := verify.CheckConversion(ctx, sources[i], res.Labels[i].Label)
			if err != nil {
				return nil, err
			}
			rep.Found = append(rep.Found, c.Found...)
			rep.Missing = append(rep.Missing, c.Missing...)
		}
		res.Labels[i].Report = &rep
	}
	return res, nil
}

// Options are the render options for a profile: its resolution and label
// size, which a format's own ^PW and ^LL override.
func Options(p zpl.Profile) render.Options {
	dpi := p.DPI
	if dpi == 0 {
		dpi = zpl.DefaultDPI
	}
	return render.Options{DPI: dpi, Width: p.WidthDots, Height: p.HeightDots}
}

// Failed counts the labels whose check failed.
func (r *Result) Failed() int {
	n := 0
	for _, l := range r.Labels {
		if l.Report != nil && !l.Report.OK() {
			n++
		}
	}
	return n
}
