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
	"slices"
	"strings"
	"time"

	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/enums"
	pdfiumwazy "github.com/klippa-app/go-pdfium/experimental/wazy"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
	pdfapi "github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"github.com/samyfodil/wazy"
	"github.com/samyfodil/wazy/api"
)

// PDFiumVersion names the go-pdfium module whose WebAssembly build is used;
// compiled code in the cache directory is kept per version (and, below it,
// per runtime version).
const PDFiumVersion = "go-pdfium-v1.21.4"

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
	cache    wazy.CompilationCache
	// bitmap is the last page bitmap, kept for the next page of the same
	// size (a station prints one label size): creating a bitmap costs
	// pdfium more than filling it white (0.15-0.5 ms a page at 300 dpi).
	// WebAssembly memory never shrinks, so keeping it holds no more.
	bitmap       references.FPDF_BITMAP
	bitmapW      int
	bitmapH      int
	bitmapLoaded bool
}

// pageBitmap returns a grey w x h bitmap, the kept one when it has that
// size; its content is left from the last page.
func (e *pdfEngine) pageBitmap(w, h int) (references.FPDF_BITMAP, error) {
	if e.bitmapLoaded && e.bitmapW == w && e.bitmapH == h {
		return e.bitmap, nil
	}
	e.dropBitmap()
	bm, err := e.instance.FPDFBitmap_CreateEx(&requests.FPDFBitmap_CreateEx{Width: w, Height: h, Format: enums.FPDF_BITMAP_FORMAT_GRAY, Pointer: uint64(0)})
	if err != nil {
		return "", err
	}
	e.bitmap, e.bitmapW, e.bitmapH, e.bitmapLoaded = bm.Bitmap, w, h, true
	return bm.Bitmap, nil
}

func (e *pdfEngine) dropBitmap() {
	if e.bitmapLoaded {
		_, _ = e.instance.FPDFBitmap_Destroy(&requests.FPDFBitmap_Destroy{Bitmap: e.bitmap})
		e.bitmapLoaded = false
	}
}

// startPDFium compiles (or loads from cacheDir) the pdfium WebAssembly
// module and starts one instance. cacheDir "" compiles in memory each time.
//
// The module runs on wazy, go-pdfium's experimental backend on a wazero
// derivative: on the carrier corpus it draws the same dots as wazero with
// about 40 % less CPU a page, and a one-shot convert peaks 11 MiB lower
// (docs/benchmarks.md, issue 21).
func startPDFium(cacheDir string) (*pdfEngine, error) {
	// pdfium's setjmp/longjmp is built as WebAssembly exception handling.
	// The first start (no cache) compiles with one worker: two workers on
	// a loaded 2-core station were not faster and peaked 75 MB higher.
	// No DWARF: decoding it costs start-up time and only helps debugging
	// pdfium itself.
	// Memory is capped so a hostile PDF cannot take the machine's: labels
	// need a few tens of MB.
	rc := wazy.NewRuntimeConfig().WithCoreFeatures(api.CoreFeaturesV2 | api.CoreFeatureExceptionHandling).
		WithDebugInfoEnabled(false).WithMemoryLimitPages(pdfiumMemoryPages)
	var cache wazy.CompilationCache
	if cacheDir != "" {
		dir := filepath.Join(cacheDir, PDFiumVersion)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("PDF renderer cache directory: %w", err)
		}
		c, err := wazy.NewCompilationCacheWithDir(dir)
		if err != nil {
			return nil, fmt.Errorf("PDF renderer cache directory %s: %w", dir, err)
		}
		cache = c
		rc = rc.WithCompilationCache(c)
		removeOldPDFCaches(cacheDir)
	}
	pool, err := pdfiumwazy.Init(pdfiumwazy.Config{
		MinIdle:       1,
		MaxIdle:       1,
		MaxTotal:      1,
		ReuseWorkers:  true,
		RuntimeConfig: rc,
		// No file system: documents are passed as bytes.
		FSConfig: wazy.NewFSConfig(),
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
	e.dropBitmap()
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
	return d.renderArea(i, w, h, image.Rect(0, 0, w, h), threshold, renderFlags)
}

// renderArea draws only the part area of page i rendered at w x h pixels:
// the same dots as that part of the whole page (the page is moved by whole
// pixels, nothing is scaled), in a bitmap of the area's size, so pdfium
// rasterises and Go thresholds only what is printed. The bitmap is 8-bit
// grey (FPDFBitmap_Gray), read in place and converted to 1 bit before it
// is freed.
func (d *pdfDoc) renderArea(i, w, h int, area image.Rectangle, threshold int, flags enums.FPDF_RENDER_FLAG) (*Mono, error) {
	if w < 1 || h < 1 || area.Empty() || int64(area.Dx())*int64(area.Dy()) > MaxRenderPixels || int64(w)*int64(h) > 4*MaxRenderPixels {
		return nil, fmt.Errorf("PDF page %d at %dx%d pixels: %w", i+1, w, h, ErrInputTooLarge)
	}
	in := d.e.instance
	bm, err := d.e.pageBitmap(area.Dx(), area.Dy())
	if err != nil {
		return nil, fmt.Errorf("rendering PDF page %d: %w", i+1, err)
	}
	if _, err := in.FPDFBitmap_FillRect(&requests.FPDFBitmap_FillRect{Bitmap: bm, Width: area.Dx(), Height: area.Dy(), Color: 0xFFFFFFFF}); err != nil {
		return nil, fmt.Errorf("rendering PDF page %d: %w", i+1, err)
	}
	if _, err := in.FPDF_RenderPageBitmap(&requests.FPDF_RenderPageBitmap{
		Bitmap: bm, Page: d.page(i),
		StartX: -area.Min.X, StartY: -area.Min.Y, SizeX: w, SizeY: h,
		Flags: flags | enums.FPDF_RENDER_FLAG_GRAYSCALE,
	}); err != nil {
		return nil, fmt.Errorf("rendering PDF page %d: %w", i+1, err)
	}
	st, err := in.FPDFBitmap_GetStride(&requests.FPDFBitmap_GetStride{Bitmap: bm})
	if err != nil {
		return nil, fmt.Errorf("rendering PDF page %d: %w", i+1, err)
	}
	buf, err := in.FPDFBitmap_GetBuffer(&requests.FPDFBitmap_GetBuffer{Bitmap: bm})
	if err != nil {
		return nil, fmt.Errorf("rendering PDF page %d: %w", i+1, err)
	}
	if st.Stride < area.Dx() || len(buf.Buffer) < st.Stride*area.Dy() {
		return nil, fmt.Errorf("rendering PDF page %d: bitmap buffer of %d bytes", i+1, len(buf.Buffer))
	}
	return ToMono(&image.Gray{Pix: buf.Buffer, Stride: st.Stride, Rect: image.Rect(0, 0, area.Dx(), area.Dy())}, threshold, false)
}

// inkBounds finds where page i has ink, cheaply: rendered at a quarter of
// the resolution (w x h at full), anti-aliased so that anything drawn at
// all leaves grey, and scaled back with a margin. Nothing outside it prints
// at full resolution.
func (d *pdfDoc) inkBounds(i, w, h int) (image.Rectangle, error) {
	const f = 4
	cw, ch := max(1, (w+f-1)/f), max(1, (h+f-1)/f)
	m, err := d.renderArea(i, cw, ch, image.Rect(0, 0, cw, ch), 255, enums.FPDF_RENDER_FLAG_PRINTING|enums.FPDF_RENDER_FLAG_ANNOT)
	if err != nil {
		return image.Rectangle{}, err
	}
	_, r := m.Trim()
	if r.Empty() {
		return image.Rectangle{}, nil
	}
	// A quarter-size pixel covers f x f dots, and a page of w points does
	// not divide evenly: two coarse pixels of margin.
	full := image.Rect(r.Min.X*f-2*f, r.Min.Y*f-2*f, r.Max.X*f+2*f, r.Max.Y*f+2*f)
	return full.Intersect(image.Rect(0, 0, w, h)), nil
}

// pagePlacement decides how one page goes on the label.
type pagePlacement struct {
	rotate int     // clockwise degrees applied after rendering
	scale  float64 // 1 renders at the printer's resolution
	w, h   int     // render size in pixels (unrotated)
	exact  bool    // the page is the label: rendered to exactly its dots
	sheet  bool    // the page is larger than the label either way (A4, letter)
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
		pl.sheet = true
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
func pdfToMonos(ctx context.Context, e *pdfEngine, data []byte, pages []PDFPage, p Profile, opts PDFOptions) ([]placedMono, error) {
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
		pms, err := renderPlaced(doc, i, wPt, hPt, p, opts.Threshold)
		if err != nil {
			return nil, err
		}
		for _, pm := range pms {
			pm.note.Page = pg.Number
			if !opts.BitmapBarcodes {
				pm = pm.nativeBarcodes(p)
			}
			out = append(out, pm)
		}
	}
	return out, nil
}

// placedMono is a trimmed graphic and its place on the label, plus the
// barcodes sent as ZPL commands instead of dots.
type placedMono struct {
	m       *Mono // nil for a blank page
	x, y    int
	natives []placedNative
	note    PageNote
}

// PageNote says how one PDF page (or one label found on a sheet) was put
// on the label, for the operator: what was cut out, turned or shrunk.
type PageNote struct {
	Page     int     // 1-based page of the PDF
	Label    int     // 1-based label on that page (a sheet may hold several)
	OfLabels int     // labels found on the page
	Sheet    bool    // the page is larger than the label (A4, letter): the label was found on it
	AreaMM   MMRect  // the part of the page printed, in mm from its top left (before turning)
	PageMM   MMRect  // the page's size
	Rotate   int     // clockwise degrees the content was turned
	Scale    float64 // 1 prints at the page's size; below 1 the content was shrunk to fit
	Dropped  int     // separate bits of ink on the sheet left out (none is a label)
}

// MMRect is a rectangle in millimetres.
type MMRect struct{ X, Y, W, H float64 }

func (p Profile) rectMM(r image.Rectangle) MMRect {
	f := 25.4 / float64(p.DPI)
	return MMRect{X: float64(r.Min.X) * f, Y: float64(r.Min.Y) * f, W: float64(r.Dx()) * f, H: float64(r.Dy()) * f}
}

type placedNative struct {
	x, y int
	cmd  string
}

// nativeBarcodes moves exactly recognised symbols out of the bitmap into
// ZPL barcode commands. A symbol whose whole-dot modules make it a little
// larger than on the page stays dots if it would then touch other ink or
// leave the label.
func (pm placedMono) nativeBarcodes(p Profile) placedMono {
	if pm.m == nil {
		return pm
	}
	syms := append(findLinearSymbols(pm.m), findNativeSymbols(pm.m)...)
	if len(syms) == 0 {
		return pm
	}
	// The page is this label's own: symbols are cleared in place, each
	// kept first in case it has to go back as dots.
	m := pm.m
	dots := make([]*Mono, len(syms))
	for k, s := range syms {
		dots[k] = m.Crop(s.rect)
	}
	for _, s := range syms {
		m.clearRect(s.rect)
	}
	label := image.Rect(-pm.x, -pm.y, p.WidthDots-pm.x, MaxDots)
	if p.HeightDots > 0 {
		label.Max.Y = p.HeightDots - pm.y
	}
	for k, s := range syms {
		pr := s.printed()
		if !pr.In(label) || !m.blankRect(pr) {
			if dots[k] != nil {
				m.Paste(dots[k], s.rect.Min.X, s.rect.Min.Y)
			}
			continue
		}
		pm.natives = append(pm.natives, placedNative{x: pm.x + s.rect.Min.X, y: pm.y + s.rect.Min.Y, cmd: s.cmd})
	}
	// The page was trimmed already: only a symbol at its edge leaves
	// white to cut.
	r := m.inkRect(m.Bounds())
	switch {
	case r.Empty():
		pm.m = nil
	case r == m.Bounds():
		pm.m = m
	default:
		pm.m = m.Crop(r)
	}
	pm.x += r.Min.X
	pm.y += r.Min.Y
	return pm
}

func renderPlaced(doc *pdfDoc, i int, wPt, hPt float64, p Profile, threshold int) ([]placedMono, error) {
	pl := placePage(wPt, hPt, p)
	pageMM := MMRect{W: wPt * 25.4 / 72, H: hPt * 25.4 / 72}
	if p.PageArea.W > 0 {
		pm, err := pageAreaLabel(doc, i, wPt, hPt, p, threshold)
		pm.note.PageMM = pageMM
		return []placedMono{pm}, err
	}
	if pl.sheet {
		pms, err := sheetLabels(doc, i, wPt, hPt, p, threshold)
		if err != nil || len(pms) > 0 {
			for k := range pms {
				pms[k].note.PageMM = pageMM
			}
			return pms, err
		}
	}
	pm, err := renderFitted(doc, i, pl, p, threshold)
	pm.note.PageMM, pm.note.Label, pm.note.OfLabels, pm.note.Sheet = pageMM, 1, 1, pl.sheet
	if pm.note.Scale == 0 {
		pm.note.Scale = 1
	}
	if pm.note.AreaMM == (MMRect{}) {
		pm.note.AreaMM = pageMM
	}
	pm.note.Rotate = pl.rotate
	return []placedMono{pm}, err
}

// sheetLabels finds the labels on a page larger than the label (an A4 or
// letter sheet): the ink is grouped into clusters separated by white
// gaps, clusters are joined while together they still fit the label at
// 1:1 (turned if need be), and every group of at least a fifth of the
// label's area is printed 1:1 as its own label. Nothing is returned (and
// the whole page is shrunk instead) when some ink would not fit a label
// at 1:1 or no group is large enough.
func sheetLabels(doc *pdfDoc, i int, wPt, hPt float64, p Profile, threshold int) ([]placedMono, error) {
	w, h := int(math.Round(wPt/72*float64(p.DPI))), int(math.Round(hPt/72*float64(p.DPI)))
	// The sheet is rendered whole when it fits MaxRenderPixels: pdfium's
	// time goes by the objects drawn, not the pixels, so a quarter-size
	// pass to find the ink first cost 3 ms more a page than it saved (A4,
	// 203 and 300 dpi). A sheet beyond the limit (A4 at 600 dpi, A3 at
	// 300) is found that way, and only its inked part is rendered at full
	// resolution, so its labels still print 1:1.
	ink := image.Rect(0, 0, w, h)
	if int64(w)*int64(h) > 4*MaxRenderPixels {
		return nil, nil // beyond even the quarter-size pass: shrunk instead
	}
	if int64(w)*int64(h) > MaxRenderPixels {
		var err error
		if ink, err = doc.inkBounds(i, w, h); err != nil || ink.Empty() {
			return nil, err
		}
		if int64(ink.Dx())*int64(ink.Dy()) > MaxRenderPixels {
			return nil, nil // too much ink for 1:1: the page is shrunk instead
		}
	}
	m, err := doc.renderArea(i, w, h, ink, threshold, renderFlags)
	if err != nil {
		return nil, err
	}
	areas, dropped := labelAreas(m, p) // in dots of the inked part
	var out []placedMono
	for k, a := range areas {
		c := m.Crop(a)
		if c == nil {
			continue
		}
		rot := 0
		if !fitsLabel(c.W, c.H, p) {
			rot = 90
			if c, err = c.Rotate(90); err != nil {
				return nil, err
			}
		}
		lw, lh := p.WidthDots, p.HeightDots
		y := 0
		if lh > 0 {
			y = (lh - c.H) / 2
		}
		out = append(out, placedMono{m: c, x: (lw - c.W) / 2, y: y, note: PageNote{
			Label: k + 1, OfLabels: len(areas), Sheet: true, AreaMM: p.rectMM(a.Add(ink.Min)),
			Rotate: rot, Scale: 1, Dropped: dropped,
		}})
	}
	return out, nil
}

// pageAreaLabel prints the profile's page area of a page 1:1, turned if it
// fits the label only that way; the area's top left is the label's.
func pageAreaLabel(doc *pdfDoc, i int, wPt, hPt float64, p Profile, threshold int) (placedMono, error) {
	a := p.PageArea
	f := float64(p.DPI) / 25.4
	r := image.Rect(int(math.Round(a.X*f)), int(math.Round(a.Y*f)), int(math.Round((a.X+a.W)*f)), int(math.Round((a.Y+a.H)*f)))
	rot := 0
	if !fitsLabel(r.Dx(), r.Dy(), p) {
		if !fitsLabel(r.Dy(), r.Dx(), p) {
			return placedMono{}, fmt.Errorf("the page area of %.0f x %.0f mm does not fit the %s label either way", a.W, a.H, p.Label)
		}
		rot = 90
	}
	w, h := int(math.Round(wPt/72*float64(p.DPI))), int(math.Round(hPt/72*float64(p.DPI)))
	if int64(w)*int64(h) > MaxRenderPixels {
		return placedMono{}, fmt.Errorf("PDF page %d at %dx%d pixels: %w", i+1, w, h, ErrInputTooLarge)
	}
	in := r.Intersect(image.Rect(0, 0, w, h))
	if in.Empty() {
		return placedMono{}, fmt.Errorf("the page area at %.0f,%.0f mm lies outside the %.0f x %.0f mm page", a.X, a.Y, wPt*25.4/72, hPt*25.4/72)
	}
	// Only the area is rendered; as the label, dots outside the page are
	// white.
	m, err := doc.renderArea(i, w, h, in, threshold, renderFlags)
	if err != nil {
		return placedMono{}, err
	}
	c, err := NewMono(r.Dx(), r.Dy())
	if err != nil {
		return placedMono{}, err
	}
	c.Paste(m, in.Min.X-r.Min.X, in.Min.Y-r.Min.Y)
	if rot != 0 {
		if c, err = c.Rotate(rot); err != nil {
			return placedMono{}, err
		}
	}
	note := PageNote{Label: 1, OfLabels: 1, Sheet: true, AreaMM: a, Rotate: rot, Scale: 1}
	t, tr := c.Trim()
	if t == nil {
		return placedMono{note: note}, nil
	}
	return placedMono{m: t, x: tr.Min.X, y: tr.Min.Y, note: note}, nil
}

func fitsLabel(w, h int, p Profile) bool {
	return w <= p.WidthDots && (p.HeightDots == 0 || h <= p.HeightDots)
}

// labelAreas groups the ink of a sheet into label-sized areas, in reading
// order, and counts the small separate bits left out.
func labelAreas(m *Mono, p Profile) (areas []image.Rectangle, dropped int) {
	fit := func(r image.Rectangle) bool { return fitsLabel(r.Dx(), r.Dy(), p) || fitsLabel(r.Dy(), r.Dx(), p) }
	regs := inkClusters(m, max(4, p.MMToDots(3)), 2000)
	if len(regs) == 0 || len(regs) >= 2000 {
		return nil, 0
	}
	slices.SortFunc(regs, func(a, b image.Rectangle) int { return area(b) - area(a) })
	var groups []image.Rectangle
	for _, r := range regs {
		if !fit(r) {
			return nil, 0 // ink larger than a label: not a sheet of labels
		}
		best, growth := -1, 0
		for k, g := range groups {
			u := g.Union(r)
			if fit(u) && (best < 0 || area(u)-area(g) < growth) {
				best, growth = k, area(u)-area(g)
			}
		}
		if best >= 0 {
			groups[best] = groups[best].Union(r)
		} else {
			groups = append(groups, r)
		}
	}
	labelArea := p.WidthDots * max(p.HeightDots, p.WidthDots)
	for _, g := range groups {
		if area(g)*5 >= labelArea {
			areas = append(areas, g)
		} else {
			dropped++
		}
	}
	slices.SortFunc(areas, func(a, b image.Rectangle) int {
		if a.Min.Y/100 != b.Min.Y/100 {
			return a.Min.Y - b.Min.Y
		}
		return a.Min.X - b.Min.X
	})
	if len(areas) == 0 {
		return nil, 0
	}
	return areas, dropped
}

func area(r image.Rectangle) int { return r.Dx() * r.Dy() }

// inkClusters returns the bounds of connected groups of inked cells of
// cell x cell dots (all of them, however small), at most limit.
func inkClusters(m *Mono, cell, limit int) []image.Rectangle {
	var out []image.Rectangle
	for _, c := range inkComponents(m, cell) {
		px := image.Rect(c.Min.X*cell, c.Min.Y*cell, min(m.W, c.Max.X*cell), min(m.H, c.Max.Y*cell))
		// The exact bounds of the ink inside the cells.
		if tr := m.inkRect(px); !tr.Empty() {
			px = tr
		}
		out = append(out, px)
		if len(out) >= limit {
			break
		}
	}
	return out
}

// renderFitted renders a page that is the label, or is to be fitted to
// it: at the printer's resolution, cut by at most 2 mm, else shrunk.
func renderFitted(doc *pdfDoc, i int, pl pagePlacement, p Profile, threshold int) (placedMono, error) {
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
	return placedMono{m: t, x: (lw - t.W) / 2, y: max(0, (min(lh, p.HeightDots)-t.H)/2), note: PageNote{Scale: f}}, nil
}
