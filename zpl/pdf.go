package zpl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/enums"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/webassembly"
	pdfapi "github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"github.com/tetratelabs/wazero"
)

// PDFiumVersion names the go-pdfium module whose WebAssembly build is used;
// compiled code in the cache directory is kept per version.
const PDFiumVersion = "go-pdfium-v1.19.8"

// pdfiumMemoryPages caps the PDF renderer's memory: 8192 WebAssembly pages
// of 64 KiB are 512 MiB.
const pdfiumMemoryPages = 8192

// MaxRenderPixels bounds one rendered page.
const MaxRenderPixels = MaxImagePixels

// pdfcpuConfig is pdfcpu's default configuration without its config
// directory: a service must not write into the user's config folder.
func pdfcpuConfig() *model.Configuration {
	return &model.Configuration{
		Reader15:                  true,
		ValidationMode:            model.ValidationRelaxed,
		UnsupportedResourcePolicy: model.UnsupportedResourceSkip,
		Eol:                       types.EolLF,
		WriteObjectStream:         true,
		WriteXRefStream:           true,
		Offline:                   true,
		Timeout:                   5,
		Limits:                    model.DefaultResourceLimits(),
	}
}

// PDFPage describes one page of a PDF, in points (1/72 inch), after the
// page's own rotation.
type PDFPage struct {
	Number        int // 1-based
	Width, Height float64
}

// WidthMM is the page width in millimetres.
func (p PDFPage) WidthMM() float64 { return p.Width * 25.4 / 72 }

// HeightMM is the page height in millimetres.
func (p PDFPage) HeightMM() float64 { return p.Height * 25.4 / 72 }

// checkPDF refuses input that is not a PDF or is beyond the limits.
func checkPDF(data []byte) error {
	if len(data) > MaxInputBytes {
		return fmt.Errorf("PDF of %d bytes: %w (limit %d)", len(data), ErrInputTooLarge, MaxInputBytes)
	}
	if !bytes.HasPrefix(bytes.TrimLeft(data[:min(len(data), 1024)], "\x00\t\n\r "), []byte("%PDF-")) {
		return errors.New("not a PDF document (the file does not start with %PDF-)")
	}
	return nil
}

// PDFPages reads the page count and page sizes with pdfcpu, refusing
// documents with more than MaxPDFPages pages.
func PDFPages(data []byte) ([]PDFPage, error) {
	if err := checkPDF(data); err != nil {
		return nil, err
	}
	ctx, err := pdfapi.ReadAndValidate(bytes.NewReader(data), pdfcpuConfig())
	if err != nil {
		return nil, fmt.Errorf("reading PDF: %w", err)
	}
	if ctx.PageCount > MaxPDFPages {
		return nil, fmt.Errorf("PDF with %d pages: %w (a label job may have at most %d pages)", ctx.PageCount, ErrInputTooLarge, MaxPDFPages)
	}
	dims, err := ctx.PageDims()
	if err != nil {
		return nil, fmt.Errorf("reading PDF page sizes: %w", err)
	}
	pages := make([]PDFPage, len(dims))
	for i, d := range dims {
		pages[i] = PDFPage{Number: i + 1, Width: d.Width, Height: d.Height}
	}
	return pages, nil
}

// SelectPDFPages keeps the pages named by sel (pdfcpu syntax: "1", "2-3",
// "odd", "!4", "l" for last) in a new PDF, e.g. the label without the
// customs document that follows it.
func SelectPDFPages(data []byte, sel string) ([]byte, error) {
	if err := checkPDF(data); err != nil {
		return nil, err
	}
	ps, err := pdfapi.ParsePageSelection(sel)
	if err != nil {
		return nil, fmt.Errorf("page selection %q: %w", sel, err)
	}
	var out bytes.Buffer
	if err := pdfapi.Trim(bytes.NewReader(data), &out, ps, pdfcpuConfig()); err != nil {
		return nil, fmt.Errorf("selecting pages %q: %w", sel, err)
	}
	return out.Bytes(), nil
}

// SplitPDF returns one single-page PDF per page.
func SplitPDF(data []byte) ([][]byte, error) {
	pages, err := PDFPages(data)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, 0, len(pages))
	for _, pg := range pages {
		one, err := SelectPDFPages(data, fmt.Sprint(pg.Number))
		if err != nil {
			return nil, err
		}
		out = append(out, one)
	}
	return out, nil
}

// pdfEngine holds the one lazily started pdfium instance.
type pdfEngine struct {
	pool     pdfium.Pool
	instance pdfium.Pdfium
	cache    wazero.CompilationCache
}

// startPDFium compiles (or loads from cacheDir) the pdfium WebAssembly
// module and starts one instance. cacheDir "" compiles in memory each time.
func startPDFium(cacheDir string) (*pdfEngine, error) {
	// No DWARF: decoding it costs start-up time and only helps debugging
	// pdfium itself.
	// Memory is capped so a hostile PDF cannot take the machine's: labels
	// need a few tens of MB.
	rc := wazero.NewRuntimeConfig().WithDebugInfoEnabled(false).WithMemoryLimitPages(pdfiumMemoryPages)
	var cache wazero.CompilationCache
	if cacheDir != "" {
		dir := filepath.Join(cacheDir, PDFiumVersion)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("PDF renderer cache directory: %w", err)
		}
		c, err := wazero.NewCompilationCacheWithDir(dir)
		if err != nil {
			return nil, fmt.Errorf("PDF renderer cache directory %s: %w", dir, err)
		}
		cache = c
		rc = rc.WithCompilationCache(c)
	}
	pool, err := webassembly.Init(webassembly.Config{
		MinIdle:       1,
		MaxIdle:       1,
		MaxTotal:      1,
		ReuseWorkers:  true,
		RuntimeConfig: rc,
		// No file system: documents are passed as bytes.
		FSConfig: wazero.NewFSConfig(),
		Stdout:   discard{},
		Stderr:   discard{},
	})
	if err != nil {
		if cache != nil {
			cache.Close(context.Background())
		}
		return nil, fmt.Errorf("starting the PDF renderer: %w", err)
	}
	inst, err := pool.GetInstance(30 * time.Second)
	if err != nil {
		pool.Close()
		if cache != nil {
			cache.Close(context.Background())
		}
		return nil, fmt.Errorf("starting the PDF renderer: %w", err)
	}
	return &pdfEngine{pool: pool, instance: inst, cache: cache}, nil
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func (e *pdfEngine) close() error {
	err := errors.Join(e.instance.Close(), e.pool.Close())
	if e.cache != nil {
		err = errors.Join(err, e.cache.Close(context.Background()))
	}
	return err
}

// renderFlags: no anti-aliasing, so edges of bars and modules fall on whole
// dots and thresholding does not move them.
const renderFlags = enums.FPDF_RENDER_FLAG_PRINTING | enums.FPDF_RENDER_FLAG_ANNOT |
	enums.FPDF_RENDER_FLAG_RENDER_NO_SMOOTHTEXT | enums.FPDF_RENDER_FLAG_RENDER_NO_SMOOTHPATH |
	enums.FPDF_RENDER_FLAG_RENDER_NO_SMOOTHIMAGE

// pdfDoc is an open document on the engine; the caller holds the engine lock.
type pdfDoc struct {
	e   *pdfEngine
	doc references.FPDF_DOCUMENT
}

func (e *pdfEngine) open(data []byte) (*pdfDoc, error) {
	d, err := e.instance.OpenDocument(&requests.OpenDocument{File: &data})
	if err != nil {
		msg := err.Error()
		if strings.Contains(strings.ToLower(msg), "password") {
			return nil, fmt.Errorf("the PDF is password protected: %w", err)
		}
		return nil, fmt.Errorf("opening PDF: %w", err)
	}
	return &pdfDoc{e: e, doc: d.Document}, nil
}

func (d *pdfDoc) close() {
	_, _ = d.e.instance.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: d.doc})
}

func (d *pdfDoc) pageCount() (int, error) {
	r, err := d.e.instance.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: d.doc})
	if err != nil {
		return 0, fmt.Errorf("reading PDF page count: %w", err)
	}
	return r.PageCount, nil
}

func (d *pdfDoc) page(i int) requests.Page {
	return requests.Page{ByIndex: &requests.PageByIndex{Document: d.doc, Index: i}}
}

func (d *pdfDoc) size(i int) (w, h float64, err error) {
	r, err := d.e.instance.GetPageSize(&requests.GetPageSize{Page: d.page(i)})
	if err != nil {
		return 0, 0, fmt.Errorf("reading size of PDF page %d: %w", i+1, err)
	}
	return r.Width, r.Height, nil
}

// render draws page i to exactly w x h pixels in grey and converts it to
// 1 bit before pdfium's buffer is released.
func (d *pdfDoc) render(i, w, h, threshold int) (*Mono, error) {
	if w < 1 || h < 1 || int64(w)*int64(h) > MaxRenderPixels {
		return nil, fmt.Errorf("PDF page %d at %dx%d pixels: %w", i+1, w, h, ErrInputTooLarge)
	}
	r, err := d.e.instance.RenderPageInPixels(&requests.RenderPageInPixels{
		Page:        d.page(i),
		Width:       w,
		Height:      h,
		RenderFlags: renderFlags,
		ImageFormat: requests.RenderImageFormatGrayscale,
	})
	if err != nil {
		return nil, fmt.Errorf("rendering PDF page %d: %w", i+1, err)
	}
	defer r.Cleanup()
	img := r.Result.RenderedImage
	if img == nil {
		return nil, fmt.Errorf("rendering PDF page %d: no image", i+1)
	}
	return ToMono(img, threshold, false)
}

// pagePlacement decides how one page goes on the label.
type pagePlacement struct {
	rotate int     // clockwise degrees applied after rendering
	scale  float64 // 1 renders at the printer's resolution
	w, h   int     // render size in pixels (unrotated)
	exact  bool    // the page is the label: rendered to exactly its dots
}

// placePage works out the render size for a page of wPt x hPt points on p.
func placePage(wPt, hPt float64, p Profile) pagePlacement {
	dpi := float64(p.DPI)
	wd, hd := wPt/72*dpi, hPt/72*dpi
	lw, lh := float64(p.WidthDots), float64(p.HeightDots)
	if p.HeightDots == 0 {
		lh = math.Inf(1)
	}
	tol := 2 * dpi / 25.4 // 2 mm: PDF page sizes are rounded
	fits := func(w, h float64) bool { return w <= lw+tol && h <= lh+tol }
	pl := pagePlacement{scale: 1}
	switch {
	case fits(wd, hd):
	case fits(hd, wd):
		pl.rotate = 90
	default:
		// Larger than the label either way: the orientation that needs the
		// least shrinking wins; trimming may still make it fit at 1:1.
		if math.Min(lw/hd, lh/wd) > math.Min(lw/wd, lh/hd) {
			pl.rotate = 90
		}
	}
	rw, rh := wd, hd
	if pl.rotate == 90 {
		rw, rh = hd, wd
	}
	// Page sizes in points are rounded: within half a millimetre the page
	// is the label.
	exactTol := 0.5 * dpi / 25.4
	if math.Abs(rw-lw) <= exactTol && (p.HeightDots == 0 || math.Abs(rh-lh) <= exactTol) {
		// The page is the label (e.g. DHL 910-300-600 PDF): render it to
		// exactly the label's dots.
		pl.exact = true
		rw = lw
		if p.HeightDots > 0 {
			rh = lh
		}
	}
	pl.w, pl.h = int(math.Round(rw)), int(math.Round(rh))
	if pl.rotate == 90 {
		pl.w, pl.h = pl.h, pl.w
	}
	return pl
}

// PDFOptions select what of a PDF is printed.
type PDFOptions struct {
	Pages     string // pdfcpu page selection, "" for all
	Threshold int    // 0 means Threshold
	Encoding  Encoding
	// BitmapBarcodes keeps every barcode as dots. By default DataMatrix
	// symbols recognised exactly (whole-dot modules, decodable, same size
	// when encoded again) are sent as ^BX commands, which is smaller.
	BitmapBarcodes bool
}

// pdfToMonos renders the selected pages for p, each fitted to the label.
// The caller holds the converter's lock on e.
func pdfToMonos(ctx context.Context, e *pdfEngine, data []byte, p Profile, opts PDFOptions) ([]placedMono, error) {
	pages, err := PDFPages(data)
	if err != nil {
		return nil, err
	}
	if opts.Pages != "" {
		ps, err := pdfapi.ParsePageSelection(opts.Pages)
		if err != nil {
			return nil, fmt.Errorf("page selection %q: %w", opts.Pages, err)
		}
		set, err := pdfapi.PagesForPageSelection(len(pages), ps, true, false)
		if err != nil {
			return nil, fmt.Errorf("page selection %q: %w", opts.Pages, err)
		}
		var keep []PDFPage
		for _, pg := range pages {
			if set[pg.Number] {
				keep = append(keep, pg)
			}
		}
		if len(keep) == 0 {
			return nil, fmt.Errorf("page selection %q selects none of the %d pages", opts.Pages, len(pages))
		}
		pages = keep
	}
	doc, err := e.open(data)
	if err != nil {
		return nil, err
	}
	defer doc.close()
	n, err := doc.pageCount()
	if err != nil {
		return nil, err
	}
	var out []placedMono
	for _, pg := range pages {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		i := pg.Number - 1
		if i >= n {
			return nil, fmt.Errorf("PDF page %d is missing (the renderer sees %d pages)", pg.Number, n)
		}
		wPt, hPt, err := doc.size(i)
		if err != nil {
			return nil, err
		}
		pm, err := renderPlaced(doc, i, wPt, hPt, p, opts.Threshold)
		if err != nil {
			return nil, err
		}
		if !opts.BitmapBarcodes {
			pm = pm.nativeBarcodes()
		}
		out = append(out, pm)
	}
	return out, nil
}

// placedMono is a trimmed graphic and its place on the label, plus the
// barcodes sent as ZPL commands instead of dots.
type placedMono struct {
	m       *Mono // nil for a blank page
	x, y    int
	natives []placedNative
}

type placedNative struct {
	x, y int
	cmd  string
}

// nativeBarcodes moves exactly recognised symbols out of the bitmap into
// ZPL barcode commands.
func (pm placedMono) nativeBarcodes() placedMono {
	if pm.m == nil {
		return pm
	}
	syms := findNativeSymbols(pm.m)
	if len(syms) == 0 {
		return pm
	}
	m := pm.m.Clone()
	for _, s := range syms {
		for y := s.rect.Min.Y; y < s.rect.Max.Y; y++ {
			for x := s.rect.Min.X; x < s.rect.Max.X; x++ {
				m.Set(x, y, false)
			}
		}
		pm.natives = append(pm.natives, placedNative{x: pm.x + s.rect.Min.X, y: pm.y + s.rect.Min.Y, cmd: s.cmd})
	}
	t, r := m.Trim()
	pm.m = t
	pm.x += r.Min.X
	pm.y += r.Min.Y
	return pm
}

func renderPlaced(doc *pdfDoc, i int, wPt, hPt float64, p Profile, threshold int) (placedMono, error) {
	pl := placePage(wPt, hPt, p)
	// Cap the render size: a poster-sized page is rendered smaller, then
	// fitted below.
	if px := float64(pl.w) * float64(pl.h); px > MaxRenderPixels {
		f := math.Sqrt(MaxRenderPixels / px)
		pl.w, pl.h = int(float64(pl.w)*f), int(float64(pl.h)*f)
	}
	m, err := doc.render(i, pl.w, pl.h, threshold)
	if err != nil {
		return placedMono{}, err
	}
	if pl.rotate != 0 {
		if m, err = m.Rotate(pl.rotate); err != nil {
			return placedMono{}, err
		}
	}
	t, r := m.Trim()
	if t == nil {
		return placedMono{}, nil
	}
	lw, lh := p.WidthDots, p.HeightDots
	if lh == 0 {
		lh = MaxDots
	}
	if t.W <= lw && t.H <= lh {
		// Keep the content where the page has it when it fits there,
		// else move it onto the label.
		x, y := r.Min.X, r.Min.Y
		if x+t.W > lw {
			x = (lw - t.W) / 2
		}
		if y+t.H > lh {
			y = (lh - t.H) / 2
		}
		return placedMono{m: t, x: x, y: y}, nil
	}
	// At most 2 mm too large (a frame drawn to the page edge, a label
	// page a little bigger than the media): cut the edges rather than
	// shrink, which would put barcode modules off the dot grid.
	if tol := p.MMToDots(2); t.W <= lw+tol && t.H <= lh+tol {
		cx, cy := max(0, (t.W-lw)/2), max(0, (t.H-lh)/2)
		c := t.Crop(image.Rect(cx, cy, cx+lw, cy+lh))
		if c, cr := c.Trim(); c != nil {
			return placedMono{m: c, x: max(0, (lw-t.W)/2) + cr.Min.X, y: max(0, (lh-t.H)/2) + cr.Min.Y}, nil
		}
		return placedMono{}, nil
	}
	// The content is larger than the label: render again, smaller, so the
	// renderer (not a bitmap scaler) draws the reduced page.
	f := math.Min(float64(lw)/float64(t.W), float64(lh)/float64(t.H))
	w, h := int(float64(pl.w)*f), int(float64(pl.h)*f)
	m, err = doc.render(i, w, h, threshold)
	if err != nil {
		return placedMono{}, err
	}
	if pl.rotate != 0 {
		if m, err = m.Rotate(pl.rotate); err != nil {
			return placedMono{}, err
		}
	}
	t, _ = m.Trim()
	if t == nil {
		return placedMono{}, nil
	}
	if t.W > lw || t.H > lh { // rounding: crop the last dot
		t = t.Crop(image.Rect(0, 0, lw, lh))
	}
	return placedMono{m: t, x: (lw - t.W) / 2, y: max(0, (min(lh, p.HeightDots)-t.H)/2)}, nil
}
