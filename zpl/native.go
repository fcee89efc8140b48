package zpl

import (
	"encoding/binary"
	"fmt"
	"image"
	"math"
	"slices"
	"strings"

	"github.com/boombuler/barcode/datamatrix"
	bpdf417 "github.com/boombuler/barcode/pdf417"
	dmdecoder "github.com/makiuchi-d/gozxing/datamatrix/decoder"

	"github.com/labelagent/labelagent/zpl/internal/pdf417"
)

// nativeSymbol is a barcode found in a rendered page that is sent as a ZPL
// barcode command instead of dots: the printer draws it from a few bytes.
type nativeSymbol struct {
	rect image.Rectangle // in the graphic's coordinates
	size image.Point     // printed size from rect.Min when it differs from rect's (whole-dot modules)
	cmd  string          // without ^FO
	kind string
}

// printed is where the printer draws the symbol.
func (s nativeSymbol) printed() image.Rectangle {
	if s.size == (image.Point{}) {
		return s.rect
	}
	return image.Rectangle{Min: s.rect.Min, Max: s.rect.Min.Add(s.size)}
}

// findNativeSymbols finds DataMatrix symbols in m that are recognised
// exactly: axis-aligned, modules within 5 % of a whole number of dots,
// printable data that decodes with error correction, and the same number
// of rows and columns when encoded again, so the printer's symbol carries
// the same data in the same place and size. Anything less stays a bitmap:
// a barcode must never print at a different size or with other content.
func findNativeSymbols(m *Mono) []nativeSymbol {
	var out []nativeSymbol
	for _, region := range inkRegions(m, 6, 100) {
		r := m.inkRect(region)
		if r.Empty() {
			continue
		}
		// Most regions are text: their first rows rule out both symbols
		// before anything is copied.
		_, _, dm := dmTimingRow(m, r)
		pdf := pdf417Columns(m, r) != 0
		if !dm && !pdf {
			continue
		}
		t := m.Crop(r)
		if s, ok := dataMatrixAt(t, r); ok {
			out = append(out, s)
		} else if s, ok := pdf417At(t, r); ok {
			out = append(out, s)
		}
	}
	return out
}

// runLengths returns the lengths of the runs of row y of m in [x0, x1), and
// whether the first is black.
func runLengths(m *Mono, y, x0, x1 int) (lengths []int, firstBlack bool) {
	row := m.Pix[y*m.Stride : (y+1)*m.Stride]
	for x := x0; x < x1; {
		black := row[x>>3]&(0x80>>(x&7)) != 0
		if x == x0 {
			firstBlack = black
		}
		n := runLength(row, x, x1, black)
		lengths = append(lengths, n)
		x += n
	}
	return lengths, firstBlack
}

// cellRun is a run of inked cells [x0, x1) in row y of cells.
type cellRun struct{ x0, x1, y int }

// inkCellRuns returns the runs of cell x cell squares of m that hold a
// black dot, row of cells by row, left to right. The pixel rows of a row
// of cells are ORed together first (a word at a time), and each inked
// byte is tested against the few cells it touches; eight white bytes are
// passed at once.
func inkCellRuns(m *Mono, cell int) (runs []cellRun) {
	cw, ch := (m.W+cell-1)/cell, (m.H+cell-1)/cell
	acc := make([]byte, m.Stride)
	for cy := 0; cy < ch; cy++ {
		clear(acc)
		for y := cy * cell; y < min(m.H, (cy+1)*cell); y++ {
			orBytes(acc, m.Pix[y*m.Stride:(y+1)*m.Stride])
		}
		last := -2 // the last inked cell of this row
		for i := 0; i < len(acc); i++ {
			if i&7 == 0 && i+8 <= len(acc) && binary.LittleEndian.Uint64(acc[i:]) == 0 {
				i += 7
				continue
			}
			b := acc[i]
			if b == 0 {
				continue
			}
			x0 := i * 8
			for cx := max(x0/cell, last); cx*cell < x0+8 && cx < cw; cx++ {
				lo, hi := max(cx*cell, x0)-x0, min((cx+1)*cell, x0+8)-x0
				if cx == last || b&(0xFF>>lo)&(0xFF<<(8-hi)) == 0 {
					continue
				}
				if cx == last+1 {
					runs[len(runs)-1].x1 = cx + 1
				} else {
					runs = append(runs, cellRun{cx, cx + 1, cy})
				}
				last = cx
			}
		}
	}
	return runs
}

// inkRegions groups inked cells of cell x cell dots into connected regions
// and returns their bounds, at most limit of them.
func inkRegions(m *Mono, cell, limit int) []image.Rectangle {
	var out []image.Rectangle
	for _, c := range inkComponents(m, cell) {
		if c.Dx() < 3 || c.Dy() < 3 {
			continue
		}
		out = append(out, image.Rect(c.Min.X*cell, c.Min.Y*cell, min(m.W, c.Max.X*cell), min(m.H, c.Max.Y*cell)))
		if len(out) >= limit {
			break
		}
	}
	return out
}

// inkComponents returns the bounds, in cells, of the groups of inked cell
// x cell squares of m that touch (also corner to corner), in the order of
// their first cell along the rows. Each row of cells is cut into runs of
// inked cells, and a run joins the group of every run above it that it
// touches (union-find; a group is known by its first run).
func inkComponents(m *Mono, cell int) []image.Rectangle {
	rs := inkCellRuns(m, cell)
	parent := make([]int, len(rs))
	find := func(k int) int {
		for parent[k] != k {
			parent[k] = parent[parent[k]]
			k = parent[k]
		}
		return k
	}
	prev0, prev1 := 0, 0 // the runs of the row above
	for k := 0; k < len(rs); {
		cy, start := rs[k].y, k
		if start == 0 || rs[start-1].y != cy-1 {
			prev0, prev1 = start, start // no runs in the row above
		}
		p := prev0
		for ; k < len(rs) && rs[k].y == cy; k++ {
			parent[k] = k
			x0, x1 := rs[k].x0, rs[k].x1
			// Runs above that end before this one's left neighbour touch
			// neither it nor any later run of this row.
			for p < prev1 && rs[p].x1 < x0 {
				p++
			}
			for q := p; q < prev1 && rs[q].x0 <= x1; q++ {
				a, b := find(q), find(k)
				if a > b {
					a, b = b, a
				}
				parent[b] = a
			}
		}
		prev0, prev1 = start, k
	}
	bounds := make([]image.Rectangle, len(rs))
	var order []int
	for k, r := range rs {
		root := find(k)
		rect := image.Rect(r.x0, r.y, r.x1, r.y+1)
		if root == k {
			order = append(order, k)
			bounds[k] = rect
			continue
		}
		bounds[root] = bounds[root].Union(rect)
	}
	out := make([]image.Rectangle, len(order))
	for i, k := range order {
		out[i] = bounds[k]
	}
	return out
}

// runs returns the lengths of alternating runs along a line of dots.
func runs(n int, black func(i int) bool) (lengths []int, firstBlack bool) {
	if n == 0 {
		return nil, false
	}
	firstBlack = black(0)
	cur, l := firstBlack, 0
	for i := 0; i < n; i++ {
		if black(i) == cur {
			l++
			continue
		}
		lengths = append(lengths, l)
		cur, l = !cur, 1
	}
	return append(lengths, l), firstBlack
}

// dmTimingRow reads the timing pattern on top of a DataMatrix symbol
// trimmed to r in m: alternating modules starting black. The page may have
// been rendered with modules a fraction of a dot off, so runs may differ
// by a dot.
func dmTimingRow(m *Mono, r image.Rectangle) (cols int, modf float64, ok bool) {
	if r.Dx() < 10 || r.Dy() < 8 {
		return 0, 0, false
	}
	top, fb := runLengths(m, r.Min.Y, r.Min.X, r.Max.X)
	if !fb || len(top)%2 != 0 || len(top) < 10 {
		return 0, 0, false
	}
	cols = len(top)
	modf = float64(r.Dx()) / float64(cols)
	for _, l := range top {
		if math.Abs(float64(l)-modf) > 1 {
			return 0, 0, false
		}
	}
	return cols, modf, true
}

// dataMatrixAt reads t, a trimmed region of the page at r, as a
// DataMatrix symbol sent exactly.
func dataMatrixAt(t *Mono, r image.Rectangle) (nativeSymbol, bool) {
	cols, modf, ok := dmTimingRow(t, t.Bounds())
	if !ok {
		return nativeSymbol{}, false
	}
	// The right edge alternates from a white module at the top down to the
	// black corner of the finder.
	right, fbr := runs(t.H, func(i int) bool { return t.Black(t.W-1, i) })
	if fbr || len(right)%2 != 0 || len(right) < 8 {
		return nativeSymbol{}, false
	}
	rows := len(right)
	modfy := float64(t.H) / float64(rows)
	for _, l := range right {
		if math.Abs(float64(l)-modfy) > 1 {
			return nativeSymbol{}, false
		}
	}
	// Whole-dot modules within 5 % of the original, as for DPI conversion.
	mod := int(math.Round(modf))
	if mod < 2 || math.Abs(modf-modfy) > 0.5 || math.Abs(float64(mod)-modf) > moduleTolerance*modf {
		return nativeSymbol{}, false
	}
	// Sample each module at its centre; the modules around the centre must
	// agree, else the grid is not what it seems.
	grid := make([][]bool, rows)
	for gy := 0; gy < rows; gy++ {
		grid[gy] = make([]bool, cols)
		cy := int((float64(gy) + 0.5) * modfy)
		for gx := 0; gx < cols; gx++ {
			cx := int((float64(gx) + 0.5) * modf)
			v := t.Black(cx, cy)
			if mod >= 4 && (t.Black(cx-1, cy) != v || t.Black(cx+1, cy) != v || t.Black(cx, cy-1) != v || t.Black(cx, cy+1) != v) {
				return nativeSymbol{}, false
			}
			grid[gy][gx] = v
		}
	}
	// The L finder: left column and bottom row solid.
	for gy := 0; gy < rows; gy++ {
		if !grid[gy][0] {
			return nativeSymbol{}, false
		}
	}
	for gx := 0; gx < cols; gx++ {
		if !grid[rows-1][gx] {
			return nativeSymbol{}, false
		}
	}
	res, err := decodeDM(grid)
	if err != nil {
		return nativeSymbol{}, false
	}
	// GS1 DataMatrix: the decoder reports FNC1 as ASCII 29, the first one
	// (which makes the symbol GS1) included. The printer writes FNC1 for
	// the escape character followed by 1.
	text := res
	gs1 := strings.HasPrefix(text, "\x1d")
	for _, c := range []byte(text) {
		if (c < 0x20 && !(gs1 && c == 0x1d)) || c > 0x7E {
			return nativeSymbol{}, false
		}
	}
	// The printer is given the symbol's rows and columns; the data must
	// fit that size, which another encoder's choice shows (it may need a
	// smaller symbol: the printer then pads to the size asked for).
	enc := text
	if gs1 {
		enc = strings.ReplaceAll(text, "\x1d", string([]byte{datamatrix.FNC1}))
	}
	bc, err := datamatrix.Encode(enc)
	if err != nil || bc.Bounds().Dx() > cols || bc.Bounds().Dy() > rows {
		return nativeSymbol{}, false
	}
	esc := ""
	for _, c := range "`|{}" {
		if !strings.ContainsRune(text, c) {
			esc = string(c)
			break
		}
	}
	if esc == "" {
		return nativeSymbol{}, false
	}
	aspect := 1
	if cols != rows {
		aspect = 2
	}
	field := hexEscape(text)
	if gs1 {
		field = strings.ReplaceAll(field, "\x1d", esc+"1")
	}
	cmd := fmt.Sprintf("^BXN,%d,200,%d,%d,,%s,%d^FH_^FD%s", mod, cols, rows, esc, aspect, field)
	return nativeSymbol{rect: r, cmd: cmd, kind: "datamatrix"}, true
}

// decodeDM decodes a module grid, turning a decoder panic into an error.
func decodeDM(grid [][]bool) (text string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("datamatrix decoder: %v", p)
		}
	}()
	res, err := dmdecoder.NewDecoder().DecodeBoolMap(grid)
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

// hexEscape writes field data safely for ^FH_: the characters that would
// end or escape the field become _XX.
func hexEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		switch c {
		case '^', '~', '_', '\\':
			fmt.Fprintf(&b, "_%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// pdf417Columns reads the width in modules of a PDF417 symbol trimmed to
// r in m from its start pattern (bars and spaces of 8,1,1,1,1,1,1,3
// modules) on a row inside a symbol row; 0 when it is none.
func pdf417Columns(m *Mono, r image.Rectangle) int {
	w, h := r.Dx(), r.Dy()
	if w < 60 || h < 6 {
		return 0
	}
	est := 0.0
	for _, y := range []int{h / 2, h/2 + 1, h/2 + 2, h / 3, 2 * h / 3} {
		first, fb := runLengths(m, r.Min.Y+y, r.Min.X, r.Max.X)
		if !fb || len(first) < 10 {
			continue
		}
		sum := 0
		for _, l := range first[:8] {
			sum += l
		}
		if mf := float64(sum) / 17; math.Abs(float64(first[0])/8-mf) < 0.5 {
			est = float64(w) / mf
			break
		}
	}
	for d := range 7 {
		c := int(math.Round(est)) + []int{0, -1, 1, -2, 2, -3, 3}[d]
		if c > 17*5 && (c-1)%17 == 0 {
			return c
		}
	}
	return 0
}

// pdf417At recognises a PDF417 symbol in t, a trimmed region of the page
// at r: module and row sizes within 5 % of whole dots, codewords that read, and the decoded text encoding back to
// the very same symbol (same columns, rows, security level and codewords)
// — the decoder does no error correction, so only an identical symbol
// proves the reading.
func pdf417At(t *Mono, r image.Rectangle) (nativeSymbol, bool) {
	n := pdf417Columns(t, t.Bounds())
	if n == 0 {
		return nativeSymbol{}, false
	}
	modf := float64(t.W) / float64(n)
	mod := int(math.Round(modf))
	if mod < 1 || math.Abs(float64(mod)-modf) > moduleTolerance*modf {
		return nativeSymbol{}, false
	}
	// Symbol rows are bands of identical dot rows.
	rowEq := func(a, b int) bool {
		return string(t.Pix[a*t.Stride:(a+1)*t.Stride]) == string(t.Pix[b*t.Stride:(b+1)*t.Stride])
	}
	var bands [][2]int
	start := 0
	for y := 1; y <= t.H; y++ {
		if y == t.H || !rowEq(y, start) {
			bands = append(bands, [2]int{start, y})
			start = y
		}
	}
	// A page drawn row by row leaves a thin transition band where two
	// symbol rows meet: it belongs to neither.
	hs := make([]int, len(bands))
	for i, b := range bands {
		hs[i] = b[1] - b[0]
	}
	slices.Sort(hs)
	thin := max(1, hs[len(hs)*3/4]/3)
	bands = slices.DeleteFunc(bands, func(b [2]int) bool { return b[1]-b[0] <= thin && len(bands) > 3 })
	if len(bands) < 3 || len(bands) > 90 {
		return nativeSymbol{}, false
	}
	rowHf := float64(t.H) / float64(len(bands))
	for _, b := range bands {
		if math.Abs(float64(b[1]-b[0])-rowHf) > 2 {
			return nativeSymbol{}, false
		}
	}
	rowH := int(math.Round(rowHf))
	if rowH < 1 || math.Abs(float64(rowH)-rowHf) > moduleTolerance*rowHf {
		return nativeSymbol{}, false
	}
	grid := make([][]bool, len(bands))
	for i, b := range bands {
		y := (b[0] + b[1]) / 2
		row := make([]bool, n)
		for k := range row {
			row[k] = t.Black(int((float64(k)+0.5)*modf), y)
		}
		grid[i] = row
	}
	sym, err := pdf417.Decode(grid)
	if err != nil {
		return nativeSymbol{}, false
	}
	for _, c := range []byte(sym.Text) {
		if c < 0x20 || c > 0x7E {
			return nativeSymbol{}, false
		}
	}
	for sec := range 9 {
		bc, err := bpdf417.Encode(sym.Text, byte(sec))
		if err != nil {
			continue
		}
		b := bc.Bounds()
		if b.Dx() != n || b.Dy() != 2*len(grid) {
			continue
		}
		same := true
		for y := 0; y < len(grid) && same; y++ {
			for x := 0; x < n; x++ {
				cr, _, _, _ := bc.At(b.Min.X+x, b.Min.Y+2*y).RGBA()
				if (cr < 0x8000) != grid[y][x] {
					same = false
					break
				}
			}
		}
		if !same {
			continue
		}
		cmd := fmt.Sprintf("^BY%d,3^B7N,%d,%d,%d,%d,N^FH_^FD%s", mod, rowH, sec, sym.Columns, sym.Rows, hexEscape(sym.Text))
		return nativeSymbol{rect: r, cmd: cmd, kind: "pdf417"}, true
	}
	return nativeSymbol{}, false
}
