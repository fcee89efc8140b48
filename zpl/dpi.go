package zpl

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ErrInexactDPI is returned when carrier ZPL cannot be converted to another
// resolution without changing what scanners read or where things land (a
// barcode module that does not scale to a whole number of dots, a graphic
// stored on the printer). Print such a label from PDF instead.
var ErrInexactDPI = errors.New("cannot convert exactly to the printer's resolution")

// moduleTolerance is how far a scaled barcode module may be from its exact
// size: 5% keeps the symbol within its quiet zones and is far inside
// scanner tolerance, since bars and spaces scale together.
const moduleTolerance = 0.05

// Base cell sizes (height, width in dots) of the bitmap fonts A-H. Their
// dot sizes are fixed on every head, so they are converted to the
// scalable font 0 at the scaled size.
var bitmapFonts = map[byte][2]int{
	'A': {9, 5}, 'B': {11, 7}, 'C': {18, 10}, 'D': {18, 10},
	'E': {28, 15}, 'F': {26, 13}, 'G': {60, 40}, 'H': {21, 13},
}

// dotParams lists, per command, which parameters are in dots and scale
// freely. Commands whose parameters hold no dot values are in dpiFree.
var dotParams = map[string][]int{
	"FO": {0, 1}, "FT": {0, 1}, "LH": {0, 1}, "LT": {0}, "LS": {0},
	"PW": {0}, "LL": {0}, "ML": {0},
	"FB": {0, 2, 4}, "TB": {1, 2}, "FP": {1},
	"GB": {0, 1, 2}, "GC": {0, 1}, "GD": {0, 1, 2}, "GE": {0, 1, 2},
	"BC": {1}, "B7": {1}, "B3": {2}, "B2": {1}, "BE": {1}, "BU": {1}, "BA": {1},
	"B8": {1}, "B9": {1}, "BK": {2}, "B1": {2}, "BI": {1}, "BJ": {1}, "BL": {1},
	"BM": {2}, "BP": {2}, "BS": {1}, "BZ": {1}, "B5": {1}, "BB": {1}, "BF": {1},
	"TA": {0},
}

// moduleParams are parameters that set a barcode's module size: they must
// come out as whole dots within moduleTolerance.
var moduleParams = map[string]int{"BY": 0, "BX": 1, "BQ": 2, "B0": 1, "BO": 1}

var dpiFree = map[string]bool{
	"XA": true, "XZ": true, "FS": true, "FD": true, "FV": true, "FH": true, "FX": true,
	"FN": true, "CI": true, "PQ": true, "PR": true, "MD": true, "MM": true, "MN": true,
	"MT": true, "PO": true, "PM": true, "FR": true, "LR": true, "FW": true, "CC": true,
	"CT": true, "CD": true, "JU": true, "SD": true, "JA": true, "JB": true, "PH": true,
	"BD": true, "CW": true, "FC": true, "SN": true, "SF": true, "JZ": true,
	"HS": true, "HH": true, "HI": true, "HM": true, "HQ": true, "WC": true, "JS": true,
	"PP": true, "PL": true, "PS": true, "MF": true, "XB": true, "EG": true,
	"ID": true, "XG": true,
}

// ConvertDPI rewrites ZPL laid out for from dpi so that it prints the same
// size at to dpi: coordinates, box and line sizes, font sizes (bitmap fonts
// become the scalable font 0), barcode heights and module widths, and ^GF /
// ~DG bitmaps. It fails with ErrInexactDPI rather than print at the wrong
// scale. allowZ64 says whether re-encoded graphics may use :Z64:.
func ConvertDPI(src []byte, from, to int, allowZ64 bool) ([]byte, error) {
	if from <= 0 || to <= 0 {
		return nil, fmt.Errorf("resolution %d to %d dpi: both must be positive", from, to)
	}
	if from == to {
		return src, nil
	}
	cmds, err := Tokenize(src)
	if err != nil {
		return nil, err
	}
	f := float64(to) / float64(from)
	sc := func(v int) int { return int(math.Round(float64(v) * f)) }
	var out bytes.Buffer
	out.Grow(len(src) + len(src)/8)
	prev := 0
	downloaded := map[string]bool{}
	for _, c := range cmds {
		out.Write(src[prev:c.Offset])
		prev = c.End
		args, changed, err := convertCommand(c, from, to, f, allowZ64, downloaded)
		if err != nil {
			return nil, fmt.Errorf("%s at byte %d: %w", c.Code(), c.Offset, err)
		}
		if !changed {
			out.Write(src[c.Offset:c.End])
		} else {
			out.WriteByte(c.Prefix)
			out.WriteString(c.Name)
			out.WriteString(args)
		}
		if !c.Tilde && c.Name == "XA" {
			// The printer's defaults are in dots: a barcode without ^BY
			// and text without ^A/^CF would come out at the wrong size.
			fmt.Fprintf(&out, "%cBY%d,3,%d%cCF0,%d,%d", c.Prefix, max(1, sc(2)), sc(10), c.Prefix, sc(9), sc(5))
		}
	}
	out.Write(src[prev:])
	return out.Bytes(), nil
}

func convertCommand(c Command, from, to int, f float64, allowZ64 bool, downloaded map[string]bool) (string, bool, error) {
	ps := c.Params()
	scaleAt := func(idx []int) (bool, error) {
		ch := false
		for _, i := range idx {
			if i >= len(ps) || strings.TrimSpace(ps[i]) == "" {
				continue
			}
			v, err := strconv.Atoi(strings.TrimSpace(ps[i]))
			if err != nil {
				return false, fmt.Errorf("parameter %d %q is not a number: %w", i+1, ps[i], ErrInexactDPI)
			}
			nv := int(math.Round(float64(v) * f))
			if v > 0 && nv == 0 {
				nv = 1
			}
			ps[i] = strconv.Itoa(nv)
			ch = true
		}
		return ch, nil
	}
	join := func() string { return strings.Join(ps, string(c.Delim)) }
	switch {
	case c.Name == "A" || c.Name == "CF":
		return convertFont(c, f)
	case c.Name == "GF":
		return convertGF(c, f, allowZ64)
	case c.Tilde && c.Name == "DG":
		name := c.Param(0)
		downloaded[strings.ToUpper(name)] = true
		return convertDG(c, f, allowZ64)
	case c.Name == "XG":
		name := strings.ToUpper(c.Param(0))
		if !downloaded[name] {
			return "", false, fmt.Errorf("graphic %s is stored on the printer, its dots cannot be rescaled: %w", name, ErrInexactDPI)
		}
		return "", false, nil
	case c.Name == "MU":
		return "", false, fmt.Errorf("units set with ^MU: %w", ErrInexactDPI)
	}
	if i, ok := moduleParams[c.Name]; ok {
		if c.Name == "BQ" && (i >= len(ps) || strings.TrimSpace(ps[i]) == "") {
			// ^BQ's default magnification depends on the head: set it.
			for len(ps) <= i {
				ps = append(ps, "")
			}
			ps[i] = strconv.Itoa(int(math.Round(float64(from) / 100)))
		}
		if i < len(ps) && strings.TrimSpace(ps[i]) != "" {
			v, err := strconv.Atoi(strings.TrimSpace(ps[i]))
			if err != nil {
				return "", false, fmt.Errorf("module size %q is not a number: %w", ps[i], ErrInexactDPI)
			}
			nv, err := scaleModule(v, f, from, to)
			if err != nil {
				return "", false, err
			}
			ps[i] = strconv.Itoa(nv)
		} else if c.Name == "BX" {
			return "", false, fmt.Errorf("DataMatrix without a module size: %w", ErrInexactDPI)
		}
		if c.Name == "BY" {
			if _, err := scaleAt([]int{2}); err != nil {
				return "", false, err
			}
		}
		return join(), true, nil
	}
	if idx, ok := dotParams[c.Name]; ok {
		ch, err := scaleAt(idx)
		if err != nil || !ch {
			return "", false, err
		}
		return join(), true, nil
	}
	if dpiFree[c.Name] {
		return "", false, nil
	}
	return "", false, fmt.Errorf("the command is not known to the converter and may hold dot values: %w", ErrInexactDPI)
}

func scaleModule(v int, f float64, from, to int) (int, error) {
	exact := float64(v) * f
	nv := int(math.Round(exact))
	if nv < 1 || math.Abs(float64(nv)/exact-1) > moduleTolerance {
		return 0, fmt.Errorf("barcode module of %d dots at %d dpi would be %.2f dots at %d dpi, and %d dots is %.0f%% off: %w",
			v, from, exact, to, max(nv, 1), math.Abs(float64(max(nv, 1))/exact-1)*100, ErrInexactDPI)
	}
	return nv, nil
}

// convertFont scales ^A and ^CF. Args of ^A are "fo,h,w" (font, orientation);
// of ^CF "f,h,w".
func convertFont(c Command, f float64) (string, bool, error) {
	ps := c.Params()
	if len(ps) == 0 || ps[0] == "" {
		return "", false, nil
	}
	font := upper(ps[0][0])
	rest := ps[0][1:]
	get := func(i int) int {
		if i >= len(ps) {
			return 0
		}
		v, _ := strconv.Atoi(strings.TrimSpace(ps[i]))
		return v
	}
	h, w := get(1), get(2)
	if base, ok := bitmapFonts[font]; ok {
		// Bitmap fonts print at whole multiples of their cell.
		mag := func(v, b int) int {
			if v <= 0 {
				return b
			}
			return max(1, int(math.Round(float64(v)/float64(b)))) * b
		}
		switch {
		case h <= 0 && w <= 0:
			h, w = base[0], base[1]
		case h <= 0:
			w = mag(w, base[1])
			h = w / base[1] * base[0]
		case w <= 0:
			h = mag(h, base[0])
			w = h / base[0] * base[1]
		default:
			h, w = mag(h, base[0]), mag(w, base[1])
		}
		font = '0'
	} else if h <= 0 && w <= 0 {
		return "", false, nil
	}
	sc := func(v int) string {
		if v <= 0 {
			return ""
		}
		return strconv.Itoa(max(1, int(math.Round(float64(v)*f))))
	}
	out := []string{string(font) + rest, sc(h), sc(w)}
	out = append(out, ps[min(3, len(ps)):]...)
	return strings.Join(out, string(c.Delim)), true, nil
}

// scaleMono resamples a bitmap through grey so strokes stay even.
func scaleMono(m *Mono, f float64) (*Mono, error) {
	w, h := max(1, int(math.Round(float64(m.W)*f))), max(1, int(math.Round(float64(m.H)*f)))
	if int64((w+7)/8)*int64(h) > MaxGraphicBytes {
		return nil, fmt.Errorf("graphic scaled to %dx%d dots: %w", w, h, ErrGraphicTooLarge)
	}
	return ToMono(scaleGray(m, w, h), Threshold, false)
}

// convertGF scales a ^GF graphic: "a,b,c,d,data".
func convertGF(c Command, f float64, allowZ64 bool) (string, bool, error) {
	m, err := decodeGFCommand(c)
	if err != nil {
		return "", false, err
	}
	s, err := scaleMono(m, f)
	if err != nil {
		return "", false, err
	}
	return strings.TrimPrefix(string(GraphicField(s, EncodingAuto, allowZ64)), "^GF"), true, nil
}

// decodeGFCommand decodes the graphic of a ^GF command.
func decodeGFCommand(c Command) (*Mono, error) {
	ps := strings.SplitN(c.Args, string(c.Delim), 5)
	if len(ps) < 4 {
		return nil, errors.New("graphic command has too few parameters")
	}
	format := byte('A')
	if p := strings.TrimSpace(ps[0]); p != "" {
		format = upper(p[0])
	}
	total, err1 := strconv.Atoi(strings.TrimSpace(ps[1]))
	bpr, err2 := strconv.Atoi(strings.TrimSpace(ps[3]))
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("graphic sizes %q, %q are not numbers", ps[1], ps[3])
	}
	var data []byte
	switch {
	case c.Data != nil:
		data = c.Data
	case len(ps) == 5:
		data = []byte(ps[4])
	}
	return DecodeGraphic(format, total, bpr, data)
}

// convertDG scales a ~DG download: "name,total,bpr,data".
func convertDG(c Command, f float64, allowZ64 bool) (string, bool, error) {
	ps := strings.SplitN(c.Args, string(c.Delim), 4)
	if len(ps) < 4 {
		return "", false, errors.New("~DG has too few parameters")
	}
	total, err1 := strconv.Atoi(strings.TrimSpace(ps[1]))
	bpr, err2 := strconv.Atoi(strings.TrimSpace(ps[2]))
	if err1 != nil || err2 != nil {
		return "", false, fmt.Errorf("~DG sizes %q, %q are not numbers", ps[1], ps[2])
	}
	m, err := DecodeGraphic('A', total, bpr, []byte(ps[3]))
	if err != nil {
		return "", false, err
	}
	s, err := scaleMono(m, f)
	if err != nil {
		return "", false, err
	}
	gf := string(GraphicField(s, EncodingAuto, allowZ64)) // ^GFA,b,c,d,data
	parts := strings.SplitN(strings.TrimPrefix(gf, "^GFA,"), ",", 4)
	return strings.Join([]string{ps[0], parts[0], parts[2], parts[3]}, string(c.Delim)), true, nil
}
