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
		clearRect(m, r)
	}
	return rects
}

// runRects groups black runs of at least minLen dots that repeat unchanged
// on consecutive rows (or, vertical, columns) into rectangles.
func runRects(m *Mono, minLen int, vertical bool) []image.Rectangle {
	type run struct{ a, b int }
	lines, length := m.H, m.W
	black := m.Black
	if vertical {
		lines, length = m.W, m.H
		black = func(x, y int) bool { return m.Black(y, x) }
	}
	var rects []image.Rectangle
	open := map[run]int{}
	mk := func(r run, l0, l1 int) image.Rectangle {
		if vertical {
			return image.Rect(l0, r.a, l1, r.b)
		}
		return image.Rect(r.a, l0, r.b, l1)
	}
	for l := 0; l <= lines; l++ {
		seen := map[run]bool{}
		if l < lines {
			for i := 0; i < length; {
				if !black(i, l) {
					i++
					continue
				}
				i0 := i
				for i < length && black(i, l) {
					i++
				}
				if i-i0 >= minLen {
					r := run{i0, i}
					seen[r] = true
					if _, ok := open[r]; !ok {
						open[r] = l
					}
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

func clearRect(m *Mono, r image.Rectangle) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			m.Set(x, y, false)
		}
	}
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
// rows, whichever is smaller. Both draw exactly the same dots.
func graphicCommands(m *Mono, x, y int, enc Encoding, p Profile) []byte {
	z64 := !p.NoZ64
	var whole bytes.Buffer
	fmt.Fprintf(&whole, "^FO%d,%d", x, y)
	whole.Write(GraphicField(m, enc, z64))
	whole.WriteString("^FS")

	rest := m.Clone()
	// Rules of 40 mm and more: longer than barcode bars and glyph strokes.
	rects := solidRects(rest, p.MMToDots(40))
	var rules bytes.Buffer
	for _, r := range rects {
		t := min(r.Dx(), r.Dy())
		fmt.Fprintf(&rules, "^FO%d,%d^GB%d,%d,%d^FS", x+r.Min.X, y+r.Min.Y, r.Dx(), r.Dy(), t)
	}
	best := whole.Bytes()
	// Each graphic costs a header; splitting pays where white rows are
	// many. Try splitting at white gaps of 2 and 6 mm, keep the smallest.
	for _, gap := range []int{p.MMToDots(2), p.MMToDots(6)} {
		var split bytes.Buffer
		split.Write(rules.Bytes())
		for _, b := range bands(rest, gap) {
			fmt.Fprintf(&split, "^FO%d,%d", x+b.x, y+b.y)
			split.Write(GraphicField(b.m, enc, z64))
			split.WriteString("^FS")
		}
		if split.Len() < len(best) {
			best = split.Bytes()
		}
	}
	return best
}
