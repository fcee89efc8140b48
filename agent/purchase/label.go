package purchase

import (
	"context"
	"errors"
	"fmt"
	"image"

	im "github.com/labelagent/labelagent/dhl/internetmarke"
	"github.com/labelagent/labelagent/zpl"
)

// DPIFor is the stamp resolution to buy for a printer: the printer's own
// (DPI203 for 203 dpi heads, DPI300 for 300 dpi, DPI300 for 600 dpi, which
// doubles it exactly), so the DataMatrix is never scaled by a fraction.
func DPIFor(p zpl.Profile) string { return im.DPIFor(p.DPI) }

func dpiValue(s string) int {
	switch s {
	case im.DPI203:
		return 203
	case im.DPI300:
		return 300
	}
	return 0
}

// StampLabels turns a purchase's stamp files into ZPL labels for the printer
// profile p: one label per PNG stamp, or per PDF page.
//
// A PNG stamp bought at the printer's resolution is printed dot for dot; one
// bought at a resolution that divides the printer's (300 → 600 dpi) is
// enlarged by that whole factor. Only when neither is possible is it
// resampled, and a warning says the DataMatrix may not scan. A stamp that
// does not fit the label is turned by a quarter (lossless) where that fits,
// then centred. PDF pages are rendered by conv at the printer's resolution.
func StampLabels(ctx context.Context, conv *zpl.Converter, kind, stampDPI string, files [][]byte, p zpl.Profile) (label []byte, warnings []string, err error) {
	if err := p.Validate(); err != nil {
		return nil, nil, err
	}
	if len(files) == 0 {
		return nil, nil, errors.New("no stamp files")
	}
	var out []byte
	for i, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		var m []*zpl.Mono
		var warn string
		switch kind {
		case im.KindPNG:
			m, warn, err = pngStamp(f, dpiValue(stampDPI), p)
		case im.KindPDF:
			if conv == nil {
				return nil, nil, errors.New("PDF stamps need the PDF renderer; buy PNG stamps for thermal printers")
			}
			m, warn, err = pdfStamp(ctx, conv, f, p)
		default:
			return nil, nil, fmt.Errorf("stamp kind %q: want png or pdf", kind)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("stamp %d: %w", i+1, err)
		}
		if warn != "" {
			warnings = append(warnings, fmt.Sprintf("stamp %d: %s", i+1, warn))
		}
		for _, part := range m {
			l, err := zpl.MonoLabel(part, p, zpl.ImageOptions{Center: true})
			if err != nil {
				return nil, nil, fmt.Errorf("stamp %d: %w", i+1, err)
			}
			out = append(out, l...)
		}
	}
	return out, warnings, nil
}

// fitTurn trims m and turns it by 90° if only that way it fits p.
func fitTurn(m *zpl.Mono, p zpl.Profile) (*zpl.Mono, bool, error) {
	t, _ := m.Trim()
	if t == nil {
		return nil, false, errors.New("the stamp is blank")
	}
	fits := func(w, h int) bool { return w <= p.WidthDots && (p.HeightDots == 0 || h <= p.HeightDots) }
	if fits(t.W, t.H) {
		return t, true, nil
	}
	if fits(t.H, t.W) {
		r, err := t.Rotate(90)
		return r, true, err
	}
	return t, false, nil
}

func pngStamp(data []byte, stampDPI int, p zpl.Profile) ([]*zpl.Mono, string, error) {
	img, err := zpl.DecodePNG(data)
	if err != nil {
		return nil, "", err
	}
	src := stampDPI
	if src == 0 && img.DPI > 0 {
		src = int(img.DPI + 0.5)
	}
	if src == 0 {
		src = p.DPI // pixels are dots
	}
	if p.DPI%src == 0 {
		m, err := zpl.ToMono(img.Image, 0, false)
		if err != nil {
			return nil, "", err
		}
		if k := p.DPI / src; k > 1 {
			m = enlarge(m, k)
		}
		if t, ok, err := fitTurn(m, p); err != nil {
			return nil, "", err
		} else if ok {
			return []*zpl.Mono{t}, "", nil
		}
		// Too large even turned: shrink below (resampling).
	}
	m, err := zpl.PrepareImage(img.Image, p, zpl.ImageOptions{SourceDPI: float64(src), AutoRotate: true})
	if err != nil {
		return nil, "", err
	}
	warn := fmt.Sprintf("stamp made at %d dpi resampled for this %d dpi printer: the DataMatrix may not scan; buy stamps with dpi %s or use a larger label", src, p.DPI, im.DPIFor(p.DPI))
	return []*zpl.Mono{m}, warn, nil
}

// enlarge repeats every dot k×k times: an exact whole-number scale.
func enlarge(m *zpl.Mono, k int) *zpl.Mono {
	out, err := zpl.NewMono(m.W*k, m.H*k)
	if err != nil {
		return m
	}
	for y := 0; y < m.H; y++ {
		for x := 0; x < m.W; x++ {
			if m.Black(x, y) {
				for dy := 0; dy < k; dy++ {
					for dx := 0; dx < k; dx++ {
						out.Set(x*k+dx, y*k+dy, true)
					}
				}
			}
		}
	}
	return out
}

func pdfStamp(ctx context.Context, conv *zpl.Converter, data []byte, p zpl.Profile) ([]*zpl.Mono, string, error) {
	pages, err := zpl.PDFPages(data)
	if err != nil {
		return nil, "", err
	}
	var out []*zpl.Mono
	warn := ""
	for i := range pages {
		m, err := conv.RenderPDFPage(ctx, data, i+1, p.DPI)
		if err != nil {
			return nil, "", err
		}
		t, ok, err := fitTurn(m, p)
		if err != nil {
			return nil, "", err
		}
		if !ok {
			t2, err := zpl.PrepareImage(image.Image(t), p, zpl.ImageOptions{AutoRotate: true})
			if err != nil {
				return nil, "", err
			}
			t = t2
			warn = "the PDF page is larger than the label and was shrunk: the DataMatrix may not scan; choose a page format that matches the label"
		}
		out = append(out, t)
	}
	return out, warn, nil
}
