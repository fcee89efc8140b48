package zpl_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/zpl"
	"github.com/labelagent/labelagent/zpl/internal/testlabel"
	"github.com/labelagent/labelagent/zpl/render"
	"github.com/labelagent/labelagent/zpl/verify"
)

// corpusDir holds real carrier PDFs (../shared/corpus/pdf beside the
// repository, as in CI); their barcodes are listed in its README.
const corpusDir = "../../shared/corpus/pdf"

// corpusLabel is one PDF of the corpus, the label a user would print it on
// and the barcodes its README lists. A value ending in "…" is the start of
// a longer value.
type corpusLabel struct {
	file  string
	label string
	want  []verify.Expectation
}

var corpusLabels = []corpusLabel{
	{"dhl_parcel_de_8a9d39e6.pdf", "910-300-600", []verify.Expectation{
		{Format: "code128", Text: "40327610117+99000933000000"},
		{Format: "itf", Text: "60701001756402"},
	}},
	{"dhl_parcel_de_9097dab5.pdf", "910-300-600", []verify.Expectation{
		{Format: "code128", Text: "00340433333010200227…"},
		{Format: "code128", Text: "40327680807+99000943042250"},
	}},
	{"mydhl_6ff018ed.pdf", "4x8in", []verify.Expectation{
		{Format: "code128", Text: "2LUS76449+48000001"},
		{Format: "code128", Text: "JJD014600004617230770"},
		{Format: "code39", Text: "1103733901"},
	}},
	{"usps_7d0a397a.pdf", "4x6in", []verify.Expectation{
		{Format: "code128", Text: "42073108" + "\x1d" + "92" + "34690361980900000142"},
		{Format: "datamatrix", Text: "42073108" + "\x1d" + "92" + "34690361980900000142"},
	}},
}

// corpus reads a corpus file or skips the test when ../shared is absent.
func corpus(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir, name))
	if os.IsNotExist(err) {
		t.Skipf("the real-label corpus %s is absent (../shared beside the repository, as in CI): %v", corpusDir, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// find returns the decoded text of a symbol matching w: same format and
// the same text once GS1 separators are dropped ("…" matches a prefix).
func find(found []verify.Symbol, w verify.Expectation) (string, bool) {
	plain := func(s string) string { return strings.ReplaceAll(strings.TrimPrefix(s, "]C1"), "\x1d", "") }
	want := plain(w.Text)
	prefix := strings.HasSuffix(want, "…")
	want = strings.TrimSuffix(want, "…")
	for _, f := range found {
		if f.Format != w.Format {
			continue
		}
		if got := plain(f.Text); got == want || (prefix && strings.HasPrefix(got, want)) {
			return f.Text, true
		}
	}
	return "", false
}

var nativeLinear = regexp.MustCompile(`\^B[C23][NRIB],`)

// Every barcode the corpus README lists reads on the source page and, with
// exactly the same decoded text, on the converted label at 203 and 300
// dpi: through the project's renderer and gozxing (natively sent barcodes
// are read from their own place and the whole label is scanned), and
// with zbarimg where it is installed.
func TestCorpusBarcodesDecodeIdentically(t *testing.T) {
	nativeSeen := map[string]bool{}
	for _, c := range corpusLabels {
		data := corpus(t, c.file)
		for _, dpi := range []int{203, 300} {
			t.Run(strings.TrimSuffix(c.file, ".pdf")+"/"+map[int]string{203: "203dpi", 300: "300dpi"}[dpi], func(t *testing.T) {
				ctx := testContext(t)
				p := mustProfile(t, printer.ProfileConfig{DPI: dpi, Label: c.label})
				src, err := conv.RenderPDFPage(ctx, data, 1, dpi)
				if err != nil {
					t.Fatal(err)
				}
				srcFound, err := verify.Scan(ctx, src)
				if err != nil {
					t.Fatal(err)
				}
				out, err := conv.Prepare(ctx, zpl.KindPDF, data, p)
				if err != nil {
					t.Fatal(err)
				}
				labels, err := render.Render(out, render.Options{DPI: dpi, Width: p.WidthDots, Height: p.HeightDots})
				if err != nil {
					t.Fatal(err)
				}
				if len(labels) != 1 {
					t.Fatalf("%d labels, want 1", len(labels))
				}
				l := labels[0]
				rep, err := verify.CheckLabel(ctx, l, nil)
				if err != nil {
					t.Fatal(err)
				}
				if len(rep.Missing) > 0 {
					t.Errorf("natively sent barcodes that do not read back: %v", rep.Missing)
				}
				scanned, err := verify.Scan(ctx, l.Image)
				if err != nil {
					t.Fatal(err)
				}
				got := append(rep.Found, scanned...)
				zbar := zbarTexts(t, l.Image)
				for _, w := range c.want {
					before, ok := find(srcFound, w)
					if !ok {
						t.Errorf("%s %q does not read on the source page", w.Format, w.Text)
						continue
					}
					after, ok := find(got, verify.Expectation{Format: w.Format, Text: before})
					if !ok || after != before {
						t.Errorf("%s %q: converted label reads %q (found %v)", w.Format, before, after, got)
					}
					if zbar != nil && w.Format != "datamatrix" && !zbar[strings.ReplaceAll(before, "\x1d", "")] {
						t.Errorf("%s %q: zbarimg does not read it on the converted label (it read %v)", w.Format, before, zbar)
					}
				}
				for _, n := range nativeLinear.FindAll(out, -1) {
					nativeSeen[string(n[:3])] = true
				}
				t.Logf("%d bytes; native: %q", len(out), nativeCommands(out))
			})
		}
	}
	// The corpus has Code 128, Interleaved 2 of 5 and Code 39 symbols
	// printed with whole-dot modules at one of the resolutions: each kind
	// must have gone out natively somewhere.
	for _, k := range []string{"^BC", "^B2", "^B3"} {
		if !nativeSeen[k] {
			t.Errorf("no %s sent natively on the whole corpus", k)
		}
	}
}

var nativeAny = regexp.MustCompile(`\^FO\d+,\d+(\^BY[\d,.]+)?\^B[C23X7E][^^]*(\^FH_)?\^FD[^^]*`)

func nativeCommands(out []byte) []string {
	var s []string
	for _, m := range nativeAny.FindAll(out, -1) {
		s = append(s, string(m))
	}
	return s
}

// zbarTexts reads img with zbarimg (nil when zbarimg is not installed),
// GS1 separators dropped.
func zbarTexts(t *testing.T, img image.Image) map[string]bool {
	t.Helper()
	if _, err := exec.LookPath("zbarimg"); err != nil {
		return nil
	}
	name := filepath.Join(t.TempDir(), "label.png")
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(context.Background(), "zbarimg", "--quiet", "--raw", "-Sdisable", "-Scode128.enable", "-Scode39.enable", "-Si25.enable", name)
	out, _ := cmd.Output() // exit status 4: nothing found
	got := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		if line = strings.TrimSpace(strings.ReplaceAll(line, "\x1d", "")); line != "" {
			got[strings.TrimPrefix(line, "]C1")] = true
		}
	}
	return got
}

// A label on an A4 sheet is found and printed 1:1 instead of the whole
// sheet shrunk onto the label, and the conversion says so.
func TestCorpusSheetLabelCroppedOneToOne(t *testing.T) {
	data := corpus(t, "dhl_parcel_de_9097dab5.pdf")
	for _, dpi := range []int{203, 300} {
		p := mustProfile(t, printer.ProfileConfig{DPI: dpi, Label: "910-300-600"})
		out, notes, err := conv.PDFLabelsNotes(testContext(t), data, p, zpl.PDFOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(notes) != 1 {
			t.Fatalf("%d dpi: %d labels from the sheet, want 1: %+v", dpi, len(notes), notes)
		}
		n := notes[0]
		if !n.Sheet || n.Scale != 1 || n.Rotate != 0 {
			t.Errorf("%d dpi: note %+v, want the label found on the sheet, 1:1, upright", dpi, n)
		}
		// The label is on the right half of the landscape A4 sheet and
		// about 100 x 195 mm.
		if n.AreaMM.X < 140 || n.AreaMM.W < 90 || n.AreaMM.W > 103 || n.AreaMM.H < 180 || n.AreaMM.H > 199 {
			t.Errorf("%d dpi: area %+v mm is not the label", dpi, n.AreaMM)
		}
		// 1:1: the rendered sheet's content and the label's are the same
		// dots.
		src, err := conv.RenderPDFPage(testContext(t), data, 1, dpi)
		if err != nil {
			t.Fatal(err)
		}
		bitmap, err := conv.PDFLabels(testContext(t), data, p, zpl.PDFOptions{BitmapBarcodes: true})
		if err != nil {
			t.Fatal(err)
		}
		labels, err := render.Render(bitmap, render.Options{DPI: dpi})
		if err != nil {
			t.Fatal(err)
		}
		// Only the label's part of the sheet is rendered, moved by whole
		// dots: pdfium's float arithmetic may round a very few edge dots
		// differently at another offset (2 of 2.7 million at 300 dpi), a
		// scaled or shifted label would differ in tens of thousands.
		a, _ := src.Trim()
		b, _ := labels[0].Image.Trim()
		if a.W != b.W || a.H != b.H {
			t.Fatalf("%d dpi: the label is %dx%d dots, the sheet's content %dx%d", dpi, b.W, b.H, a.W, a.H)
		}
		if n := differentDots(a, b); n > 10 {
			t.Errorf("%d dpi: the label is not the sheet's content dot for dot: %d dots differ", dpi, n)
		}
		if len(out) == 0 {
			t.Fatal("no output")
		}
	}
}

// Two labels on one A4 sheet become two labels printed 1:1, each checked
// against its own part of the sheet (not expected to carry the other's
// barcodes).
func TestTwoLabelSheet(t *testing.T) {
	a, b := testlabel.DHL(), testlabel.DHL()
	b.Code128 = "00340434161094099999"
	b.DataMatrix = "DEA5E0009999999990123456789012345678901234567"
	sheet, err := testlabel.Sheet([]testlabel.Label{a, b}, [][2]float64{{20, 5}, {170, 5}})
	if err != nil {
		t.Fatal(err)
	}
	for _, dpi := range []int{203, 300} {
		p := mustProfile(t, printer.ProfileConfig{DPI: dpi, Label: "910-300-600"})
		out, notes, err := conv.PDFLabelsNotes(testContext(t), sheet, p, zpl.PDFOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(notes) != 2 || notes[0].Scale != 1 || notes[1].Scale != 1 || notes[0].AreaMM.X > notes[1].AreaMM.X {
			t.Fatalf("%d dpi: notes %+v, want two labels 1:1 left to right", dpi, notes)
		}
		rep, err := verify.CheckJob(testContext(t), conv, zpl.KindPDF, sheet, out, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() {
			t.Errorf("%d dpi: %v", dpi, rep.Err())
		}
		labels, err := render.Render(out, render.Options{DPI: dpi})
		if err != nil || len(labels) != 2 {
			t.Fatalf("%d dpi: %d labels, %v", dpi, len(labels), err)
		}
		for i, want := range []string{a.Code128, b.Code128} {
			found, _ := verify.Scan(testContext(t), labels[i].Image)
			ok := false
			for _, f := range found {
				if f.Format == "code128" && f.Text == want {
					ok = true
				}
			}
			if !ok {
				t.Errorf("%d dpi: label %d does not carry %s: %v", dpi, i+1, want, found)
			}
		}
	}
}

// A page area in the profile prints exactly that part of the sheet 1:1.
func TestCorpusSheetPageArea(t *testing.T) {
	data := corpus(t, "dhl_parcel_de_9097dab5.pdf")
	p := mustProfile(t, printer.ProfileConfig{DPI: 203, Label: "910-300-600", PageArea: "170,5,103,198"})
	out, notes, err := conv.PDFLabelsNotes(testContext(t), data, p, zpl.PDFOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 1 || notes[0].AreaMM != (zpl.MMRect{X: 170, Y: 5, W: 103, H: 198}) || notes[0].Scale != 1 || notes[0].Rotate != 0 {
		t.Fatalf("notes %+v", notes)
	}
	rep, err := verify.CheckJob(testContext(t), conv, zpl.KindPDF, data, out, p, []verify.Expectation{{Format: "code128", Text: "40327680807+99000943042250"}})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Error(rep.Err())
	}
	// An area larger than the label either way is refused, not shrunk.
	p.PageArea = zpl.MMRect{X: 0, Y: 0, W: 297, H: 210}
	if _, err := conv.Prepare(testContext(t), zpl.KindPDF, data, p); err == nil || !strings.Contains(err.Error(), "does not fit") {
		t.Errorf("an area larger than the label: %v", err)
	}
}

func TestProfilePageArea(t *testing.T) {
	for _, c := range []struct {
		area string
		ok   bool
	}{
		{"172,5,105,200", true},
		{" 0, 0, 103.5, 199 ", true},
		{"172,5,105", false},
		{"a,5,105,200", false},
		{"172,5,2,200", false},
		{"-1,5,105,200", false},
	} {
		_, err := zpl.ProfileFrom(printer.ProfileConfig{PageArea: c.area})
		if (err == nil) != c.ok {
			t.Errorf("page_area %q: %v", c.area, err)
		}
	}
}

func differentDots(a, b *zpl.Mono) int {
	n := 0
	for y := 0; y < a.H; y++ {
		for x := 0; x < a.W; x++ {
			if a.Black(x, y) != b.Black(x, y) {
				n++
			}
		}
	}
	return n
}

// At 600 dpi the A4 sheet is beyond MaxRenderPixels: its ink is found on a
// quarter-size render and only the label is rendered at full resolution,
// so it still prints 1:1 (it used to be shrunk) and its barcodes read.
func TestCorpusSheetAt600DPI(t *testing.T) {
	data := corpus(t, "dhl_parcel_de_9097dab5.pdf")
	p := mustProfile(t, printer.ProfileConfig{DPI: 600, Label: "910-300-600", Graphics: "png"})
	out, notes, err := conv.PDFLabelsNotes(testContext(t), data, p, zpl.PDFOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 1 || !notes[0].Sheet || notes[0].Scale != 1 || notes[0].AreaMM.X < 140 || notes[0].AreaMM.W > 103 {
		t.Fatalf("notes %+v, want the label cut out 1:1", notes)
	}
	labels, err := render.Render(out, render.Options{DPI: 600})
	if err != nil || len(labels) != 1 {
		t.Fatalf("%d labels, %v", len(labels), err)
	}
	// zbarimg reads the 2400 x 4700 dot label in a fraction of the time
	// the Go scanner takes (seconds under -race); the DataMatrix-free
	// linear symbols are what this sheet carries.
	if zbar := zbarTexts(t, labels[0].Image); zbar != nil {
		for _, w := range corpusLabels[1].want {
			text := strings.TrimSuffix(strings.ReplaceAll(w.Text, "\x1d", ""), "…")
			ok := false
			for got := range zbar {
				if strings.HasPrefix(got, text) {
					ok = true
				}
			}
			if !ok {
				t.Errorf("%s %q does not read on the 600 dpi label (zbarimg read %v)", w.Format, w.Text, zbar)
			}
		}
		return
	}
	found, err := verify.Scan(testContext(t), labels[0].Image)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := verify.CheckLabel(testContext(t), labels[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range corpusLabels[1].want {
		if _, ok := find(append(found, rep.Found...), w); !ok {
			t.Errorf("%s %q does not read on the 600 dpi label (found %v)", w.Format, w.Text, found)
		}
	}
}

// On a serial line the converter deflates graphics (Z64 and PNG) at the
// best level: the same dots as on a fast link, in fewer bytes.
func TestCorpusSerialLineFewerBytes(t *testing.T) {
	for _, c := range corpusLabels {
		data := corpus(t, c.file)
		for _, dpi := range []int{203, 300} {
			for _, g := range []string{"z64", "png"} {
				var out [2][]byte
				var labels [2]*render.Label
				for i, baud := range []int{0, 115200} { // a fast link, a serial line
					p := mustProfile(t, printer.ProfileConfig{DPI: dpi, Label: c.label, Graphics: g, LineBaud: baud})
					zplOut, err := conv.Prepare(testContext(t), zpl.KindPDF, data, p)
					if err != nil {
						t.Fatal(err)
					}
					ls, err := render.Render(zplOut, render.Options{DPI: dpi})
					if err != nil || len(ls) != 1 || len(ls[0].Warnings) > 0 {
						t.Fatalf("%s %d dpi %s, %d baud: %d labels, %v", c.file, dpi, g, baud, len(ls), err)
					}
					out[i], labels[i] = zplOut, ls[0]
				}
				if !labels[0].Image.Equal(labels[1].Image) {
					t.Errorf("%s %d dpi %s: the serial line's label prints other dots", c.file, dpi, g)
				}
				if len(out[1]) >= len(out[0]) {
					t.Errorf("%s %d dpi %s: %d bytes on a serial line, %d on a fast link", c.file, dpi, g, len(out[1]), len(out[0]))
				}
				t.Logf("%s %d dpi %s: %d bytes on a fast link, %d on a serial line (%.3f)", c.file, dpi, g, len(out[0]), len(out[1]), float64(len(out[1]))/float64(len(out[0])))
			}
		}
	}
}
