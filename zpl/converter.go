package zpl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labelagent/labelagent/printer"
)

// Job kinds Prepare understands.
const (
	KindZPL = "zpl"
	KindRaw = "raw"
	KindPDF = "pdf"
	KindPNG = "png"
)

// ConverterOptions configure a Converter.
type ConverterOptions struct {
	// CacheDir keeps the compiled PDF renderer between runs (the agent
	// passes its data directory). "" compiles it in memory on first use,
	// which takes seconds.
	CacheDir string
	Logger   *slog.Logger
}

// Converter prepares jobs for printers. The PDF renderer inside it starts
// on first use and is shared; a Converter is safe for concurrent use.
// Close it when done.
type Converter struct {
	opts ConverterOptions
	log  *slog.Logger

	mu     sync.Mutex // guards engine and closed; PDF work is serialised
	engine *pdfEngine
	// running mirrors engine != nil for RendererStarted, which must not
	// wait for mu while a long render holds it.
	running atomic.Bool
	closed  bool
}

// NewConverter returns a Converter; nothing is started until needed.
func NewConverter(opts ConverterOptions) *Converter {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Converter{opts: opts, log: log}
}

// ErrClosed is returned after Close.
var ErrClosed = errors.New("converter closed")

// ErrBadInput marks a job that can never print as given (a broken or
// oversized PDF, PNG or ZPL, ZPL that cannot be converted exactly). Prepare
// wraps such errors with it; other errors (a cancelled context, a closed
// converter, a renderer that failed to start) may succeed on retry.
var ErrBadInput = errors.New("cannot convert this label")

// ErrRenderer marks a failure to start the PDF renderer.
var ErrRenderer = errors.New("PDF renderer unavailable")

// Close stops the PDF renderer.
func (c *Converter) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.engine == nil {
		return nil
	}
	err := c.engine.close()
	c.engine = nil
	c.running.Store(false)
	return err
}

// lockEngine waits for the engine (honouring ctx), starting it if needed.
// The caller must unlock c.mu.
func (c *Converter) lockEngine(ctx context.Context) (*pdfEngine, error) {
	// sync.Mutex cannot wait on a context: poll with a short sleep so a
	// cancelled job does not queue behind a long render.
	for !c.mu.TryLock() {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	if c.engine == nil {
		start := time.Now()
		e, err := startPDFium(c.opts.CacheDir)
		if err != nil {
			c.mu.Unlock()
			return nil, fmt.Errorf("%w: %w", ErrRenderer, err)
		}
		c.engine = e
		c.running.Store(true)
		c.log.Info("PDF renderer started", "took", time.Since(start).Round(time.Millisecond), "cache", c.opts.CacheDir)
	}
	return c.engine, nil
}

// RendererStarted reports whether the PDF renderer is running, so a PDF
// job converts without first waiting seconds for it to start.
func (c *Converter) RendererStarted() bool { return c.running.Load() }

// Warm starts the PDF renderer now instead of on the first PDF job.
func (c *Converter) Warm(ctx context.Context) error {
	_, err := c.lockEngine(ctx)
	if err != nil {
		return err
	}
	c.mu.Unlock()
	return nil
}

// Prepare turns one job into bytes for the printer p:
//   - "zpl": carrier or shop ZPL, passed through; labels lacking ^PW, ^LL
//     or ^MN get them from the profile, and ZPL laid out for 203 dpi is
//     converted to the printer's resolution (or refused with
//     ErrInexactDPI, never printed at the wrong scale);
//   - "raw": passed through unchanged;
//   - "pdf": every page rendered at the printer's resolution and fitted to
//     the label, one label per page;
//   - "png": converted to one label.
func (c *Converter) Prepare(ctx context.Context, kind string, data []byte, p Profile) ([]byte, error) {
	out, _, err := c.PrepareNotes(ctx, kind, data, p)
	return out, err
}

// PrepareNotes is Prepare, also saying for PDF pages how each was put on
// its label (see PDFLabelsNotes).
func (c *Converter) PrepareNotes(ctx context.Context, kind string, data []byte, p Profile) ([]byte, []PageNote, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if kind == KindRaw || p.Raw {
		return data, nil, nil
	}
	var out []byte
	var notes []PageNote
	err := p.Validate()
	if err == nil {
		switch kind {
		case KindZPL:
			out, err = PrepareZPL(data, p, 0)
		case KindPNG:
			out, err = PNGLabel(data, p)
		case KindPDF:
			out, notes, err = c.PDFLabelsNotes(ctx, data, p, PDFOptions{})
		default:
			err = fmt.Errorf("job kind %q: use zpl, raw, pdf or png", kind)
		}
	}
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
			errors.Is(err, ErrClosed) || errors.Is(err, ErrRenderer) {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("%w: %w", ErrBadInput, err)
	}
	return out, notes, nil
}

// PrepareConfig is Prepare for a printer's configured profile: the agent's
// dispatcher can call it with the printer's ProfileConfig as it is. A
// profile that is not usable is reported as ErrBadInput.
func (c *Converter) PrepareConfig(ctx context.Context, kind string, data []byte, pc printer.ProfileConfig) ([]byte, error) {
	p, err := ProfileFrom(pc)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadInput, err)
	}
	return c.Prepare(ctx, kind, data, p)
}

// PDFLabels renders the selected pages of a PDF as labels for p.
func (c *Converter) PDFLabels(ctx context.Context, data []byte, p Profile, opts PDFOptions) ([]byte, error) {
	out, _, err := c.PDFLabelsNotes(ctx, data, p, opts)
	return out, err
}

// PDFLabelsNotes is PDFLabels, also saying for each label how its page was
// put on it: a label found on an A4 or letter sheet and cut out, turned,
// or a page shrunk to fit.
func (c *Converter) PDFLabelsNotes(ctx context.Context, data []byte, p Profile, opts PDFOptions) ([]byte, []PageNote, error) {
	// Page count and sizes come from pdfcpu before the renderer is touched,
	// so a document with thousands of pages is refused cheaply.
	info, err := PDFPages(data)
	if err != nil {
		return nil, nil, err
	}
	e, err := c.lockEngine(ctx)
	if err != nil {
		return nil, nil, err
	}
	pages, err := pdfToMonos(ctx, e, data, info, p, opts)
	c.mu.Unlock()
	if err != nil {
		return nil, nil, err
	}
	var out bytes.Buffer
	notes := make([]PageNote, 0, len(pages))
	for k, pg := range pages {
		out.Write(placedLabel(pg, p, opts.Encoding, k+1))
		notes = append(notes, pg.note)
	}
	return out.Bytes(), notes, nil
}

// PDFLabelSources renders, for each label a PDF becomes on p, what that
// label was made from at the printer's resolution: its page, or only the
// part cut out of a sheet. Verification compares each label with its own
// source, so two labels cut from one sheet are not each expected to carry
// the other's barcodes.
func (c *Converter) PDFLabelSources(ctx context.Context, data []byte, p Profile, opts PDFOptions) ([]image.Image, error) {
	opts.BitmapBarcodes = true
	_, notes, err := c.PDFLabelsNotes(ctx, data, p, opts)
	if err != nil {
		return nil, err
	}
	pages := map[int]*Mono{}
	var out []image.Image
	for _, n := range notes {
		pg := pages[n.Page]
		if pg == nil {
			if pg, err = c.RenderPDFPage(ctx, data, n.Page, p.DPI); err != nil {
				return nil, err
			}
			pages[n.Page] = pg
		}
		if !n.Sheet || n.Scale != 1 {
			out = append(out, pg)
			continue
		}
		// The area, with a millimetre around it for rounding.
		f := float64(p.DPI) / 25.4
		r := image.Rect(int((n.AreaMM.X-1)*f), int((n.AreaMM.Y-1)*f), int((n.AreaMM.X+n.AreaMM.W+1)*f), int((n.AreaMM.Y+n.AreaMM.H+1)*f))
		if c := pg.Crop(r); c != nil {
			out = append(out, c)
		} else {
			out = append(out, pg)
		}
	}
	return out, nil
}

// String says in a line what happened to the page, for logs ("" when the
// page was printed as it is).
func (n PageNote) String() string {
	var parts []string
	if n.Sheet {
		parts = append(parts, fmt.Sprintf("label %d of %d cut from the %.0f x %.0f mm page at %.0f,%.0f mm (%.0f x %.0f mm)",
			n.Label, n.OfLabels, n.PageMM.W, n.PageMM.H, n.AreaMM.X, n.AreaMM.Y, n.AreaMM.W, n.AreaMM.H))
	}
	if n.Rotate != 0 {
		parts = append(parts, fmt.Sprintf("turned %d°", n.Rotate))
	}
	if n.Scale > 0 && n.Scale < 1 {
		parts = append(parts, fmt.Sprintf("shrunk to %.0f %%", n.Scale*100))
	}
	if n.Dropped > 0 {
		parts = append(parts, fmt.Sprintf("%d small separate parts of the page left out", n.Dropped))
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("page %d: %s", n.Page, strings.Join(parts, ", "))
}

// RenderPDFPage renders page (1-based) of a PDF at dpi to a 1-bit image,
// at the page's own size.
func (c *Converter) RenderPDFPage(ctx context.Context, data []byte, page, dpi int) (*Mono, error) {
	pages, err := PDFPages(data)
	if err != nil {
		return nil, err
	}
	if page < 1 || page > len(pages) {
		return nil, fmt.Errorf("page %d: the PDF has %d pages", page, len(pages))
	}
	e, err := c.lockEngine(ctx)
	if err != nil {
		return nil, err
	}
	defer c.mu.Unlock()
	doc, err := e.open(data)
	if err != nil {
		return nil, err
	}
	defer doc.close()
	w, h, err := doc.size(page - 1)
	if err != nil {
		return nil, err
	}
	return doc.render(page-1, int(w/72*float64(dpi)+0.5), int(h/72*float64(dpi)+0.5), 0)
}

func placedLabel(pg placedMono, p Profile, enc Encoding, seq int) []byte {
	var out bytes.Buffer
	var field []byte
	if pg.m != nil {
		if p.Graphics == GraphicsPNG && enc == EncodingAuto {
			// The download goes before the format, as a printer stores
			// it; the format prints it.
			var dl []byte
			dl, field = pngGraphic(pg.m, pg.x, pg.y, seq, p)
			out.Write(dl)
		} else {
			field = graphicCommands(pg.m, pg.x, pg.y, enc, p)
		}
	}
	out.Write(LabelHeader(p))
	if p.HeightDots == 0 {
		bottom := 0
		if pg.m != nil {
			bottom = pg.y + pg.m.H
		}
		for _, n := range pg.natives {
			bottom = max(bottom, n.y+1)
		}
		if bottom > 0 {
			fmt.Fprintf(&out, "^LL%d", bottom)
		}
	}
	out.Write(field)
	for _, n := range pg.natives {
		fmt.Fprintf(&out, "^FO%d,%d%s^FS", n.x, n.y, n.cmd)
	}
	out.WriteString("^XZ\n")
	return out.Bytes()
}

// PrepareZPL completes ZPL for the printer p. sourceDPI is the resolution
// the ZPL was laid out for; 0 guesses: a label whose ^PW matches the
// printer's width is taken as made for it, otherwise 203 dpi (carrier ZPL).
func PrepareZPL(src []byte, p Profile, sourceDPI int) ([]byte, error) {
	if len(src) > MaxInputBytes {
		return nil, fmt.Errorf("ZPL of %d bytes: %w (limit %d)", len(src), ErrInputTooLarge, MaxInputBytes)
	}
	if err := CheckTerminated(src); err != nil {
		return nil, err
	}
	cmds, err := Tokenize(src)
	if err != nil {
		return nil, err
	}
	if sourceDPI == 0 {
		sourceDPI = guessDPI(cmds, p)
	}
	if sourceDPI != p.DPI {
		conv, err := ConvertDPI(src, sourceDPI, p.DPI, !p.NoZ64)
		if errors.Is(err, ErrInexactDPI) {
			return nil, fmt.Errorf("converting ZPL from %d to %d dpi: %w; get this label as PDF instead (DHL: docFormat=PDF) or print it on a %d dpi printer", sourceDPI, p.DPI, err, sourceDPI)
		}
		if err != nil {
			return nil, fmt.Errorf("converting ZPL from %d to %d dpi: %w", sourceDPI, p.DPI, err)
		}
		src = conv
		if cmds, err = Tokenize(src); err != nil {
			return nil, err
		}
	}
	return completeLabels(src, cmds, p), nil
}

func guessDPI(cmds []Command, p Profile) int {
	for _, c := range cmds {
		if !c.Tilde && c.Name == "PW" {
			w := c.IntParam(0, 0)
			if w > 0 && abs(w-p.WidthDots) <= p.WidthDots/30 {
				return p.DPI
			}
			break
		}
	}
	return DefaultDPI
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// setsDarkness reports whether the job sets darkness itself (~SD, ^MD).
func setsDarkness(cmds []Command) bool {
	for _, c := range cmds {
		if (c.Tilde && c.Name == "SD") || (!c.Tilde && c.Name == "MD") {
			return true
		}
	}
	return false
}

// completeLabels adds ^PW, ^LL and ^MN right after ^XA in labels that do
// not set them, and the profile's darkness (~SD) before the job when it
// sets none.
func completeLabels(src []byte, cmds []Command, p Profile) []byte {
	labels, _ := SplitLabels(cmds)
	type ins struct {
		at   int
		text string
	}
	var inserts []ins
	for _, l := range labels {
		have := map[string]bool{}
		for _, c := range l.Commands {
			if !c.Tilde {
				have[c.Name] = true
			}
		}
		xa := l.Commands[0]
		var b bytes.Buffer
		if !have["PW"] {
			fmt.Fprintf(&b, "%cPW%d", xa.Prefix, p.WidthDots)
		}
		if !have["LL"] && p.HeightDots > 0 {
			fmt.Fprintf(&b, "%cLL%d", xa.Prefix, p.HeightDots)
		}
		if !have["MN"] {
			m := map[Media]string{MediaGap: "Y", MediaMark: "M", MediaContinuous: "N"}[p.Media]
			fmt.Fprintf(&b, "%cMN%s", xa.Prefix, m)
		}
		if b.Len() > 0 {
			inserts = append(inserts, ins{xa.End, b.String()})
		}
	}
	var out bytes.Buffer
	if p.Darkness > 0 && len(labels) > 0 && !setsDarkness(cmds) {
		fmt.Fprintf(&out, "~SD%02d", p.Darkness)
	}
	if len(inserts) == 0 && out.Len() == 0 {
		return src
	}
	prev := 0
	for _, in := range inserts {
		out.Write(src[prev:in.at])
		out.WriteString(in.text)
		prev = in.at
	}
	out.Write(src[prev:])
	return out.Bytes()
}
