package verify

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/labelagent/labelagent/printer"

	"github.com/labelagent/labelagent/zpl"
	"github.com/labelagent/labelagent/zpl/render"
)

const label = "^XA^CI28^PW812^LL600" +
	"^FO30,30^A0N,40,40^FDDHL PAKET^FS" +
	"^FO40,100^BY3,3,120^BCN,120,Y,N,N,D^FD(00)340434161094042557^FS" +
	"^FO40,300^BY2^BCN,80,Y,N,N^FDJJD0099999999^FS" +
	"^FO600,300^BXN,6,200^FDDEA5E0001234567890^FS" +
	"^FO600,450^BQN,2,4^FDMA,https://dhl.de/r/1^FS" +
	"^FO40,450^BY2^B7N,6,3^FDPDF417 DATA^FS" +
	"^XZ"

func TestCheckZPLReadsEveryBarcode(t *testing.T) {
	rep, err := CheckZPL(t.Context(), []byte(label), render.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("%v; found %+v", rep.Err(), rep.Found)
	}
	got := map[string]string{}
	for _, f := range rep.Found {
		got[f.Format] += f.Text + ";"
	}
	for format, want := range map[string]string{
		"code128":    "00340434161094042557;JJD0099999999;",
		"datamatrix": "DEA5E0001234567890;",
		"qr":         "https://dhl.de/r/1;",
		"pdf417":     "PDF417 DATA;",
	} {
		if got[format] != want {
			t.Errorf("%s read as %q, want %q", format, got[format], want)
		}
	}
	if len(rep.Unverified) != 0 {
		t.Errorf("unverified = %+v, want the PDF417 read module by module", rep.Unverified)
	}
}

func TestCheckFindsDamagedAndMissing(t *testing.T) {
	labels, err := render.Render([]byte(label), render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := labels[0]
	// Scratch out a vertical stripe through the middle of the DataMatrix,
	// as a worn print head would.
	for _, b := range l.Barcodes {
		if b.Symbology != "datamatrix" {
			continue
		}
		mid := (b.Bounds.Min.X + b.Bounds.Max.X) / 2
		for y := b.Bounds.Min.Y; y < b.Bounds.Max.Y; y++ {
			for x := mid - 12; x < mid+12; x++ {
				l.Image.Set(x, y, false)
			}
		}
	}
	rep, err := CheckLabel(t.Context(), l, []Expectation{{Text: "NOT ON THE LABEL"}})
	if err != nil {
		t.Fatal(err)
	}
	err = rep.Err()
	if !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), "DEA5E0001234567890") || !strings.Contains(err.Error(), "NOT ON THE LABEL") {
		t.Fatalf("err = %v, want the damaged DataMatrix and the missing value named", err)
	}
}

func TestScanBlankAndHuge(t *testing.T) {
	found, err := Scan(t.Context(), image.NewGray(image.Rect(0, 0, 50, 50)))
	if err != nil || len(found) != 0 {
		t.Fatalf("black square: %v %v", found, err)
	}
	if _, err := Scan(t.Context(), image.NewGray(image.Rect(0, 0, 10000, 10000))); err == nil {
		t.Fatal("100 megapixels accepted")
	}
}

func BenchmarkCheckZPL(b *testing.B) {
	for b.Loop() {
		rep, err := CheckZPL(b.Context(), []byte(label), render.Options{}, nil)
		if err != nil || !rep.OK() {
			b.Fatal(err, rep.Err())
		}
	}
}

// Code 128 with mode N invocation codes, as DHL-style ZPL writes it: >;
// starts code set C, >: code set B.
func TestCheckZPLInvocationCodes(t *testing.T) {
	src := "^XA\n^LH0,0^CI28\n^FO48,40^BY3,3,160^BCN,160,N,N,N^FD>;00340434161094042557^FS\n" +
		"^FO48,260^BY3,3,120^BCN,120,N,N,N^FD>:JJD01234567^FS\n^FO48,420^BY2^B7N,4,2^FDTEST^FS\n^XZ\n"
	rep, err := CheckZPL(t.Context(), []byte(src), render.Options{Width: 823, Height: 600}, []Expectation{
		{Format: "code128", Text: "00340434161094042557"}, {Format: "code128", Text: "JJD01234567"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("%v; found %+v", rep.Err(), rep.Found)
	}
}

func TestCheckConversionFindsBrokenBarcodes(t *testing.T) {
	labels, err := render.Render([]byte(label), render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	src := labels[0].Image
	// The same label is its own good conversion.
	rep, err := CheckConversion(t.Context(), src, labels[0])
	if err != nil || !rep.OK() {
		t.Fatalf("identical label: %v %v", err, rep.Err())
	}
	// Shrunk to a third, the Code 128 with 2-dot modules no longer reads.
	small := image.NewGray(image.Rect(0, 0, src.W/3, src.H/3))
	for y := 0; y < small.Rect.Dy(); y++ {
		for x := 0; x < small.Rect.Dx(); x++ {
			small.Pix[y*small.Stride+x] = 255
			if src.Black(3*x, 3*y) {
				small.Pix[y*small.Stride+x] = 0
			}
		}
	}
	m, _ := zplMono(small)
	rep, err = CheckConversion(t.Context(), src, &render.Label{Image: m})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || !strings.Contains(rep.Err().Error(), "JJD0099999999") {
		t.Fatalf("shrunk label passed: %v", rep.Err())
	}
}

func zplMono(g *image.Gray) (*zpl.Mono, error) { return zpl.ToMono(g, 0, false) }

func TestCheckJobPNG(t *testing.T) {
	labels, err := render.Render([]byte(label), render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, labels[0].Image); err != nil {
		t.Fatal(err)
	}
	conv := zpl.NewConverter(zpl.ConverterOptions{})
	defer conv.Close()
	for _, tc := range []struct {
		size string
		ok   bool
	}{
		{"4x6in", true},    // 812 dots wide: the 812 x 600 image fits as it is
		{"50x30mm", false}, // shrunk to 400 dots: the thin Code 128 breaks
	} {
		p, err := zpl.ProfileFrom(printer.ProfileConfig{Label: tc.size})
		if err != nil {
			t.Fatal(err)
		}
		out, err := conv.Prepare(t.Context(), zpl.KindPNG, buf.Bytes(), p)
		if err != nil {
			if !tc.ok && errors.Is(err, zpl.ErrScalingBreaksBarcode) {
				continue // refused already by the converter
			}
			t.Fatalf("%s: %v", tc.size, err)
		}
		rep, err := CheckJob(t.Context(), conv, zpl.KindPNG, buf.Bytes(), out, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK() != tc.ok {
			t.Errorf("%s: OK = %v (%v), want %v", tc.size, rep.OK(), rep.Err(), tc.ok)
		}
	}
}

func BenchmarkScanLabel(b *testing.B) {
	labels, err := render.Render([]byte(label), render.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Scan(b.Context(), labels[0].Image); err != nil {
			b.Fatal(err)
		}
	}
}
