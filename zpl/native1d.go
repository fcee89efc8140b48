package zpl

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"math"
	"math/bits"
	"slices"
	"strings"
)

// Linear (1-D) barcodes found on a rendered page are sent as ZPL barcode
// commands only when the printer will draw exactly the same bars: every
// bar and space a whole number of dots, the symbol decoding with a valid
// check character, and the field data written so that the printer's
// encoder (emulated by the *Bars functions below, which follow the ZPL II
// Programming Guide) gives the very same bar and space widths. Anything
// less stays a bitmap.

// code128Patterns are the bar/space widths in modules of Code 128 values
// 0..105; the stop pattern is code128Stop.
var code128Patterns = [106]string{
	"212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213",
	"221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132",
	"221231", "213212", "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211",
	"212123", "212321", "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313",
	"231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121", "313121", "211331",
	"231131", "213113", "213311", "213131", "311123", "311321", "331121", "312113", "312311", "332111",
	"314111", "221411", "431111", "111224", "111422", "121124", "121421", "141122", "141221", "112214",
	"112412", "122114", "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",
	"111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
	"214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311", "113141",
	"114131", "311141", "411131", "211412", "211214", "211232",
}

const code128Stop = "2331112"

// code128Index maps a character's six widths (1-4 modules, two bits each,
// the first highest) to its value, -1 for none. Built once, never changed.
var code128Index = func() (t [1 << 12]int8) {
	for i := range t {
		t[i] = -1
	}
	for v, p := range code128Patterns {
		key := 0
		for _, c := range p {
			key = key<<2 | int(c-'1')
		}
		t[key] = int8(v)
	}
	return t
}()

// Code 128 special values.
const (
	c128CodeC  = 99
	c128CodeB  = 100
	c128CodeA  = 101
	c128FNC1   = 102
	c128StartA = 103
	c128StartB = 104
	c128StartC = 105
)

// code128Values reads a Code 128 symbol from its runs in modules (starting
// with a bar): start, data values and check, without the stop pattern. ok
// is false unless every character and the stop pattern are valid and the
// check value is right.
func code128Values(mods []int) (vals []int, ok bool) {
	if len(mods) < 6*3+7 || (len(mods)-7)%6 != 0 {
		return nil, false
	}
	for i := 0; i+6 <= len(mods)-7; i += 6 {
		key := 0
		for _, m := range mods[i : i+6] {
			if m < 1 || m > 4 {
				return nil, false
			}
			key = key<<2 | (m - 1)
		}
		v := code128Index[key]
		if v < 0 {
			return nil, false
		}
		vals = append(vals, int(v))
	}
	var b strings.Builder
	for _, m := range mods[len(mods)-7:] {
		b.WriteByte(byte('0' + min(max(m, 0), 9)))
	}
	if b.String() != code128Stop || vals[0] < c128StartA {
		return nil, false
	}
	sum := vals[0]
	for i, v := range vals[1 : len(vals)-1] {
		if v >= c128StartA {
			return nil, false
		}
		sum += (i + 1) * v
	}
	if sum%103 != vals[len(vals)-1] {
		return nil, false
	}
	return vals, true
}

// code128Field writes Code 128 values (start and data, no check) as ^BC
// mode N field data for ^FH_: the start code and every code set change
// are given as invocation codes, so the printer encodes exactly these
// values. It fails for values the field data cannot say unambiguously
// (control characters, FNC2-4, SHIFT, DEL).
func code128Field(vals []int) (string, bool) {
	var b strings.Builder
	set := byte(0)
	switch vals[0] {
	case c128StartA:
		set = 'A'
		b.WriteString(">9")
	case c128StartB:
		set = 'B'
		b.WriteString(">:")
	case c128StartC:
		set = 'C'
		b.WriteString(">;")
	default:
		return "", false
	}
	for _, v := range vals[1:] {
		switch {
		case v == c128FNC1:
			b.WriteString(">8")
		case set == 'C' && v < 100:
			fmt.Fprintf(&b, "%02d", v)
		case set == 'C' && v == c128CodeB:
			b.WriteString(">6")
			set = 'B'
		case set == 'C' && v == c128CodeA:
			b.WriteString(">7")
			set = 'A'
		case set != 'C' && v == c128CodeC:
			b.WriteString(">5")
			set = 'C'
		case set == 'A' && v == c128CodeB:
			b.WriteString(">6")
			set = 'B'
		case set == 'B' && v == c128CodeA:
			b.WriteString(">7")
			set = 'A'
		case (set == 'A' && v < 64) || (set == 'B' && v < 95):
			c := byte(32 + v)
			switch c {
			case '>':
				b.WriteString("><")
			case '^', '~', '_', '\\':
				fmt.Fprintf(&b, "_%02X", c)
			default:
				b.WriteByte(c)
			}
		default:
			return "", false
		}
	}
	return b.String(), true
}

// code128FieldValues is the printer's side of code128Field: the values
// (start, data, check) that ^BC mode N draws for field data after ^FH_
// escapes are resolved. It understands the invocation codes code128Field
// writes.
func code128FieldValues(data string) ([]int, bool) {
	data = unescapeFH(data)
	var vals []int
	set := byte('B') // without a start code the printer starts in subset B
	i := 0
	if len(data) >= 2 && data[0] == '>' {
		switch data[1] {
		case '9':
			set, vals, i = 'A', []int{c128StartA}, 2
		case ':':
			set, vals, i = 'B', []int{c128StartB}, 2
		case ';':
			set, vals, i = 'C', []int{c128StartC}, 2
		}
	}
	if vals == nil {
		vals = []int{c128StartB}
	}
	for i < len(data) {
		c := data[i]
		if c == '>' && i+1 < len(data) {
			inv := data[i+1]
			i += 2
			switch {
			case inv == '8':
				vals = append(vals, c128FNC1)
			case inv == '<':
				if set == 'C' {
					return nil, false
				}
				vals = append(vals, int('>')-32)
			case inv == '5' && set != 'C':
				vals, set = append(vals, c128CodeC), 'C'
			case inv == '6' && set != 'B':
				vals, set = append(vals, c128CodeB), 'B'
			case inv == '7' && set != 'A':
				vals, set = append(vals, c128CodeA), 'A'
			default:
				return nil, false
			}
			continue
		}
		switch set {
		case 'C':
			if i+1 >= len(data) || c < '0' || c > '9' || data[i+1] < '0' || data[i+1] > '9' {
				return nil, false
			}
			vals = append(vals, int(c-'0')*10+int(data[i+1]-'0'))
			i += 2
			continue
		case 'A':
			if c < 32 || c > 95 {
				return nil, false
			}
		default:
			if c < 32 || c > 126 {
				return nil, false
			}
		}
		vals = append(vals, int(c)-32)
		i++
	}
	sum := vals[0]
	for k, v := range vals[1:] {
		sum += (k + 1) * v
	}
	return append(vals, sum%103), true
}

// unescapeFH resolves ^FH_ hex escapes (_XX).
func unescapeFH(s string) string {
	if !strings.Contains(s, "_") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '_' && i+2 < len(s) {
			if hi, ok := hexVal(s[i+1]); ok {
				if lo, ok := hexVal(s[i+2]); ok {
					b.WriteByte(hi<<4 | lo)
					i += 2
					continue
				}
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// code128Modules are the runs in modules of a symbol's values (start,
// data, check), stop pattern included.
func code128Modules(vals []int) []int {
	var out []int
	for _, v := range vals {
		for _, c := range code128Patterns[v] {
			out = append(out, int(c-'0'))
		}
	}
	for _, c := range code128Stop {
		out = append(out, int(c-'0'))
	}
	return out
}

// code128Text is what a scanner reports, with <GS> for FNC1 after the first
// position, for messages and tests.
func code128Text(vals []int) string {
	var b strings.Builder
	set := byte(0)
	switch vals[0] {
	case c128StartA:
		set = 'A'
	case c128StartB:
		set = 'B'
	default:
		set = 'C'
	}
	for i, v := range vals[1 : len(vals)-1] {
		switch {
		case v == c128FNC1:
			if i > 0 {
				b.WriteByte(0x1d)
			}
		case set == 'C' && v < 100:
			fmt.Fprintf(&b, "%02d", v)
		case v == c128CodeA && set != 'A':
			set = 'A'
		case v == c128CodeB && set != 'B':
			set = 'B'
		case v == c128CodeC && set != 'C':
			set = 'C'
		case set == 'A' && v < 64, set == 'B' && v < 95:
			b.WriteByte(byte(32 + v))
		}
	}
	return b.String()
}

// itfDigits are the narrow (0) / wide (1) patterns of the digits in
// Interleaved 2 of 5.
var itfDigits = [10]string{"00110", "10001", "01001", "11000", "00101", "10100", "01100", "00011", "10010", "01010"}

// itfDecode reads Interleaved 2 of 5 from runs in dots given the narrow
// and wide widths: start (4 narrow), digit pairs, stop (wide bar, narrow
// space, narrow bar).
func itfDecode(runs []int, narrow, wide int) (string, bool) {
	if len(runs) < 4+10+3 || (len(runs)-7)%10 != 0 {
		return "", false
	}
	bit := func(r int) (byte, bool) {
		switch r {
		case narrow:
			return '0', true
		case wide:
			return '1', true
		}
		return 0, false
	}
	for _, r := range runs[:4] {
		if r != narrow {
			return "", false
		}
	}
	end := runs[len(runs)-3:]
	if end[0] != wide || end[1] != narrow || end[2] != narrow {
		return "", false
	}
	var digits strings.Builder
	body := runs[4 : len(runs)-3]
	for i := 0; i < len(body); i += 10 {
		var bars, spaces [5]byte
		for k := 0; k < 5; k++ {
			b, ok1 := bit(body[i+2*k])
			s, ok2 := bit(body[i+2*k+1])
			if !ok1 || !ok2 {
				return "", false
			}
			bars[k], spaces[k] = b, s
		}
		d1, d2 := digitOf(string(bars[:])), digitOf(string(spaces[:]))
		if d1 < 0 || d2 < 0 {
			return "", false
		}
		digits.WriteByte(byte('0' + d1))
		digits.WriteByte(byte('0' + d2))
	}
	return digits.String(), true
}

func digitOf(p string) int {
	for d, q := range itfDigits {
		if q == p {
			return d
		}
	}
	return -1
}

// itfBars are the runs in dots the printer draws for ^B2 with ^BY narrow,
// ratio: wide elements are narrow*ratio dots (only whole results are used).
func itfBars(digits string, narrow, wide int) []int {
	out := []int{narrow, narrow, narrow, narrow}
	w := func(c byte) int {
		if c == '1' {
			return wide
		}
		return narrow
	}
	for i := 0; i+1 < len(digits); i += 2 {
		a, b := itfDigits[digits[i]-'0'], itfDigits[digits[i+1]-'0']
		for k := 0; k < 5; k++ {
			out = append(out, w(a[k]), w(b[k]))
		}
	}
	return append(out, wide, narrow, narrow)
}

// code39Chars and code39Patterns: each character is 9 elements (bar first)
// of which 3 are wide.
const code39Chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%*"

var code39Patterns = [44]string{
	"000110100", "100100001", "001100001", "101100000", "000110001", "100110000", "001110000", "000100101", "100100100", "001100100",
	"100001001", "001001001", "101001000", "000011001", "100011000", "001011000", "000001101", "100001100", "001001100", "000011100",
	"100000011", "001000011", "101000010", "000010011", "100010010", "001010010", "000000111", "100000110", "001000110", "000010110",
	"110000001", "011000001", "111000000", "010010001", "110010000", "011010000", "010000101", "110000100", "011000100", "010101000",
	"010100010", "010001010", "000101010", "010010100",
}

// code39Decode reads Code 39 (start and stop '*', a narrow gap between
// characters) from runs in dots.
func code39Decode(runs []int, narrow, wide int) (string, bool) {
	if len(runs) < 29 || (len(runs)+1)%10 != 0 {
		return "", false
	}
	var text strings.Builder
	n := (len(runs) + 1) / 10
	for c := 0; c < n; c++ {
		el := runs[c*10 : c*10+9]
		var p [9]byte
		for k, r := range el {
			switch r {
			case narrow:
				p[k] = '0'
			case wide:
				p[k] = '1'
			default:
				return "", false
			}
		}
		if c < n-1 && runs[c*10+9] != narrow {
			return "", false
		}
		idx := -1
		for i, q := range code39Patterns {
			if q == string(p[:]) {
				idx = i
				break
			}
		}
		if idx < 0 {
			return "", false
		}
		ch := code39Chars[idx]
		if (c == 0 || c == n-1) != (ch == '*') {
			return "", false
		}
		if ch != '*' {
			text.WriteByte(ch)
		}
	}
	return text.String(), true
}

// code39Bars are the runs in dots the printer draws for ^B3 (no check
// digit) with ^BY narrow, ratio; the gap between characters is narrow.
func code39Bars(text string, narrow, wide int) []int {
	var out []int
	for i, ch := range "*" + text + "*" {
		if i > 0 {
			out = append(out, narrow)
		}
		for _, c := range code39Patterns[strings.IndexRune(code39Chars, ch)] {
			if c == '1' {
				out = append(out, wide)
			} else {
				out = append(out, narrow)
			}
		}
	}
	return out
}

// moduleTolerance-style limits for linear symbols: the page's module may
// be up to 5 % off a whole number of dots (as for DPI conversion, the
// printer's symbol is then that much wider or narrower), and each bar or
// space up to one dot off its ideal width, as rendering rounds edges.
const maxEdgeError = 1.0

// wholeDots returns the whole number of dots for a measured width, if it
// is within 5 %.
func wholeDots(f float64) (int, bool) {
	n := int(math.Round(f))
	return n, n >= 1 && math.Abs(float64(n)-f) <= moduleTolerance*f
}

// narrowWide classifies runs as narrow (1) or wide (2). ok is false unless
// both widths are whole dots within 5 %, every run is within a dot of its
// class, and the wide width is a ratio ^BY takes (2.0 to 3.0 in steps of
// 0.1) of the narrow one exactly, so the printer draws whole dots.
func narrowWide(runs []int) (classes []int, narrow int, ratio string, ok bool) {
	s := slices.Clone(runs)
	slices.Sort(s)
	split, best := 0, 0
	for i := 1; i < len(s); i++ {
		if d := s[i] - s[i-1]; d > best {
			split, best = i, d
		}
	}
	if best == 0 {
		return nil, 0, "", false
	}
	threshold := s[split]
	var ns, ws, nn, wn float64
	for _, r := range runs {
		if r < threshold {
			ns, nn = ns+float64(r), nn+1
		} else {
			ws, wn = ws+float64(r), wn+1
		}
	}
	nf, wf := ns/nn, ws/wn
	n, ok1 := wholeDots(nf)
	w, ok2 := wholeDots(wf)
	if !ok1 || !ok2 || w*10%n != 0 || w*10/n < 20 || w*10/n > 30 {
		return nil, 0, "", false
	}
	tol := math.Min(maxEdgeError, 0.4*nf)
	classes = make([]int, len(runs))
	for i, r := range runs {
		if r < threshold {
			classes[i] = 1
			if math.Abs(float64(r)-nf) > tol {
				return nil, 0, "", false
			}
		} else {
			classes[i] = 2
			if math.Abs(float64(r)-wf) > tol {
				return nil, 0, "", false
			}
		}
	}
	t := w * 10 / n
	return classes, n, fmt.Sprintf("%d.%d", t/10, t%10), true
}

// code128Mods converts runs to modules for a symbol of chars characters
// plus stop: the module width must be whole dots within 5 % and every run
// within a dot of a whole number of modules.
func code128Mods(runs []int) (mods []int, module int, ok bool) {
	if (len(runs)-7)%6 != 0 {
		return nil, 0, false
	}
	total := 0
	for _, r := range runs {
		total += r
	}
	nmods := (len(runs)-7)/6*11 + 13
	xf := float64(total) / float64(nmods)
	x, ok := wholeDots(xf)
	if !ok {
		return nil, 0, false
	}
	tol := math.Min(maxEdgeError, 0.4*xf)
	mods = make([]int, len(runs))
	sum := 0
	for i, r := range runs {
		k := int(math.Round(float64(r) / xf))
		if k < 1 || math.Abs(float64(r)-float64(k)*xf) > tol {
			return nil, 0, false
		}
		mods[i] = k
		sum += k
	}
	return mods, x, sum == nmods
}

// linearSymbol recognises one line of bars (runs in dots, starting and
// ending with a bar) as a Code 128, EAN-13, Interleaved 2 of 5 or Code 39 symbol
// and returns the ZPL command that draws the same bars and spaces (in
// modules) with whole-dot modules: without ^FO, with orientMark for the
// orientation.
func linearSymbol(runs []int, height int) (cmd, kind string, length int, ok bool) {
	if len(runs) < 17 || len(runs)%2 == 0 {
		return "", "", 0, false
	}
	if mods, x, ok := code128Mods(runs); ok {
		if vals, ok := code128Values(mods); ok {
			if field, ok := code128Field(vals[:len(vals)-1]); ok {
				if back, ok := code128FieldValues(field); ok && equalInts(code128Modules(back), mods) {
					return fmt.Sprintf("^BY%d^BC"+orientMark+",%d,N,N,N,N^FH_^FD%s", x, height, field), "code128", x * sum(mods), true
				}
			}
		}
	}
	if mods, x, ok := eanMods(runs); ok {
		if d, ok := ean13Decode(mods); ok && equalInts(ean13Modules(d[:12]), mods) {
			return fmt.Sprintf("^BY%d^BE"+orientMark+",%d,N,N^FD%s", x, height, d[:12]), "ean13", x * 95, true
		}
	}
	classes, narrow, ratio, ok := narrowWide(runs)
	if !ok {
		return "", "", 0, false
	}
	wide := narrow * (int(ratio[0]-'0')*10 + int(ratio[2]-'0')) / 10
	if d, ok := itfDecode(classes, 1, 2); ok && equalInts(itfBars(d, 1, 2), classes) {
		return fmt.Sprintf("^BY%d,%s^B2"+orientMark+",%d,N,N,N^FD%s", narrow, ratio, height, d), "itf", sum(itfBars(d, narrow, wide)), true
	}
	if t, ok := code39Decode(classes, 1, 2); ok && equalInts(code39Bars(t, 1, 2), classes) {
		return fmt.Sprintf("^BY%d,%s^B3"+orientMark+",N,%d,N,N^FH_^FD%s", narrow, ratio, height, hexEscape(t)), "code39", sum(code39Bars(t, narrow, wide)), true
	}
	return "", "", 0, false
}

func sum(v []int) int {
	n := 0
	for _, x := range v {
		n += x
	}
	return n
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// lineView reads a page along its rows or (transposed) down its
// columns, so one search finds upright and turned symbols. Columns are
// read as rows of bits: every linearStep-th column is gathered once
// (sampleColumns); the few others a found symbol's height is measured on
// are read dot by dot.
type lineView struct {
	m          *Mono
	transposed bool
	sampled    *Mono // transposed: row k is column k*linearStep of m
}

func newLineView(m *Mono, transposed bool) lineView {
	v := lineView{m: m, transposed: transposed}
	if transposed {
		v.sampled = sampleColumns(m)
	}
	return v
}

// lenV is the number of lines, lenU the dots along one.
func (v lineView) lenV() int {
	if v.transposed {
		return v.m.W
	}
	return v.m.H
}

func (v lineView) lenU() int {
	if v.transposed {
		return v.m.H
	}
	return v.m.W
}

// line returns line w as a row of bits, or nil for a column not sampled.
func (v lineView) line(w int) []byte {
	if !v.transposed {
		return v.m.Pix[w*v.m.Stride : (w+1)*v.m.Stride]
	}
	if w%linearStep != 0 {
		return nil
	}
	k := w / linearStep
	return v.sampled.Pix[k*v.sampled.Stride : (k+1)*v.sampled.Stride]
}

func (v lineView) black(u, w int) bool {
	if v.transposed {
		return v.m.Black(w, u)
	}
	return v.m.Black(u, w)
}

// sampleColumns returns the columns 0, linearStep, 2*linearStep ... of m
// as the rows of a bit image: eight rows of m are gathered into a word at
// a time and each sampled column's bits are packed by one multiplication
// (bit 7 of byte r moves to bit 63-r). Eight white bytes of eight rows are
// passed at once.
func sampleColumns(m *Mono) *Mono {
	const perByte = 8 / linearStep
	out := &Mono{W: m.H, H: (m.W + linearStep - 1) / linearStep, Stride: (m.H + 7) / 8}
	out.Pix = make([]byte, out.Stride*out.H)
	zero := make([]byte, m.Stride)
	var rows [8][]byte
	for by := 0; by < out.Stride; by++ {
		m.rowBlock(by, zero, &rows)
		for i := 0; i < m.Stride; i++ {
			if whiteBlocks(&rows, i) {
				i += 7
				continue
			}
			v := uint64(rows[0][i]) | uint64(rows[1][i])<<8 | uint64(rows[2][i])<<16 | uint64(rows[3][i])<<24 |
				uint64(rows[4][i])<<32 | uint64(rows[5][i])<<40 | uint64(rows[6][i])<<48 | uint64(rows[7][i])<<56
			if v == 0 {
				continue
			}
			for k := 0; k < perByte; k++ {
				c := k * linearStep
				if i*8+c >= m.W {
					break
				}
				t := (v << c) & 0x8080808080808080
				out.Pix[(i*perByte+k)*out.Stride+by] = byte((t >> 7) * 0x8040201008040201 >> 56)
			}
		}
	}
	return out
}

// run is a stretch of equal dots along a line.
type run struct {
	start, n int
	black    bool
}

// runs returns the runs of line w (a sampled one) from its start to its
// end; none for a white line.
func (v lineView) runs(w int, out []run) []run {
	out = out[:0]
	row, n := v.line(w), v.lenU()
	for x := 0; x < n; {
		black := row[x>>3]&(0x80>>(x&7)) != 0
		l := runLength(row, x, n, black)
		out = append(out, run{x, l, black})
		x += l
	}
	if len(out) == 1 && !out[0].black {
		return out[:0]
	}
	return out
}

// runLength is the number of dots from x (before end) of row that are
// black (or white): a byte, then 64 dots, at a time.
func runLength(row []byte, x, end int, black bool) int {
	start := x
	var flip byte
	var flip64 uint64
	if black {
		flip, flip64 = 0xFF, ^uint64(0)
	}
	for x < end {
		if x&7 == 0 && x+64 <= end {
			if d := binary.BigEndian.Uint64(row[x>>3:]) ^ flip64; d != 0 {
				return x + bits.LeadingZeros64(d) - start
			}
			x += 64
			continue
		}
		// Set bits of d are dots of the other colour, from dot x on.
		d := (row[x>>3] ^ flip) << (x & 7)
		rest := 8 - x&7
		if z := bits.LeadingZeros8(d); z < rest {
			return min(x+z, end) - start
		}
		x += rest
	}
	return end - start
}

// sameSpan reports whether lines a and b have the same dots in [u0, u1).
func (v lineView) sameSpan(a, b, u0, u1 int) bool {
	if u1 <= u0 {
		return true
	}
	ra, rb := v.line(a), v.line(b)
	if ra == nil || rb == nil {
		for u := u0; u < u1; u++ {
			if v.black(u, a) != v.black(u, b) {
				return false
			}
		}
		return true
	}
	// Two rows of bits: whole bytes at once, the end bytes masked.
	i0, i1, first, last := spanMasks(u0, u1)
	if i0 == i1 {
		return (ra[i0]^rb[i0])&first&last == 0
	}
	return (ra[i0]^rb[i0])&first == 0 && (ra[i1]^rb[i1])&last == 0 && bytes.Equal(ra[i0+1:i1], rb[i0+1:i1])
}

// Linear symbol search: lines are sampled every linearStep dots; a symbol
// must be at least linearMinHeight dots tall; white gaps of these sizes
// (tried in turn) separate a symbol from its neighbours.
const (
	linearStep      = 4
	linearMinHeight = 8
)

var linearGaps = [...]int{12, 20, 32, 48}

// sampleColumns takes whole bytes' worth of sampled columns: linearStep
// must divide 8 (this fails to compile otherwise).
var _ = [1]struct{}{}[8%linearStep]

// findLinearSymbols finds Code 128 (GS1-128 included), Interleaved 2 of 5,
// Code 39 and EAN-13 symbols in any of the four orientations that the printer
// draws with exactly the same dots.
func findLinearSymbols(m *Mono) []nativeSymbol {
	var out []nativeSymbol
	var rs []run
	var lens []int
	// Spans whose bars were read and are no symbol, on this line and on
	// the line a step before: a span with the same dots there reads the
	// same, so it is not read again (tables and frames repeat line after
	// line, and one cluster often stands alone for every gap size).
	var failed, failedBefore [][2]int
	for _, tr := range []bool{false, true} {
		v := newLineView(m, tr)
		var found []image.Rectangle // in (u, w) space
		covered := func(u0, u1, w int) bool {
			for _, r := range found {
				if w >= r.Min.Y && w < r.Max.Y && u0 < r.Max.X && u1 > r.Min.X {
					return true
				}
			}
			return false
		}
		failed, failedBefore = failed[:0], failedBefore[:0]
		for w := 0; w < v.lenV(); w += linearStep {
			failed, failedBefore = failedBefore[:0], failed
			rs = v.runs(w, rs)
			if len(rs) < 18 {
				continue
			}
			for _, gap := range linearGaps {
				for i := 0; i < len(rs); {
					// A cluster starts at a bar and ends at the bar before a
					// white run of at least gap dots.
					if !rs[i].black {
						i++
						continue
					}
					j := i
					for j+2 < len(rs) && rs[j+1].n < gap {
						j += 2
					}
					next := j + 1
					if j-i+1 < 17 {
						i = next
						continue
					}
					u0, u1 := rs[i].start, rs[j].start+rs[j].n
					span := [2]int{u0, u1}
					if covered(u0, u1, w) || slices.Contains(failed, span) {
						i = next
						continue
					}
					// A symbol at least linearMinHeight (2 x linearStep)
					// lines tall through line w also covers line w-step or
					// w+step with the same dots: text, whose lines differ,
					// is passed over before the bars are read.
					sameBefore := w >= linearStep && v.sameSpan(w-linearStep, w, u0, u1)
					if !sameBefore && !(w+linearStep < v.lenV() && v.sameSpan(w+linearStep, w, u0, u1)) {
						i = next
						continue
					}
					// The same bars (u0 starts a bar and u1 ends one on
					// both lines) were read a step before.
					if sameBefore && slices.Contains(failedBefore, span) {
						failed = append(failed, span)
						i = next
						continue
					}
					lens = lens[:0]
					for _, r := range rs[i : j+1] {
						lens = append(lens, r.n)
					}
					orient := [2]byte{'N', 'I'}
					if tr {
						orient = [2]byte{'R', 'B'}
					}
					// Read the bars first (cheap, and rarely a match), then
					// measure how far the identical lines reach.
					o := orient[0]
					_, _, _, ok := linearSymbol(lens, 1)
					if !ok {
						slices.Reverse(lens)
						o = orient[1]
						_, _, _, ok = linearSymbol(lens, 1)
					}
					if !ok {
						failed = append(failed, span)
						i = next
						continue
					}
					w0, w1 := w, w+1
					for w0 > 0 && v.sameSpan(w0-1, w, u0, u1) {
						w0--
					}
					for w1 < v.lenV() && v.sameSpan(w1, w, u0, u1) {
						w1++
					}
					if w1-w0 >= linearMinHeight {
						cmd, kind, length, _ := linearSymbol(lens, w1-w0)
						found = append(found, image.Rect(u0, w0, u1, w1))
						r := image.Rect(u0, w0, u1, w1)
						size := image.Pt(length, w1-w0)
						if tr {
							r = image.Rect(w0, u0, w1, u1)
							size = image.Pt(w1-w0, length)
						}
						out = append(out, nativeSymbol{rect: r, size: size, cmd: strings.Replace(cmd, orientMark, string(o), 1), kind: kind})
					}
					i = next
				}
			}
		}
	}
	return out
}

// orientMark stands for the orientation in a command until it is known.
const orientMark = "\x00"

// EAN-13: left digits in the L or G set (the first digit chooses which),
// right digits in the R set; widths per digit, starting with a space on
// the left and a bar on the right.
var (
	eanL      = [10]string{"3211", "2221", "2122", "1411", "1132", "1231", "1114", "1312", "1213", "3112"}
	eanParity = [10]string{"LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG", "LGGLLG", "LGGGLG", "LGLGLG", "LGLGGL", "LGGLGL"}
)

func reverseString(s string) string {
	b := []byte(s)
	slices.Reverse(b)
	return string(b)
}

// ean13Decode reads EAN-13 from runs in modules (59 runs: guard, 6 digits,
// centre guard, 6 digits, guard), returning the 13 digits when the check
// digit is right.
func ean13Decode(mods []int) (string, bool) {
	if len(mods) != 59 {
		return "", false
	}
	w := func(rs []int) string {
		b := make([]byte, len(rs))
		for i, r := range rs {
			if r < 1 || r > 4 {
				return ""
			}
			b[i] = byte('0' + r)
		}
		return string(b)
	}
	if w(mods[:3]) != "111" || w(mods[27:32]) != "11111" || w(mods[56:]) != "111" {
		return "", false
	}
	var digits [13]byte
	parity := make([]byte, 6)
	for i := 0; i < 6; i++ {
		p := w(mods[3+4*i : 7+4*i])
		d := -1
		for k, l := range eanL {
			if p == l {
				d, parity[i] = k, 'L'
			} else if p == reverseString(l) {
				d, parity[i] = k, 'G'
			}
		}
		if d < 0 {
			return "", false
		}
		digits[1+i] = byte('0' + d)
	}
	first := slices.Index(eanParity[:], string(parity))
	if first < 0 {
		return "", false
	}
	digits[0] = byte('0' + first)
	for i := 0; i < 6; i++ {
		p := w(mods[32+4*i : 36+4*i])
		d := slices.Index(eanL[:], p)
		if d < 0 {
			return "", false
		}
		digits[7+i] = byte('0' + d)
	}
	if ean13Check(string(digits[:12])) != digits[12] {
		return "", false
	}
	return string(digits[:]), true
}

func ean13Check(d12 string) byte {
	sum := 0
	for i, c := range d12 {
		n := int(c - '0')
		if i%2 == 1 {
			n *= 3
		}
		sum += n
	}
	return byte('0' + (10-sum%10)%10)
}

// ean13Modules are the runs in modules ^BE draws for 12 digits (the
// printer adds the check digit).
func ean13Modules(d12 string) []int {
	d := d12 + string(ean13Check(d12))
	out := []int{1, 1, 1}
	par := eanParity[d[0]-'0']
	for i := 0; i < 6; i++ {
		p := eanL[d[1+i]-'0']
		if par[i] == 'G' {
			p = reverseString(p)
		}
		for _, c := range p {
			out = append(out, int(c-'0'))
		}
	}
	out = append(out, 1, 1, 1, 1, 1)
	for i := 0; i < 6; i++ {
		for _, c := range eanL[d[7+i]-'0'] {
			out = append(out, int(c-'0'))
		}
	}
	return append(out, 1, 1, 1)
}

// eanMods converts 59 runs to modules of one whole-dot width.
func eanMods(runs []int) (mods []int, module int, ok bool) {
	if len(runs) != 59 {
		return nil, 0, false
	}
	xf := float64(sum(runs)) / 95
	x, ok := wholeDots(xf)
	if !ok {
		return nil, 0, false
	}
	tol := math.Min(maxEdgeError, 0.4*xf)
	mods = make([]int, len(runs))
	for i, r := range runs {
		k := int(math.Round(float64(r) / xf))
		if k < 1 || math.Abs(float64(r)-float64(k)*xf) > tol {
			return nil, 0, false
		}
		mods[i] = k
	}
	return mods, x, sum(mods) == 95
}
