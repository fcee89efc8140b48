package render

import (
	"fmt"
	"image"
	"image/draw"
	"strconv"
	"strings"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/aztec"
	"github.com/boombuler/barcode/pdf417"
	"github.com/boombuler/barcode/qr"
	"github.com/ingridhq/maxicode"
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
		switch o := upper(p[0]); o {
		case 'N', 'R', 'I', 'B':
			return o
		}
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

// notDrawn records a barcode command the preview could not draw: a
// warning for the operator, and a failure for verification, which must
// never pass a label over a barcode it did not see.
func (l *labelState) notDrawn(c zpl.Command, data, format string, args ...any) {
	reason := fmt.Sprintf(format, args...)
	l.out.Undrawn = append(l.out.Undrawn, Undrawn{Command: c.Code(), Data: latin1(data), Reason: reason})
	l.warn("barcode_not_drawn", "%s %q is not drawn: %s", "command", c.Code(), "data", truncate(latin1(data), 30), "reason", reason)
}

func (l *labelState) drawBarcode(c zpl.Command, text string) {
	if len(text) > maxBarcodeData {
		l.notDrawn(c, text, "%d characters of data is more than a barcode holds", len(text))
		return
	}
	switch c.Name {
	case "BC":
		l.code128(c, text)
	case "B3":
		// ^B3o,e,h,f,g
		runs, enc, dropped := code39(text, yesNo(c.Param(1), false), l.byW, l.byR)
		if dropped > 0 {
			l.warn("dropped_code39", "^B3: %d characters Code 39 cannot carry were left out", "count", dropped)
		}
		if enc == "" {
			l.notDrawn(c, text, "no character Code 39 can carry")
			return
		}
		l.linear(c, runs, c.IntParam(2, l.byH), yesNo(c.Param(3), true), yesNo(c.Param(4), false),
			Barcode{Symbology: "code39", Data: enc}, "*"+enc+"*")
	case "BE":
		// ^BEo,h,f,g
		runs, enc, err := ean13(text, l.byW)
		if err != nil {
			l.notDrawn(c, text, "%v", err)
			return
		}
		l.linear(c, runs, c.IntParam(1, l.byH), yesNo(c.Param(2), true), yesNo(c.Param(3), false),
			Barcode{Symbology: "ean13", Data: enc}, enc)
	case "B8":
		// ^B8o,h,f,g
		runs, enc, err := ean8(text, l.byW)
		if err != nil {
			l.notDrawn(c, text, "%v", err)
			return
		}
		l.linear(c, runs, c.IntParam(1, l.byH), yesNo(c.Param(2), true), yesNo(c.Param(3), false),
			Barcode{Symbology: "ean8", Data: enc}, enc)
	case "BU":
		// ^BUo,h,f,g,e
		runs, enc, err := upcA(text, l.byW)
		if err != nil {
			l.notDrawn(c, text, "%v", err)
			return
		}
		l.linear(c, runs, c.IntParam(1, l.byH), yesNo(c.Param(2), true), yesNo(c.Param(3), false),
			Barcode{Symbology: "upca", Data: enc}, enc)
	case "BA":
		// ^BAo,h,f,g,e
		runs, err := code93(text, l.byW)
		if err != nil {
			l.notDrawn(c, text, "%v", err)
			return
		}
		l.linear(c, runs, c.IntParam(1, l.byH), yesNo(c.Param(2), true), yesNo(c.Param(3), false),
			Barcode{Symbology: "code93", Data: text}, text)
	case "B2":
		// ^B2o,h,f,g,e
		runs, enc, dropped := itf(text, yesNo(c.Param(4), false), l.byW, l.byR)
		if dropped > 0 {
			l.warn("dropped_itf", "^B2: %d characters that are not digits were left out", "count", dropped)
		}
		if enc == "" {
			l.notDrawn(c, text, "no digits to encode")
			return
		}
		l.linear(c, runs, c.IntParam(1, l.byH), yesNo(c.Param(2), true), yesNo(c.Param(3), false),
			Barcode{Symbology: "itf", Data: enc}, enc)
	case "B7":
		l.pdf417(c, text)
	case "BX":
		l.dataMatrix(c, text)
	case "BQ":
		l.qr(c, text)
	case "BO":
		l.aztec(c, text)
	case "BD":
		l.maxiCode(c, text)
	default:
		l.notDrawn(c, text, "the preview has no encoder for this symbology")
	}
}

// code128 handles ^BCo,h,f,g,e,m.
func (l *labelState) code128(c zpl.Command, text string) {
	var sym code128Symbol
	switch strings.ToUpper(c.Param(5)) {
	case "U":
		sym = code128ModeU(text)
	case "D":
		sym = code128ModeD(text)
	case "A":
		sym = code128Auto(text, nil, false)
	default:
		if yesNo(c.Param(4), false) {
			// The UCC check digit: mod 10 over numeric data, added to it.
			if d := stripInvocations(text); allDigits(d) {
				text += string(mod10(d))
			}
		}
		sym = code128ModeN(text)
	}
	if sym.dropped > 0 {
		l.warn("dropped_code128", "^BC: %d characters the chosen subsets cannot carry were left out", "count", sym.dropped)
	}
	if len(sym.values) < 2 {
		l.notDrawn(c, text, "no data the chosen subsets can carry")
		return
	}
	runs := modulesToRuns(sym.modules(), l.byW)
	l.linear(c, runs, c.IntParam(1, l.byH), yesNo(c.Param(2), true), yesNo(c.Param(3), false),
		Barcode{Symbology: "code128", Data: sym.scanned, GS1: sym.gs1}, sym.human)
}

// latin1 is what a reader reports for symbol bytes without a character
// set of their own: one character per byte.
func latin1(b string) string {
	r := make([]rune, len(b))
	for i := range len(b) {
		r[i] = rune(b[i])
	}
	return string(r)
}

// stripInvocations drops Code 128 invocation codes (">x").
func stripInvocations(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '>' && i+1 < len(s) {
			i++
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// linear draws a linear symbol with its interpretation line. The field
// origin of ^FT is the bottom of the bars at their left edge, fixed to the
// symbol whatever its rotation; ^FO is the top left of the rotated field.
func (l *labelState) linear(c zpl.Command, runs []int, height int, line, above bool, bc Barcode, human string) {
	height = clamp(height, 1, zpl.MaxDots)
	w := 0
	for _, r := range runs {
		w += r
	}
	if w <= 0 || w > zpl.MaxDots {
		l.notDrawn(c, bc.Data, "symbol of %d dots does not fit", w)
		return
	}
	var face font.Face
	textH := 0
	if line && strings.TrimSpace(human) != "" {
		f, err := opentype.NewFace(l.s.fonts.mono, &opentype.FaceOptions{Size: float64(clamp(l.byW*9, 10, 60)), DPI: 72})
		if err == nil {
			defer f.Close()
			face = f
			textH = (f.Metrics().Ascent + f.Metrics().Descent).Ceil() + 1
		}
	}
	barY := 0
	if face != nil && above {
		barY = textH
	}
	mask := image.NewAlpha(image.Rect(0, 0, w, height+textH))
	x, dark := 0, true
	for _, r := range runs {
		if dark {
			draw.Draw(mask, image.Rect(x, barY, x+r, barY+height), image.Opaque, image.Point{}, draw.Src)
		}
		x += r
		dark = !dark
	}
	if face != nil {
		tm := textMask(face, 1, []string{human}, &fieldBlock{width: w, just: 'C'}, textH-1)
		ty := barY + height + 1
		if above {
			ty = 0
		}
		draw.Draw(mask, tm.Bounds().Add(image.Pt(0, ty)), tm, image.Point{}, draw.Over)
	}
	bc.Bounds = l.place(mask, 0, barY+height, l.orientation(c))
	l.addBarcode(c, bc)
}

// addBarcode records a drawn symbol; one that runs off the label is cut
// there on the printer too, and is marked so.
func (l *labelState) addBarcode(c zpl.Command, bc Barcode) {
	if !bc.Bounds.In(l.canvas.Bounds()) {
		bc.Clipped = true
		l.warn("clipped", "%s %q runs off the label (%dx%d dots) and is cut there", "command", c.Code(), "data", truncate(bc.Data, 30), "width", l.canvas.W, "height", l.canvas.H)
	}
	l.out.Barcodes = append(l.out.Barcodes, bc)
}

// gridMask draws a module grid, modW x modH dots per module.
func (l *labelState) gridMask(cols, rows int, dark func(c, r int) bool, modW, modH int) *image.Alpha {
	w, h := cols*modW, rows*modH
	if w <= 0 || h <= 0 || int64(w)*int64(h) > int64(zpl.MaxGraphicBytes)*8 {
		return nil
	}
	mask := image.NewAlpha(image.Rect(0, 0, w, h))
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			if dark(c, r) {
				draw.Draw(mask, image.Rect(c*modW, r*modH, (c+1)*modW, (r+1)*modH), image.Opaque, image.Point{}, draw.Src)
			}
		}
	}
	return mask
}

// symbol2D places a 2D symbol's mask (^FT origin: its bottom left).
func (l *labelState) symbol2D(c zpl.Command, mask *image.Alpha, orient byte, bc Barcode) {
	if mask == nil {
		l.notDrawn(c, bc.Data, "the symbol is too large to draw")
		return
	}
	bc.Bounds = l.place(mask, 0, mask.Bounds().Dy(), orient)
	l.addBarcode(c, bc)
}

func (l *labelState) pdf417(c zpl.Command, text string) {
	sec := clamp(c.IntParam(2, 2), 0, 8)
	bc, err := pdf417.Encode(text, byte(sec))
	if err != nil {
		l.notDrawn(c, text, "%v", err)
		return
	}
	b := bc.Bounds()
	// The encoder draws every row 2 pixels tall.
	rows := b.Dy() / 2
	rowH := clamp(c.IntParam(1, max(1, l.byH/max(rows, 1))), 1, 255)
	mask := l.gridMask(b.Dx(), rows, func(cx, ry int) bool { return dark(bc, b.Min.X+cx, b.Min.Y+ry*2) }, l.byW, rowH)
	o := l.orientation(c)
	l.symbol2D(c, mask, o, Barcode{Symbology: "pdf417", Data: text, Module: image.Pt(l.byW, rowH), Orient: o})
}

// dataMatrixData applies ^BX's escape character: e1 is FNC1 (first: GS1
// DataMatrix; later: the GS1 separator), edNNN a byte by its decimal
// value, ee the escape character itself, e@ … e_ control characters. It
// returns the data bytes with the positions of FNC1 marks, what a scanner
// reports (FNC1 after the first as GS), and whether the symbol is GS1.
func dataMatrixData(text, esc string) (data []byte, fnc1 map[int]bool, scanned string, gs1 bool) {
	b := []byte(text)
	fnc1 = map[int]bool{}
	if esc == "" {
		return b, fnc1, text, false
	}
	var sc []byte
	e := esc[0]
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != e || i+1 >= len(b) {
			data = append(data, c)
			sc = append(sc, c)
			continue
		}
		n := b[i+1]
		switch {
		case n == '1':
			if len(data) == 0 {
				gs1 = true
			} else {
				sc = append(sc, 0x1d)
			}
			fnc1[len(data)] = true
			data = append(data, dmFNC1)
			i++
		case n == e:
			data = append(data, e)
			sc = append(sc, e)
			i++
		case (n == 'd' || n == 'D') && i+4 < len(b):
			v, err := strconv.Atoi(string(b[i+2 : i+5]))
			if err == nil && v >= 0 && v < 256 {
				data = append(data, byte(v))
				sc = append(sc, byte(v))
				i += 4
				continue
			}
			data = append(data, c)
			sc = append(sc, c)
		case n == '5' && i+4 < len(b):
			i += 4 // a code page change: the bytes follow as they are
		case n == '2' || n == '3':
			i++ // structured append and reader programming: not content
		case n >= '@' && n <= '_':
			data = append(data, n-'@')
			sc = append(sc, n-'@')
			i++
		default:
			data = append(data, c)
			sc = append(sc, c)
		}
	}
	return data, fnc1, string(sc), gs1
}

func (l *labelState) dataMatrix(c zpl.Command, text string) {
	// ^BXo,h,s,c,r,f,g,a
	mod := clamp(c.IntParam(1, 5), 1, 100)
	if q := c.Param(2); q != "" && q != "200" {
		l.notDrawn(c, text, "quality %s (only ECC 200 is drawn)", q)
		return
	}
	data, fnc1, scanned, gs1 := dataMatrixData(text, c.Param(6))
	grid, err := dmEncode(data, fnc1, c.IntParam(3, 0), c.IntParam(4, 0), c.IntParam(7, 1) == 2)
	if err != nil {
		l.notDrawn(c, text, "%v", err)
		return
	}
	mask := l.gridMask(len(grid[0]), len(grid), func(cx, ry int) bool { return grid[ry][cx] }, mod, mod)
	l.symbol2D(c, mask, l.orientation(c), Barcode{Symbology: "datamatrix", Data: scanned, GS1: gs1})
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
		l.notDrawn(c, data, "%v", err)
		return
	}
	b := bc.Bounds()
	mask := l.gridMask(b.Dx(), b.Dy(), func(cx, ry int) bool { return dark(bc, b.Min.X+cx, b.Min.Y+ry) }, mag, mag)
	// ^BQ is always upright (^FW does not turn it).
	l.symbol2D(c, mask, 'N', Barcode{Symbology: "qr", Data: data})
}

// aztec handles ^BOa,b,c,d,e,f,g: magnification b, and d the error
// correction percentage (1-99), compact layers (101-104), full-range
// layers (201-232) or a rune (300, not drawn).
func (l *labelState) aztec(c zpl.Command, text string) {
	def := 3
	switch {
	case l.s.opts.DPI >= 600:
		def = 12
	case l.s.opts.DPI >= 300:
		def = 6
	case l.s.opts.DPI < 200:
		def = 2
	}
	mag := clamp(c.IntParam(1, def), 1, 10)
	d := c.IntParam(3, 0)
	ecc, layers := 23, 0
	switch {
	case d >= 1 && d <= 99:
		ecc = d
	case d >= 101 && d <= 104:
		layers = -(d - 100)
	case d >= 201 && d <= 232:
		layers = d - 200
	case d == 300:
		l.notDrawn(c, text, "Aztec runes are not drawn")
		return
	}
	if yesNo(c.Param(4), false) || c.IntParam(5, 1) > 1 {
		l.warn("aztec_plain", "^BO: menu symbols and structured append are drawn as plain symbols")
	}
	bc, err := encodeAztec([]byte(text), ecc, layers)
	if err != nil {
		l.notDrawn(c, text, "%v", err)
		return
	}
	b := bc.Bounds()
	mask := l.gridMask(b.Dx(), b.Dy(), func(cx, ry int) bool { return dark(bc, b.Min.X+cx, b.Min.Y+ry) }, mag, mag)
	l.symbol2D(c, mask, l.orientation(c), Barcode{Symbology: "aztec", Data: latin1(text)})
}

// encodeAztec calls the encoder, which panics on some impossible requests.
func encodeAztec(data []byte, ecc, layers int) (bc barcode.Barcode, err error) {
	defer func() {
		if p := recover(); p != nil {
			bc, err = nil, fmt.Errorf("aztec encoder: %v", p)
		}
	}()
	return aztec.Encode(data, ecc, layers)
}

// maxiCode handles ^BDm,n,t. In modes 2 and 3 the field data starts with
// the high-priority message (service class, country, postal code: 15
// characters in mode 2, 12 in mode 3), then the low-priority message,
// which carriers start with the "[)>RS01GSyy" header.
func (l *labelState) maxiCode(c zpl.Command, text string) {
	mode := c.IntParam(0, 2)
	if mode < 2 || mode > 6 {
		l.notDrawn(c, text, "MaxiCode mode %d", mode)
		return
	}
	in := text
	if mode == 2 || mode == 3 {
		n := 15
		if mode == 3 {
			n = 12
		}
		const header = "[)>\x1e01\x1d"
		if len(text) < n+len(header)+2 || !strings.HasPrefix(text[n:], header) {
			l.notDrawn(c, text, "mode %d data must start with the %d-character primary message and a [)> header", mode, n)
			return
		}
		class, country, postal := text[0:3], text[3:6], text[6:n]
		lpm := text[n:]
		in = lpm[:9] + postal + GS + country + GS + class + GS + lpm[9:]
		if !strings.HasSuffix(in, "\x04") {
			in += "\x04"
		}
	}
	grid, err := encodeMaxiCode(mode, in)
	if err != nil {
		l.notDrawn(c, text, "%v", err)
		return
	}
	// The symbol is 28.14 mm wide; the encoder draws 28 units.
	img := grid.Draw(float64(l.s.opts.DPI) / 25.4 * 28.14 / 28).Image()
	b := img.Bounds()
	mask := image.NewAlpha(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			if _, _, _, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA(); a >= 0x8000 {
				mask.Pix[y*mask.Stride+x] = 255
			}
		}
	}
	// MaxiCode is printed upright.
	l.symbol2D(c, mask, 'N', Barcode{Symbology: "maxicode", Data: latin1(text)})
}

func encodeMaxiCode(mode int, in string) (g *maxicode.SymbolGrid, err error) {
	defer func() {
		if p := recover(); p != nil {
			g, err = nil, fmt.Errorf("maxicode encoder: %v", p)
		}
	}()
	return maxicode.Encode(mode, 0, in)
}
