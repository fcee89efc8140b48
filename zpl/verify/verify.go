// Package verify reads the barcodes of a rendered label, as a scanner at
// the carrier's depot would, and compares them with what the label is
// meant to carry. The agent uses it to refuse a label whose barcodes do not
// decode before it wastes a label (or, worse, ships a parcel that cannot be
// sorted).
//
// Code 128, Code 39, EAN-13, Interleaved 2 of 5, DataMatrix, QR and Aztec
// are read with gozxing, GS1 structure included (FNC1 first and as
// separator). PDF417 drawn by the renderer is read module by module
// (zpl/internal/pdf417). MaxiCode has no reader here; such symbols are
// reported as unverified rather than as failures. A barcode command the
// renderer could not draw is always a failure: a label is never verified
// over a barcode nobody saw.
package verify

import (
	"context"
	"errors"
	"fmt"
	"image"
	"strings"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/aztec"
	"github.com/makiuchi-d/gozxing/datamatrix"
	"github.com/makiuchi-d/gozxing/oned"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/labelagent/labelagent/zpl"
	"github.com/labelagent/labelagent/zpl/internal/pdf417"
	"github.com/labelagent/labelagent/zpl/render"
)

// Symbol is a decoded barcode.
type Symbol struct {
	Format string // "code128", "code39", "ean13", "itf", "datamatrix", "qr", "aztec"
	Text   string
	GS1    bool            // FNC1 in the first position (symbology identifier ]C1 or ]d2)
	Bounds image.Rectangle // where it was found (approximate for 1D)
}

// Expectation is a value the label must carry. Format "" matches any
// symbology.
type Expectation struct {
	Format string
	Text   string
}

// Report is the outcome of a check.
type Report struct {
	Found      []Symbol
	Missing    []Expectation    // expected but not decoded
	Unverified []Expectation    // drawn but not readable by this verifier (PDF417, MaxiCode)
	Undrawn    []render.Undrawn // barcode commands the renderer could not draw
}

// OK reports whether every expected barcode was read and every barcode
// command was drawn.
func (r Report) OK() bool { return len(r.Missing) == 0 && len(r.Undrawn) == 0 }

// ErrUnreadable is returned (wrapped) when expected barcodes do not decode.
var ErrUnreadable = errors.New("barcode does not scan")

// Err is nil when OK, else names every missing barcode.
func (r Report) Err() error {
	if r.OK() {
		return nil
	}
	var parts []string
	for _, u := range r.Undrawn {
		parts = append(parts, fmt.Sprintf("%s %q not drawn (%s)", u.Command, u.Data, u.Reason))
	}
	for _, m := range r.Missing {
		f := m.Format
		if f == "" {
			f = "barcode"
		}
		parts = append(parts, fmt.Sprintf("%s %q", f, m.Text))
	}
	if len(r.Missing) == 0 {
		return fmt.Errorf("%w: %s", ErrNotDrawn, strings.Join(parts, ", "))
	}
	return fmt.Errorf("%w: %s", ErrUnreadable, strings.Join(parts, ", "))
}

// ErrNotDrawn is returned (wrapped) when the label has barcodes the
// preview could not draw, so they could not be checked.
var ErrNotDrawn = errors.New("barcode not drawn, cannot be verified")

// normalise drops what scanners and encoders disagree on: GS1 group
// separators and symbology identifiers.
func normalise(s string) string {
	s = strings.TrimPrefix(s, "]C1")
	s = strings.TrimPrefix(s, "]d2")
	return strings.ReplaceAll(s, render.GS, "")
}

func formatName(f gozxing.BarcodeFormat) string {
	switch f {
	case gozxing.BarcodeFormat_CODE_128:
		return "code128"
	case gozxing.BarcodeFormat_CODE_39:
		return "code39"
	case gozxing.BarcodeFormat_EAN_13:
		return "ean13"
	case gozxing.BarcodeFormat_EAN_8:
		return "ean8"
	case gozxing.BarcodeFormat_UPC_A:
		return "upca"
	case gozxing.BarcodeFormat_CODE_93:
		return "code93"
	case gozxing.BarcodeFormat_ITF:
		return "itf"
	case gozxing.BarcodeFormat_DATA_MATRIX:
		return "datamatrix"
	case gozxing.BarcodeFormat_QR_CODE:
		return "qr"
	case gozxing.BarcodeFormat_AZTEC:
		return "aztec"
	}
	return strings.ToLower(f.String())
}

type reader struct {
	name string
	r    gozxing.Reader
}

func readers() []reader {
	return []reader{
		{"code128", oned.NewCode128Reader()},
		{"datamatrix", datamatrix.NewDataMatrixReader()},
		{"qr", qrcode.NewQRCodeReader()},
		{"code39", oned.NewCode39Reader()},
		{"ean13", oned.NewEAN13Reader()},
		{"itf", oned.NewITFReader()},
		{"ean8", oned.NewEAN8Reader()},
		{"upca", oned.NewUPCAReader()},
		{"code93", oned.NewCode93Reader()},
		{"aztec", aztec.NewAztecReader()},
	}
}

// twoD are the matrix symbologies, found per region rather than per line.
var twoD = map[string]bool{"datamatrix": true, "qr": true, "aztec": true}

// unreadable are symbologies gozxing cannot read.
var unreadable = map[string]bool{"maxicode": true}

func readersFor(format string) []reader {
	var out []reader
	for _, r := range readers() {
		if format == "" || r.name == format {
			out = append(out, r)
		}
	}
	return out
}

// bitmap prepares an image once for several readers.
func bitmap(img image.Image) (*gozxing.BinaryBitmap, error) {
	return gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(gozxing.NewLuminanceSourceFromImage(img)))
}

// decode runs one reader, turning a library panic into an error.
func decode(r gozxing.Reader, bmp *gozxing.BinaryBitmap) (res *gozxing.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, fmt.Errorf("barcode reader failed: %v", p)
		}
	}()
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true, gozxing.DecodeHintType_ASSUME_GS1: true}
	return r.Decode(bmp, hints)
}

// symbol turns a result into what a scanner reports: the text without
// the symbology identifier, GS for FNC1 separators, and the GS1 flag.
func symbol(res *gozxing.Result, bounds image.Rectangle) Symbol {
	text := res.GetText()
	id, _ := res.GetResultMetadata()[gozxing.ResultMetadataType_SYMBOLOGY_IDENTIFIER].(string)
	gs1 := id == "]C1" || id == "]d2"
	text = strings.TrimPrefix(text, "]C1")
	if id == "]d2" {
		text = strings.TrimPrefix(text, render.GS)
	}
	if res.GetBarcodeFormat() == gozxing.BarcodeFormat_CODE_128 {
		// gozxing reads a check character of value 102 (the FNC1 value)
		// as a trailing GS1 separator; no GS1 data ends in one.
		text = strings.TrimSuffix(text, render.GS)
	}
	return Symbol{Format: formatName(res.GetBarcodeFormat()), Text: text, GS1: gs1, Bounds: bounds}
}

// gray copies an image into an 8-bit grey image with a white quiet zone
// of margin pixels around it.
func gray(img image.Image, r image.Rectangle, margin int) *image.Gray {
	r = r.Intersect(img.Bounds())
	g := image.NewGray(image.Rect(0, 0, r.Dx()+2*margin, r.Dy()+2*margin))
	for i := range g.Pix {
		g.Pix[i] = 255
	}
	if m, ok := img.(*zpl.Mono); ok {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if m.Black(x, y) {
					g.Pix[(y-r.Min.Y+margin)*g.Stride+x-r.Min.X+margin] = 0
				}
			}
		}
		return g
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			rr, gg, bb, _ := img.At(x, y).RGBA()
			g.Pix[(y-r.Min.Y+margin)*g.Stride+x-r.Min.X+margin] = uint8((19595*rr + 38470*gg + 7471*bb + 1<<15) >> 24)
		}
	}
	return g
}

// MaxScanPixels bounds the image a scan accepts.
const MaxScanPixels = 40_000_000

// Scan finds every barcode it can read in img: each candidate region (a
// cluster of ink) is tried with the 2D readers, and linear codes found on
// the whole image are erased and searched again so that several are found.
func Scan(ctx context.Context, img image.Image) ([]Symbol, error) {
	b := img.Bounds()
	if int64(b.Dx())*int64(b.Dy()) > MaxScanPixels {
		return nil, fmt.Errorf("image of %dx%d pixels is too large to scan", b.Dx(), b.Dy())
	}
	work := gray(img, b, 0)
	var found []Symbol
	seen := map[string]bool{}
	add := func(s Symbol) {
		k := s.Format + "\x00" + s.Text
		if !seen[k] {
			seen[k] = true
			found = append(found, s)
		}
	}
	for _, rg := range regions(work) {
		if err := ctx.Err(); err != nil {
			return found, err
		}
		bmp, err := bitmap(gray(work, rg, 16))
		if err != nil {
			continue
		}
		// 2D symbols here; linear ones are found on the whole image below.
		for _, r := range readers() {
			if !twoD[r.name] {
				continue
			}
			res, err := decode(r.r, bmp)
			if err == nil {
				add(symbol(res, rg))
				break
			}
		}
	}
	// Linear codes on the whole image, erasing each found one.
	for range 10 {
		if err := ctx.Err(); err != nil {
			return found, err
		}
		hit := false
		bmp, err := bitmap(work)
		if err != nil {
			break
		}
		for _, r := range readers() {
			if twoD[r.name] {
				continue
			}
			res, err := decode(r.r, bmp)
			if err != nil {
				continue
			}
			rect := erase1D(work, res.GetResultPoints())
			add(symbol(res, rect))
			hit = true
			break
		}
		if !hit {
			break
		}
	}
	return found, nil
}

// erase1D whitens the linear symbol found at the result points: the bars
// between the points, up and down until a white row.
func erase1D(g *image.Gray, pts []gozxing.ResultPoint) image.Rectangle {
	if len(pts) < 2 {
		return image.Rectangle{}
	}
	x0, x1 := int(pts[0].GetX()), int(pts[len(pts)-1].GetX())
	if x0 > x1 {
		x0, x1 = x1, x0
	}
	y := int(pts[0].GetY())
	x0, x1 = max(0, x0-2), min(g.Rect.Dx()-1, x1+2)
	rowInk := func(yy int) bool {
		for x := x0; x <= x1; x++ {
			if g.Pix[yy*g.Stride+x] < 128 {
				return true
			}
		}
		return false
	}
	top, bot := y, y
	for top > 0 && rowInk(top-1) {
		top--
	}
	for bot < g.Rect.Dy()-1 && rowInk(bot+1) {
		bot++
	}
	for yy := top; yy <= bot; yy++ {
		for x := x0; x <= x1; x++ {
			g.Pix[yy*g.Stride+x] = 255
		}
	}
	return image.Rect(x0, top, x1+1, bot+1)
}

// regions finds clusters of ink: the image is divided into cells, inked
// cells are grown by one cell, and connected groups become candidate
// regions (a 2D symbol is one group; a frame around the label is
// thin and does not swallow what is inside it).
func regions(g *image.Gray) []image.Rectangle {
	const cell = 6
	cw, ch := (g.Rect.Dx()+cell-1)/cell, (g.Rect.Dy()+cell-1)/cell
	ink := make([]bool, cw*ch)
	for y := 0; y < g.Rect.Dy(); y++ {
		row := g.Pix[y*g.Stride : y*g.Stride+g.Rect.Dx()]
		for x, v := range row {
			if v < 128 {
				ink[(y/cell)*cw+x/cell] = true
			}
		}
	}
	label := make([]int32, cw*ch)
	var out []image.Rectangle
	var stack []int
	next := int32(0)
	for i, v := range ink {
		if !v || label[i] != 0 {
			continue
		}
		next++
		label[i] = next
		stack = append(stack[:0], i)
		minX, minY, maxX, maxY := cw, ch, -1, -1
		n := 0
		for len(stack) > 0 {
			j := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			cx, cy := j%cw, j/cw
			n++
			minX, maxX = min(minX, cx), max(maxX, cx)
			minY, maxY = min(minY, cy), max(maxY, cy)
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					nx, ny := cx+dx, cy+dy
					if nx < 0 || ny < 0 || nx >= cw || ny >= ch {
						continue
					}
					k := ny*cw + nx
					if ink[k] && label[k] == 0 {
						label[k] = next
						stack = append(stack, k)
					}
				}
			}
		}
		w, h := maxX-minX+1, maxY-minY+1
		// Skip specks and thin lines; a symbol is at least 3 cells each way
		// and mostly filled.
		if w < 3 || h < 3 || n*3 < w*h {
			continue
		}
		out = append(out, image.Rect(minX*cell, minY*cell, (maxX+1)*cell, (maxY+1)*cell))
		if len(out) >= 200 {
			break
		}
	}
	return out
}

// Check scans img and compares with want.
func Check(ctx context.Context, img image.Image, want []Expectation) (Report, error) {
	found, err := Scan(ctx, img)
	if err != nil {
		return Report{Found: found}, err
	}
	rep := Report{Found: found}
	for _, w := range want {
		if !matches(found, w) {
			rep.Missing = append(rep.Missing, w)
		}
	}
	return rep, nil
}

func matches(found []Symbol, w Expectation) bool {
	for _, f := range found {
		if (w.Format == "" || w.Format == f.Format) && normalise(f.Text) == normalise(w.Text) {
			return true
		}
	}
	return false
}

// CheckLabel verifies a label drawn by the renderer: every barcode the
// ZPL draws is read back from its own region of the image and must carry
// the data it was given; extra values in want must be found anywhere.
func CheckLabel(ctx context.Context, l *render.Label, want []Expectation) (Report, error) {
	rep := Report{Undrawn: append([]render.Undrawn(nil), l.Undrawn...)}
	for _, bc := range l.Barcodes {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		exp := Expectation{Format: bc.Symbology, Text: bc.Data}
		if bc.Symbology == "pdf417" && !bc.Module.Eq(image.Point{}) {
			if text, err := readPDF417(l.Image, bc); err == nil {
				rep.Found = append(rep.Found, Symbol{Format: "pdf417", Text: text, Bounds: bc.Bounds})
				if text == bc.Data {
					continue
				}
			}
			rep.Missing = append(rep.Missing, exp)
			continue
		}
		if unreadable[bc.Symbology] && !bc.Clipped {
			rep.Unverified = append(rep.Unverified, exp)
			continue
		}
		margin := 20
		bmp, err := bitmap(gray(l.Image, bc.Bounds.Inset(-4), margin))
		if err != nil {
			return rep, err
		}
		ok := false
		for _, r := range readersFor(bc.Symbology) {
			res, err := decode(r.r, bmp)
			if err != nil {
				continue
			}
			s := symbol(res, bc.Bounds)
			rep.Found = append(rep.Found, s)
			// Exactly what the field encodes, GS1 structure included
			// (a trailing GS is not told apart from the check character, see symbol).
			want := bc.Data
			if bc.Symbology == "code128" {
				want = strings.TrimSuffix(want, render.GS)
			}
			if s.Text == want && s.GS1 == bc.GS1 {
				ok = true
			}
		}
		if !ok {
			rep.Missing = append(rep.Missing, exp)
		}
	}
	if len(want) > 0 || len(l.Barcodes) == 0 {
		// Values to find anywhere, or a label that is one big graphic
		// (converted from PDF): scan the whole image.
		found, err := Scan(ctx, l.Image)
		if err != nil {
			return rep, err
		}
		for _, w := range want {
			if !matches(found, w) && !matches(rep.Found, w) {
				rep.Missing = append(rep.Missing, w)
			}
		}
		rep.Found = append(rep.Found, found...)
	}
	return rep, nil
}

// readPDF417 reads a PDF417 symbol drawn by the renderer module by module
// (gozxing has no PDF417 reader): the centre of every module, turned back
// by the symbol's orientation, gives the grid zpl/internal/pdf417 decodes.
func readPDF417(img *zpl.Mono, bc render.Barcode) (string, error) {
	b, w, h := bc.Bounds, bc.Module.X, bc.Module.Y
	if w <= 0 || h <= 0 || b.Empty() {
		return "", pdf417.ErrNotPDF417
	}
	cols, rows := b.Dx()/w, b.Dy()/h
	if bc.Orient == 'R' || bc.Orient == 'B' {
		cols, rows = b.Dy()/w, b.Dx()/h
	}
	if rows > 90 || cols > 17*34+1 {
		return "", pdf417.ErrNotPDF417
	}
	grid := make([][]bool, rows)
	for r := range grid {
		grid[r] = make([]bool, cols)
		for c := range grid[r] {
			u, v := c*w+w/2, r*h+h/2
			var x, y int
			switch bc.Orient {
			case 'R':
				x, y = b.Max.X-1-v, b.Min.Y+u
			case 'I':
				x, y = b.Max.X-1-u, b.Max.Y-1-v
			case 'B':
				x, y = b.Min.X+v, b.Max.Y-1-u
			default:
				x, y = b.Min.X+u, b.Min.Y+v
			}
			grid[r][c] = img.Black(x, y)
		}
	}
	sym, err := pdf417.Decode(grid)
	if err != nil && len(sym.Codewords) == 0 {
		return "", err
	}
	return pdf417Message(sym.Codewords)
}

// CheckZPL renders ZPL and checks every label; want applies to each label.
// The error is non-nil when rendering fails; the report says whether the
// barcodes scan.
func CheckZPL(ctx context.Context, src []byte, opts render.Options, want []Expectation) (Report, error) {
	labels, err := render.Render(src, opts)
	if err != nil {
		return Report{}, err
	}
	var all Report
	for _, l := range labels {
		rep, err := CheckLabel(ctx, l, want)
		if err != nil {
			return all, err
		}
		all.Found = append(all.Found, rep.Found...)
		all.Missing = append(all.Missing, rep.Missing...)
		all.Unverified = append(all.Unverified, rep.Unverified...)
		all.Undrawn = append(all.Undrawn, rep.Undrawn...)
	}
	return all, nil
}

// CheckConversion checks a converted label against its source: every
// barcode that reads on the source image (a PDF page rendered at the
// printer's resolution, a PNG) must read with the same content on the
// rendered label. It catches barcodes broken by shrinking or scaling.
func CheckConversion(ctx context.Context, source image.Image, label *render.Label) (Report, error) {
	found, err := Scan(ctx, source)
	if err != nil {
		return Report{}, fmt.Errorf("scanning the source: %w", err)
	}
	want := make([]Expectation, 0, len(found))
	for _, f := range found {
		want = append(want, Expectation{Format: f.Format, Text: f.Text})
	}
	return CheckLabel(ctx, label, want)
}

// SourceImages renders what a conversion starts from at the printer's
// resolution: each page of a PDF (through conv), or a PNG. Other kinds
// have no source image.
func SourceImages(ctx context.Context, conv *zpl.Converter, kind string, in []byte, dpi int) ([]image.Image, error) {
	if kind == "" {
		kind = zpl.DetectKind(in)
	}
	switch kind {
	case zpl.KindPNG:
		img, err := zpl.DecodePNG(in)
		if err != nil {
			return nil, err
		}
		return []image.Image{img.Image}, nil
	case zpl.KindPDF:
		info, err := zpl.PDFPages(in)
		if err != nil {
			return nil, err
		}
		var out []image.Image
		for _, pg := range info {
			m, err := conv.RenderPDFPage(ctx, in, pg.Number, dpi)
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		}
		return out, nil
	}
	return nil, nil
}

// LabelSources is SourceImages per label of the conversion for p: a PDF
// page cut into several labels (a sheet) gives each label its own part.
func LabelSources(ctx context.Context, conv *zpl.Converter, kind string, in []byte, p zpl.Profile) ([]image.Image, error) {
	if kind == "" {
		kind = zpl.DetectKind(in)
	}
	if kind == zpl.KindPDF {
		return conv.PDFLabelSources(ctx, in, p, zpl.PDFOptions{})
	}
	return SourceImages(ctx, conv, kind, in, p.DPI)
}

// CheckJob verifies a prepared job before it is printed: the ZPL is
// rendered for the profile, every barcode drawn as a ZPL command must read
// back, every value in want must be found on each label, and for PDF and
// PNG jobs every barcode readable on the source must still read on the
// label. The agent can refuse a job whose report is not OK.
func CheckJob(ctx context.Context, conv *zpl.Converter, kind string, in, out []byte, p zpl.Profile, want []Expectation) (Report, error) {
	labels, err := render.Render(out, render.Options{DPI: p.DPI, Width: p.WidthDots, Height: p.HeightDots})
	if err != nil {
		return Report{}, err
	}
	var sources []image.Image
	if kind == zpl.KindPDF || kind == zpl.KindPNG {
		if sources, err = LabelSources(ctx, conv, kind, in, p); err != nil {
			return Report{}, err
		}
	}
	var all Report
	for i, l := range labels {
		rep, err := CheckLabel(ctx, l, want)
		if err != nil {
			return all, err
		}
		if i < len(sources) {
			c, err := CheckConversion(ctx, sources[i], l)
			if err != nil {
				return all, err
			}
			rep.Found = append(rep.Found, c.Found...)
			rep.Missing = append(rep.Missing, c.Missing...)
		}
		all.Found = append(all.Found, rep.Found...)
		all.Missing = append(all.Missing, rep.Missing...)
		all.Unverified = append(all.Unverified, rep.Unverified...)
		all.Undrawn = append(all.Undrawn, rep.Undrawn...)
	}
	return all, nil
}
