package internetmarke

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"strings"
	"time"

	"github.com/boombuler/barcode/datamatrix"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Stamp is what the simulator prints on one INTERNETMARKE.
type Stamp struct {
	VoucherID   string
	TrackID     string
	ProductCode int
	ProductName string
	Price       int // eurocents
	Date        time.Time
	Layout      string // ADDRESS_ZONE or FRANKING_ZONE
	Sender      *Address
	Receiver    *Address
	Preview     bool // a free preview: "MUSTER", no valid code
}

// DataMatrixContent is the content of a stamp's DataMatrix. It derives from
// the voucher id (plus product, price and date, as on a real stamp), so a
// test can check a printed code against the voucher it was bought as.
func DataMatrixContent(s Stamp) string {
	if s.Preview {
		return fmt.Sprintf("DEA5MUSTER%05d", s.ProductCode)
	}
	return fmt.Sprintf("DEA5%s%05d%05d%s", s.VoucherID, s.ProductCode, s.Price, s.Date.Format("060102"))
}

// Stamp sizes in millimetres.
const (
	frankingW, frankingH = 40.0, 26.0
	addressW, addressH   = 88.0, 56.0
	moduleMM             = 0.42 // DataMatrix module size aimed at; rounded to whole dots
)

// StampSizeMM is the printed size of a stamp with the given layout.
func StampSizeMM(layout string) (w, h float64) {
	if layout == "ADDRESS_ZONE" {
		return addressW, addressH
	}
	return frankingW, frankingH
}

// fonts holds the parsed faces' sources; parsed once per Server.
type fonts struct {
	regular, bold *opentype.Font
}

func loadFonts() (*fonts, error) {
	r, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return nil, err
	}
	b, err := opentype.Parse(gobold.TTF)
	if err != nil {
		return nil, err
	}
	return &fonts{regular: r, bold: b}, nil
}

func dots(mm float64, dpi int) int { return int(math.Round(mm * float64(dpi) / 25.4)) }

// ModulePixels is the whole number of dots per DataMatrix module at dpi.
func ModulePixels(dpi int) int {
	n := int(math.Round(moduleMM * float64(dpi) / 25.4))
	if n < 2 {
		n = 2
	}
	return n
}

// Render draws a stamp at dpi as black on white. The DataMatrix modules are
// whole dots, so a printer with the same dpi reproduces them exactly.
func (f *fonts) Render(s Stamp, dpi int) (*image.Gray, error) {
	wmm, hmm := StampSizeMM(s.Layout)
	img := image.NewGray(image.Rect(0, 0, dots(wmm, dpi), dots(hmm, dpi)))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)

	// DataMatrix, left, with a quiet zone of two modules.
	bc, err := datamatrix.Encode(DataMatrixContent(s))
	if err != nil {
		return nil, fmt.Errorf("datamatrix: %w", err)
	}
	mod := ModulePixels(dpi)
	b := bc.Bounds()
	x0, y0 := dots(2, dpi), dots(2, dpi)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, _, _, _ := bc.At(x, y).RGBA(); r < 0x8000 {
				draw.Draw(img, image.Rect(x0+(x-b.Min.X)*mod, y0+(y-b.Min.Y)*mod, x0+(x-b.Min.X+1)*mod, y0+(y-b.Min.Y+1)*mod), image.Black, image.Point{}, draw.Src)
			}
		}
	}
	codeW := b.Dx() * mod
	textX := x0 + codeW + 2*mod + dots(2, dpi)

	face := func(ft *opentype.Font, pt float64) (font.Face, error) {
		return opentype.NewFace(ft, &opentype.FaceOptions{Size: pt, DPI: float64(dpi), Hinting: font.HintingFull})
	}
	small, err := face(f.regular, 6.5)
	if err != nil {
		return nil, err
	}
	defer small.Close()
	big, err := face(f.bold, 9)
	if err != nil {
		return nil, err
	}
	defer big.Close()
	line := func(fc font.Face, x, y int, text string) int {
		d := &font.Drawer{Dst: img, Src: image.Black, Face: fc, Dot: fixed.P(x, y+fc.Metrics().Ascent.Ceil())}
		d.DrawString(text)
		return y + fc.Metrics().Height.Ceil()
	}
	y := y0
	colW := img.Bounds().Dx() - textX - dots(1, dpi)
	y = line(big, textX, y, "Deutsche Post")
	name := s.ProductName
	if s.Preview {
		name = "MUSTER " + name
	}
	for _, l := range wrap(small, name, colW) {
		y = line(small, textX, y, l)
	}
	y = line(big, textX, y, fmt.Sprintf("%d,%02d EUR", s.Price/100, s.Price%100))
	line(small, textX, y, s.Date.Format("02.01.06"))
	// Voucher id (and track id) across the full width under the code.
	y = max(y0+b.Dy()*mod+2*mod, y+small.Metrics().Height.Ceil())
	vid := s.VoucherID
	if len(vid) == 20 {
		vid = vid[:10] + " " + vid[10:]
	}
	y = line(small, x0, y, vid)
	if s.TrackID != "" {
		line(small, x0, y, "Einschr. "+s.TrackID)
	}

	if s.Layout == "ADDRESS_ZONE" && s.Receiver != nil {
		ay := dots(frankingH+2, dpi)
		if s.Sender != nil {
			sender := strings.Join(nonEmpty(s.Sender.Name, s.Sender.AddressLine1, s.Sender.PostalCode+" "+s.Sender.City), ", ")
			ay = line(small, dots(3, dpi), ay, sender)
			draw.Draw(img, image.Rect(dots(3, dpi), ay, img.Bounds().Dx()-dots(3, dpi), ay+max(1, dpi/150)), image.Black, image.Point{}, draw.Src)
			ay += dots(1, dpi)
		}
		addr, err := face(f.regular, 10)
		if err != nil {
			return nil, err
		}
		defer addr.Close()
		r := s.Receiver
		for _, l := range nonEmpty(r.AdditionalName, r.Name, r.AddressLine1, r.AddressLine2, r.PostalCode+" "+r.City, countryLine(r.Country)) {
			ay = line(addr, dots(3, dpi), ay, l)
		}
	}
	return img, nil
}

// wrap breaks text into lines no wider than w dots.
func wrap(fc font.Face, text string, w int) []string {
	var lines []string
	cur := ""
	for _, word := range strings.Fields(text) {
		try := word
		if cur != "" {
			try = cur + " " + word
		}
		if cur != "" && font.MeasureString(fc, try).Ceil() > w {
			lines = append(lines, cur)
			cur = word
			continue
		}
		cur = try
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

func countryLine(c string) string {
	if c == "" || c == "DEU" {
		return ""
	}
	return c
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

// threshold makes a 1-bit paletted image, as optimizePNG would.
func threshold(g *image.Gray) *image.Paletted {
	p := image.NewPaletted(g.Bounds(), color.Palette{color.White, color.Black})
	for y := g.Rect.Min.Y; y < g.Rect.Max.Y; y++ {
		for x := g.Rect.Min.X; x < g.Rect.Max.X; x++ {
			if g.GrayAt(x, y).Y < 128 {
				p.SetColorIndex(x, y, 1)
			}
		}
	}
	return p
}

// encodePNG writes a stamp PNG: 1-bit when optimized, else 8-bit grey.
func encodePNG(g *image.Gray, optimize bool) ([]byte, error) {
	var buf bytes.Buffer
	var err error
	if optimize {
		err = png.Encode(&buf, threshold(g))
	} else {
		err = png.Encode(&buf, g)
	}
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// zipPNGs packs 0.png, 1.png, … like the live service does.
func zipPNGs(pngs [][]byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i, p := range pngs {
		w, err := zw.Create(fmt.Sprintf("%d.png", i))
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(p); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// pdfImage is one stamp on a PDF page.
type pdfImage struct {
	page       int // 0-based
	x, y, w, h float64
	img        *image.Gray
}

// buildPDF writes a PDF with pages of wmm x hmm millimetres and the stamps
// drawn as 8-bit grey images (Flate) at their positions (mm from top-left).
func buildPDF(wmm, hmm float64, pages int, imgs []pdfImage) ([]byte, error) {
	pt := func(mm float64) float64 { return mm * 72 / 25.4 }
	var buf bytes.Buffer
	var offsets []int
	obj := func(body string, stream []byte) int {
		offsets = append(offsets, buf.Len())
		n := len(offsets)
		fmt.Fprintf(&buf, "%d 0 obj\n%s", n, body)
		if stream != nil {
			fmt.Fprintf(&buf, "\nstream\n")
			buf.Write(stream)
			buf.WriteString("\nendstream")
		}
		buf.WriteString("\nendobj\n")
		return n
	}
	buf.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	// Object numbers: 1 catalog, 2 pages, then per page: page, content, images.
	offsets = append(offsets, 0, 0) // placeholders for 1 and 2
	var kids []string
	for p := 0; p < pages; p++ {
		var content bytes.Buffer
		var xobjs []string
		for i, im := range imgs {
			if im.page != p {
				continue
			}
			var z bytes.Buffer
			zw := zlib.NewWriter(&z)
			if _, err := zw.Write(im.img.Pix); err != nil {
				return nil, err
			}
			if err := zw.Close(); err != nil {
				return nil, err
			}
			b := im.img.Bounds()
			if im.img.Stride != b.Dx() {
				return nil, fmt.Errorf("pdf: unexpected image stride")
			}
			n := obj(fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length %d >>", b.Dx(), b.Dy(), z.Len()), z.Bytes())
			name := fmt.Sprintf("Im%d", i)
			xobjs = append(xobjs, fmt.Sprintf("/%s %d 0 R", name, n))
			fmt.Fprintf(&content, "q %.3f 0 0 %.3f %.3f %.3f cm /%s Do Q\n", pt(im.w), pt(im.h), pt(im.x), pt(hmm-im.y-im.h), name)
		}
		cn := obj(fmt.Sprintf("<< /Length %d >>", content.Len()), content.Bytes())
		pn := obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.3f %.3f] /Resources << /XObject << %s >> >> /Contents %d 0 R >>",
			pt(wmm), pt(hmm), strings.Join(xobjs, " "), cn), nil)
		kids = append(kids, fmt.Sprintf("%d 0 R", pn))
	}
	offsets[0] = buf.Len()
	buf.WriteString("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
	offsets[1] = buf.Len()
	fmt.Fprintf(&buf, "2 0 obj\n<< /Type /Pages /Kids [%s] /Count %d >>\nendobj\n", strings.Join(kids, " "), len(kids))
	xref := buf.Len()
	fmt.Fprintf(&buf, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&buf, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&buf, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return buf.Bytes(), nil
}

// rotate90 turns an image clockwise by a quarter: lossless, so the
// DataMatrix modules stay whole dots.
func rotate90(g *image.Gray) *image.Gray {
	b := g.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dy(), b.Dx()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			out.Pix[x*out.Stride+(b.Dy()-1-y)] = g.Pix[y*g.Stride+x]
		}
	}
	return out
}
