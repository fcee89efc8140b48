package zpl

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"math/bits"
)

// solidRects finds axis-aligned solid black rectangles at least minLen
// dots long (frame lines, rules, filled bars; barcode bars and glyph
// strokes are shorter) and removes them from m. Drawn again with ^GB they
// give exactly the same dots, and the rows they leave white need not be
// sent. Both directions look at the original dots, so a frame edge crossed
// by a rule stays one rectangle (overlaps draw the same black).
func solidRects(m *Mono, minLen int) []image.Rectangle {
	// Both directions are found before anything is cleared.
	rects := append(runRects(m, minLen, false), runRects(m, minLen, true)...)
	for _, r := range rects {
		m.clearRect(r)
	}
	return rects
}

// runRects groups black runs of at least minLen dots that repeat unchanged
// on consecutive rows (or, vertical, columns) into rectangles, in the
// order they end (then along the line). Columns are read as the rows of
// the transposed image.
func runRects(m *Mono, minLen int, vertical bool) []image.Rectangle {
	if minLen < 16 {
		minLen = 16
	}
	lines := m
	if vertical {
		lines = m.transpose()
	}
	type openRun struct {
		r    [2]int // [start, end) along the line
		from int    // first line
	}
	var rects []image.Rectangle
	var open, next []openRun
	var runs [][2]int
	mk := func(r [2]int, l0, l1 int) image.Rectangle {
		if vertical {
			return image.Rect(l0, r[0], l1, r[1])
		}
		return image.Rect(r[0], l0, r[1], l1)
	}
	for l := 0; l <= lines.H; l++ {
		runs = runs[:0]
		if l < lines.H {
			runs = rowRuns(lines, l, minLen, runs)
		}
		// Both lists are in order along the line: a run open above
		// continues when this line has the very same run, else it ends.
		next = next[:0]
		k := 0
		for _, r := range runs {
			for k < len(open) && open[k].r[0] <= r[0] && open[k].r != r {
				rects = append(rects, mk(open[k].r, open[k].from, l))
				k++
			}
			if k < len(open) && open[k].r == r {
				next = append(next, open[k])
				k++
			} else {
				next = append(next, openRun{r, l})
			}
		}
		for ; k < len(open); k++ {
			rects = append(rects, mk(open[k].r, open[k].from, l))
		}
		open, next = next, open
		if len(rects) > 2000 {
			break
		}
	}
	return rects
}

// rowRuns appends the black runs of row y at least minLen dots long. Long
// runs contain whole 0xFF bytes, so only those are looked at closely.
func rowRuns(m *Mono, y, minLen int, out [][2]int) [][2]int {
	row := m.Pix[y*m.Stride : (y+1)*m.Stride]
	for i := 0; i < len(row); i++ {
		// Eight bytes without a 0xFF byte are passed over at once.
		if i+8 <= len(row) {
			if v := ^binary.LittleEndian.Uint64(row[i:]); (v-0x0101010101010101)&^v&0x8080808080808080 == 0 {
				i += 7
				continue
			}
		}
		if row[i] != 0xFF {
			continue
		}
		// The run reaches into the bytes on either side by their ones
		// next to it.
		k := i
		for k > 0 && row[k-1] == 0xFF {
			k--
		}
		x0 := k * 8
		if k > 0 {
			x0 -= bits.TrailingZeros8(^row[k-1])
		}
		j := i
		for j < len(row) && row[j] == 0xFF {
			j++
		}
		x1 := j * 8
		if j < len(row) {
			x1 += bits.LeadingZeros8(^row[j])
		}
		x1 = min(x1, m.W)
		if x1-x0 >= minLen {
			out = append(out, [2]int{x0, x1})
		}
		i = x1 / 8 // holds the white dot that ended the run: not 0xFF
	}
	return out
}

// bands splits m at runs of at least gap white rows into trimmed parts,
// each with its offset in m.
func bands(m *Mono, gap int) []placedPart {
	var out []placedPart
	blank := func(y int) bool { return allZero(m.Pix[y*m.Stride : (y+1)*m.Stride]) }
	y := 0
	for y < m.H {
		for y < m.H && blank(y) {
			y++
		}
		if y >= m.H {
			break
		}
		start, white := y, 0
		for y < m.H && white < gap {
			if blank(y) {
				white++
			} else {
				white = 0
			}
			y++
		}
		if r := m.inkRect(image.Rect(0, start, m.W, y)); !r.Empty() {
			out = append(out, placedPart{m: m.Crop(r), x: r.Min.X, y: r.Min.Y})
		}
	}
	return out
}

type placedPart struct {
	m    *Mono
	x, y int
}

// graphicCommands writes m at x, y as one ^GF, or as ^GB rules for its
// long solid rectangles plus one ^GF per band of content between white
// rows (gaps of 2 or 6 mm), whichever is smallest. All draw exactly the
// same dots. The candidates are compared by a cheap estimate (ACS, and
// deflate at its fastest level) and only the chosen one is encoded at
// Z64Level: encoding every candidate at full strength cost more time than
// sending the few bytes it saved (docs/benchmarks.md).
func graphicCommands(m *Mono, x, y int, enc Encoding, p Profile) []byte {
	z64 := !p.NoZ64
	d := &deflater{level: p.z64Level()} // one writer per level for every candidate and band
	rest := m.Clone()
	// Rules of 40 mm and more: longer than barcode bars and glyph strokes.
	rects := solidRects(rest, p.MMToDots(40))
	var rules bytes.Buffer
	for _, r := range rects {
		t := min(r.Dx(), r.Dy())
		fmt.Fprintf(&rules, "^FO%d,%d^GB%d,%d,%d^FS", x+r.Min.X, y+r.Min.Y, r.Dx(), r.Dy(), t)
	}
	best := []placedPart{{m: m}}
	bestCost := d.estimateGraphic(m, enc, z64)
	bestRules := false
	for _, gap := range []int{p.MMToDots(2), p.MMToDots(6)} {
		parts := bands(rest, gap)
		cost := rules.Len()
		for _, b := range parts {
			cost += d.estimateGraphic(b.m, enc, z64)
		}
		if cost < bestCost {
			best, bestCost, bestRules = parts, cost, true
		}
	}
	var out bytes.Buffer
	if bestRules {
		out.Write(rules.Bytes())
	}
	for _, b := range best {
		fmt.Fprintf(&out, "^FO%d,%d", x+b.x, y+b.y)
		out.Write(d.graphicField(b.m, enc, z64))
		out.WriteString("^FS")
	}
	return out.Bytes()
}
