package zpl

import (
	"fmt"
	"image"
	"slices"
	"strings"
	"testing"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/code128"
	"github.com/boombuler/barcode/code39"
	"github.com/boombuler/barcode/datamatrix"
	"github.com/boombuler/barcode/ean"
	"github.com/boombuler/barcode/twooffive"
)

// barRuns reads the runs (bar first) of a 1-D symbol drawn by another
// encoder, one module per unit.
func barRuns(bc barcode.Barcode) []int {
	b := bc.Bounds()
	dark := func(x int) bool { r, _, _, _ := bc.At(b.Min.X+x, b.Min.Y).RGBA(); return r < 0x8000 }
	var runs []int
	cur, n := dark(0), 0
	for x := 0; x < b.Dx(); x++ {
		if dark(x) == cur {
			n++
			continue
		}
		runs = append(runs, n)
		cur, n = !cur, 1
	}
	return append(runs, n)
}

// drawBars draws runs (in dots) as bars of height h at x, y.
func drawBars(m *Mono, runs []int, x, y, h int) {
	for i, r := range runs {
		if i%2 == 0 {
			for yy := y; yy < y+h; yy++ {
				for xx := x; xx < x+r; xx++ {
					m.Set(xx, yy, true)
				}
			}
		}
		x += r
	}
}

func scale(runs []int, f int) []int {
	out := make([]int, len(runs))
	for i, r := range runs {
		out[i] = r * f
	}
	return out
}

// The ZPL II Programming Guide's ^BC example: Subset C, then B, then A.
func TestCode128FieldValuesGuideExample(t *testing.T) {
	got, ok := code128FieldValues(">;382436>6CODE128>752375152")
	if !ok {
		t.Fatal("not understood")
	}
	want := []int{c128StartC, 38, 24, 36, c128CodeB}
	for _, c := range "CODE128" {
		want = append(want, int(c)-32)
	}
	want = append(want, c128CodeA)
	for _, c := range "52375152" {
		want = append(want, int(c)-32)
	}
	sum := want[0]
	for i, v := range want[1:] {
		sum += (i + 1) * v
	}
	want = append(want, sum%103)
	if !slices.Equal(got, want) {
		t.Fatalf("values %v, want %v", got, want)
	}
}

func TestCode128RoundTrip(t *testing.T) {
	for _, text := range []string{
		"40327610117+99000933000000", // DHL Leitcode
		"JJD014600004617230770",
		"AGL55655500001868043001",
		"1Z680RA4DL08720000",
		"a>b^c~d_e\\f",                                // characters ZPL field data must escape
		string(code128.FNC1) + "00340433333010200227", // GS1-128, SSCC
		string(code128.FNC1) + "42073108" + string(code128.FNC1) + "9234690", // GS1 with a separator
	} {
		bc, err := code128.Encode(text)
		if err != nil {
			t.Fatal(err)
		}
		mods := barRuns(bc)
		vals, ok := code128Values(mods)
		if !ok {
			t.Fatalf("%q: not read", text)
		}
		field, ok := code128Field(vals[:len(vals)-1])
		if !ok {
			t.Fatalf("%q: no field data", text)
		}
		back, ok := code128FieldValues(field)
		if !ok || !slices.Equal(code128Modules(back), mods) {
			t.Fatalf("%q: field %q draws other bars", text, field)
		}
		want := strings.ReplaceAll(text, string(code128.FNC1), "\x1d")
		if got := code128Text(vals); got != strings.TrimPrefix(want, "\x1d") {
			t.Errorf("%q: read %q", text, got)
		}
		if strings.ContainsAny(field, "^~\\") && !strings.Contains(field, "_") {
			t.Errorf("%q: field %q has unescaped command characters", text, field)
		}
	}
}

func TestLinearSymbolsFoundInEveryOrientation(t *testing.T) {
	c128, _ := code128.Encode("40327610117+99000933000000")
	itf, _ := twooffive.Encode("60701001756402", true) // wide = 3 narrow
	c39, _ := code39.Encode("1103733901", false, false)
	e13, _ := ean.Encode("590123412345")
	cases := []struct {
		name, kind, data string
		runs             []int
	}{
		{"ean13 x3", "ean13", "590123412345", scale(barRuns(e13), 3)},
		{"code128 x3", "code128", ">;4032761011>67+>599000933000000", scale(barRuns(c128), 3)},
		{"code128 x2", "code128", ">;4032761011>67+>599000933000000", scale(barRuns(c128), 2)},
		{"itf 2:6", "itf", "60701001756402", scale(barRuns(itf), 2)},
		{"code39 3:9", "code39", "1103733901", scale(barRuns(c39), 3)},
	}
	for _, c := range cases {
		for _, rot := range []int{0, 90, 180, 270} {
			w := 0
			for _, r := range c.runs {
				w += r
			}
			m, _ := NewMono(w+100, 200)
			drawBars(m, c.runs, 40, 30, 120)
			// Text under the bars, as on real labels.
			for x := 60; x < 120; x += 3 {
				m.Set(x, 160, true)
			}
			want := image.Rect(40, 30, 40+w, 150)
			if rot != 0 {
				rm, _ := m.Rotate(rot)
				switch rot {
				case 90:
					want = image.Rect(m.H-150, 40, m.H-30, 40+w)
				case 180:
					want = image.Rect(m.W-40-w, m.H-150, m.W-40, m.H-30)
				case 270:
					want = image.Rect(30, m.W-40-w, 150, m.W-40)
				}
				m = rm
			}
			syms := findLinearSymbols(m)
			if len(syms) != 1 {
				t.Errorf("%s turned %d: found %d symbols", c.name, rot, len(syms))
				continue
			}
			s := syms[0]
			orient := map[int]string{0: "N", 90: "R", 180: "I", 270: "B"}[rot]
			if s.kind != c.kind || s.rect != want || !strings.Contains(s.cmd, "^FD"+c.data) || !strings.Contains(s.cmd, "^B"+map[string]string{"code128": "C", "itf": "2", "code39": "3", "ean13": "E"}[c.kind]+orient+",") {
				t.Errorf("%s turned %d: %s %v %q, want %s %v", c.name, rot, s.kind, s.rect, s.cmd, c.kind, want)
			}
		}
	}
}

func TestLinearSymbolsInexactStayBitmaps(t *testing.T) {
	c128, _ := code128.Encode("JJD014600004617230770")
	mods := barRuns(c128)
	itf, _ := twooffive.Encode("60701001756402", false) // wide = 2 narrow
	cases := map[string][]int{}
	// Modules of 2.5 dots: runs of 2 and 3 dots alternate, every run
	// within a dot, but a 2-dot module is 20 % off.
	var half []int
	for i, m := range mods {
		half = append(half, (m*5+i%2)/2)
	}
	cases["code128 at 2.5 dots a module"] = half
	// One bar 2 dots too wide.
	bad := scale(mods, 3)
	bad[10] += 2
	cases["code128 with a bar 2 dots off"] = bad
	// ITF at narrow 3, wide 7: a ratio of 2.33 that ^BY cannot say.
	var r233 []int
	for _, r := range barRuns(itf) {
		r233 = append(r233, map[int]int{1: 3, 2: 7}[r])
	}
	cases["itf at a ratio of 2.33"] = r233
	// A damaged check character.
	broken := scale(mods, 2)
	broken[len(broken)-8], broken[len(broken)-9] = broken[len(broken)-9], broken[len(broken)-8]
	cases["code128 with a wrong check character"] = broken
	// EAN-13 with a wrong check digit: the last right-hand digit changed
	// from 7 (1312) to 1 (2221).
	e13, _ := ean.Encode("5901234123457")
	bad13 := barRuns(e13)
	copy(bad13[52:56], []int{2, 2, 2, 1})
	cases["ean13 with a wrong check digit"] = scale(bad13, 2)
	for name, runs := range cases {
		if cmd, kind, _, ok := linearSymbol(runs, 100); ok {
			t.Errorf("%s: recognised as %s %q", name, kind, cmd)
		}
	}
}

func FuzzLinearSymbol(f *testing.F) {
	c128, _ := code128.Encode("40327610117+99000933000000")
	seed := scale(barRuns(c128), 3)
	b := make([]byte, len(seed))
	for i, r := range seed {
		b[i] = byte(r)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 2000 {
			return
		}
		runs := make([]int, len(data))
		for i, c := range data {
			runs[i] = int(c%16) + 1
		}
		cmd, _, _, ok := linearSymbol(runs, 50)
		if ok && !strings.Contains(cmd, "^FD") {
			t.Fatalf("command without data: %q", cmd)
		}
	})
}

// A GS1 DataMatrix made by another encoder goes out natively when its
// decoded content (FNC1 first and as separator) fits the same size; the
// printer is told FNC1 through the escape character.
func TestGS1DataMatrixNative(t *testing.T) {
	content := string([]byte{datamatrix.FNC1}) + "42073108" + string([]byte{datamatrix.FNC1}) + "9234690361980900000142"
	bc, err := datamatrix.Encode(content)
	if err != nil {
		t.Fatal(err)
	}
	b := bc.Bounds()
	const mod = 4
	m, _ := NewMono(b.Dx()*mod+40, b.Dy()*mod+40)
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			if r, _, _, _ := bc.At(b.Min.X+x, b.Min.Y+y).RGBA(); r < 0x8000 {
				for yy := 0; yy < mod; yy++ {
					for xx := 0; xx < mod; xx++ {
						m.Set(20+x*mod+xx, 20+y*mod+yy, true)
					}
				}
			}
		}
	}
	syms := findNativeSymbols(m)
	if len(syms) != 1 {
		t.Fatalf("%d symbols found", len(syms))
	}
	want := fmt.Sprintf("^BXN,4,200,%d,%d,,`,1^FH_^FD`142073108`19234690361980900000142", b.Dx(), b.Dy())
	if syms[0].cmd != want {
		t.Errorf("command %q, want %q", syms[0].cmd, want)
	}
}

// sameSpan compares two rows a byte at a time with the end bytes masked:
// the same answer as dot by dot, for every span.
func TestSameSpanRows(t *testing.T) {
	m, err := NewMono(37, 2)
	if err != nil {
		t.Fatal(err)
	}
	for x := 0; x < 37; x++ {
		m.Set(x, 0, x%3 == 0)
		m.Set(x, 1, x%3 == 0 && x != 17 && x != 30)
	}
	v := lineView{m: m}
	for u0 := 0; u0 < 37; u0++ {
		for u1 := u0 + 1; u1 <= 37; u1++ {
			want := true
			for u := u0; u < u1; u++ {
				if m.Black(u, 0) != m.Black(u, 1) {
					want = false
				}
			}
			if got := v.sameSpan(0, 1, u0, u1); got != want {
				t.Fatalf("span [%d,%d): %v, want %v", u0, u1, got, want)
			}
		}
	}
}
