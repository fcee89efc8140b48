package zpl_test

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/zpl"
	"github.com/labelagent/labelagent/zpl/render"
)

// randomMono is a w x h bitmap with runs of black, like label art, and
// bytes that are ZPL prefixes when read as text.
func randomMono(t testing.TB, w, h int, seed uint64) *zpl.Mono {
	t.Helper()
	m, err := zpl.NewMono(w, h)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 1))
	for y := 0; y < h; y++ {
		for x := 0; x < w; {
			n := 1 + r.IntN(9)
			black := r.IntN(3) == 0
			for ; n > 0 && x < w; n, x = n-1, x+1 {
				m.Set(x, y, black)
			}
		}
	}
	return m
}

// A page sent as a ~DY PNG comes back from the printer's point of view
// (Tokenize, ParseDownload, Graphic) and from any PNG decoder as the same
// dots, black where the bitmap is black.
func TestEncodePNGRoundTrip(t *testing.T) {
	for _, size := range [][2]int{{1, 1}, {7, 3}, {8, 8}, {823, 40}, {1201, 17}} {
		m := randomMono(t, size[0], size[1], uint64(size[0]))
		data := zpl.EncodePNG(m, zpl.PNGLevel)
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%v: %v", size, err)
		}
		// 1 bit, two-colour palette (white, black): monochrome, as ~DY requires.
		if p, ok := img.(*image.Paletted); !ok || len(p.Palette) != 2 || p.Bounds().Dx() != m.W || p.Bounds().Dy() != m.H || data[24] != 1 {
			t.Fatalf("%v: decoded as %T %v, bit depth %d", size, img, img.Bounds(), data[24])
		}
		for y := 0; y < m.H; y++ {
			for x := 0; x < m.W; x++ {
				if black := color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y == 0; black != m.Black(x, y) {
					t.Fatalf("%v: dot %d,%d black=%v, want %v", size, x, y, black, m.Black(x, y))
				}
			}
		}
		cmd := fmt.Appendf(nil, "~DYR:LOGO,B,P,%d,,%s^XA^FO0,0^IMR:LOGO.PNG^FS^XZ", len(data), data)
		cmds, err := zpl.Tokenize(cmd)
		if err != nil {
			t.Fatal(err)
		}
		if len(cmds) != 6 || cmds[0].Name != "DY" || cmds[1].Name != "XA" || cmds[3].Name != "IM" {
			t.Fatalf("%v: tokenized as %d commands (binary data read as commands?)", size, len(cmds))
		}
		o, err := zpl.ParseDownload(cmds[0])
		if err != nil {
			t.Fatal(err)
		}
		got, err := o.Graphic()
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(m) {
			t.Errorf("%v: ~DY graphic differs from the bitmap", size)
		}
	}
}

func grf(t *testing.T) (*zpl.Mono, []byte) {
	m := randomMono(t, 16, 3, 7)
	return m, m.Pix
}

func pngOf(t *testing.T, img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func z64(raw []byte) string {
	var b bytes.Buffer
	zw := zlib.NewWriter(&b)
	zw.Write(raw)
	zw.Close()
	return ":Z64:" + base64.StdEncoding.EncodeToString(b.Bytes())
}

// ~DY as the ZPL II guide defines it: every data format, the extension
// deciding what is stored, and what a printer refuses.
func TestParseDownload(t *testing.T) {
	m, raw := grf(t)
	mono := zpl.EncodePNG(m, zpl.PNGLevel)
	gray8 := pngOf(t, image.NewGray(image.Rect(0, 0, 4, 4)))
	for _, c := range []struct {
		name, src string
		key       string // "" when refused
		err       string
		mono      *zpl.Mono
	}{
		{"GRF in ASCII hex", fmt.Sprintf("~DYR:LOGO,A,G,%d,2,%X", len(raw), raw), "LOGO.GRF", "", m},
		{"GRF in binary", fmt.Sprintf("~DYE:LOGO,B,G,%d,2,%s", len(raw), raw), "LOGO.GRF", "", m},
		{"GRF in Z64", fmt.Sprintf("~DYR:LOGO,A,G,%d,2,%s", len(raw), z64(raw)), "LOGO.GRF", "", m},
		{"PNG in hex", fmt.Sprintf("~DYR:P1,P,P,%d,,%X", len(mono), mono), "P1.PNG", "", m},
		{"PNG in Z64", fmt.Sprintf("~DYR:P1,P,P,%d,,%s", len(mono), z64(mono)), "P1.PNG", "", m},
		{"PNG in binary", fmt.Sprintf("~DYR:P1,B,P,%d,,%s", len(mono), mono), "P1.PNG", "", m},
		{"lower case, extension in the name", fmt.Sprintf("~dyr:p1.png,b,p,%d,,%s", len(mono), mono), "P1.PNG", "", m},
		{"no name", fmt.Sprintf("~DYR:,B,P,%d,,%s", len(mono), mono), "UNKNOWN.PNG", "", m},
		{"unknown extension stores GRF", fmt.Sprintf("~DYR:X,B,Q,%d,2,%s", len(raw), raw), "X.GRF", "", m},
		{"binary cut short", fmt.Sprintf("~DYR:P1,B,P,%d,,%s", len(mono)+5, mono), "", "arrived", nil},
		{"hex cut short", fmt.Sprintf("~DYR:P1,P,P,%d,,%X", len(mono)+1, mono), "", "in the data", nil},
		{"not hex", "~DYR:P1,A,G,2,1,ZZZZ", "", "not hex", nil},
		{"AR compressed", "~DYR:P1,C,G,2,1,ab", "", "BAR-ONE", nil},
		{"unknown format", "~DYR:P1,Q,G,2,1,00", "", "data format", nil},
		{"no size", "~DYR:P1,A,G,,1,00", "", "size", nil},
		{"too large", "~DYR:P1,A,G,999999999,1,00", "", "too large", nil},
		{"too few parameters", "~DYR:P1,A,G", "", "parameters", nil},
		{"Z64 CRC damaged", fmt.Sprintf("~DYR:P1,P,P,%d,,%s:0000", len(mono), z64(mono)), "", "CRC", nil},
		{"8-bit PNG", fmt.Sprintf("~DYR:P1,B,P,%d,,%s", len(gray8), gray8), "P1.PNG", "monochrome", nil},
		{"not a PNG", "~DYR:P1,B,P,4,,abcd", "P1.PNG", "not a PNG", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmds, err := zpl.Tokenize([]byte(c.src))
			if err != nil || len(cmds) != 1 {
				t.Fatalf("%d commands, %v", len(cmds), err)
			}
			o, err := zpl.ParseDownload(cmds[0])
			if c.key == "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one saying %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.Key() != c.key {
				t.Errorf("stored as %s, want %s", o.Key(), c.key)
			}
			g, err := o.Graphic()
			if c.mono == nil {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("graphic error %v, want one saying %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !g.Crop(c.mono.Bounds()).Equal(c.mono) {
				t.Error("the stored graphic is not the bitmap sent")
			}
		})
	}
}

// Whatever arrives as ~DY, parsing and decoding it neither panics nor
// takes more than the limits allow.
func FuzzParseDownload(f *testing.F) {
	m := randomMono(f, 20, 5, 3)
	p := zpl.EncodePNG(m, zpl.PNGLevel)
	f.Add(fmt.Appendf(nil, "~DYR:P1,B,P,%d,,%s^XA^IMR:P1.PNG^FS^XZ", len(p), p))
	f.Add(fmt.Appendf(nil, "~DYR:P1,P,P,%d,,%X", len(p), p))
	f.Add(fmt.Appendf(nil, "~DYR:P1,P,P,%d,,%s", len(p), z64(p)))
	f.Add([]byte("~DYE:LOGO,A,G,6,2,FF00FF00FF00"))
	f.Add([]byte("~DYR:X,B,G,3,1,^~^"))
	f.Fuzz(func(t *testing.T, src []byte) {
		cmds, err := zpl.Tokenize(src)
		if err != nil {
			return
		}
		for _, c := range cmds {
			if !c.Tilde || c.Name != "DY" {
				continue
			}
			o, err := zpl.ParseDownload(c)
			if err != nil {
				continue
			}
			if len(o.Data) > zpl.MaxGraphicBytes {
				t.Fatalf("%d bytes stored", len(o.Data))
			}
			if g, err := o.Graphic(); err == nil && int64(g.W)*int64(g.H) > zpl.MaxImagePixels {
				t.Fatalf("%dx%d graphic", g.W, g.H)
			}
		}
		_, _ = render.Render(src, render.Options{})
	})
}

// Every corpus page sent as a binary ~DY PNG prints exactly the dots of
// the ASCII Z64 label, natively sent barcodes included, at 203 and 300
// dpi; and it is at most 82 % of the Z64 label's bytes (measured:
// 75-81 % with klauspost level 8, base64's third is gone).
func TestCorpusPNGGraphicsSameDots(t *testing.T) {
	for _, c := range corpusLabels {
		data := corpus(t, c.file)
		for _, dpi := range []int{203, 300} {
			pc := printer.ProfileConfig{DPI: dpi, Label: c.label}
			z := mustProfile(t, pc)
			pc.Graphics = "png"
			p := mustProfile(t, pc)
			zOut, err := conv.Prepare(testContext(t), zpl.KindPDF, data, z)
			if err != nil {
				t.Fatal(err)
			}
			pOut, err := conv.Prepare(testContext(t), zpl.KindPDF, data, p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(pOut, []byte("~DYR:LAPG0001,B,P,")) || !bytes.Contains(pOut, []byte("^IMR:LAPG0001.PNG^FS")) || bytes.Contains(pOut, []byte("^GF")) {
				t.Fatalf("%s %d dpi: not a ~DY PNG label: %.80q", c.file, dpi, pOut)
			}
			zl, err := render.Render(zOut, render.Options{DPI: dpi})
			if err != nil {
				t.Fatal(err)
			}
			pl, err := render.Render(pOut, render.Options{DPI: dpi})
			if err != nil {
				t.Fatal(err)
			}
			if len(zl) != 1 || len(pl) != 1 || len(pl[0].Warnings) > 0 {
				t.Fatalf("%s %d dpi: %d and %d labels, warnings %v", c.file, dpi, len(zl), len(pl), pl[0].Warnings)
			}
			if !zl[0].Image.Equal(pl[0].Image) {
				t.Errorf("%s %d dpi: the PNG label's dots differ from the Z64 label's", c.file, dpi)
			}
			if len(pOut)*100 > len(zOut)*82 {
				t.Errorf("%s %d dpi: PNG label %d bytes, Z64 %d: not 18 %% smaller", c.file, dpi, len(pOut), len(zOut))
			}
			t.Logf("%s %d dpi: Z64 %d bytes, PNG %d (%.2f)", c.file, dpi, len(zOut), len(pOut), float64(len(pOut))/float64(len(zOut)))
		}
	}
}
