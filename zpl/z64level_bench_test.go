package zpl

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkZ64Levels encodes the rendered pages of the real carrier PDFs
// at every deflate level: the measurement behind Z64Level (bytes of the
// :Z64: data and time per page).
func BenchmarkZ64Levels(b *testing.B) {
	pages := corpusPages(b)
	for level := 1; level <= 9; level++ {
		b.Run(fmt.Sprintf("level%d", level), func(b *testing.B) {
			total := 0
			for b.Loop() {
				total = 0
				for _, m := range pages {
					total += len(encodeZ64Level(m.Pix, level))
				}
			}
			b.ReportMetric(float64(total)/float64(len(pages)), "z64-bytes/page")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N*len(pages)), "ms/page")
		})
	}
}

// BenchmarkPNGLevels encodes the same pages as ~DY PNG files at deflate
// levels 1-9 (klauspost/compress's zlib, which EncodePNG uses); with
// BenchmarkPageDeflate (both libraries) the measurement behind PNGLevel.
func BenchmarkPNGLevels(b *testing.B) {
	pages := corpusPages(b)
	for level := 1; level <= 9; level++ {
		b.Run(fmt.Sprintf("level%d", level), func(b *testing.B) {
			total := 0
			for b.Loop() {
				total = 0
				for _, m := range pages {
					total += len(EncodePNG(m, level))
				}
			}
			b.ReportMetric(float64(total)/float64(len(pages)), "png-bytes/page")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N*len(pages)), "ms/page")
		})
	}
}

// corpusPages renders the first page of each corpus PDF at 203 and at 300
// dpi, trimmed.
func corpusPages(b *testing.B) []*Mono {
	c := NewConverter(ConverterOptions{CacheDir: filepath.Join(os.TempDir(), "labelagent-zpl-test-cache")})
	defer c.Close()
	names, _ := filepath.Glob("../../shared/corpus/pdf/*.pdf")
	if len(names) == 0 {
		b.Skip("the real-label corpus ../shared/corpus/pdf is absent")
	}
	var pages []*Mono
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			b.Fatal(err)
		}
		for _, dpi := range []int{203, 300} {
			m, err := c.RenderPDFPage(context.Background(), data, 1, dpi)
			if err != nil {
				b.Fatal(err)
			}
			if t, _ := m.Trim(); t != nil {
				pages = append(pages, t)
			}
		}
	}
	return pages
}
