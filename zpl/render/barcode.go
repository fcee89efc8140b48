package render

import (
	"strconv"
	"strings"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/code128"
	"github.com/boombuler/barcode/code39"
	"github.com/boombuler/barcode/datamatrix"
	"github.com/boombuler/barcode/ean"
	"github.com/boombuler/barcode/pdf417"
	"github.com/boombuler/barcode/qr"
	"github.com/boombuler/barcode/twooffive"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"

	"github.com/labelagent/labelagent/zpl"
)

// GS is the group separator a scanner reports for FNC1 inside GS1 data.
const GS = "\x1d"

// maxBarcodeData bounds what is handed to the symbol encoders.
const maxBarcodeData = 3000

func dark(bc barcode.Barcode, x, y int) bool {
	r, _, _, _ := bc.At(x, y).RGBA()
	return r < 0x8000
}

func (l *labelState) orientation(c zpl.Command) byte {
	if p := c.Param(0); p != "" {
		return upper(p[0])
	}
	return l.orient
}

func yesNo(s string, def bool) bool {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "Y":
		return true
	case "N":
		return false
	}
	return def
}

func (l *labelState) drawBarcode(c zpl.Command, text string) {
	if len(text) > maxBarcodeData {
		l.warn("%s: %d characters of data is more than a barcode holds", c.Code(), len(text))
		return
	}
	switch c.Name {
	case "BC":
		l.code128(c, text)
	case "B3":
		bc, err := code39.Encode(text, yesNo(c.Param(1), false), true)
		l.linear(c, bc, err, c.IntParam(2, l.byH), yesNo(c.Param(3), true), yesNo(c.Param(4), false), "code39", text, text)
	case "BE":
		bc, err := ean.Encode(strings.TrimSpace(text))
		l.linear(c, bc, err, c.IntParam(1, l.byH), yesNo(c.Param(2), true), yesNo(c.Param(3), false), "ean13", text, text)
	case "B2":
		bc, err := twooffive.Encode(text, true)
		l.linear(c, bc, err, c.IntParam(1, l.byH), yesNo(c.Param(2), true), yesNo(c.Param(3), false), "itf", text, text)
	case "B7":
		l.pdf417(c, text)
	case "BX":
		l.dataMatrix(c, text)
	case "BQ":
		l.qr(c, text)
	default:
		// Unknown symbology: already warned; show its data as text so the
		// operator sees something is there.
		l.drawText(text)
	}
}

// code128 handles ^BC o,h,f,g,e,m with mode N invocation codes (>8 FNC1
// and friends) and mode D, where the data is GS1 element strings.
func (l *labelState) code128(c zpl.Command, text string) {
	mode := strings.ToUpper(c.Param(5))
	var enc, human, scanned string
	switch mode {
	case "D", "U":
		enc, human, scanned = gs1Code128(text)
	default:
		enc, human, scanned = invocationCodes(text)
	}
	bc, err := code128.Encode(enc)
	l.linear(c, bc, err, c.IntParam(1, l.byH), yesNo(c.Param(2), true), yesNo(c.Param(3), false), "code128", human, scanned)
}

// invocationCodes reads ^BC mode N data: ">8" is FNC1, "><" is ">",
// other ">x" select code sets (the encoder chooses those itself).
func invocationCodes(s string) (enc, human, scanned string) {
	if !strings.Contains(s, ">") {
		return s, s, s
	}
	var e, h, sc strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '>' && i+1 < len(s) {
			switch s[i+1] {
			case '8':
				e.WriteRune(code128.FNC1)
				if e.Len() > 2 {
					sc.WriteString(GS)
				}
			case '<':
				e.WriteByte('>')
				h.WriteByte('>')
				sc.WriteByte('>')
			case '0':
				e.WriteByte('>')
				h.WriteByte('>')
				sc.WriteByte('>')
			}
			i++
			continue
		}
		e.WriteByte(s[i])
		h.WriteByte(s[i])
		sc.WriteByte(s[i])
	}
	return e.String(), h.String(), sc.String()
}

// Fixed-length GS1 application identifiers (by their first two digits):
// no FNC1 separator follows them.
var gs1Fixed = map[string]int{
	"00": 18, "01": 14, "02": 14, "03": 14, "04": 16, "11": 6, "12": 6, "13": 6, "14": 6,
	"15": 6, "16": 6, "17": 6, "18": 6, "19": 6, "20": 2, "31": 6, "32": 6, "33": 6,
	"34": 6, "35": 6, "36": 6, "41": 13,
}

// gs1Code128 reads mode D data "(00)1234…(10)ABC" or plain digits.
func gs1Code128(s string) (enc, human, scanned string) {
	s = strings.ReplaceAll(s, ">8", "")
	if !strings.Contains(s, "(") {
		digits := strings.ReplaceAll(s, " ", "")
		return string(code128.FNC1) + digits, digits, digits
	}
	var e, h, sc strings.Builder
	e.WriteRune(code128.FNC1)
	rest := s
	first := true
	needSep := false
	for {
		i := strings.IndexByte(rest, '(')
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i:], ')')
		if j < 0 {
			break
		}
		ai := rest[i+1 : i+j]
		rest = rest[i+j+1:]
		k := strings.IndexByte(rest, '(')
		val := rest
		if k >= 0 {
			val = rest[:k]
		}
		val = strings.TrimSpace(val)
		if !first && needSep {
			e.WriteRune(code128.FNC1)
			sc.WriteString(GS)
		}
		first = false
		e.WriteString(ai + val)
		sc.WriteString(ai + val)
		h.WriteString("(" + ai + ")" + val)
		_, fixed := gs1Fixed[ai[:min(2, len(ai))]]
		needSep = !fixed
	}
	return e.String(), h.String(), sc.String()
}

func (l *labelState) linear(c zpl.Command, bc barcode.Barcode, err error, height int, line, above bool, sym, human, scanned string) {
	if err != nil {
		l.warn("%s %q cannot be encoded: %v", c.Code(), truncate(human, 30), err)
		return
	}
	height = clamp(height, 1, zpl.MaxDots)
	orient := l.orientation(c)
	b := bc.Bounds()
	mw := l.byW
	w := b.Dx() * mw
	x, y := l.x, l.y
	if l.typeset {
		y -= height
	}
	// Bars first, at the field origin (text above pushes them down).
	textH := 0
	var face font.Face
	if line {
		var ferr error
		face, ferr = opentype.NewFace(l.s.fonts.mono, &opentype.FaceOptions{Size: float64(clamp(mw*9, 10, 60)), DPI: 72})
		if ferr == nil {
			defer face.Close()
			textH = (face.Metrics().Ascent + face.Metrics().Descent).Ceil()
		}
	}
	barY := y
	if line && above && face != nil {
		barY += textH
	}
	r := l.drawGrid(b.Dx(), 1, func(cx, _ int) bool { return dark(bc, b.Min.X+cx, b.Min.Y) }, x, barY, mw, height, orient)
	l.out.Barcodes = append(l.out.Barcodes, Barcode{Symbology: sym, Data: scanned, Bounds: r})
	if line && face != nil && orient == 'N' {
		mask := textMask(face, 1, []string{human}, &fieldBlock{width: w, just: 'C'}, textH)
		ty := barY + height + 1
		if above {
			ty = y
		}
		l.drawMask(mask, x, ty, 'N')
	}
}

func (l *labelState) pdf417(c zpl.Command, text string) {
	sec := clamp(c.IntParam(2, 2), 0, 8)
	bc, err := pdf417.Encode(text, byte(sec))
	if err != nil {
		l.warn("^B7 %q cannot be encoded: %v", truncate(text, 30), err)
		return
	}
	b := bc.Bounds()
	// The encoder draws every row 2 pixels tall.
	rows := b.Dy() / 2
	rowH := clamp(c.IntParam(1, max(1, l.byH/max(rows, 1))), 1, 255)
	x, y := l.x, l.y
	if l.typeset {
		y -= rows * rowH
	}
	r := l.drawGrid(b.Dx(), rows, func(cx, ry int) bool { return dark(bc, b.Min.X+cx, b.Min.Y+ry*2) }, x, y, l.byW, rowH, l.orientation(c))
	l.out.Barcodes = append(l.out.Barcodes, Barcode{Symbology: "pdf417", Data: text, Bounds: r})
}

func (l *labelState) dataMatrix(c zpl.Command, text string) {
	mod := clamp(c.IntParam(1, 5), 1, 100)
	if q := c.Param(2); q != "" && q != "200" {
		l.warn("^BX quality %s (only ECC 200 is drawn)", q)
	}
	enc := text
	if esc := c.Param(6); esc != "" {
		// With an escape character, "esc1" is FNC1 (GS1 DataMatrix).
		enc = strings.ReplaceAll(enc, esc[:1]+"1", GS)
	}
	bc, err := datamatrix.Encode(enc)
	if err != nil {
		l.warn("^BX %q cannot be encoded: %v", truncate(text, 30), err)
		return
	}
	b := bc.Bounds()
	x, y := l.x, l.y
	if l.typeset {
		y -= b.Dy() * mod
	}
	r := l.drawGrid(b.Dx(), b.Dy(), func(cx, ry int) bool { return dark(bc, b.Min.X+cx, b.Min.Y+ry) }, x, y, mod, mod, l.orientation(c))
	l.out.Barcodes = append(l.out.Barcodes, Barcode{Symbology: "datamatrix", Data: enc, Bounds: r})
}

// qr handles ^BQ a,b,c,d,e with field data "<ecc><mode>,<data>".
func (l *labelState) qr(c zpl.Command, text string) {
	def := 2
	switch {
	case l.s.opts.DPI >= 600:
		def = 6
	case l.s.opts.DPI >= 300:
		def = 3
	case l.s.opts.DPI < 200:
		def = 1
	}
	mag := clamp(c.IntParam(2, def), 1, 100)
	level := qr.M
	data := text
	if i := strings.IndexByte(text, ','); i >= 0 && i <= 3 {
		head := strings.ToUpper(text[:i])
		data = text[i+1:]
		if len(head) > 0 {
			switch head[0] {
			case 'H':
				level = qr.H
			case 'Q':
				level = qr.Q
			case 'M':
				level = qr.M
			case 'L':
				level = qr.L
			}
		}
		if len(head) > 1 && head[1] == 'M' && len(data) > 0 {
			// Manual input: a mode character first (N, A, or B with a
			// four-digit length).
			switch upper(data[0]) {
			case 'N', 'A':
				data = data[1:]
			case 'B':
				if len(data) >= 5 {
					if _, err := strconv.Atoi(data[1:5]); err == nil {
						data = data[5:]
					}
				}
			}
		}
	}
	bc, err := qr.Encode(data, level, qr.Auto)
	if err != nil {
		l.warn("^BQ %q cannot be encoded: %v", truncate(data, 30), err)
		return
	}
	b := bc.Bounds()
	r := l.drawGrid(b.Dx(), b.Dy(), func(cx, ry int) bool { return dark(bc, b.Min.X+cx, b.Min.Y+ry) }, l.x, l.y, mag, mag, 'N')
	l.out.Barcodes = append(l.out.Barcodes, Barcode{Symbology: "qr", Data: data, Bounds: r})
}
