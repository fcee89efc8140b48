package zpl_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/zpl"
	"github.com/labelagent/labelagent/zpl/internal/testlabel"
	"github.com/labelagent/labelagent/zpl/render"
	"github.com/labelagent/labelagent/zpl/verify"
)

func TestPDFPagesAndSelect(t *testing.T) {
	pdf, err := testlabel.DHL().PDF()
	if err != nil {
		t.Fatal(err)
	}
	pages, err := zpl.PDFPages(pdf)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 1 || int(pages[0].WidthMM()+0.5) != 103 || int(pages[0].HeightMM()+0.5) != 199 {
		t.Fatalf("pages = %+v, want one 103 x 199 mm page", pages)
	}
	three := testlabel.BuildPages([][2]float64{{100, 100}, {200, 100}, {300, 100}}, [][]byte{[]byte("0 0 1 1 re f"), []byte("0 0 2 2 re f"), []byte("0 0 3 3 re f")})
	sel, err := zpl.SelectPDFPages(three, "2-3")
	if err != nil {
		t.Fatal(err)
	}
	pages, err = zpl.PDFPages(sel)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 2 || int(pages[0].Width) != 200 || int(pages[1].Width) != 300 {
		t.Fatalf("selected pages = %+v, want pages 2 and 3", pages)
	}
	split, err := zpl.SplitPDF(three)
	if err != nil || len(split) != 3 {
		t.Fatalf("split: %d parts, %v", len(split), err)
	}
}

func TestPDFRefusesPageBomb(t *testing.T) {
	bomb := testlabel.ManyPages(3000)
	_, err := conv.Prepare(testContext(t), zpl.KindPDF, bomb, mustProfile(t, printer.ProfileConfig{}))
	if !errors.Is(err, zpl.ErrInputTooLarge) {
		t.Fatalf("3000-page PDF: err = %v, want ErrInputTooLarge", err)
	}
	t.Log(err)
}

func TestPDFRefusesGarbage(t *testing.T) {
	for _, in := range [][]byte{nil, []byte("hello"), []byte("%PDF-1.4\ngarbage")} {
		if _, err := conv.Prepare(testContext(t), zpl.KindPDF, in, mustProfile(t, printer.ProfileConfig{})); err == nil {
			t.Errorf("%q accepted as PDF", in)
		}
	}
}

func mustProfile(t testing.TB, c printer.ProfileConfig) zpl.Profile {
	t.Helper()
	p, err := zpl.ProfileFrom(c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPDFLabelBasic(t *testing.T) {
	pdf, err := testlabel.DHL().PDF()
	if err != nil {
		t.Fatal(err)
	}
	for _, dpi := range []int{203, 300} {
		p := mustProfile(t, printer.ProfileConfig{DPI: dpi, Label: "910-300-600"})
		out, err := conv.Prepare(testContext(t), zpl.KindPDF, pdf, p)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d dpi: %d bytes", dpi, len(out))
		if !bytes.HasPrefix(out, []byte("^XA^PW")) {
			t.Fatalf("%.60q", out)
		}
	}
}

func FuzzPDF(f *testing.F) {
	pdf, err := testlabel.DHL().PDF()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pdf)
	f.Add(testlabel.BuildPages([][2]float64{{100, 100}}, [][]byte{[]byte("0 0 50 50 re f")}))
	f.Add([]byte("%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF"))
	p, err := zpl.ProfileFrom(printer.ProfileConfig{WidthMM: 40, HeightMM: 30})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := conv.Prepare(t.Context(), zpl.KindPDF, data, p)
		if err == nil && !bytes.HasSuffix(out, []byte("^XZ\n")) {
			t.Fatalf("output not a label: %.80q", out)
		}
	})
}

// TestPDFLabelGolden keeps the converter's output for the test label:
// any change in rendering, trimming, encoding or barcode recognition shows
// up here (run go test -update after checking it).
func TestPDFLabelGolden(t *testing.T) {
	pdf, err := testlabel.DHL().PDF()
	if err != nil {
		t.Fatal(err)
	}
	for _, dpi := range []int{203, 300} {
		out, err := conv.Prepare(testContext(t), zpl.KindPDF, pdf, mustProfile(t, printer.ProfileConfig{DPI: dpi, Darkness: 20}))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", fmt.Sprintf("pdf-dhl-%d.zpl", dpi))
		if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
			if err := os.WriteFile(path, out, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update)", err)
		}
		if !bytes.Equal(out, want) {
			t.Errorf("%d dpi: output differs from %s (%d vs %d bytes)", dpi, path, len(out), len(want))
		}
	}
}

// A label whose printed content is slightly larger than the media (its
// frame is 104 x 200 mm, the media 103 x 199 mm) is cut at the edges, not
// shrunk: its barcodes keep their whole-dot modules and still read.
func TestPDFSlightlyLargerPageIsCutNotShrunk(t *testing.T) {
	l := testlabel.DHL()
	l.WidthMM, l.HeightMM = 110, 206
	pdf, err := l.PDF()
	if err != nil {
		t.Fatal(err)
	}
	p := mustProfile(t, printer.ProfileConfig{})
	out, err := conv.Prepare(testContext(t), zpl.KindPDF, pdf, p)
	if err != nil {
		t.Fatal(err)
	}
	// Native symbols keep their module size (6 dots): nothing was scaled.
	if !bytes.Contains(out, []byte("^BXN,6,")) {
		t.Fatalf("DataMatrix not kept at 6-dot modules: %s", out[bytes.LastIndex(out, []byte("^FS"))-200:])
	}
	labels, err := render.Render(out, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if labels[0].Image.W != p.WidthDots || labels[0].Image.H != p.HeightDots {
		t.Fatalf("label %dx%d", labels[0].Image.W, labels[0].Image.H)
	}
	rep, err := verify.Check(testContext(t), labels[0].Image, []verify.Expectation{{Format: "code128", Text: l.Code128}})
	if err != nil || !rep.OK() {
		t.Fatalf("Code 128 after cutting: %v %v", err, rep.Err())
	}
}

// The renderer keeps its page bitmap for the next page of the same size:
// a page drawn after an all-black one of that size has exactly the dots
// it has when drawn first.
func TestKeptPageBitmapStartsWhite(t *testing.T) {
	ctx := testContext(t)
	black := testlabel.BuildPages([][2]float64{{100, 100}, {100, 100}}, [][]byte{[]byte("0 0 100 100 re f"), []byte("10 10 30 20 re f")})
	alone := testlabel.BuildPages([][2]float64{{100, 100}}, [][]byte{[]byte("10 10 30 20 re f")})
	want, err := conv.RenderPDFPage(ctx, alone, 1, 203)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conv.RenderPDFPage(ctx, black, 1, 203); err != nil {
		t.Fatal(err)
	}
	got, err := conv.RenderPDFPage(ctx, black, 2, 203)
	if err != nil {
		t.Fatal(err)
	}
	// The 30 x 20 pt rectangle at 203 dpi: about 85 x 56 dots.
	if n := want.BlackCount(); n < 80*50 || n > 90*60 {
		t.Fatalf("the page drawn alone has %d black dots, want those of a 30 x 20 pt rectangle", n)
	}
	if !got.Equal(want) {
		t.Fatalf("page after a black page: %d black dots, drawn first: %d", got.BlackCount(), want.BlackCount())
	}
}
