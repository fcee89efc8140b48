package render

import (
	"image"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gzaztec "github.com/makiuchi-d/gozxing/aztec"
	gzdatamatrix "github.com/makiuchi-d/gozxing/datamatrix"
	"github.com/makiuchi-d/gozxing/oned"

	"github.com/labelagent/labelagent/zpl"
)

// fieldSafe keeps fuzzed field data to what ZPL field data can hold: no
// command prefixes, no CR/LF (the printer drops them).
func fieldSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '^' || r == '~' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
}

func readBack(t *testing.T, l *Label, b Barcode, r gozxing.Reader) (*gozxing.Result, error) {
	t.Helper()
	rect := b.Bounds.Inset(-10).Intersect(l.Image.Bounds())
	g := image.NewGray(image.Rect(0, 0, rect.Dx()+40, rect.Dy()+40))
	for i := range g.Pix {
		g.Pix[i] = 255
	}
	for y := rect.Min.Y; y < rect.Max.Y; y++ {
		for x := rect.Min.X; x < rect.Max.X; x++ {
			if l.Image.Black(x, y) {
				g.Pix[(y-rect.Min.Y+20)*g.Stride+x-rect.Min.X+20] = 0
			}
		}
	}
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(gozxing.NewLuminanceSourceFromImage(g)))
	if err != nil {
		return nil, err
	}
	return r.Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: false, gozxing.DecodeHintType_ASSUME_GS1: true})
}

// Code 128 in every mode: whatever the data, the symbol reads back as
// exactly what the renderer says it encodes.
func FuzzCode128(f *testing.F) {
	for _, s := range []string{">;382436>6CODE128>752375152", ">935473637171824", "(00)10084423 7449200940", "AMZ123456>8ab", "", ">", ">;1", "9632080400200044387502171053828143", "a\x01b"} {
		for _, m := range "NADU" {
			f.Add(s, byte(m))
		}
	}
	f.Fuzz(func(t *testing.T, data string, mode byte) {
		data = fieldSafe(data)
		if len(data) > 60 {
			return
		}
		m := string(rune(mode))
		if !strings.Contains("NADU", m) {
			m = "N"
		}
		labels, err := Render([]byte("^XA^PW4000^LL300^FO20,20^BY1^BCN,100,N,N,N,"+m+"^FD"+data+"^FS^XZ"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		l := labels[0]
		if len(l.Barcodes) == 0 {
			if len(l.Undrawn) == 0 {
				t.Fatal("no barcode and nothing reported undrawn")
			}
			return
		}
		b := l.Barcodes[0]
		if b.Clipped || b.Data == "" {
			return // readers report nothing for a symbol of function characters only
		}
		res, err := readBack(t, l, b, oned.NewCode128Reader())
		if err != nil {
			t.Fatalf("%q mode %s: drawn as %q but does not read: %v", data, m, b.Data, err)
		}
		// gozxing reads a check character of value 102 as a trailing GS.
		text := strings.TrimSuffix(strings.TrimPrefix(res.GetText(), "]C1"), GS)
		gs1 := strings.HasPrefix(res.GetText(), "]C1")
		if text != strings.TrimSuffix(b.Data, GS) || gs1 != b.GS1 {
			t.Fatalf("%q mode %s: reads %q GS1=%v, renderer says %q GS1=%v", data, m, text, gs1, b.Data, b.GS1)
		}
	})
}

// Aztec: any data at any error correction or layer request is drawn and
// reads back, or is reported as not drawn.
func FuzzAztec(f *testing.F) {
	f.Add("Part:123;Warehouse:BYZA;Position:12-12-1", 5, 23)
	f.Add("ABC", 3, 103)
	f.Add("", 1, 0)
	f.Add("x", 10, 232)
	f.Add("\xff\x00binary", 4, 300)
	f.Fuzz(func(t *testing.T, data string, mag, d int) {
		data = fieldSafe(data)
		if len(data) > 200 {
			return
		}
		zplText := "^XA^PW2000^LL2000^FO20,20^BON," + itoa(mag) + ",," + itoa(d) + "^FD" + data + "^FS^XZ"
		labels, err := Render([]byte(zplText), Options{})
		if err != nil {
			t.Fatal(err)
		}
		l := labels[0]
		if len(l.Barcodes) == 0 {
			if len(l.Undrawn) == 0 {
				t.Fatalf("%q: no symbol and nothing reported undrawn", zplText)
			}
			return
		}
		b := l.Barcodes[0]
		if b.Clipped || b.Bounds.Dx() < 15*2 || data == "" {
			return
		}
		res, err := readBack(t, l, b, gzaztec.NewAztecReader())
		if err != nil {
			t.Fatalf("%q: drawn but does not read: %v", zplText, err)
		}
		if res.GetText() != b.Data {
			t.Fatalf("%q: reads %q, renderer says %q", zplText, res.GetText(), b.Data)
		}
	})
}

func itoa(n int) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// MaxiCode: never a panic, a symbol of MaxiCode size or a report.
func FuzzMaxiCode(f *testing.F) {
	f.Add(3, "4030405000  [)>_1E01_1D961Z08720000_1DUPSN_1D680RA4_1D051_1D_1D1/1_1D1_1DN_1D_1DHALLEIN_1D_1E_04")
	f.Add(2, "002840100450000[)>_1E01_1D961Z00004951_1DUPSN_1D06X610_1D159_1D1234567_1D1/1_1D_1DY_1D634 ALPHA DR_1DPITTSBURGH_1DPA_1E_04")
	f.Add(4, "plain message")
	f.Add(6, "")
	f.Add(9, "x")
	f.Fuzz(func(t *testing.T, mode int, data string) {
		data = fieldSafe(data)
		if len(data) > 300 {
			return
		}
		labels, err := Render([]byte("^XA^FO20,20^BD"+itoa(mode)+"^FH_^FD"+data+"^FS^XZ"), Options{Width: 812, Height: 1218})
		if err != nil {
			t.Fatal(err)
		}
		l := labels[0]
		switch {
		case len(l.Barcodes) == 1:
			if b := l.Barcodes[0].Bounds; b.Dx() < 200 || b.Dx() > 250 {
				t.Fatalf("MaxiCode %v is not MaxiCode-sized", b)
			}
		case len(l.Undrawn) != 1:
			t.Fatalf("mode %d %q: neither drawn nor reported", mode, data)
		}
	})
}

// Stored formats: any template and any recall never panic, the storing
// format never prints, and the recall prints one label.
func FuzzStoredFormats(f *testing.F) {
	f.Add("R:SHIP.ZPL", "^FO20,20^BY2^BCN,80,N,N^FN1^FS^FO20,150^A0N,30,30^FN2^FDdefault^FS", "SHIP", "^FN1^FDJJD0001^FS^FN2^FDx^FS")
	f.Add("E:A", "^FN1^FS", "R:A.ZPL", "^FN1^FD^FS")
	f.Add("", "", "", "")
	f.Add("X", "^XFX^FS", "X", "^FN99999^FDa^FS")
	f.Fuzz(func(t *testing.T, name, tmpl, recall, vals string) {
		job := "^XA^DF" + name + "^FS" + tmpl + "^XZ^XA^XF" + recall + "^FS" + vals + "^XZ"
		if len(job) > 20000 {
			return
		}
		labels, err := Render([]byte(job), Options{Width: 400, Height: 400})
		if err != nil {
			return
		}
		if len(labels) > 2 {
			t.Fatalf("%d labels from one stored and one recalled format", len(labels))
		}
		for _, l := range labels {
			if l.Image == nil || l.Image.W > zpl.MaxDots {
				t.Fatal("bad image")
			}
		}
	})
}

// DataMatrix: any data, escapes and requested size read back as the
// renderer reports them, GS1 included.
func FuzzDataMatrix(f *testing.F) {
	f.Add("_142098028_19205590303196500000000", true, 20, 20)
	f.Add("ADK0063DK00262080000075208a15e1qVYOD3VO5SBBd         1   218S2500", false, 0, 0)
	f.Add("M\xfcller _d065__", true, 0, 0)
	f.Add("", false, 144, 144)
	f.Fuzz(func(t *testing.T, data string, escape bool, cols, rows int) {
		data = fieldSafe(data)
		if len(data) > 300 {
			return
		}
		esc := ""
		if escape {
			esc = "_"
		}
		zplText := "^XA^PW3000^LL3000^FO20,20^BXN,3,200," + itoa(cols) + "," + itoa(rows) + ",," + esc + "^FD" + data + "^FS^XZ"
		labels, err := Render([]byte(zplText), Options{})
		if err != nil {
			t.Fatal(err)
		}
		l := labels[0]
		if len(l.Barcodes) == 0 {
			if len(l.Undrawn) == 0 {
				t.Fatalf("%q: no symbol and nothing reported undrawn", zplText)
			}
			return
		}
		b := l.Barcodes[0]
		if b.Clipped || data == "" {
			return
		}
		res, err := readBack(t, l, b, gzdatamatrix.NewDataMatrixReader())
		if err != nil {
			t.Fatalf("%q: drawn but does not read: %v", zplText, err)
		}
		text := res.GetText()
		if b.GS1 {
			text = strings.TrimPrefix(text, GS)
		}
		if text != b.Data {
			t.Fatalf("%q: reads %q, renderer says %q", zplText, text, b.Data)
		}
	})
}
