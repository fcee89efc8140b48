package zpl

import (
	"bytes"
	"fmt"
	"image"
)

// solidRects finds axis-aligned solid black rectangles at least minLen
// dots long (frame lines, rules, filled bars; barcode bars and glyph
// strokes are shorter) and removes them from m. Drawn again with ^GB they
// give exactly the same dots, and the rows they leave white need not be
// sent. Both directions look at the original dots, so a frame edge crossed
// by a rule stays one rectangle (overlaps draw the same black).
func solidRects(m *Mono, minLen int) []image.Rectangle {
	orig := m.Clone()
	rects := append(runRects(orig, minLen, false), runRects(orig, minLen, true)...)
	for _, r := range rects {
		m.clearRect(r)
	}
	return rects
}

// runRects groups black runs of at least minLen dots that repeat unchanged
// on consecutive rows (or, vertical, columns) into rectangles.
func runRects(m *Mono, minLen int, vertical bool) []image.Rectangle {
	if minLen < 16 {
		minLen = 16
	}
	var runs [][2]int // runs of one line as [start, end)
	var perLine [][][2]int
	if vertical {
		perLine = columnRuns(m, minLen)
	} else {
		for y := 0; y < m.H; y++ {
			runs = rowRuns(m, y, minLen, runs[:0])
			perLine = append(perLine, append([][2]int(nil), runs...))
		}
	}
	var rects []image.Rectangle
	open := map[[2]int]int{}
	mk := func(r [2]int, l0, l1 int) image.Rectangle {
		if vertical {
			return image.Rect(l0, r[0], l1, r[1])
		}
		return image.Rect(r[0], l0, r[1], l1)
	}
	for l := 0; l <= len(perLine); l++ {
		seen := map[[2]int]bool{}
		if l < len(perLine) {
			for _, r := range perLine[l] {
				seen[r] = true
				if _, ok := open[r]; !ok {
					open[r] = l
				}
			}
		}
		for r, l0 := range open {
			if !seen[r] {
				rects = append(rects, mk(r, l0, l))
				delete(open, r)
			}
		}
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
		if row[i] != 0xFF {
			continue
		}
		x0 := i * 8
		for x0 > 0 && m.Black(x0-1, y) {
			x0--
		}
		j := i
		for j < len(row) && row[j] == 0xFF {
			j++
		}
		x1 := j * 8
		for x1 < m.W && m.Black(x1, y) {
			x1++
		}
		x1 = min(x1, m.W)
		if x1-x0 >= minLen {
			out = append(out, [2]int{x0, x1})
		}
		i = x1 / 8 // holds the white dot that ended the run: not 0xFF
	}
	return out
}

// columnRuns returns, per column, the black runs at least minLen long,
// counting run lengths row by row.
func columnRuns(m *Mono, minLen int) [][][2]int {
	out := make([][][2]int, m.W)
	cnt := make([]int32, m.Stride*8)
	end := func(x, y int) {
		if int(cnt[x]) >= minLen && x < m.W {
			out[x] = append(out[x], [2]int{y - int(cnt[x]), y})
		}
		cnt[x] = 0
	}
	for y := 0; y < m.H; y++ {
		row := m.Pix[y*m.Stride : (y+1)*m.Stride]
		for i, b := range row {
			base := i * 8
			if b == 0 {
				c := cnt[base : base+8]
				if c[0]|c[1]|c[2]|c[3]|c[4]|c[5]|c[6]|c[7] == 0 {
					continue
				}
			}
			for k := 0; k < 8; k++ {
				if b&(0x80>>k) != 0 {
					cnt[base+k]++
				} else if cnt[base+k] != 0 {
					end(base+k, y)
				}
			}
		}
	}
	for x := range cnt {
		if cnt[x] != 0 {
			end(x, m.H)
		}
	}
	return out
}

// bands splits m at runs of at least gap white rows into trimmed parts,
// each with its offset in m.
func bands(m *Mono, gap int) []placedPart {
	var out []placedPart
	blank := func(y int) bool {
		for _, b := range m.Pix[y*m.Stride : (y+1)*m.Stride] {
			if b != 0 {
				return false
			}
		}
		return true
	}
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
		part := m.Crop(image.Rect(0, start, m.W, y))
		if t, r := part.Trim(); t != nil {
			out = append(out, placedPart{m: t, x: r.Min.X, y: start + r.Min.Y})
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
	d := new(deflater) // one writer per level for every candidate and band
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
