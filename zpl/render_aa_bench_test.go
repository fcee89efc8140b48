package zpl

import (
	"math/bits"
	"slices"
	"testing"
	"time"

	"github.com/klippa-app/go-pdfium/enums"
)

// BenchmarkRenderAntiAliasedText asks whether drawing text anti-aliased
// and thresholding it at 50 % (strokes as poppler draws them) would give a
// page that deflates better: per corpus page, the two renders alternate and
// it reports pdfium's CPU for each, the dots that differ, the black dots
// and the PNG bytes (issue 21, docs/benchmarks.md "bytes per label"):
// go test -run '^$' -bench RenderAntiAliasedText -benchtime 15x ./zpl/
func BenchmarkRenderAntiAliasedText(b *testing.B) {
	flags := [2]enums.FPDF_RENDER_FLAG{renderFlags, renderFlags &^ enums.FPDF_RENDER_FLAG_RENDER_NO_SMOOTHTEXT}
	forCorpusPages(b, func(b *testing.B, e *pdfEngine, data []byte, dpi int) {
		var cpu [2][]time.Duration
		var m [2]*Mono
		for b.Loop() {
			for k, f := range flags {
				c0 := cpuTime()
				m[k] = renderFirstPage(b, e, data, dpi, f)
				cpu[k] = append(cpu[k], cpuTime()-c0)
			}
		}
		differ := 0
		for i := range m[0].Pix {
			differ += bits.OnesCount8(m[0].Pix[i] ^ m[1].Pix[i])
		}
		for k, what := range []string{"mono", "aa"} {
			slices.Sort(cpu[k])
			b.ReportMetric(float64(cpu[k][len(cpu[k])/2].Microseconds())/1000, what+"-cpu-ms/page")
			b.ReportMetric(float64(m[k].BlackCount()), what+"-black")
			t, _ := m[k].Trim()
			b.ReportMetric(float64(len(EncodePNG(t, PNGLevel))), what+"-png-bytes")
		}
		b.ReportMetric(float64(differ), "dots-differ")
		b.ReportMetric(0, "ns/op")
	})
}
