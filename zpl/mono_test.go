package zpl

import (
	"image"
	"math/rand/v2"
	"testing"
)

// randomMono is a w x h image with sparse ink: a few blobs, bars and dots,
// so the word-at-a-time paths meet white words, inked words and edges.
func randomMono(t testing.TB, r *rand.Rand, w, h int) *Mono {
	t.Helper()
	m, err := NewMono(w, h)
	if err != nil {
		t.Fatal(err)
	}
	for range r.IntN(6) {
		x0, y0 := r.IntN(w), r.IntN(h)
		x1, y1 := x0+r.IntN(w-x0)+1, y0+r.IntN(h-y0)+1
		density := r.IntN(4)
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				if density == 0 || r.IntN(density+1) == 0 {
					m.Set(x, y, true)
				}
			}
		}
	}
	return m
}

func randomRect(r *rand.Rand, w, h int) image.Rectangle {
	x0, y0 := r.IntN(w+20)-10, r.IntN(h+20)-10
	return image.Rect(x0, y0, x0+r.IntN(w+10), y0+r.IntN(h+10))
}

// The word-at-a-time Trim, blankRect, clearRect, Paste, Crop and transpose
// give what the dot-by-dot definitions give, on images of every width
// modulo 8 and rectangles crossing the edges.
func TestMonoFastPathsMatchDotByDot(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 1))
	for n := range 3000 {
		w, h := 1+r.IntN(150), 1+r.IntN(40)
		m := randomMono(t, r, w, h)
		if n%7 == 0 {
			m, _ = NewMono(w, h) // white
		}
		// Trim: the smallest rectangle with every black dot.
		minX, minY, maxX, maxY := w, h, -1, -1
		for y := range h {
			for x := range w {
				if m.Black(x, y) {
					minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x), max(maxY, y)
				}
			}
		}
		tm, tr := m.Trim()
		if maxY < 0 {
			if tm != nil || !tr.Empty() {
				t.Fatalf("white %dx%d trims to %v", w, h, tr)
			}
		} else if want := image.Rect(minX, minY, maxX+1, maxY+1); tr != want || !tm.Equal(cropDots(m, want)) {
			t.Fatalf("%dx%d: Trim gives %v, want %v", w, h, tr, want)
		}
		// inkRect of a part.
		rr := randomRect(r, w, h)
		c := rr.Intersect(m.Bounds())
		var want image.Rectangle
		for y := c.Min.Y; y < c.Max.Y; y++ {
			for x := c.Min.X; x < c.Max.X; x++ {
				if m.Black(x, y) {
					want = want.Union(image.Rect(x, y, x+1, y+1))
				}
			}
		}
		if got := m.inkRect(rr); got != want {
			t.Fatalf("%dx%d: inkRect(%v) = %v, want %v", w, h, rr, got, want)
		}
		if got := m.blankRect(rr); got != want.Empty() {
			t.Fatalf("%dx%d: blankRect(%v) = %v", w, h, rr, got)
		}
		// clearRect.
		cl := m.Clone()
		cl.clearRect(rr)
		for y := range h {
			for x := range w {
				if want := m.Black(x, y) && !image.Pt(x, y).In(rr); cl.Black(x, y) != want {
					t.Fatalf("%dx%d: clearRect(%v) left %d,%d = %v", w, h, rr, x, y, cl.Black(x, y))
				}
			}
		}
		// Crop.
		if cr := m.Crop(rr); cr != nil && !cr.Equal(cropDots(m, rr)) {
			t.Fatalf("%dx%d: Crop(%v) differs", w, h, rr)
		}
		// Paste at any offset, also partly outside.
		src := randomMono(t, r, 1+r.IntN(60), 1+r.IntN(20))
		px, py := r.IntN(w+20)-10-src.W/2, r.IntN(h+20)-10
		got, ref := m.Clone(), m.Clone()
		got.Paste(src, px, py)
		for y := range src.H {
			for x := range src.W {
				if src.Black(x, y) {
					ref.Set(px+x, py+y, true)
				}
			}
		}
		if !got.Equal(ref) {
			t.Fatalf("%dx%d: Paste of %dx%d at %d,%d differs", w, h, src.W, src.H, px, py)
		}
		// Transposition.
		tp := m.transpose()
		if tp.W != h || tp.H != w {
			t.Fatalf("%dx%d transposed is %dx%d", w, h, tp.W, tp.H)
		}
		for y := range h {
			for x := range w {
				if tp.Black(y, x) != m.Black(x, y) {
					t.Fatalf("%dx%d transposed: dot %d,%d differs", w, h, x, y)
				}
			}
		}
		for y := range tp.H {
			if pad := tp.W % 8; pad != 0 && tp.Pix[y*tp.Stride+tp.Stride-1]&(0xFF>>pad) != 0 {
				t.Fatalf("%dx%d transposed: padding bits set", w, h)
			}
		}
	}
}

// cropDots is Crop by definition.
func cropDots(m *Mono, r image.Rectangle) *Mono {
	r = r.Intersect(m.Bounds())
	out, err := NewMono(r.Dx(), r.Dy())
	if err != nil {
		return nil
	}
	for y := range out.H {
		for x := range out.W {
			out.Set(x, y, m.Black(r.Min.X+x, r.Min.Y+y))
		}
	}
	return out
}

// inkComponents groups cells as a flood fill from each first unvisited
// inked cell, eight neighbours at a time, does: same groups, same order.
func TestInkComponentsMatchFloodFill(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 2))
	for range 500 {
		w, h := 1+r.IntN(300), 1+r.IntN(200)
		m := randomMono(t, r, w, h)
		for range r.IntN(300) { // specks
			m.Set(r.IntN(w), r.IntN(h), true)
		}
		cell := 1 + r.IntN(40)
		// The inked cells by definition: any black dot inside.
		cw, ch := (w+cell-1)/cell, (h+cell-1)/cell
		ink := make([]bool, cw*ch)
		for y := range h {
			for x := range w {
				if m.Black(x, y) {
					ink[(y/cell)*cw+x/cell] = true
				}
			}
		}
		var want []image.Rectangle
		seen := make([]bool, len(ink))
		for i, v := range ink {
			if !v || seen[i] {
				continue
			}
			seen[i] = true
			stack := []int{i}
			var b image.Rectangle
			for len(stack) > 0 {
				j := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				cx, cy := j%cw, j/cw
				b = b.Union(image.Rect(cx, cy, cx+1, cy+1))
				for dy := -1; dy <= 1; dy++ {
					for dx := -1; dx <= 1; dx++ {
						nx, ny := cx+dx, cy+dy
						if nx >= 0 && ny >= 0 && nx < cw && ny < ch && ink[ny*cw+nx] && !seen[ny*cw+nx] {
							seen[ny*cw+nx] = true
							stack = append(stack, ny*cw+nx)
						}
					}
				}
			}
			want = append(want, b)
		}
		got := inkComponents(m, cell)
		if len(got) != len(want) {
			t.Fatalf("%dx%d cell %d: %d groups, want %d", w, h, cell, len(got), len(want))
		}
		for k := range got {
			if got[k] != want[k] {
				t.Fatalf("%dx%d cell %d: group %d is %v, want %v", w, h, cell, k, got[k], want[k])
			}
		}
	}
}

// ToMono's word-at-a-time paths give what a pixel-by-pixel threshold gives,
// at the default threshold and others, for grey rows of every length.
func TestToMonoMatchesPixelByPixel(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 3))
	for n := range 400 {
		w, h := 1+r.IntN(130), 1+r.IntN(6)
		g := image.NewGray(image.Rect(0, 0, w, h))
		for i := range g.Pix {
			switch r.IntN(4) {
			case 0, 1:
				g.Pix[i] = 255
			case 2:
				g.Pix[i] = 0
			default:
				g.Pix[i] = uint8(r.IntN(256))
			}
		}
		if n%5 == 0 { // long white stretches
			for i := range g.Pix[:len(g.Pix)/2] {
				g.Pix[i] = 255
			}
		}
		for _, th := range []int{0, 128, 1, 127, 129, 200, 255} {
			m, err := ToMono(g, th, false)
			if err != nil {
				t.Fatal(err)
			}
			tt := th
			if tt == 0 {
				tt = Threshold
			}
			for y := range h {
				for x := range w {
					if want := int(g.GrayAt(x, y).Y) < tt; m.Black(x, y) != want {
						t.Fatalf("%dx%d threshold %d: dot %d,%d (grey %d) is %v", w, h, th, x, y, g.GrayAt(x, y).Y, !want)
					}
				}
			}
			for y := range h {
				if pad := w % 8; pad != 0 && m.Pix[y*m.Stride+m.Stride-1]&(0xFF>>pad) != 0 {
					t.Fatalf("%dx%d: padding bits set", w, h)
				}
			}
		}
	}
}

// acsLen counts exactly what encodeACS writes, for rows of every kind:
// blank, full, repeated, ending in zeros or ones, long runs of any nibble.
func TestACSLenIsTheEncodedLength(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 5))
	for n := range 2000 {
		w, h := 1+r.IntN(900), 1+r.IntN(12)
		m := randomMono(t, r, w, h)
		if n%3 == 0 { // rows of runs of one byte value
			for y := range h {
				for i := 0; i < m.Stride; {
					v, l := byte(r.IntN(256)), 1+r.IntN(60)
					if r.IntN(2) == 0 {
						v = []byte{0, 0xFF, 0x11, 0xEE}[r.IntN(4)]
					}
					for ; l > 0 && i < m.Stride; l, i = l-1, i+1 {
						m.Pix[y*m.Stride+i] = v
					}
				}
				if y > 0 && r.IntN(3) == 0 {
					copy(m.Pix[y*m.Stride:(y+1)*m.Stride], m.Pix[(y-1)*m.Stride:y*m.Stride])
				}
			}
			m.clearPadding()
		}
		if got, want := acsLen(m), len(encodeACS(m)); got != want {
			t.Fatalf("%dx%d: acsLen %d, encodeACS writes %d", w, h, got, want)
		}
	}
}

// acsLenUpTo is exact below its limit and at least the limit otherwise.
func TestACSLenUpTo(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 6))
	for range 500 {
		m := randomMono(t, r, 1+r.IntN(300), 1+r.IntN(30))
		n := acsLen(m)
		for _, limit := range []int{0, 1, n / 2, n, n + 1, 2 * n} {
			got := acsLenUpTo(m, limit)
			if (n < limit && got != n) || (n >= limit && got < limit) {
				t.Fatalf("acsLenUpTo(%d) = %d, acsLen %d", limit, got, n)
			}
		}
	}
}

// The sampled columns are the page's columns 0, linearStep, ... dot for
// dot, and a transposed line view compares any two columns as the page
// has them, sampled or not.
func TestSampledColumns(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 7))
	for range 500 {
		w, h := 1+r.IntN(150), 1+r.IntN(90)
		m := randomMono(t, r, w, h)
		s := sampleColumns(m)
		if s.W != h || s.H != (w+linearStep-1)/linearStep {
			t.Fatalf("%dx%d sampled is %dx%d", w, h, s.W, s.H)
		}
		for k := range s.H {
			for y := range h {
				if s.Black(y, k) != m.Black(k*linearStep, y) {
					t.Fatalf("%dx%d: sampled column %d, dot %d differs", w, h, k*linearStep, y)
				}
			}
		}
		v := newLineView(m, true)
		for range 20 {
			a, b := r.IntN(w), r.IntN(w)
			u0 := r.IntN(h)
			u1 := u0 + 1 + r.IntN(h-u0)
			want := true
			for u := u0; u < u1; u++ {
				if m.Black(a, u) != m.Black(b, u) {
					want = false
				}
			}
			if got := v.sameSpan(a, b, u0, u1); got != want {
				t.Fatalf("%dx%d: columns %d and %d over [%d,%d): %v, want %v", w, h, a, b, u0, u1, got, want)
			}
		}
	}
}
