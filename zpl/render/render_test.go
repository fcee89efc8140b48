package render

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labelagent/labelagent/zpl"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const sample = "^XA^CI28^PW400^LL300^LH10,10" +
	"^FO0,0^GB380,280,2^FS" +
	"^FO20,20^A0N,40,40^FDDHL PAKET^FS" +
	"^FO20,70^FR^GB100,30,30^FS^FO25,75^FR^A0N,20,20^FDREV^FS" +
	"^FO150,70^FB200,3,0,C,0^A0N,20,20^FH^FDM_c3_bcller Stra_c3_9fe 12 in 53113 Bonn am Rhein^FS" +
	"^FO20,140^BY2,3,50^BCN,50,Y,N,N,D^FD(00)340434161094042557^FS" +
	"^FO325,140^BXN,3,200^FDDEA5E01234^FS" +
	"^FO320,215^BQN,2,2^FDQA,https://example.org/x^FS" +
	"^FO20,230^GFA,8,8,1,FF818181818181FF^FS" +
	"^XZ"

func TestRenderSample(t *testing.T) {
	labels, err := Render([]byte(sample), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) != 1 {
		t.Fatalf("%d labels", len(labels))
	}
	l := labels[0]
	if l.Image.W != 400 || l.Image.H != 300 {
		t.Fatalf("size %dx%d, want 400x300 from ^PW/^LL", l.Image.W, l.Image.H)
	}
	if len(l.Warnings) != 0 {
		t.Errorf("warnings: %q", l.Warnings)
	}
	// Box frame with label home applied: the top-left corner is at 10,10.
	if !l.Image.Black(10, 10) || !l.Image.Black(11, 11) || l.Image.Black(13, 13) || l.Image.Black(9, 9) {
		t.Error("^GB frame not at the label home")
	}
	// Reverse text: inside the black box the letters are white.
	white := 0
	for y := 85; y < 105; y++ {
		for x := 35; x < 80; x++ {
			if !l.Image.Black(x, y) {
				white++
			}
		}
	}
	if white < 30 {
		t.Errorf("reverse field: %d white dots inside the black box, want letters", white)
	}
	// The ^GF frame is at 30,240.
	if !l.Image.Black(30, 240) || l.Image.Black(33, 243) || !l.Image.Black(37, 247) {
		t.Error("^GF graphic not drawn at its field origin")
	}
	want := map[string]string{"code128": "00340434161094042557", "datamatrix": "DEA5E01234", "qr": "https://example.org/x"}
	for _, b := range l.Barcodes {
		if want[b.Symbology] != b.Data {
			t.Errorf("%s carries %q, want %q", b.Symbology, b.Data, want[b.Symbology])
		}
		delete(want, b.Symbology)
	}
	if len(want) > 0 {
		t.Errorf("not drawn: %v", want)
	}
	png, err := l.PNG()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "sample.png", png)
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		os.WriteFile(filepath.Join(os.TempDir(), "labelagent-render-"+name), got, 0o644)
		t.Errorf("%s differs from the golden file; got written to %s", name, filepath.Join(os.TempDir(), "labelagent-render-"+name))
	}
}

func TestRenderWarnsAndContinues(t *testing.T) {
	in := "^XA^FO10,10^ZZ5^FDx^FS^FO10,50^BDN^FDmaxi^FS^FO10,90^GFA,99999999,99999999,1,FF^FS^FO5,5^GB20,20,20^FS^XZ"
	labels, err := Render([]byte(in), Options{Width: 200, Height: 200})
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(labels[0].Warnings, "\n")
	for _, s := range []string{"^ZZ", "^BD", "^GF"} {
		if !strings.Contains(w, s) {
			t.Errorf("no warning about %s in %q", s, w)
		}
	}
	if !labels[0].Image.Black(10, 10) {
		t.Error("the box after the unknown commands was not drawn")
	}
}

func TestRenderNoLabel(t *testing.T) {
	if _, err := Render([]byte("hello"), Options{}); err == nil {
		t.Fatal("no error for input without ^XA")
	}
}

func TestRenderOrientationAndTypeset(t *testing.T) {
	// ^FT puts the baseline at y; rotated text runs down the label.
	labels, err := Render([]byte("^XA^PW300^LL300^FT50,100^A0N,40,40^FDHHH^FS^FO200,10^A0R,40,40^FDHHH^FS^XZ"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := labels[0].Image
	_, r := m.Crop(image.Rect(0, 0, 150, 300)).Trim()
	if r.Max.Y > 101 || r.Max.Y < 90 {
		t.Errorf("^FT text ends at y=%d, want its baseline at 100", r.Max.Y)
	}
	_, r = m.Crop(image.Rect(150, 0, 300, 300)).Trim()
	if r.Dy() < r.Dx() {
		t.Errorf("^A0R text is %dx%d, want taller than wide", r.Dx(), r.Dy())
	}
}

func TestRenderAutoHeight(t *testing.T) {
	labels, err := Render([]byte("^XA^FO0,0^GB100,500,5^FS^XZ"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if h := labels[0].Image.H; h != 500 {
		t.Fatalf("label without ^LL is %d dots tall, want the drawn 500", h)
	}
}

func FuzzRender(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte("^XA^CC+^FO1,1+FDx+FS+XZ"))
	f.Add([]byte("^XA^FO1,1^GFB,4,4,1,\x00^^\xff^FS^XZ"))
	f.Add([]byte("^XA^FO1,1^B7N,5,5^FDhello^FS^FO0,0^BQ^FDMM,B0003abc^FS^XZ"))
	f.Add([]byte("~DGR:A.GRF,4,1,FF00FF00^XA^FO5,5^XGR:A.GRF,3,3^FS^XZ"))
	if m, err := zpl.NewMono(9, 3); err == nil {
		m.Set(4, 1, true)
		png := zpl.EncodePNG(m, zpl.PNGLevel)
		f.Add(fmt.Appendf(nil, "~DYR:P,B,P,%d,,%s^XA^FO5,5^IMR:P.PNG^FS^XGR:P.PNG,2,2^FS^XZ", len(png), png))
		f.Add(fmt.Appendf(nil, "^XA~DYR:P,P,P,%d,,%X^FO5,5^IMP.PNG^FS^XZ", len(png), png))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		labels, err := Render(in, Options{Width: 300, Height: 300})
		if err != nil {
			return
		}
		for _, l := range labels {
			if l.Image == nil || l.Image.W > zpl.MaxDots {
				t.Fatal("bad image")
			}
		}
	})
}

func BenchmarkRenderDHLStyle(b *testing.B) {
	for b.Loop() {
		if _, err := Render([]byte(sample), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
