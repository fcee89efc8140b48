package sim

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"strings"

	"github.com/boombuler/barcode/code128"
	"github.com/boombuler/barcode/pdf417"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Labels are laid out once as a list of drawing operations in printer dots
// at 203 dpi (8 dots/mm), then written either as ZPL II (as DHL sends it:
// no ^PW/^LL/^MN, Code 128 barcodes, names with accents as ^GFA bitmaps) or
// drawn into an image for PDF labels. Both come from the same layout, so the
// barcodes a test decodes from either are the same.

const dotsPerMM = 8

// labelSize returns the label's size in mm for a print format.
func labelSize(printFormat string) (wmm, hmm int, thermal bool) {
	switch printFormat {
	case "", "910-300-600":
		return 103, 199, true
	case "910-300-400":
		return 103, 150, true
	case "100x70mm":
		return 100, 70, true
	case "910-300-610", "910-300-710":
		return 105, 208, false
	case "910-300-700", "910-300-700-oz":
		return 105, 205, false
	case "910-300-300", "910-300-300-oz", "910-300-410":
		return 105, 148, false
	}
	return 210, 297, false // A4
}

// responsePrintFormat maps a requested format to the contract's Document.printFormat enum.
func responsePrintFormat(f string) string {
	switch f {
	case "", "910-300-600", "910-300-610":
		return "910-300-600/610"
	case "910-300-400", "910-300-410":
		return "910-300-400/410"
	case "910-300-700-oz":
		return "910-300-700-oZ/oz"
	}
	return f
}

type opKind int

const (
	opText opKind = iota
	opBox
	opBarcode
	opPDF417 // 2D code with the shipment data, as on DHL's labels
)

type op struct {
	kind       opKind
	x, y, w, h int    // dots; text: h is the font height
	s          string // text, or barcode data
	module     int    // barcode module width
	thick      int    // box line thickness
}

// labelData is what a shipping label shows.
type labelData struct {
	Title       string // product name
	Date        string
	Weight      string
	Sender      []string
	Receiver    []string
	RoutingCode string // Leitcode (or international routing code); may be empty
	ShipmentNo  string
	Reference   string
	Notes       []string // services, customs lines (CN22)
}

type layoutSpec struct{ big, small, recv, bcR, bcS, module, margin int }

// layout places the content on a label of w×h dots.
func layout(d labelData, w, h int) []op {
	sp := layoutSpec{big: 56, small: 24, recv: 36, bcR: 160, bcS: 200, module: 3, margin: 24}
	switch {
	case h < 700: // 100x70mm
		sp = layoutSpec{big: 34, small: 18, recv: 24, bcR: 60, bcS: 80, module: 2, margin: 12}
	case h < 1300: // 103x150mm
		sp = layoutSpec{big: 48, small: 22, recv: 32, bcR: 120, bcS: 150, module: 3, margin: 20}
	}
	var ops []op
	m := sp.margin
	ops = append(ops, op{kind: opBox, x: m / 2, y: m / 2, w: w - m, h: h - m, thick: 3})
	y := m
	ops = append(ops, op{kind: opText, x: m, y: y, h: sp.big, s: d.Title})
	right := strings.TrimSpace(d.Date + "  " + d.Weight)
	ops = append(ops, op{kind: opText, x: w - m - textWidth(right, sp.small), y: y, h: sp.small, s: right})
	y += sp.big + sp.small/2
	for i, l := range d.Sender {
		if i > 1 && h < 700 {
			break
		}
		ops = append(ops, op{kind: opText, x: m, y: y, h: sp.small, s: fit(l, sp.small, w-2*m)})
		y += sp.small + 2
	}
	y += sp.small / 2
	ops = append(ops, op{kind: opBox, x: m / 2, y: y, w: w - m, h: 1, thick: 2})
	y += sp.small / 2
	for _, l := range d.Receiver {
		ops = append(ops, op{kind: opText, x: m * 2, y: y, h: sp.recv, s: fit(l, sp.recv, w-3*m)})
		y += sp.recv + 4
	}
	y += sp.small / 2
	ops = append(ops, op{kind: opBox, x: m / 2, y: y, w: w - m, h: 1, thick: 2})
	y += sp.small
	if d.RoutingCode != "" {
		ops = append(ops, op{kind: opBarcode, x: 2 * m, y: y, h: sp.bcR, module: sp.module, s: d.RoutingCode})
		y += sp.bcR + 4
		ops = append(ops, op{kind: opText, x: 2 * m, y: y, h: sp.small, s: "Leitcode " + groupDigits(d.RoutingCode)})
		y += sp.small + sp.small/2
	}
	ops = append(ops, op{kind: opBarcode, x: 2 * m, y: y, h: sp.bcS, module: sp.module, s: d.ShipmentNo})
	y += sp.bcS + 4
	ops = append(ops, op{kind: opText, x: 2 * m, y: y, h: sp.small, s: "Sendungsnummer " + groupDigits(d.ShipmentNo)})
	y += sp.small + sp.small/2
	lines := d.Notes
	if d.Reference != "" {
		lines = append([]string{"Ref.: " + d.Reference}, lines...)
	}
	for _, l := range lines {
		if y+sp.small > h-m {
			break
		}
		ops = append(ops, op{kind: opText, x: m, y: y, h: sp.small, s: fit(l, sp.small, w-2*m)})
		y += sp.small + 2
	}
	// the PDF417 code, where the label has room for it
	if data := pdf417Data(d); data != "" {
		const module, rowH = 2, 6
		if bc, err := pdf417.Encode(data, 2); err == nil {
			rows, cols := bc.Bounds().Dy()/2, bc.Bounds().Dx()
			if y+sp.small/2+rows*rowH <= h-m && 2*m+cols*module <= w-m {
				ops = append(ops, op{kind: opPDF417, x: 2 * m, y: y + sp.small/2, h: rowH, module: module, s: data})
			}
		}
	}
	return ops
}

// pdf417Data is what the 2D code carries: shipment number, routing code
// and the recipient, separated by |, ASCII only.
func pdf417Data(d labelData) string {
	var b strings.Builder
	b.WriteString(d.ShipmentNo + "|" + d.RoutingCode)
	for _, l := range d.Receiver {
		b.WriteString("|")
		for _, r := range l {
			if r >= 0x20 && r < 0x7f && r != '^' && r != '~' {
				b.WriteRune(r)
			} else {
				b.WriteByte('?')
			}
		}
	}
	return b.String()
}

func groupDigits(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// textWidth estimates a text's width for layout; rendering measures exactly.
func textWidth(s string, h int) int { return len([]rune(s)) * h * 11 / 20 }

func fit(s string, h, width int) string {
	r := []rune(s)
	for len(r) > 1 && textWidth(string(r), h) > width {
		r = r[:len(r)-1]
	}
	return string(r)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// zplEscape keeps field data from ending the field or starting a command.
func zplEscape(s string) string {
	return strings.NewReplacer("^", " ", "~", " ").Replace(s)
}

// renderZPL writes the label as ZPL II, as DHL's labels look: no ^PW, ^LL
// or ^MN (the printer's setup decides), Code 128 barcodes with subset
// invocation codes, accented text as embedded ^GFA bitmaps.
func (tr *textRenderer) renderZPL(ops []op) []byte {
	var b bytes.Buffer
	b.WriteString("^XA\n^LH0,0^CI28\n")
	for _, o := range ops {
		switch o.kind {
		case opBox:
			w, h := o.w, o.h
			if h < o.thick {
				h = o.thick
			}
			if w < o.thick {
				w = o.thick
			}
			fmt.Fprintf(&b, "^FO%d,%d^GB%d,%d,%d^FS\n", o.x, o.y, w, h, o.thick)
		case opText:
			if o.s == "" {
				continue
			}
			if isASCII(o.s) {
				fmt.Fprintf(&b, "^FO%d,%d^A0N,%d,%d^FD%s^FS\n", o.x, o.y, o.h, o.h, zplEscape(o.s))
				continue
			}
			img := tr.textImage(o.s, o.h)
			fmt.Fprintf(&b, "^FO%d,%d%s^FS\n", o.x, o.y, graphicField(img))
		case opBarcode:
			fmt.Fprintf(&b, "^FO%d,%d^BY%d,3,%d^BCN,%d,N,N,N^FD%s^FS\n", o.x, o.y, o.module, o.h, o.h, code128Data(o.s))
		case opPDF417:
			fmt.Fprintf(&b, "^FO%d,%d^BY%d^B7N,%d,2^FD%s^FS\n", o.x, o.y, o.module, o.h, o.s)
		}
	}
	b.WriteString("^XZ\n")
	return b.Bytes()
}

// code128Data picks the subset: C for an even number of digits, B otherwise.
func code128Data(s string) string {
	if len(s)%2 == 0 && strings.Trim(s, "0123456789") == "" {
		return ">;" + s
	}
	return ">:" + zplEscape(s)
}

// graphicField encodes a grey image as ^GFA (hex, one bit per dot, 1 = black).
func graphicField(img *image.Gray) string {
	bnd := img.Bounds()
	bpr := (bnd.Dx() + 7) / 8
	var hex strings.Builder
	const digits = "0123456789ABCDEF"
	for y := bnd.Min.Y; y < bnd.Max.Y; y++ {
		for bx := 0; bx < bpr; bx++ {
			var v byte
			for bit := 0; bit < 8; bit++ {
				x := bnd.Min.X + bx*8 + bit
				if x < bnd.Max.X && img.GrayAt(x, y).Y < 128 {
					v |= 0x80 >> bit
				}
			}
			hex.WriteByte(digits[v>>4])
			hex.WriteByte(digits[v&15])
		}
	}
	total := bpr * bnd.Dy()
	return fmt.Sprintf("^GFA,%d,%d,%d,%s", total, total, bpr, hex.String())
}

// fontSet is the parsed label font; parse it once per simulator. A face is
// not safe for concurrent use, so each rendering makes its own (textRenderer).
type fontSet struct{ font *opentype.Font }

func newFontSet() (*fontSet, error) {
	f, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return nil, fmt.Errorf("label font: %w", err)
	}
	return &fontSet{font: f}, nil
}

// textRenderer draws text for one label, in one goroutine.
type textRenderer struct {
	fs    *fontSet
	faces map[int]font.Face
}

func (fs *fontSet) renderer() *textRenderer { return &textRenderer{fs: fs, faces: map[int]font.Face{}} }

func (tr *textRenderer) face(px int) font.Face {
	if f, ok := tr.faces[px]; ok {
		return f
	}
	// 72 dpi makes the size in points equal to pixels; the cap height of Go
	// Regular is about 0.7 of it, close to ZPL font 0 at the same height.
	f, err := opentype.NewFace(tr.fs.font, &opentype.FaceOptions{Size: float64(px), DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil
	}
	tr.faces[px] = f
	return f
}

// textImage renders one line of text, h dots tall, black on white.
func (tr *textRenderer) textImage(s string, h int) *image.Gray {
	f := tr.face(h)
	w := textWidth(s, h) + h
	if f != nil {
		w = font.MeasureString(f, s).Ceil() + 2
	}
	img := image.NewGray(image.Rect(0, 0, max(w, 1), h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	tr.drawText(img, 0, 0, h, s)
	return img
}

func (tr *textRenderer) drawText(dst draw.Image, x, y, h int, s string) {
	f := tr.face(h)
	if f == nil {
		return
	}
	d := &font.Drawer{Dst: dst, Src: image.Black, Face: f, Dot: fixed.P(x, y+h*4/5)}
	d.DrawString(s)
}

// renderImage draws the ops onto a white w×h image.
func (tr *textRenderer) renderImage(ops []op, w, h int) (*image.Gray, error) {
	img := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	black := image.NewUniform(color.Black)
	for _, o := range ops {
		switch o.kind {
		case opBox:
			t := o.thick
			if o.h <= t || o.w <= t {
				draw.Draw(img, image.Rect(o.x, o.y, o.x+max(o.w, t), o.y+max(o.h, t)), black, image.Point{}, draw.Src)
				continue
			}
			for _, r := range []image.Rectangle{
				image.Rect(o.x, o.y, o.x+o.w, o.y+t), image.Rect(o.x, o.y+o.h-t, o.x+o.w, o.y+o.h),
				image.Rect(o.x, o.y, o.x+t, o.y+o.h), image.Rect(o.x+o.w-t, o.y, o.x+o.w, o.y+o.h),
			} {
				draw.Draw(img, r, black, image.Point{}, draw.Src)
			}
		case opText:
			tr.drawText(img, o.x, o.y, o.h, o.s)
		case opPDF417:
			bc, err := pdf417.Encode(o.s, 2)
			if err != nil {
				return nil, fmt.Errorf("PDF417: %w", err)
			}
			bb := bc.Bounds()
			for ry := 0; ry < bb.Dy()/2; ry++ { // the encoder draws each row 2 pixels tall
				for cx := 0; cx < bb.Dx(); cx++ {
					if r, _, _, _ := bc.At(bb.Min.X+cx, bb.Min.Y+ry*2).RGBA(); r < 0x8000 {
						x, y := o.x+cx*o.module, o.y+ry*o.h
						draw.Draw(img, image.Rect(x, y, x+o.module, y+o.h), black, image.Point{}, draw.Src)
					}
				}
			}
		case opBarcode:
			bc, err := code128.Encode(o.s)
			if err != nil {
				return nil, fmt.Errorf("barcode %q: %w", o.s, err)
			}
			n := bc.Bounds().Dx()
			for i := 0; i < n; i++ {
				if r, _, _, _ := bc.At(i, 0).RGBA(); r < 0x8000 {
					x := o.x + i*o.module
					draw.Draw(img, image.Rect(x, o.y, x+o.module, o.y+o.h), black, image.Point{}, draw.Src)
				}
			}
		}
	}
	return img, nil
}

// shippingLabel renders a label in the document format asked for.
func (fs *fontSet) shippingLabel(d labelData, docFormat, printFormat string) (zpl []byte, pdf []byte, err error) {
	tr := fs.renderer()
	wmm, hmm, _ := labelSize(printFormat)
	if docFormat == "ZPL2" {
		return tr.renderZPL(layout(d, wmm*dotsPerMM, hmm*dotsPerMM)), nil, nil
	}
	page, err := fs.labelPage(tr, d, printFormat)
	if err != nil {
		return nil, nil, err
	}
	pdf, err = imagePDF([]pdfPage{page})
	return nil, pdf, err
}

// labelPage draws the thermal-sized label on the page a print format names.
func (fs *fontSet) labelPage(tr *textRenderer, d labelData, printFormat string) (pdfPage, error) {
	wmm, hmm, _ := labelSize(printFormat)
	lw, lh := 103, 199
	if wmm < lw || hmm < lh {
		lw, lh = wmm, hmm
	}
	img, err := tr.renderImage(layout(d, lw*dotsPerMM, lh*dotsPerMM), wmm*dotsPerMM, hmm*dotsPerMM)
	if err != nil {
		return pdfPage{}, err
	}
	return pdfPage{img: img, wmm: float64(wmm), hmm: float64(hmm)}, nil
}

// combinedPDF puts label and return label into one PDF, a page each (the
// API's combine=true, its default).
func (fs *fontSet) combinedPDF(label labelData, labelFormat string, ret labelData, retFormat string) ([]byte, error) {
	tr := fs.renderer()
	a, err := fs.labelPage(tr, label, labelFormat)
	if err != nil {
		return nil, err
	}
	b, err := fs.labelPage(tr, ret, retFormat)
	if err != nil {
		return nil, err
	}
	return imagePDF([]pdfPage{a, b})
}

// textPage renders lines of text onto an A4 page image (manifests, CN23).
func (fs *fontSet) textPage(title string, lines []string) *image.Gray {
	w, h := 210*dotsPerMM, 297*dotsPerMM
	ops := []op{{kind: opText, x: 80, y: 80, h: 48, s: title}}
	y := 170
	for _, l := range lines {
		if y > h-80 {
			break
		}
		ops = append(ops, op{kind: opText, x: 80, y: y, h: 26, s: fit(l, 26, w-160)})
		y += 34
	}
	img, _ := fs.renderer().renderImage(ops, w, h) // no barcodes: cannot fail
	return img
}
