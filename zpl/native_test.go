package zpl_test

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/zpl"
	"github.com/labelagent/labelagent/zpl/internal/testlabel"
	"github.com/labelagent/labelagent/zpl/render"
	"github.com/labelagent/labelagent/zpl/verify"
)

var nativeCmd = regexp.MustCompile(`\^FO\d+,\d+(\^BY\d+,3)?\^B[X7]N[^F]*\^FH_\^FD[^^]*\^FS`)

func TestNativeBarcodesFromPDF(t *testing.T) {
	lbl := testlabel.DHL()
	pdf, err := lbl.PDF()
	if err != nil {
		t.Fatal(err)
	}
	for _, dpi := range []int{203, 300} {
		p := mustProfile(t, printer.ProfileConfig{DPI: dpi})
		out, err := conv.Prepare(testContext(t), zpl.KindPDF, pdf, p)
		if err != nil {
			t.Fatal(err)
		}
		cmds := nativeCmd.FindAll(out, -1)
		if len(cmds) != 2 || !bytes.Contains(out, []byte("^BXN,")) || !bytes.Contains(out, []byte("^B7N,")) {
			t.Fatalf("%d dpi: native commands %q, want one ^BX and one ^B7", dpi, cmds)
		}
		if !bytes.Contains(out, []byte("^FD"+lbl.DataMatrix+"^FS")) || !bytes.Contains(out, []byte("^FD"+lbl.PDF417+"^FS")) {
			t.Errorf("%d dpi: native barcodes do not carry the source's data: %q", dpi, cmds)
		}
		// Drawn back, they take the place of the originals: outside the
		// native symbols (and a 3-dot margin for whole-dot rounding) both
		// labels are the same, and no original dot is left outside them.
		bitmapOnly, err := conv.PDFLabels(testContext(t), pdf, p, zpl.PDFOptions{BitmapBarcodes: true})
		if err != nil {
			t.Fatal(err)
		}
		a, _ := render.Render(out, render.Options{DPI: dpi})
		b, _ := render.Render(bitmapOnly, render.Options{DPI: dpi})
		for _, bc := range a[0].Barcodes {
			if bc.Symbology != "datamatrix" && bc.Symbology != "pdf417" {
				continue
			}
			r := bc.Bounds.Inset(-3)
			for y := r.Min.Y; y < r.Max.Y; y++ {
				for x := r.Min.X; x < r.Max.X; x++ {
					a[0].Image.Set(x, y, false)
					b[0].Image.Set(x, y, false)
				}
			}
		}
		diff := 0
		for y := 0; y < a[0].Image.H; y++ {
			for x := 0; x < a[0].Image.W; x++ {
				if a[0].Image.Black(x, y) != b[0].Image.Black(x, y) {
					diff++
				}
			}
		}
		if diff != 0 {
			t.Errorf("%d dpi: outside the native symbols the labels differ in %d dots", dpi, diff)
		}
		if len(out) >= len(bitmapOnly) {
			t.Errorf("%d dpi: native %d bytes, bitmap %d: no gain", dpi, len(out), len(bitmapOnly))
		}
		t.Logf("%d dpi: %d bytes with native barcodes, %d as bitmap", dpi, len(out), len(bitmapOnly))
	}
}

func TestNativeRefusesInexactModules(t *testing.T) {
	// 0.55 mm modules are 4.4 dots at 203 dpi: 4 dots would be 9 % smaller.
	lbl := testlabel.DHL()
	lbl.DataMatrixModule = 0.55
	lbl.PDF417 = ""
	pdf, err := lbl.PDF()
	if err != nil {
		t.Fatal(err)
	}
	p := mustProfile(t, printer.ProfileConfig{})
	out, err := conv.Prepare(testContext(t), zpl.KindPDF, pdf, p)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte("^BX")) {
		t.Fatal("a DataMatrix with 4.4-dot modules became a native ^BX")
	}
	labels, _ := render.Render(out, render.Options{})
	rep, err := verify.Check(testContext(t), labels[0].Image, []verify.Expectation{{Format: "datamatrix", Text: lbl.DataMatrix}})
	if err != nil || !rep.OK() {
		t.Fatalf("the bitmap DataMatrix does not scan: %v %v", err, rep.Err())
	}
}

// Without native barcodes the label prints the rendered page dot for dot,
// rules (^GB) and bands (^GF) together.
func TestPDFLabelIsThePageDotForDot(t *testing.T) {
	pdf, err := testlabel.DHL().PDF()
	if err != nil {
		t.Fatal(err)
	}
	p := mustProfile(t, printer.ProfileConfig{})
	out, err := conv.PDFLabels(testContext(t), pdf, p, zpl.PDFOptions{BitmapBarcodes: true})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte("^GB")) {
		t.Error("no frame lines sent as ^GB")
	}
	page, err := conv.RenderPDFPage(testContext(t), pdf, 1, p.DPI)
	if err != nil {
		t.Fatal(err)
	}
	labels, err := render.Render(out, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !labels[0].Image.Equal(page) {
		t.Fatal("the label's dots differ from the rendered page")
	}
}
