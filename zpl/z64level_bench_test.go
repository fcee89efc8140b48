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
		m, err := c.RenderPDFPage(context.Background(), data, 1, 203)
		if err != nil {
			b.Fatal(err)
		}
		if t, _ := m.Trim(); t != nil {
			pages = append(pages, t)
		}
	}
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
