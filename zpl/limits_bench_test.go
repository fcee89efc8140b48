//go:build unix

// Peak RSS comes from getrusage(2), which Windows does not have.

package zpl_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"

	"github.com/labelagent/labelagent/zpl"
)

// The largest PNGs the input limits accept, one per way of spending the
// decode budget: most pixels in grey, 16-bit grey, 8-bit colour at the
// memory limit, 16-bit colour at the memory limit.
var worstPNGs = []struct {
	name string
	w, h int
	make func(w, h int) image.Image
}{
	{"gray8_4000x4000", 4000, 4000, func(w, h int) image.Image { return image.NewGray(image.Rect(0, 0, w, h)) }},
	{"gray16_4000x4000", 4000, 4000, func(w, h int) image.Image { return image.NewGray16(image.Rect(0, 0, w, h)) }},
	{"rgba8_2896x2896", 2896, 2896, func(w, h int) image.Image { return image.NewNRGBA(image.Rect(0, 0, w, h)) }},
	{"rgba16_2048x2048", 2048, 2048, func(w, h int) image.Image { return image.NewNRGBA64(image.Rect(0, 0, w, h)) }},
}

// pngPeakTarget is the most one accepted PNG job may take, in the agent
// (issue 11): the agent itself is about 30 MB of it.
const pngPeakTarget = 150 << 20

func worstPNG(tb testing.TB, i int) []byte {
	tb.Helper()
	c := worstPNGs[i]
	img := c.make(c.w, c.h)
	// A label-like picture: black bars on white, so the converter has
	// real work (threshold, trim, graphics) and the file stays small.
	set := img.(interface{ Set(int, int, color.Color) })
	for y := range c.h {
		for x := range c.w {
			if (x/40+y/300)%2 == 0 {
				set.Set(x, y, color.Black)
			} else {
				set.Set(x, y, color.White)
			}
		}
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	if err := zpl.CheckInput(zpl.KindPNG, b.Bytes()); err != nil {
		tb.Fatalf("%s is not accepted, so it is not a worst accepted case: %v", c.name, err)
	}
	return b.Bytes()
}

// TestPNGPeakChild converts one PNG file named by the environment and
// exits; BenchmarkPNGPeakRSS runs it as a child process to read its peak
// resident memory. It does nothing in a normal test run.
func TestPNGPeakChild(t *testing.T) {
	file := os.Getenv("LABELAGENT_PNG_PEAK_FILE")
	if file == "" {
		t.Skip("child of BenchmarkPNGPeakRSS")
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	size, _ := zpl.LookupSize("103x199mm")
	prof, _ := zpl.NewProfile(size, 203)
	if _, err := zpl.PNGLabel(data, prof); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkPNGPeakRSS measures the peak resident memory of a process that
// converts the worst PNGs the input limits accept (one per child process,
// so each peak is its own), and fails above the target.
func BenchmarkPNGPeakRSS(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("peak RSS is read from Linux rusage")
	}
	dir := b.TempDir()
	for i, c := range worstPNGs {
		b.Run(c.name, func(b *testing.B) {
			data := worstPNG(b, i)
			file := filepath.Join(dir, c.name+".png")
			if err := os.WriteFile(file, data, 0o600); err != nil {
				b.Fatal(err)
			}
			var peak int64
			for b.Loop() {
				cmd := exec.Command(os.Args[0], "-test.run=^TestPNGPeakChild$", "-test.count=1")
				cmd.Env = append(os.Environ(), "LABELAGENT_PNG_PEAK_FILE="+file)
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("child: %v\n%s", err, out)
				}
				peak = max(peak, cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss<<10)
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MB")
			b.ReportMetric(float64(len(data))/1024, "file-KiB")
			if peak > pngPeakTarget {
				b.Errorf("peak RSS %s for %s, target %s", mb(peak), c.name, mb(pngPeakTarget))
			}
		})
	}
}

func mb(n int64) string { return fmt.Sprintf("%.0f MB", float64(n)/(1<<20)) }
