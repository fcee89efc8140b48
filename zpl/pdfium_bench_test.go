package zpl

import (
	"crypto/sha256"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klippa-app/go-pdfium/enums"
)

// BenchmarkCorpusPDFium times the renderer alone on each page of the real
// carrier PDFs: open the document in pdfium, render the first page to grey
// at the printer's resolution and threshold it to 1 bit (what every PDF
// label costs before any ZPL work), at 203 and 300 dpi. It logs a SHA-256
// of the dots (-v), so two go-pdfium versions or runtimes can be checked
// for identical output:
// go test -run '^$' -bench 'CorpusPDFium' -benchtime 20x -v ./zpl/
func BenchmarkCorpusPDFium(b *testing.B) {
	forCorpusPages(b, func(b *testing.B, e *pdfEngine, data []byte, dpi int) {
		var m *Mono
		c0 := cpuTime()
		for b.Loop() {
			m = renderFirstPage(b, e, data, dpi, renderFlags)
		}
		cpu := cpuTime() - c0
		b.Logf("%dx%d dots sha256 %x", m.W, m.H, sha256.Sum256(m.Pix))
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
		b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/page")
	})
}

// forCorpusPages runs page as a sub-benchmark for each corpus PDF at 203
// and 300 dpi, on one warm engine held locked.
func forCorpusPages(b *testing.B, page func(b *testing.B, e *pdfEngine, data []byte, dpi int)) {
	names, _ := filepath.Glob("../../shared/corpus/pdf/*.pdf")
	if len(names) == 0 {
		b.Skip("the real-label corpus ../shared/corpus/pdf is absent (../shared beside the repository, as in CI)")
	}
	c := NewConverter(ConverterOptions{CacheDir: filepath.Join(os.TempDir(), "labelagent-zpl-test-cache")})
	defer c.Close()
	e, err := c.lockEngine(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	defer c.mu.Unlock()
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			b.Fatal(err)
		}
		for _, dpi := range []int{203, 300} {
			b.Run(fmt.Sprintf("%s/%ddpi", strings.TrimSuffix(filepath.Base(name), ".pdf"), dpi), func(b *testing.B) {
				page(b, e, data, dpi)
			})
		}
	}
}

// renderFirstPage opens data, renders its first page whole at dpi with
// flags and thresholds it, as every PDF label starts.
func renderFirstPage(b *testing.B, e *pdfEngine, data []byte, dpi int, flags enums.FPDF_RENDER_FLAG) *Mono {
	doc, err := e.open(data)
	if err != nil {
		b.Fatal(err)
	}
	defer doc.close()
	wPt, hPt, err := doc.size(0)
	if err != nil {
		b.Fatal(err)
	}
	w, h := int(wPt/72*float64(dpi)+0.5), int(hPt/72*float64(dpi)+0.5)
	m, err := doc.renderArea(0, w, h, image.Rect(0, 0, w, h), 0, flags)
	if err != nil {
		b.Fatal(err)
	}
	return m
}
