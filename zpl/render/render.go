// Package render draws ZPL labels as images for the operator's preview and
// for scan verification. It covers what carriers and labelagent emit: label
// home, field origin and typeset, fonts (the scalable font 0 approximated
// with the Go fonts), field blocks, hex escapes and character sets, boxes,
// circles and lines, reverse fields, ^GF graphics in every encoding, stored
// graphics, and the barcodes Code 128 (with mode D / GS1), Code 39, Code 93, EAN-13, EAN-8, UPC-A,
// Interleaved 2 of 5, PDF417, DataMatrix (GS1 too), QR, Aztec and MaxiCode,
// and stored formats (^DF, ^XF with ^FN fields). Commands it does not draw
// are reported as warnings, never as errors; a barcode it does not draw is
// also listed in Label.Undrawn, so that verification fails over it.
package render

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"strconv"
	"strings"

	"github.com/labelagent/labelagent/zpl"
)

// Options for Render. Zero values take the size from the label's ^PW and
// ^LL, else 4 x 6 inches at 203 dpi.
type Options struct {
	DPI    int // the printer's resolution, for defaults; 0 means 203
	Width  int // dots, when the label has no ^PW
	Height int // dots, when the label has no ^LL
}

// Barcode is a symbol drawn on a label, with what it carries.
type Barcode struct {
	Symbology string // "code128", "code39", "code93", "ean13", "ean8", "upca", "itf", "pdf417", "datamatrix", "qr", "aztec", "maxicode"
	Data      string // what a scanner reports: FNC1 separators as GS, without the leading FNC1
	GS1       bool   // FNC1 in the first position: GS1-128 or GS1 DataMatrix
	Clipped   bool   // part of the symbol is off the label, as it is on the printer
	Bounds    image.Rectangle
	// For stacked symbols (PDF417), read module by module: the size of
	// one module in dots before turning, and the orientation (N, R, I, B).
	Module image.Point
	Orient byte
}

// Undrawn is a barcode (or a stored format that may hold barcodes) that
// the preview could not draw.
type Undrawn struct {
	Command string // "^BD", "^XF", …
	Data    string
	Reason  string
}

// Label is one rendered ^XA … ^XZ.
type Label struct {
	Image    *zpl.Mono // a dot per pixel, as the printer would print it
	Barcodes []Barcode
	Undrawn  []Undrawn
	Warnings []string // in English, one per note
	Notes    []Note   // the same warnings as codes with arguments, to word them in any language
}

// NoteCodes lists every Note code the renderer uses.
func NoteCodes() []string {
	return []string{"more", "dg_params", "dg_bad", "label_size", "format_missing", "command_not_drawn", "gf_params",
		"gf_bad", "graphic_missing", "dy_bad", "text_no_origin", "font", "text_shortened", "barcode_not_drawn",
		"dropped_code39", "dropped_itf", "dropped_code128", "clipped", "aztec_plain"}
}

// Note is a warning with a stable code and its arguments, for callers
// that word it in the reader's language (the agent's catalog has
// preview.note.<code>). Reason and error arguments are in English.
type Note struct {
	Code string
	Args map[string]string
}

// PNG encodes the label image as a black and white PNG.
func (l *Label) PNG() ([]byte, error) {
	var b bytes.Buffer
	g := image.NewGray(l.Image.Bounds())
	for y := 0; y < l.Image.H; y++ {
		for x := 0; x < l.Image.W; x++ {
			if !l.Image.Black(x, y) {
				g.Pix[y*g.Stride+x] = 255
			}
		}
	}
	if err := png.Encode(&b, g); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// maxWarnings bounds the warning list of one label.
const maxWarnings = 50

// Render draws every label in src. Damaged or unknown input gives warnings,
// an error only when nothing can be drawn at all.
func Render(src []byte, opts Options) ([]*Label, error) {
	if len(src) > zpl.MaxInputBytes {
		return nil, fmt.Errorf("ZPL of %d bytes: %w", len(src), zpl.ErrInputTooLarge)
	}
	cmds, err := zpl.Tokenize(src)
	if err != nil {
		return nil, err
	}
	if opts.DPI == 0 {
		opts.DPI = zpl.DefaultDPI
	}
	fonts, err := loadFonts()
	if err != nil {
		return nil, err
	}
	st := &session{opts: opts, fonts: fonts, graphics: map[string]*zpl.Mono{}, formats: map[string][]zpl.Command{}}
	labels, outside := zpl.SplitLabels(cmds)
	for _, c := range outside {
		st.outside(c)
	}
	var out []*Label
	stored := 0
	for _, l := range labels {
		if st.storeFormat(l.Commands) {
			stored++
			continue
		}
		out = append(out, st.label(l.Commands))
	}
	if len(out) == 0 {
		if stored > 0 {
			return nil, fmt.Errorf("the input only stores formats (^DF) and prints no label")
		}
		return nil, fmt.Errorf("no label (^XA … ^XZ) in the input")
	}
	return out, nil
}

// session keeps what lives across labels, as the printer's memory does:
// stored graphics and formats.
type session struct {
	opts     Options
	fonts    *fontSet
	graphics map[string]*zpl.Mono
	formats  map[string][]zpl.Command // ^DF, by normalised name
	pw, ll   int                      // ^PW and ^LL persist on the printer
	pending  []error                  // downloads refused before the next label, reported with it
}

func (s *session) outside(c zpl.Command) {
	switch {
	case c.Tilde && c.Name == "DG":
		s.downloadGraphic(c, nil)
	case c.Tilde && c.Name == "DY":
		s.downloadObject(c, nil)
	}
}

// downloadObject stores a ~DY graphic (.GRF or monochrome .PNG) for ^XG
// and ^IM, as the printer does; what the printer would not store is a
// warning (in the label that follows when the download came before it).
func (s *session) downloadObject(c zpl.Command, l *labelState) {
	warn := func(err error) {
		if l != nil {
			l.warn("dy_bad", "~DY: %v", "error", err)
		} else {
			s.pending = append(s.pending, err)
		}
	}
	o, err := zpl.ParseDownload(c)
	if err != nil {
		warn(err)
		return
	}
	if o.Ext != "GRF" && o.Ext != "PNG" {
		return // fonts and other files: nothing to draw
	}
	m, err := o.Graphic()
	if err != nil {
		warn(err)
		return
	}
	s.graphics[graphicName(o.Key())] = m
}

func (s *session) downloadGraphic(c zpl.Command, l *labelState) {
	ps := strings.SplitN(c.Args, string(c.Delim), 4)
	if len(ps) < 4 {
		if l != nil {
			l.warn("dg_params", "~DG with too few parameters")
		}
		return
	}
	total, _ := strconv.Atoi(strings.TrimSpace(ps[1]))
	bpr, _ := strconv.Atoi(strings.TrimSpace(ps[2]))
	m, err := zpl.DecodeGraphic('A', total, bpr, []byte(ps[3]))
	if err != nil {
		if l != nil {
			l.warn("dg_bad", "~DG %s: %v", "name", ps[0], "error", err)
		}
		return
	}
	s.graphics[graphicName(ps[0])] = m
}

// graphicName normalises "R:LOGO.GRF", "LOGO" and "logo.grf" to one key.
func graphicName(n string) string {
	n = strings.ToUpper(strings.TrimSpace(n))
	if i := strings.IndexByte(n, ':'); i >= 0 {
		n = n[i+1:]
	}
	return strings.TrimSuffix(n, ".GRF")
}

type fontSpec struct {
	name   byte
	orient byte
	h, w   int
}

type labelState struct {
	s        *session
	canvas   *zpl.Mono
	out      *Label
	maxY     int
	lhX, lhY int
	ls, lt   int
	// field state
	x, y      int
	typeset   bool // ^FT: y is the baseline / bottom
	hasOrigin bool
	font      fontSpec
	defFont   fontSpec
	orient    byte // ^FW
	byW       int
	byR       float64
	byH       int
	reverse   bool
	labelRev  bool
	hexInd    byte
	ci        int
	block     *fieldBlock
	barcode   *zpl.Command
	data      *string
	invert    bool // ^POI
	// stored formats
	inFormat bool            // the command comes from a stored format
	fn       int             // ^FN of the current field
	fnValues map[int]fnValue // the recalling label's ^FN data
}

type fieldBlock struct {
	width, lines, spacing int
	just                  byte
	indent                int
}

func (s *session) label(src []zpl.Command) *Label {
	cmds, fromFormat, missing := s.expandFormats(src)
	l := &labelState{
		s:       s,
		out:     &Label{},
		defFont: fontSpec{name: 'A', orient: 'N', h: 9, w: 5},
		orient:  'N',
		byW:     2, byR: 3, byH: 10,
		ci: 0,
	}
	l.font = l.defFont
	for _, err := range s.pending {
		l.warn("dy_bad", "~DY: %v", "error", err)
	}
	s.pending = nil
	// Size first: ^PW and ^LL anywhere in the label apply to all of it.
	for _, c := range cmds {
		switch {
		case !c.Tilde && c.Name == "PW":
			if v := c.IntParam(0, 0); v > 0 {
				s.pw = min(v, zpl.MaxDots)
			}
		case !c.Tilde && c.Name == "LL":
			if v := c.IntParam(0, 0); v > 0 {
				s.ll = min(v, zpl.MaxDots)
			}
		}
	}
	w, h := s.pw, s.ll
	if w == 0 {
		w = s.opts.Width
	}
	if w == 0 {
		w = zpl.MMToDots(101.6, s.opts.DPI)
	}
	if h == 0 {
		h = s.opts.Height
	}
	autoHeight := h == 0
	if autoHeight {
		// Draw on a tall canvas, cropped to what was drawn below.
		h = min(zpl.MaxDots, zpl.MaxGraphicBytes*8/w)
	}
	canvas, err := zpl.NewMono(w, h)
	if err != nil {
		l.warn("label_size", "label size: %v", "error", err)
		canvas, _ = zpl.NewMono(min(w, 4000), min(h, 4000))
	}
	l.canvas = canvas
	for _, m := range missing {
		l.out.Undrawn = append(l.out.Undrawn, Undrawn{Command: "^XF", Data: m, Reason: "the format is stored on the printer, not in this job"})
		l.warn("format_missing", "^XF %s: the format is not in this job (it may be stored on the printer); its fields are not drawn", "name", m)
	}
	if len(fromFormat) > 0 {
		l.fnValues = fieldNumberValues(cmds, fromFormat)
	}
	for i, c := range cmds {
		l.inFormat = i < len(fromFormat) && fromFormat[i]
		l.command(c)
	}
	if l.data != nil || l.barcode != nil {
		l.fieldSeparator() // a field without ^FS still prints
	}
	if autoHeight {
		hh := max(1, min(l.maxY+1, canvas.H))
		l.canvas = canvas.Crop(image.Rect(0, 0, canvas.W, hh))
	}
	if l.invert {
		if r, err := l.canvas.Rotate(180); err == nil {
			l.canvas = r
			for i := range l.out.Barcodes {
				bc := &l.out.Barcodes[i]
				b := bc.Bounds
				bc.Bounds = image.Rect(l.canvas.W-b.Max.X, l.canvas.H-b.Max.Y, l.canvas.W-b.Min.X, l.canvas.H-b.Min.Y)
				bc.Orient = map[byte]byte{'N': 'I', 'I': 'N', 'R': 'B', 'B': 'R'}[bc.Orient]
			}
		}
	}
	l.out.Image = l.canvas
	return l.out
}

// warn records a note: code and key/value arguments, and english, the
// text in English (a format string over the values in order).
func (l *labelState) warn(code, english string, kv ...any) {
	if len(l.out.Warnings) > maxWarnings {
		return
	}
	if len(l.out.Warnings) == maxWarnings {
		l.out.Warnings = append(l.out.Warnings, "more warnings left out")
		l.out.Notes = append(l.out.Notes, Note{Code: "more"})
		return
	}
	args := map[string]string{}
	var vals []any
	for i := 0; i+1 < len(kv); i += 2 {
		k, _ := kv[i].(string)
		v := fmt.Sprint(kv[i+1])
		args[k] = v
		vals = append(vals, kv[i+1])
	}
	l.out.Warnings = append(l.out.Warnings, fmt.Sprintf(english, vals...))
	l.out.Notes = append(l.out.Notes, Note{Code: code, Args: args})
}

// noted lists commands that have no visible effect on a preview.
var noted = map[string]bool{
	"XA": true, "XZ": true, "PQ": true, "PR": true, "MD": true, "MM": true, "MN": true, "MT": true,
	"JU": true, "SD": true, "JA": true, "PM": true, "MU": false, "CC": true, "CT": true, "CD": true,
	"FX": true, "FN": true, "PF": true, "JZ": true, "HS": true, "HH": true, "HI": true, "HM": true,
	"HQ": true, "WC": true, "JS": true, "PP": true, "PL": true, "PS": true, "MF": true, "XB": true,
	"ID": true, "LR": false, "CW": false, "FC": false, "PW": true, "LL": true, "ML": true, "TA": true,
	"JB": true, "EG": true, "PH": true, "JC": true, "JD": true, "JE": true, "KN": true, "KP": true, "SZ": true,
	"MC": true, "CV": true, "DN": true, "FV": true,
}

func (l *labelState) command(c zpl.Command) {
	if c.Tilde {
		switch c.Name {
		case "DG":
			l.s.downloadGraphic(c, l)
		case "DY":
			l.s.downloadObject(c, l)
		case "SD", "JA", "TA", "JS", "JC", "JD", "JE", "HS", "HQ", "JB", "PH":
		default:
			l.warn("command_not_drawn", "%s is not drawn in the preview", "command", c.Code())
		}
		return
	}
	switch c.Name {
	case "LH":
		l.lhX, l.lhY = c.IntParam(0, 0), c.IntParam(1, 0)
	case "LS":
		l.ls = c.IntParam(0, 0)
	case "LT":
		l.lt = c.IntParam(0, 0)
	case "LR":
		l.labelRev = strings.EqualFold(c.Param(0), "Y")
	case "PO":
		l.invert = strings.EqualFold(c.Param(0), "I")
	case "FO", "FT":
		l.x = l.lhX + c.IntParam(0, 0) - l.ls
		l.y = l.lhY + c.IntParam(1, 0) + l.lt
		l.typeset = c.Name == "FT"
		l.hasOrigin = true
	case "A":
		l.font = parseFont(c, l.defFont, l.orient, true)
	case "CF":
		l.defFont = parseFont(c, l.defFont, l.orient, false)
		l.font = l.defFont
	case "FW":
		if p := c.Param(0); p != "" {
			l.orient = upper(p[0])
			l.font.orient = l.orient
			l.defFont.orient = l.orient
		}
	case "BY":
		l.byW = clamp(c.IntParam(0, l.byW), 1, 100)
		if r, err := strconv.ParseFloat(c.Param(1), 64); err == nil && r >= 2 && r <= 3 {
			l.byR = r
		}
		l.byH = clamp(c.IntParam(2, l.byH), 1, zpl.MaxDots)
	case "FR":
		l.reverse = true
	case "FH":
		l.hexInd = '_'
		if p := c.Args; p != "" {
			l.hexInd = p[0]
		}
	case "CI":
		l.ci = c.IntParam(0, 0)
	case "FB":
		l.block = &fieldBlock{
			width:   clamp(c.IntParam(0, 0), 0, zpl.MaxDots),
			lines:   clamp(c.IntParam(1, 1), 1, 9999),
			spacing: clamp(c.IntParam(2, 0), -9999, 9999),
			just:    'L',
			indent:  clamp(c.IntParam(4, 0), 0, zpl.MaxDots),
		}
		if p := c.Param(3); p != "" {
			l.block.just = upper(p[0])
		}
	case "TB":
		l.block = &fieldBlock{width: clamp(c.IntParam(1, 0), 0, zpl.MaxDots), lines: 9999, just: 'L'}
	case "FD", "FV":
		d := c.Args
		l.data = &d
	case "MU", "JM":
		// Dots (^MUD) and full density (^JMA) are what the preview draws;
		// other units and half density are not.
		if p := strings.ToUpper(c.Param(0)); p != "" && p != map[string]string{"MU": "D", "JM": "A"}[c.Name] {
			l.warn("command_not_drawn", "%s is not drawn in the preview", "command", c.Code()+p)
		}
	case "SN":
		// Serialized data: the first label prints the starting value.
		d := c.Param(0)
		l.data = &d
	case "FS":
		l.fieldSeparator()
	case "GB":
		l.box(c)
	case "GC":
		l.circle(c)
	case "GE":
		l.ellipse(c)
	case "GD":
		l.diagonal(c)
	case "GF":
		l.graphic(c)
	case "XG", "IM":
		l.recall(c)
	case "BC", "B7", "BX", "BQ", "B3", "BE", "B2", "BO", "BD", "B8", "BU", "BA":
		cc := c
		l.barcode = &cc
	case "FN":
		l.fn = leadingInt(c.Args)
	case "XF", "DF":
		// Expanded before drawing (see expandFormats).
	case "XZ", "XA":
	default:
		if strings.HasPrefix(c.Name, "B") && len(c.Name) == 2 {
			// Drawn as undrawn at ^FS: a barcode the preview cannot draw.
			cc := c
			l.barcode = &cc
			return
		}
		if !noted[c.Name] {
			l.warn("command_not_drawn", "%s is not drawn in the preview", "command", c.Code())
		}
	}
}

func (l *labelState) fieldSeparator() {
	if l.fn > 0 && l.fnValues != nil {
		if !l.inFormat {
			// The recalling label's ^FN field only carries data for the format.
			l.data = nil
			l.barcode = nil
		} else if v, ok := l.fnValues[l.fn]; ok {
			d := v.data
			l.data = &d
			if v.hex != 0 {
				l.hexInd = v.hex
			}
		}
	}
	if l.data != nil {
		raw := zpl.FieldBytes(*l.data, l.hexInd)
		if l.barcode != nil {
			// Symbols carry the field's bytes, whatever ^CI says about
			// how text shows them.
			l.drawBarcode(*l.barcode, string(raw))
		} else {
			l.drawText(zpl.DecodeText(raw, l.ci))
		}
	}
	l.data = nil
	l.barcode = nil
	l.reverse = false
	l.hexInd = 0
	l.block = nil
	l.font = l.defFont
	l.typeset = false
	l.fn = 0
}

// put sets or (for reverse fields) flips one dot.
func (l *labelState) put(x, y int, rev bool) {
	if x < 0 || y < 0 || x >= l.canvas.W || y >= l.canvas.H {
		return
	}
	if rev || l.labelRev {
		l.canvas.Set(x, y, !l.canvas.Black(x, y))
	} else {
		l.canvas.Set(x, y, true)
	}
	if y > l.maxY {
		l.maxY = y
	}
}

// fill paints a rectangle black (or white with white true).
func (l *labelState) fill(r image.Rectangle, white bool) {
	r = r.Intersect(l.canvas.Bounds())
	rev := l.reverse
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if white && !rev {
				l.canvas.Set(x, y, false)
				continue
			}
			l.put(x, y, rev)
		}
	}
	if !r.Empty() && r.Max.Y-1 > l.maxY {
		l.maxY = r.Max.Y - 1
	}
}

// blit draws a 1-bit image with its top left at x, y, magnified.
func (l *labelState) blit(m *zpl.Mono, x, y, mx, my int) {
	for sy := 0; sy < m.H; sy++ {
		ty := y + sy*my
		if ty >= l.canvas.H {
			break
		}
		for sx := 0; sx < m.W; sx++ {
			if !m.Black(sx, sy) {
				continue
			}
			for dy := 0; dy < my; dy++ {
				for dx := 0; dx < mx; dx++ {
					l.put(x+sx*mx+dx, ty+dy, l.reverse)
				}
			}
		}
	}
}

func (l *labelState) graphic(c zpl.Command) {
	ps := strings.SplitN(c.Args, string(c.Delim), 5)
	if len(ps) < 4 {
		l.warn("gf_params", "^GF with too few parameters")
		return
	}
	format := byte('A')
	if p := strings.TrimSpace(ps[0]); p != "" {
		format = upper(p[0])
	}
	total, _ := strconv.Atoi(strings.TrimSpace(ps[1]))
	bpr, _ := strconv.Atoi(strings.TrimSpace(ps[3]))
	data := c.Data
	if data == nil && len(ps) == 5 {
		data = []byte(ps[4])
	}
	m, err := zpl.DecodeGraphic(format, total, bpr, data)
	if err != nil {
		l.warn("gf_bad", "^GF: %v", "error", err)
		return
	}
	y := l.y
	if l.typeset {
		y -= m.H
	}
	l.blit(m, l.x, y, 1, 1)
}

// place draws a field's mask turned by orient (N, R 90 degrees clockwise,
// I 180, B 270). With ^FT the point (ax, ay) of the unturned mask lands on
// the field origin and the field turns around it, as the guide says the
// typeset origin is fixed to the field's contents; with ^FO the top left
// of the turned field is at the origin. It returns the area drawn.
func (l *labelState) place(mask *image.Alpha, ax, ay int, orient byte) image.Rectangle {
	b := mask.Bounds()
	w, h := b.Dx(), b.Dy()
	if !l.typeset {
		switch orient {
		case 'R':
			ax, ay = 0, h
		case 'I':
			ax, ay = w, h
		case 'B':
			ax, ay = w, 0
		default:
			ax, ay = 0, 0
		}
	}
	px, py := l.x, l.y
	// The turned mask's corners, for the returned area.
	var r image.Rectangle
	switch orient {
	case 'R':
		r = image.Rect(px-(h-ay), py-ax, px+ay, py+w-ax)
	case 'I':
		r = image.Rect(px-(w-ax), py-(h-ay), px+ax, py+ay)
	case 'B':
		r = image.Rect(px-ay, py-(w-ax), px+h-ay, py+ax)
	default:
		r = image.Rect(px-ax, py-ay, px+w-ax, py+h-ay)
	}
	for my := 0; my < h; my++ {
		for mx := 0; mx < w; mx++ {
			if mask.Pix[my*mask.Stride+mx] < 128 {
				continue
			}
			dx, dy := mx-ax, my-ay
			var tx, ty int
			switch orient {
			case 'R':
				tx, ty = px-dy-1, py+dx
			case 'I':
				tx, ty = px-dx-1, py-dy-1
			case 'B':
				tx, ty = px+dy, py-dx-1
			default:
				tx, ty = px+dx, py+dy
			}
			l.put(tx, ty, l.reverse)
		}
	}
	return r
}

func (l *labelState) recall(c zpl.Command) {
	m := l.s.graphics[graphicName(c.Param(0))]
	if m == nil {
		l.warn("graphic_missing", "%s %s: the graphic is not in this job (it may be stored on the printer)", "command", c.Code(), "name", c.Param(0))
		return
	}
	mx, my := 1, 1
	if c.Name == "XG" { // ^IM prints the image as it is
		mx, my = clamp(c.IntParam(1, 1), 1, 10), clamp(c.IntParam(2, 1), 1, 10)
	}
	l.blit(m, l.x, l.y, mx, my)
}

func (l *labelState) box(c zpl.Command) {
	t := clamp(c.IntParam(2, 1), 1, zpl.MaxDots)
	w := clamp(c.IntParam(0, t), 1, zpl.MaxDots)
	h := clamp(c.IntParam(1, t), 1, zpl.MaxDots)
	w, h = max(w, t), max(h, t)
	white := strings.EqualFold(c.Param(3), "W")
	x, y := l.x, l.y
	if l.typeset {
		y -= h
	}
	if t*2 >= w || t*2 >= h {
		l.fill(image.Rect(x, y, x+w, y+h), white)
		return
	}
	l.fill(image.Rect(x, y, x+w, y+t), white)
	l.fill(image.Rect(x, y+h-t, x+w, y+h), white)
	l.fill(image.Rect(x, y+t, x+t, y+h-t), white)
	l.fill(image.Rect(x+w-t, y+t, x+w, y+h-t), white)
}

func (l *labelState) ellipseRing(x, y, w, h, t int, white bool) {
	if w <= 0 || h <= 0 {
		return
	}
	a, b := float64(w)/2, float64(h)/2
	ai, bi := a-float64(t), b-float64(t)
	for yy := 0; yy < h; yy++ {
		for xx := 0; xx < w; xx++ {
			dx, dy := float64(xx)+0.5-a, float64(yy)+0.5-b
			if dx*dx/(a*a)+dy*dy/(b*b) > 1 {
				continue
			}
			if ai > 0 && bi > 0 && dx*dx/(ai*ai)+dy*dy/(bi*bi) < 1 {
				continue
			}
			if white && !l.reverse {
				l.canvas.Set(x+xx, y+yy, false)
			} else {
				l.put(x+xx, y+yy, l.reverse)
			}
		}
	}
}

func (l *labelState) circle(c zpl.Command) {
	d := clamp(c.IntParam(0, 3), 3, 4095)
	t := clamp(c.IntParam(1, 1), 1, 4095)
	l.ellipseRing(l.x, l.y, d, d, t, strings.EqualFold(c.Param(2), "W"))
}

func (l *labelState) ellipse(c zpl.Command) {
	w := clamp(c.IntParam(0, 3), 3, 4095)
	h := clamp(c.IntParam(1, 3), 3, 4095)
	t := clamp(c.IntParam(2, 1), 1, 4095)
	l.ellipseRing(l.x, l.y, w, h, t, strings.EqualFold(c.Param(3), "W"))
}

func (l *labelState) diagonal(c zpl.Command) {
	w := clamp(c.IntParam(0, 3), 1, 4095)
	h := clamp(c.IntParam(1, 3), 1, 4095)
	t := clamp(c.IntParam(2, 1), 1, 4095)
	right := c.Param(4) != "/"
	for yy := 0; yy < h; yy++ {
		var x0 int
		if right {
			x0 = yy * w / h
		} else {
			x0 = (h - 1 - yy) * w / h
		}
		for dx := 0; dx < t; dx++ {
			l.put(l.x+x0+dx, l.y+yy, l.reverse)
		}
	}
}

func parseFont(c zpl.Command, def fontSpec, orient byte, isA bool) fontSpec {
	ps := c.Params()
	f := def
	if len(ps) > 0 && ps[0] != "" {
		f.name = upper(ps[0][0])
		f.orient = orient
		if isA && len(ps[0]) > 1 {
			f.orient = upper(ps[0][1])
		}
	}
	get := func(i int) int {
		if i >= len(ps) {
			return 0
		}
		v, _ := strconv.Atoi(strings.TrimSpace(ps[i]))
		return v
	}
	h, w := get(1), get(2)
	if h > 0 || w > 0 {
		f.h, f.w = h, w
	} else if f.name != def.name {
		f.h, f.w = 0, 0
	}
	return f
}

func clamp(v, lo, hi int) int {
	return max(lo, min(hi, v))
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}
