package render

import (
	"fmt"
	"image"
	"math"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/labelagent/labelagent/zpl"
)

type fontSet struct {
	bold, mono *opentype.Font
}

func loadFonts() (*fontSet, error) {
	b, err := opentype.Parse(gobold.TTF)
	if err != nil {
		return nil, fmt.Errorf("loading the preview font: %w", err)
	}
	m, err := opentype.Parse(gomono.TTF)
	if err != nil {
		return nil, fmt.Errorf("loading the preview font: %w", err)
	}
	return &fontSet{bold: b, mono: m}, nil
}

// Bitmap font cells (height, width) at 203 dpi.
var bitmapCells = map[byte][2]int{
	'A': {9, 5}, 'B': {11, 7}, 'C': {18, 10}, 'D': {18, 10},
	'E': {28, 15}, 'F': {26, 13}, 'G': {60, 40}, 'H': {21, 13},
}

// maxFontDots bounds glyph sizes: larger text cannot fit a label anyway and
// would cost memory.
const maxFontDots = 1000

// maxTextDots bounds the length of a drawn line of text.
const maxTextDots = 8000

// face picks the font and size for a field and the horizontal stretch to
// apply to reach the requested character width.
func (l *labelState) face(f fontSpec) (font.Face, float64, error) {
	h, w := f.h, f.w
	if cell, ok := bitmapCells[f.name]; ok {
		// Bitmap fonts print at whole multiples of the cell.
		mh, mw := 1, 1
		if h > 0 {
			mh = max(1, int(math.Round(float64(h)/float64(cell[0]))))
		}
		if w > 0 {
			mw = max(1, int(math.Round(float64(w)/float64(cell[1]))))
		}
		if h > 0 && w <= 0 {
			mw = mh
		}
		if w > 0 && h <= 0 {
			mh = mw
		}
		h, w = cell[0]*mh, cell[1]*mw
		h, w = min(h, maxFontDots), min(w, maxFontDots)
		face, err := opentype.NewFace(l.s.fonts.mono, &opentype.FaceOptions{Size: float64(h) * 1.15, DPI: 72, Hinting: font.HintingFull})
		// Go Mono advances 0.6 em.
		return face, float64(w) / (0.6 * float64(h) * 1.15), err
	}
	// Font 0 and anything else: scalable.
	if h <= 0 && w <= 0 {
		h, w = 15, 12
	}
	if h <= 0 {
		h = w
	}
	if w <= 0 {
		w = h
	}
	h, w = min(h, maxFontDots), min(w, maxFontDots)
	// Go Bold's ascent plus descent is about 1.14 em: size it so a line
	// is h dots tall, as a font 0 line is.
	face, err := opentype.NewFace(l.s.fonts.bold, &opentype.FaceOptions{Size: float64(h) * 0.88, DPI: 72, Hinting: font.HintingNone})
	// Font 0 is condensed: at w == h its letters are narrower than Go Bold's.
	return face, float64(w) / float64(h) * 0.82 / 0.88, err
}

// textMask draws lines of text into an alpha mask, stretched horizontally.
func textMask(face font.Face, stretch float64, lines []string, blk *fieldBlock, lineH int) *image.Alpha {
	m := face.Metrics()
	asc := m.Ascent.Ceil()
	width := 0
	for _, s := range lines {
		width = max(width, font.MeasureString(face, s).Ceil())
	}
	boxW := int(math.Ceil(float64(width) * stretch))
	if blk != nil && blk.width > 0 {
		boxW = blk.width
	}
	boxW = max(1, min(boxW, zpl.MaxDots))
	spacing := 0
	if blk != nil {
		spacing = blk.spacing
	}
	rowH := max(1, lineH+spacing)
	boxH := max(1, min(rowH*(len(lines)-1)+lineH, zpl.MaxDots))
	// Draw unstretched, then stretch into the mask.
	mask := image.NewAlpha(image.Rect(0, 0, boxW, boxH))
	for i, s := range lines {
		if s == "" {
			continue
		}
		lw := max(1, font.MeasureString(face, s).Ceil())
		line := image.NewAlpha(image.Rect(0, 0, lw, lineH+asc))
		d := font.Drawer{Dst: line, Src: image.Opaque, Face: face, Dot: fixed.P(0, asc)}
		d.DrawString(s)
		sw := int(math.Round(float64(lw) * stretch))
		off := 0
		if blk != nil {
			switch blk.just {
			case 'C':
				off = (boxW - sw) / 2
			case 'R':
				off = boxW - sw
			}
			if i > 0 && blk.just == 'L' {
				off = blk.indent
			}
		}
		y0 := i * rowH
		for y := 0; y < lineH && y0+y < boxH; y++ {
			for x := 0; x < sw; x++ {
				sx := int(float64(x) / stretch)
				if sx >= lw {
					continue
				}
				if a := line.AlphaAt(sx, y).A; a > 0 {
					tx := off + x
					if tx >= 0 && tx < boxW {
						mask.Pix[(y0+y)*mask.Stride+tx] = a
					}
				}
			}
		}
	}
	return mask
}

// wrap breaks text into lines no wider than width at the given stretch.
// "\&" is a line break in field blocks.
func wrap(face font.Face, stretch float64, text string, width, maxLines int) []string {
	var lines []string
	for _, para := range strings.Split(text, `\&`) {
		words := strings.Fields(para)
		cur := ""
		for _, w := range words {
			try := w
			if cur != "" {
				try = cur + " " + w
			}
			if cur != "" && float64(font.MeasureString(face, try).Ceil())*stretch > float64(width) {
				lines = append(lines, cur)
				cur = w
				continue
			}
			cur = try
		}
		lines = append(lines, cur)
		if len(lines) > 1000 {
			break
		}
	}
	if maxLines > 0 && len(lines) > maxLines {
		// The printer overprints the last line; the preview shows the
		// lines that fit and keeps the rest on the last one.
		last := strings.Join(lines[maxLines-1:], " ")
		lines = append(lines[:maxLines-1], last)
	}
	return lines
}

func (l *labelState) drawText(text string) {
	if !l.hasOrigin {
		l.warn("text_no_origin", "text %q has no ^FO or ^FT", "text", truncate(text, 20))
	}
	face, stretch, err := l.face(l.font)
	if err != nil {
		l.warn("font", "font: %v", "error", err)
		return
	}
	defer face.Close()
	mt := face.Metrics()
	lineH := (mt.Ascent + mt.Descent).Ceil()
	if _, ok := bitmapCells[l.font.name]; !ok {
		lineH = max(1, min(l.font.h, maxFontDots))
		if l.font.h <= 0 {
			lineH = (mt.Ascent + mt.Descent).Ceil()
		}
	}
	var lines []string
	if l.block != nil && l.block.width > 0 {
		lines = wrap(face, stretch, text, l.block.width, l.block.lines)
	} else {
		lines = []string{strings.ReplaceAll(text, `\&`, " ")}
	}
	if len(text) > 4000 {
		l.warn("text_shortened", "field data of %d characters shortened in the preview", "count", len(text))
		lines = []string{truncate(text, 4000)}
	}
	// Draw only what can land on the label.
	maxW := l.canvas.W - l.x
	if o := l.font.orient; o == 'R' || o == 'B' {
		maxW = l.canvas.H - l.y
	}
	maxW = min(max(maxW, 1), maxTextDots)
	for i, s := range lines {
		for len(s) > 1 && float64(font.MeasureString(face, s).Ceil())*stretch > float64(maxW) {
			r := []rune(s)
			s = string(r[:len(r)*3/4])
		}
		lines[i] = s
	}
	if len(lines) > 200 {
		lines = lines[:200]
	}
	mask := textMask(face, stretch, lines, l.block, lineH)
	ay := 0
	if l.typeset && l.block == nil {
		// ^FT gives the start of the baseline.
		ay = mt.Ascent.Ceil()
	}
	l.place(mask, 0, ay, l.font.orient)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
