package zpl_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/zpl"
	"github.com/labelagent/labelagent/zpl/internal/testlabel"
)

// reportTransfer adds the label's size and its time on a serial line
// (8N1: ten bits a byte) as benchmark metrics.
func reportTransfer(b *testing.B, n int) {
	b.ReportMetric(float64(n), "zpl-bytes")
	b.ReportMetric(float64(n)*10/9600, "s@9600baud")
	b.ReportMetric(float64(n)*10/115200, "s@115200baud")
}

// BenchmarkPDFLabelToZPL compares, in one run, labelagent's PDF to ZPL
// conversion of a 103 x 199 mm label at 203 dpi with the common pipeline
// pdftoppm -r 203 -mono | zpl-image (Z64). Run the comparison with
// bench/zpl's node_modules installed (npm ci in bench/zpl).
func BenchmarkPDFLabelToZPL(b *testing.B) {
	pdf, err := testlabel.DHL().PDF()
	if err != nil {
		b.Fatal(err)
	}
	p := mustProfile(b, printer.ProfileConfig{DPI: 203, Label: "910-300-600"})
	b.Run("labelagent", func(b *testing.B) {
		ctx := context.Background()
		if err := conv.Warm(ctx); err != nil {
			b.Fatal(err)
		}
		var out []byte
		b.ResetTimer()
		for b.Loop() {
			out, err = conv.Prepare(ctx, zpl.KindPDF, pdf, p)
			if err != nil {
				b.Fatal(err)
			}
		}
		reportTransfer(b, len(out))
	})
	b.Run("labelagent-bitmap-only", func(b *testing.B) {
		ctx := context.Background()
		var out []byte
		for b.Loop() {
			out, err = conv.PDFLabels(ctx, pdf, p, zpl.PDFOptions{BitmapBarcodes: true})
			if err != nil {
				b.Fatal(err)
			}
		}
		reportTransfer(b, len(out))
	})
	b.Run("pdftoppm+zpl-image", func(b *testing.B) {
		script, _ := filepath.Abs("../bench/zpl/pbm2zpl.js")
		if _, err := exec.LookPath("pdftoppm"); err != nil {
			b.Skip("pdftoppm (poppler-utils) is not installed")
		}
		if _, err := exec.LookPath("node"); err != nil {
			b.Skip("node is not installed")
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(script), "node_modules", "zpl-image")); err != nil {
			b.Skip("zpl-image is not installed: run npm ci in bench/zpl")
		}
		dir := b.TempDir()
		in := filepath.Join(dir, "label.pdf")
		if err := os.WriteFile(in, pdf, 0o644); err != nil {
			b.Fatal(err)
		}
		var out []byte
		for b.Loop() {
			if err := exec.Command("pdftoppm", "-r", "203", "-mono", "-singlefile", in, filepath.Join(dir, "page")).Run(); err != nil {
				b.Fatal(err)
			}
			cmd := exec.Command("node", script, filepath.Join(dir, "page.pbm"))
			cmd.Dir = filepath.Dir(script)
			out, err = cmd.Output()
			if err != nil {
				b.Fatal(err)
			}
		}
		if !bytes.HasPrefix(out, []byte("^XA")) {
			b.Fatalf("pipeline output: %.40q", out)
		}
		reportTransfer(b, len(out))
	})
}

// BenchmarkPDFRendererReady measures starting the PDF renderer when its
// compilation cache exists (the agent's normal start), up to a rendered
// first page.
func BenchmarkPDFRendererReady(b *testing.B) {
	dir := filepath.Join(os.TempDir(), "labelagent-zpl-test-cache")
	pdf, _ := testlabel.DHL().PDF()
	p := mustProfile(b, printer.ProfileConfig{})
	// Make sure the cache exists.
	warm := zpl.NewConverter(zpl.ConverterOptions{CacheDir: dir})
	if err := warm.Warm(context.Background()); err != nil {
		b.Fatal(err)
	}
	warm.Close()
	var ready, firstPage time.Duration
	n := 0
	for b.Loop() {
		n++
		c := zpl.NewConverter(zpl.ConverterOptions{CacheDir: dir})
		start := time.Now()
		if err := c.Warm(context.Background()); err != nil {
			b.Fatal(err)
		}
		ready += time.Since(start)
		if _, err := c.Prepare(context.Background(), zpl.KindPDF, pdf, p); err != nil {
			b.Fatal(err)
		}
		firstPage += time.Since(start)
		c.Close()
		runtime.GC()
	}
	b.ReportMetric(float64(ready.Milliseconds())/float64(n), "ms-to-ready")
	b.ReportMetric(float64(firstPage.Milliseconds())/float64(n), "ms-to-first-label")
}

// BenchmarkGraphicEncodings encodes a rendered 103 x 199 mm label bitmap.
func BenchmarkGraphicEncodings(b *testing.B) {
	pdf, _ := testlabel.DHL().PDF()
	p := mustProfile(b, printer.ProfileConfig{})
	m, err := conv.RenderPDFPage(context.Background(), pdf, 1, p.DPI)
	if err != nil {
		b.Fatal(err)
	}
	for _, enc := range []zpl.Encoding{zpl.EncodingHex, zpl.EncodingACS, zpl.EncodingZ64, zpl.EncodingAuto} {
		b.Run(enc.String(), func(b *testing.B) {
			var out []byte
			for b.Loop() {
				out = zpl.GraphicField(m, enc, true)
			}
			reportTransfer(b, len(out))
		})
	}
}

// BenchmarkCorpusPDF converts each real carrier PDF of ../shared/corpus/pdf
// (warm renderer) with labelagent, as ASCII Z64 (serial, file) and as a
// binary ~DY PNG (profile.graphics png: Zebra on USB, TCP, spooler), and with the
// open pipeline pdftoppm -mono + zpl-image, alternately in the same loop so
// all see the same machine load, and reports per page: wall and CPU
// milliseconds, bytes and the ratios (speedup = pipeline time / labelagent
// time; bytes-ratio = labelagent bytes / pipeline bytes; "png-" for the
// binary PNG form). Needs node with bench/zpl's
// node_modules (npm ci in bench/zpl) and pdftoppm for the comparison.
func BenchmarkCorpusPDF(b *testing.B) {
	script, _ := filepath.Abs("../bench/zpl/pbm2zpl.js")
	pipeline := true
	for _, tool := range []string{"pdftoppm", "node"} {
		if _, err := exec.LookPath(tool); err != nil {
			pipeline = false
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(script), "node_modules", "zpl-image")); err != nil {
		pipeline = false
	}
	if !pipeline {
		b.Log("pdftoppm, node or bench/zpl/node_modules missing: labelagent alone")
	}
	for _, c := range corpusLabels {
		data := corpus(b, c.file)
		for _, dpi := range []int{203, 300} {
			b.Run(fmt.Sprintf("%s/%ddpi", strings.TrimSuffix(c.file, ".pdf"), dpi), func(b *testing.B) {
				ctx := context.Background()
				p := mustProfile(b, printer.ProfileConfig{DPI: dpi, Label: c.label})
				pp := mustProfile(b, printer.ProfileConfig{DPI: dpi, Label: c.label, Graphics: "png"})
				if _, err := conv.Prepare(ctx, zpl.KindPDF, data, p); err != nil { // warm
					b.Fatal(err)
				}
				dir := b.TempDir()
				in := filepath.Join(dir, "label.pdf")
				if err := os.WriteFile(in, data, 0o644); err != nil {
					b.Fatal(err)
				}
				var la, png, pipe struct {
					wall, cpu time.Duration
					bytes     int
				}
				n := 0
				for b.Loop() {
					n++
					c0 := zpl.CPUTime()
					t0 := time.Now()
					out, err := conv.Prepare(ctx, zpl.KindPDF, data, p)
					if err != nil {
						b.Fatal(err)
					}
					la.wall += time.Since(t0)
					la.cpu += zpl.CPUTime() - c0
					la.bytes = len(out)
					c0 = zpl.CPUTime()
					t0 = time.Now()
					out, err = conv.Prepare(ctx, zpl.KindPDF, data, pp)
					if err != nil {
						b.Fatal(err)
					}
					png.wall += time.Since(t0)
					png.cpu += zpl.CPUTime() - c0
					png.bytes = len(out)
					if !pipeline {
						continue
					}
					t0 = time.Now()
					pdftoppm := exec.Command("pdftoppm", "-r", fmt.Sprint(dpi), "-mono", "-singlefile", in, filepath.Join(dir, "page"))
					if err := pdftoppm.Run(); err != nil {
						b.Fatal(err)
					}
					node := exec.Command("node", script, filepath.Join(dir, "page.pbm"))
					node.Dir = filepath.Dir(script)
					zplOut, err := node.Output()
					if err != nil {
						b.Fatal(err)
					}
					pipe.wall += time.Since(t0)
					for _, ps := range []*os.ProcessState{pdftoppm.ProcessState, node.ProcessState} {
						pipe.cpu += ps.UserTime() + ps.SystemTime()
					}
					pipe.bytes = len(zplOut)
				}
				ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(n) }
				b.ReportMetric(ms(la.wall), "ms/page")
				b.ReportMetric(ms(la.cpu), "cpu-ms/page")
				b.ReportMetric(float64(la.bytes), "zpl-bytes")
				b.ReportMetric(ms(png.wall), "png-ms/page")
				b.ReportMetric(ms(png.cpu), "png-cpu-ms/page")
				b.ReportMetric(float64(png.bytes), "png-bytes")
				if pipeline {
					b.ReportMetric(ms(pipe.wall), "pipe-ms/page")
					b.ReportMetric(ms(pipe.cpu), "pipe-cpu-ms/page")
					b.ReportMetric(float64(pipe.bytes), "pipe-bytes")
					b.ReportMetric(float64(pipe.wall)/float64(la.wall), "speedup")
					b.ReportMetric(float64(pipe.cpu)/float64(la.cpu), "cpu-speedup")
					b.ReportMetric(float64(la.bytes)/float64(pipe.bytes), "bytes-ratio")
					b.ReportMetric(float64(pipe.cpu)/float64(png.cpu), "png-cpu-speedup")
					b.ReportMetric(float64(png.bytes)/float64(pipe.bytes), "png-bytes-ratio")
				}
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}

// BenchmarkCorpusPrepare converts each corpus PDF with a warm renderer and
// nothing else in the loop, for CPU profiles of one file:
// go test -run '^$' -bench 'CorpusPrepare/dhl_parcel_de_8a9d39e6/203/png' -cpuprofile cpu.out ./zpl/
func BenchmarkCorpusPrepare(b *testing.B) {
	for _, c := range corpusLabels {
		data := corpus(b, c.file)
		for _, dpi := range []int{203, 300} {
			// z64-serial: a printer on a 115200 baud line (best deflate level).
			for _, g := range []string{"z64", "png", "z64-serial"} {
				pc := printer.ProfileConfig{DPI: dpi, Label: c.label, Graphics: g}
				if g == "z64-serial" {
					pc.Graphics, pc.LineBaud = "z64", 115200
				}
				p := mustProfile(b, pc)
				b.Run(fmt.Sprintf("%s/%d/%s", strings.TrimSuffix(c.file, ".pdf"), dpi, g), func(b *testing.B) {
					var n int
					for b.Loop() {
						out, err := conv.Prepare(context.Background(), zpl.KindPDF, data, p)
						if err != nil {
							b.Fatal(err)
						}
						n = len(out)
					}
					b.ReportMetric(float64(n), "zpl-bytes")
				})
			}
		}
	}
}

// BenchmarkSerialLineZ64 alternates, per corpus page, the Z64 label of a
// printer on a fast link with that of one on a 115200 baud serial line
// (deflate's best level): CPU per page, bytes, and the time until the
// label is at the printer (CPU plus ten bits a byte on the line).
func BenchmarkSerialLineZ64(b *testing.B) {
	for _, c := range corpusLabels {
		data := corpus(b, c.file)
		for _, dpi := range []int{203, 300} {
			b.Run(fmt.Sprintf("%s/%ddpi", strings.TrimSuffix(c.file, ".pdf"), dpi), func(b *testing.B) {
				const baud = 115200
				ps := []zpl.Profile{
					mustProfile(b, printer.ProfileConfig{DPI: dpi, Label: c.label}),
					mustProfile(b, printer.ProfileConfig{DPI: dpi, Label: c.label, LineBaud: baud}),
				}
				var cpu [2]time.Duration
				var size [2]int
				for b.Loop() {
					for i, p := range ps {
						c0 := zpl.CPUTime()
						out, err := conv.Prepare(b.Context(), zpl.KindPDF, data, p)
						if err != nil {
							b.Fatal(err)
						}
						cpu[i] += zpl.CPUTime() - c0
						size[i] = len(out)
					}
				}
				for i, name := range []string{"fast", "serial"} {
					ms := float64(cpu[i].Microseconds()) / 1000 / float64(b.N)
					b.ReportMetric(ms, name+"-cpu-ms/page")
					b.ReportMetric(float64(size[i]), name+"-bytes")
					b.ReportMetric(ms+float64(size[i])*10/baud*1000, name+"-ms-to-printer@115200")
				}
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}
