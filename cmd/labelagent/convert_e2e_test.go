package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// convert finds the label on an A4 sheet, prints it 1:1 with its Code 128
// sent natively, says in the operator's language what it cut out, and
// --verify reads every barcode of the source on the result; preview says
// the same.
func TestConvertSheetSaysWhatWasCut(t *testing.T) {
	sheet := filepath.Join("..", "..", "..", "shared", "corpus", "pdf", "dhl_parcel_de_9097dab5.pdf")
	if _, err := os.Stat(sheet); err != nil {
		t.Skipf("the real-label corpus is absent (../shared beside the repository, as in CI): %v", err)
	}
	bin := binary(t)
	out := filepath.Join(t.TempDir(), "label.zpl")
	// The compiled PDF renderer is kept between runs: compiling it takes
	// seconds.
	data := filepath.Join(os.TempDir(), "labelagent-e2e-convert")
	cmd := exec.Command(bin, "convert", "--data-dir", data, "--lang", "de", "--dpi", "203", "--label", "910-300-600", "--verify", "-o", out, sheet)
	stderr, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("convert: %v\n%s", err, stderr)
	}
	for _, want := range []string{"Seite 1: Etikett 1 von 1 aus der 297 × 210 mm großen Seite ausgeschnitten", "1:1 gedruckt", "40327680807+99000943042250"} {
		if !strings.Contains(string(stderr), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	zpl, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(zpl), "^BCN,") {
		t.Errorf("no native Code 128 in the output")
	}
	// The preview says the same.
	png := filepath.Join(t.TempDir(), "label.png")
	stderr, err = exec.Command(bin, "preview", "--data-dir", data, "--lang", "en", "--dpi", "203", "--label", "910-300-600", "-o", png, sheet).CombinedOutput()
	if err != nil {
		t.Fatalf("preview: %v\n%s", err, stderr)
	}
	if !strings.Contains(string(stderr), "page 1: label 1 of 1 cut out of the 297 × 210 mm page") {
		t.Errorf("preview does not say what it cut out:\n%s", stderr)
	}
}

// convert --graphics png writes the page as a binary ~DY PNG object that
// --verify reads back (the barcodes scan from the rendered download);
// an unknown value is refused.
func TestConvertPNGGraphics(t *testing.T) {
	label := filepath.Join("..", "..", "..", "shared", "corpus", "pdf", "usps_7d0a397a.pdf")
	if _, err := os.Stat(label); err != nil {
		t.Skipf("the real-label corpus is absent (../shared beside the repository, as in CI): %v", err)
	}
	bin := binary(t)
	data := filepath.Join(os.TempDir(), "labelagent-e2e-convert")
	out := filepath.Join(t.TempDir(), "label.zpl")
	cmd := exec.Command(bin, "convert", "--data-dir", data, "--dpi", "203", "--label", "4x6in", "--graphics", "png", "--verify", "-o", out, label)
	if stderr, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(stderr), "34690361980900000142") {
		t.Fatalf("convert: %v\n%s", err, stderr)
	}
	zpl, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(zpl), "~DYR:LAPG0001,B,P,") || !strings.Contains(string(zpl), "\x89PNG\r\n") || !strings.Contains(string(zpl), "^IMR:LAPG0001.PNG^FS") {
		t.Errorf("not a binary PNG download printed with ^IM: %.60q", zpl)
	}
	if stderr, err := exec.Command(bin, "convert", "--data-dir", data, "--graphics", "gif", "-o", out, label).CombinedOutput(); err == nil || !strings.Contains(string(stderr), "gif") {
		t.Errorf("--graphics gif: %v\n%s", err, stderr)
	}
}
