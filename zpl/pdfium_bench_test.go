package zpl

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkCorpusPDFium times the renderer alone on each page of the real
// carrier PDFs: open the document in pdfium, render the first page to grey
// at the printer's resolution and threshold it to 1 bit (what every PDF
// label costs before any ZPL work), at 203 and 300 dpi. It logs a SHA-256
// of the dots (-v), so two go-pdfium versions or runtimes can be checked
// for identical output:
// go test -run '^$' -bench 'CorpusPDFium' -benchtime 20x -v ./zpl/
func BenchmarkCorpusPDFium(b *testing.B) {
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
				var m *Mono
				c0 := cpuTime()
				for b.Loop() {
					doc, err := e.open(data)
					if err != nil {
						b.Fatal(err)
					}
					w, h, err := doc.size(0)
					if err == nil {
						m, err = doc.render(0, int(w/72*float64(dpi)+0.5), int(h/72*float64(dpi)+0.5), 0)
					}
					doc.close()
					if err != nil {
						b.Fatal(err)
					}
				}
				cpu := cpuTime() - c0
				b.Logf("%dx%d dots sha256 %x", m.W, m.H, sha256.Sum256(m.Pix))
				b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
				b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/page")
			})
		}
	}
}
