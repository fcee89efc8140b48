package zpl_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/zpl"
	"github.com/labelagent/labelagent/zpl/internal/testlabel"
	"github.com/labelagent/labelagent/zpl/render"
	"github.com/labelagent/labelagent/zpl/verify"
)

// TestPDFLabelScansAfterConversion is the acceptance test: a PDF
// label with a Code 128 and a DataMatrix becomes ZPL at 203 and 300 dpi,
// our renderer draws that ZPL, and both barcodes decode to their values on
// a label that fits the media.
func TestPDFLabelScansAfterConversion(t *testing.T) {
	lbl := testlabel.DHL()
	for _, tc := range []struct {
		name      string
		dpi       int
		landscape bool
	}{
		{"203dpi", 203, false},
		{"300dpi", 300, false},
		{"203dpi-landscape-page", 203, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := lbl
			l.Landscape = tc.landscape
			pdf, err := l.PDF()
			if err != nil {
				t.Fatal(err)
			}
			p := mustProfile(t, printer.ProfileConfig{DPI: tc.dpi, Label: "910-300-600"})
			out, err := conv.Prepare(testContext(t), zpl.KindPDF, pdf, p)
			if err != nil {
				t.Fatal(err)
			}
			labels, err := render.Render(out, render.Options{DPI: tc.dpi})
			if err != nil {
				t.Fatal(err)
			}
			if len(labels) != 1 {
				t.Fatalf("%d labels, want 1", len(labels))
			}
			got := labels[0]
			if len(got.Warnings) > 0 {
				t.Errorf("renderer warnings: %q", got.Warnings)
			}
			if got.Image.W != p.WidthDots || got.Image.H != p.HeightDots {
				t.Errorf("label is %dx%d dots, media is %dx%d", got.Image.W, got.Image.H, p.WidthDots, p.HeightDots)
			}
			// Nothing printed outside the media, and the content spans it
			// (not shrunk into a corner).
			tr, r := got.Image.Trim()
			if tr == nil || r.Dx() < p.WidthDots*9/10 || r.Dy() < p.HeightDots*9/10 {
				t.Errorf("printed area %v does not span the %dx%d label", r, p.WidthDots, p.HeightDots)
			}
			rep, err := verify.Check(testContext(t), got.Image, []verify.Expectation{
				{Format: "code128", Text: l.Code128},
				{Format: "datamatrix", Text: l.DataMatrix},
			})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() {
				png, _ := got.PNG()
				f := filepath.Join(os.TempDir(), "labelagent-zpl-failed-"+tc.name+".png")
				os.WriteFile(f, png, 0o644)
				t.Fatalf("%v (found %+v; image in %s)", rep.Err(), rep.Found, f)
			}
		})
	}
}
