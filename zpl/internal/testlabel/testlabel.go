// Package testlabel draws carrier-style shipping labels as PDF for tests and
// benchmarks: vector text, frames, a Code 128 and a DataMatrix, laid out
// like a DHL 910-300-600 label.
package testlabel

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/code128"
	"github.com/boombuler/barcode/datamatrix"
	"github.com/boombuler/barcode/pdf417"
)

// Label is what a generated label carries.
type Label struct {
	WidthMM, HeightMM float64
	Code128           string // the routing/tracking barcode
	DataMatrix        string // the 2D code
	PDF417            string // optional
	Lines             []string
	Landscape         bool    // draw the page turned by 90 degrees
	DataMatrixModule  float64 // module size in mm; 0 means 0.75
}

// DHL returns a 103 x 199 mm label like DHL's thermal 910-300-600.
func DHL() Label {
	return Label{
		WidthMM: 103, HeightMM: 199,
		Code128:    "00340434161094042557",
		DataMatrix: "DEA5E0001234567890123456789012345678901234567",
		PDF417:     "DHL PAKET 00340434161094042557 MAX MUSTERMANN 53113 BONN",
		Lines: []string{
			"Von: Beispiel Versand GmbH, Lagerstr. 5, 12345 Musterstadt",
			"Max Mustermann",
			"Charles-de-Gaulle-Str. 20",
			"53113 Bonn",
			"DEUTSCHLAND",
		},
	}
}

const mm = 72 / 25.4

// PDF draws the label as a one-page PDF with vector bars.
func (l Label) PDF() ([]byte, error) {
	content, err := l.content()
	if err != nil {
		return nil, err
	}
	pw, ph := l.WidthMM*mm, l.HeightMM*mm
	if l.Landscape {
		pw, ph = ph, pw
	}
	return buildPDF(pw, ph, content), nil
}

// Sheet draws labels side by side on one landscape A4 page, each at
// (x, y) mm from the page's bottom left, as carriers' laser sheets do.
func Sheet(labels []Label, at [][2]float64) ([]byte, error) {
	var content bytes.Buffer
	for i, l := range labels {
		c, err := l.content()
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&content, "q 1 0 0 1 %.3f %.3f cm\n", at[i][0]*mm, at[i][1]*mm)
		content.Write(c)
		content.WriteString("Q\n")
	}
	return buildPDF(297*mm, 210*mm, content.Bytes()), nil
}

func (l Label) content() ([]byte, error) {
	var content bytes.Buffer
	w, h := l.WidthMM*mm, l.HeightMM*mm
	if l.Landscape {
		// Turn the drawing: the page is landscape, the label reads sideways.
		fmt.Fprintf(&content, "0 1 -1 0 %.3f 0 cm\n", h)
	}
	// Frame and separators.
	fmt.Fprintf(&content, "1.2 w 0 0 0 RG %.2f %.2f %.2f %.2f re S\n", 3*mm, 3*mm, w-6*mm, h-6*mm)
	fmt.Fprintf(&content, "%.2f %.2f m %.2f %.2f l S\n", 3*mm, h-30*mm, w-3*mm, h-30*mm)
	fmt.Fprintf(&content, "%.2f %.2f m %.2f %.2f l S\n", 3*mm, h-95*mm, w-3*mm, h-95*mm)
	// A black title bar with white text.
	fmt.Fprintf(&content, "0 0 0 rg %.2f %.2f %.2f %.2f re f\n", 3*mm, h-14*mm, w-6*mm, 11*mm)
	fmt.Fprintf(&content, "BT 1 1 1 rg /F2 22 Tf %.2f %.2f Td (DHL PAKET) Tj ET\n", 8*mm, h-11*mm)
	y := h - 20*mm
	for i, line := range l.Lines {
		size := 8.0
		if i > 0 {
			size = 13
		}
		fmt.Fprintf(&content, "BT 0 0 0 rg /F1 %.0f Tf %.2f %.2f Td (%s) Tj ET\n", size, 8*mm, y, pdfString(line))
		y -= size * 1.5
		if i == 0 {
			y = h - 40*mm
		}
	}
	content.WriteString("0 0 0 rg\n")
	if l.DataMatrix != "" {
		dm, err := datamatrix.Encode(l.DataMatrix)
		if err != nil {
			return nil, err
		}
		// 0.75 mm modules: 6 dots at 203 dpi, 8.86 at 300.
		mod := l.DataMatrixModule
		if mod == 0 {
			mod = 0.75
		}
		drawModules(&content, dm, w-8*mm-float64(dm.Bounds().Dx())*mod*mm, h-36*mm, mod*mm, mod*mm)
	}
	if l.Code128 != "" {
		bc, err := code128.Encode(l.Code128)
		if err != nil {
			return nil, err
		}
		// 0.375 mm modules (3 dots at 203 dpi), 25 mm tall, centred.
		mw := 0.375 * mm
		x := (w - float64(bc.Bounds().Dx())*mw) / 2
		drawModules(&content, bc, x, 75*mm, mw, 25*mm)
		fmt.Fprintf(&content, "BT /F1 10 Tf %.2f %.2f Td (%s) Tj ET\n", x, 70*mm, pdfString(l.Code128))
	}
	if l.PDF417 != "" {
		pd, err := pdf417.Encode(l.PDF417, 4)
		if err != nil {
			return nil, err
		}
		drawModules(&content, pd, 8*mm, 62*mm, 0.25*mm, 0.5*mm)
	}
	return content.Bytes(), nil
}

// drawModules fills one rectangle per dark module run of a symbol, with
// its top-left corner at x, top y (PDF y grows upwards).
func drawModules(b *bytes.Buffer, bc barcode.Barcode, x, top, mw, mh float64) {
	r := bc.Bounds()
	rows := r.Dy()
	if rows == 1 {
		// 1D: one row, bars mh tall.
		for i := r.Min.X; i < r.Max.X; {
			if !dark(bc, i, r.Min.Y) {
				i++
				continue
			}
			j := i
			for j < r.Max.X && dark(bc, j, r.Min.Y) {
				j++
			}
			fmt.Fprintf(b, "%.3f %.3f %.3f %.3f re\n", x+float64(i-r.Min.X)*mw, top, float64(j-i)*mw, mh)
			i = j
		}
		b.WriteString("f\n")
		return
	}
	for yy := r.Min.Y; yy < r.Max.Y; yy++ {
		for i := r.Min.X; i < r.Max.X; {
			if !dark(bc, i, yy) {
				i++
				continue
			}
			j := i
			for j < r.Max.X && dark(bc, j, yy) {
				j++
			}
			fmt.Fprintf(b, "%.3f %.3f %.3f %.3f re\n", x+float64(i-r.Min.X)*mw, top-float64(yy-r.Min.Y+1)*mh, float64(j-i)*mw, mh)
			i = j
		}
	}
	b.WriteString("f\n")
}

func dark(bc barcode.Barcode, x, y int) bool {
	r, _, _, _ := bc.At(x, y).RGBA()
	return r < 0x8000
}

func pdfString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`)
	return r.Replace(s)
}

// buildPDF writes a minimal one-page PDF with Helvetica fonts.
func buildPDF(w, h float64, content []byte) []byte {
	return BuildPages([][2]float64{{w, h}}, [][]byte{content})
}

// BuildPages writes a PDF with one page per content stream.
func BuildPages(sizes [][2]float64, contents [][]byte) []byte {
	var b bytes.Buffer
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	n := len(contents)
	// 1 catalog, 2 pages, 3 font F1, 4 font F2, then page/content pairs.
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	var kids []string
	for i := range n {
		kids = append(kids, fmt.Sprintf("%d 0 R", 5+2*i))
	}
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
	for i, c := range contents {
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.3f %.3f] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>",
			sizes[i][0], sizes[i][1], 6+2*i))
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(c), c))
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}

// ManyPages returns a PDF with n small blank pages (a page-count bomb).
func ManyPages(n int) []byte {
	sizes := make([][2]float64, n)
	contents := make([][]byte, n)
	for i := range n {
		sizes[i] = [2]float64{100, 100}
		contents[i] = []byte("0 0 1 1 re f")
	}
	return BuildPages(sizes, contents)
}
