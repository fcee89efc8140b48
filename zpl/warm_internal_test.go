package zpl

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestRemoveOldPDFCachesKeepsThisVersionAndOthers(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{PDFiumVersion, "go-pdfium-v1.19.8", "go-pdfium-v1.20.0", "fonts", "labels"} {
		if err := os.MkdirAll(filepath.Join(dir, d, "sub"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// A file with the prefix is not a cache folder of ours.
	if err := os.WriteFile(filepath.Join(dir, "go-pdfium-notes.txt"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	removeOldPDFCaches(dir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	want := []string{"fonts", PDFiumVersion, "go-pdfium-notes.txt", "labels"}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("left %v, want %v", got, want)
	}
	removeOldPDFCaches(filepath.Join(dir, "missing")) // no folder: nothing to do, no panic
}
