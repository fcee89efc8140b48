package zpl

import (
	"image"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// drawCommands interprets the ^FO/^GB/^GF output of graphicCommands into
// dots, as a printer would.
func drawCommands(t *testing.T, src []byte, w, h int) *Mono {
	t.Helper()
	out, err := NewMono(w, h)
	if err != nil {
		t.Fatal(err)
	}
	cmds, err := Tokenize(src)
	if err != nil {
		t.Fatal(err)
	}
	x, y := 0, 0
	for _, c := range cmds {
		switch c.Name {
		case "FO":
			x, y = c.IntParam(0, 0), c.IntParam(1, 0)
		case "GB":
			bw, bh, th := c.IntParam(0, 1), c.IntParam(1, 1), c.IntParam(2, 1)
			if th != min(bw, bh) {
				t.Fatalf("^GB%s is not a solid box", c.Args)
			}
			for yy := y; yy < y+bh; yy++ {
				for xx := x; xx < x+bw; xx++ {
					out.Set(xx, yy, true)
				}
			}
		case "GF":
			m, err := decodeGFCommand(c)
			if err != nil {
				t.Fatal(err)
			}
			out.Paste(m, x, y)
		case "FS", "XA", "XZ", "PW", "LL", "MN", "LH", "SD":
		default:
			t.Fatalf("unexpected %s", c.Code())
		}
	}
	return out
}

func TestGraphicCommandsDrawTheSameDots(t *testing.T) {
	m, _ := NewMono(600, 900)
	set := func(r image.Rectangle) {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				m.Set(x, y, true)
			}
		}
	}
	set(image.Rect(0, 0, 600, 4))     // frame
	set(image.Rect(0, 896, 600, 900)) //
	set(image.Rect(0, 0, 4, 900))     //
	set(image.Rect(596, 0, 600, 900)) //
	set(image.Rect(0, 300, 600, 303)) // separator crossing the frame
	set(image.Rect(20, 10, 580, 60))  // filled title bar
	for i := 0; i < 30; i++ {         // barcode-like bars, not rules
		set(image.Rect(50+i*9, 400, 53+i*9+(i%3), 560))
	}
	for y := 100; y < 280; y += 40 { // "text" blocks
		for x := 40; x < 400; x += 7 {
			set(image.Rect(x, y, x+3, y+(x%11)+5))
		}
	}
	// White text inside the bar.
	for x := 40; x < 300; x += 13 {
		for y := 20; y < 50; y++ {
			m.Set(x, y, false)
		}
	}
	p, _ := NewProfile(LabelSize{WidthMM: 80, HeightMM: 120}, 203)
	out := graphicCommands(m, 0, 0, EncodingAuto, p)
	if !strings.Contains(string(out), "^GB") {
		t.Fatalf("no rules found: %.200s", out)
	}
	if strings.Contains(string(out), "^GB3,160") || strings.Contains(string(out), "^GB4,160") {
		t.Fatal("barcode bars became rules")
	}
	got := drawCommands(t, out, m.W, m.H)
	if !got.Equal(m) {
		t.Fatal("the split graphic does not draw the same dots")
	}
	whole := GraphicField(m, EncodingAuto, true)
	if len(out) >= len(whole)+20 {
		t.Errorf("split output %d bytes, single graphic %d", len(out), len(whole))
	}
	t.Logf("%d bytes instead of %d", len(out), len(whole))
}

func TestRunRectsFindsAdjacentRuns(t *testing.T) {
	m, _ := NewMono(200, 3)
	for x := 0; x < 200; x++ {
		if x != 85 { // two runs: 0..84 and 86..199
			m.Set(x, 1, true)
		}
	}
	got := runRects(m, 40, false)
	if len(got) != 2 || got[0] == got[1] {
		t.Fatalf("runs %v, want 0-85 and 86-200 on row 1", got)
	}
	for _, r := range got {
		if r != image.Rect(0, 1, 85, 2) && r != image.Rect(86, 1, 200, 2) {
			t.Fatalf("unexpected run %v", r)
		}
	}
	v := runRects(m, 1, true) // columns are one dot tall: below the minimum
	if len(v) != 0 {
		t.Fatalf("vertical runs %v", v)
	}
}

// runRects gives, in both directions, exactly the rectangles that grouping
// the long runs of each line dot by dot gives: a run becomes a rectangle
// over the consecutive lines that have the very same run.
func TestRunRectsMatchDotByDot(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 4))
	for range 300 {
		w, h := 16+r.IntN(120), 16+r.IntN(120)
		m := randomMono(t, r, w, h)
		minLen := 16 + r.IntN(20)
		for _, vertical := range []bool{false, true} {
			lines, along := h, w
			black := func(l, u int) bool { return m.Black(u, l) }
			if vertical {
				lines, along = w, h
				black = func(l, u int) bool { return m.Black(l, u) }
			}
			var want []image.Rectangle
			open := map[[2]int]int{}
			for l := 0; l <= lines; l++ {
				seen := map[[2]int]bool{}
				for u := 0; l < lines && u < along; {
					if !black(l, u) {
						u++
						continue
					}
					u0 := u
					for u < along && black(l, u) {
						u++
					}
					if u-u0 >= minLen {
						seen[[2]int{u0, u}] = true
						if _, ok := open[[2]int{u0, u}]; !ok {
							open[[2]int{u0, u}] = l
						}
					}
				}
				for run, l0 := range open {
					if !seen[run] {
						rect := image.Rect(run[0], l0, run[1], l)
						if vertical {
							rect = image.Rect(l0, run[0], l, run[1])
						}
						want = append(want, rect)
						delete(open, run)
					}
				}
			}
			got := runRects(m, minLen, vertical)
			key := func(a image.Rectangle) string { return a.String() }
			slices.SortFunc(want, func(a, b image.Rectangle) int { return strings.Compare(key(a), key(b)) })
			sorted := slices.Clone(got)
			slices.SortFunc(sorted, func(a, b image.Rectangle) int { return strings.Compare(key(a), key(b)) })
			if !slices.Equal(sorted, want) {
				t.Fatalf("%dx%d vertical %v minLen %d: %v, want %v", w, h, vertical, minLen, got, want)
			}
		}
	}
}
