package zpl

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labelagent/labelagent/printer"
)

// BenchmarkCorpusGoSide times, in CPU time per page, the Go work that
// follows pdfium on each real carrier page at 203 and 300 dpi: the native
// barcode search and removal (native, PNG and Z64 labels) and the Z64
// graphic's rules, bands, estimates and encoding (z64-graphic). The pages
// are rendered once, as Prepare renders them:
// go test -run '^$' -bench 'CorpusGoSide' -benchtime 40x ./zpl/
func BenchmarkCorpusGoSide(b *testing.B) {
	labels := map[string]string{
		"dhl_parcel_de_8a9d39e6": "910-300-600", "dhl_parcel_de_9097dab5": "910-300-600",
		"mydhl_6ff018ed": "4x8in", "usps_7d0a397a": "4x6in",
	}
	c := NewConverter(ConverterOptions{CacheDir: filepath.Join(os.TempDir(), "labelagent-zpl-test-cache")})
	defer c.Close()
	for _, name := range []string{"dhl_parcel_de_8a9d39e6", "dhl_parcel_de_9097dab5", "mydhl_6ff018ed", "usps_7d0a397a"} {
		data, err := os.ReadFile(filepath.Join("../../shared/corpus/pdf", name+".pdf"))
		if err != nil {
			b.Skipf("the real-label corpus ../shared/corpus/pdf is absent (../shared beside the repository, as in CI): %v", err)
		}
		for _, dpi := range []int{203, 300} {
			p, err := ProfileFrom(printer.ProfileConfig{DPI: dpi, Label: labels[name]})
			if err != nil {
				b.Fatal(err)
			}
			info, err := PDFPages(data)
			if err != nil {
				b.Fatal(err)
			}
			e, err := c.lockEngine(b.Context())
			if err != nil {
				b.Fatal(err)
			}
			pms, err := pdfToMonos(b.Context(), e, data, info, p, PDFOptions{BitmapBarcodes: true})
			c.mu.Unlock()
			if err != nil {
				b.Fatal(err)
			}
			pm := pms[0]
			cpu := func(b *testing.B, f func()) {
				c0 := cpuTime()
				for b.Loop() {
					f()
				}
				b.ReportMetric(float64((cpuTime()-c0).Microseconds())/1000/float64(b.N), "cpu-ms/page")
			}
			page := fmt.Sprintf("%s/%d", strings.TrimSuffix(name, ".pdf"), dpi)
			b.Run(page+"/native", func(b *testing.B) {
				cpu(b, func() {
					own := pm
					own.m = pm.m.Clone() // the step clears symbols in its page
					own.nativeBarcodes(p)
				})
			})
			native := pm
			native.m = pm.m.Clone()
			native = native.nativeBarcodes(p)
			b.Run(page+"/z64-graphic", func(b *testing.B) {
				cpu(b, func() { graphicCommands(native.m, native.x, native.y, EncodingAuto, p) })
			})
		}
	}
}
