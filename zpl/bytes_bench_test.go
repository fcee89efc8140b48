package zpl_test

import (
	"bytes"
	stdzlib "compress/zlib"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	kflate "github.com/klauspost/compress/flate"
	kzlib "github.com/klauspost/compress/zlib"

	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/zpl"
)

// The measurements behind the bytes of a converted page (issue 21,
// docs/benchmarks.md "bytes per label"): which deflate, which form of the
// rows, and how far any deflate can go on these pages.
//
//	go test -run '^$' -bench PageDeflate -benchtime 7x -v ./zpl/
//	go test -run '^$' -bench 'DeflateLimits|TemplateRecall|RenderersSameEncoder' -benchtime 1x -v ./zpl/

// exactPage is the bitmap a ~DY PNG label carries for a corpus page: the
// converter's own output (native barcodes cut out, trimmed), decoded back.
type exactPage struct {
	name  string
	dpi   int
	m     *zpl.Mono
	label int // bytes of the whole PNG label
	idat  int // bytes of its zlib stream
}

func exactPages(b *testing.B) []exactPage {
	var out []exactPage
	for _, c := range corpusLabels {
		data := corpus(b, c.file)
		for _, dpi := range []int{203, 300} {
			p := mustProfile(b, printer.ProfileConfig{DPI: dpi, Label: c.label, Graphics: "png"})
			lab, err := conv.Prepare(b.Context(), zpl.KindPDF, data, p)
			if err != nil {
				b.Fatal(err)
			}
			// ~DYR:LAPG0001,B,P,<size>,,<PNG>
			i := bytes.Index(lab, []byte(",B,P,"))
			rest := lab[i+5:]
			j := bytes.IndexByte(rest, ',')
			n, err := strconv.Atoi(string(rest[:j]))
			if i < 0 || j < 0 || err != nil {
				b.Fatalf("%s: not a ~DY PNG label", c.file)
			}
			png := rest[j+2 : j+2+n]
			m, err := zpl.Object{Name: "P", Ext: "PNG", Data: png}.Graphic()
			if err != nil {
				b.Fatal(err)
			}
			out = append(out, exactPage{strings.TrimSuffix(c.file, ".pdf"), dpi, m, len(lab), pngIDAT(png)})
		}
	}
	return out
}

// pngIDAT is the length of a PNG's (single) IDAT chunk.
func pngIDAT(png []byte) int {
	i := bytes.Index(png, []byte("IDAT"))
	if i < 4 {
		return 0
	}
	return int(png[i-4])<<24 | int(png[i-3])<<16 | int(png[i-2])<<8 | int(png[i-1])
}

// Row forms deflate can be given. PNG rows start with a filter byte; GRF
// (:Z64:) rows do not.
func rowsGrey(m *zpl.Mono) []byte { // PNG greyscale: black is 0
	out := make([]byte, 0, (m.Stride+1)*m.H)
	for y := range m.H {
		out = append(out, 0)
		for _, v := range m.Pix[y*m.Stride : (y+1)*m.Stride] {
			out = append(out, ^v)
		}
	}
	return out
}

func rowsPalette(m *zpl.Mono) []byte { // PNG palette 0 white, 1 black
	out := make([]byte, 0, (m.Stride+1)*m.H)
	for y := range m.H {
		out = append(out, 0)
		out = append(out, m.Pix[y*m.Stride:(y+1)*m.Stride]...)
	}
	return out
}

func rowsGRF(m *zpl.Mono) []byte { return m.Pix }

// rowsFiltered is greyscale with a PNG filter per row chosen by pick.
func rowsFiltered(m *zpl.Mono, pick func(prev, cur []byte) byte) []byte {
	prev, cur := make([]byte, m.Stride), make([]byte, m.Stride)
	out := make([]byte, 0, (m.Stride+1)*m.H)
	for y := range m.H {
		for i, v := range m.Pix[y*m.Stride : (y+1)*m.Stride] {
			cur[i] = ^v
		}
		t := pick(prev, cur)
		out = append(out, t)
		out = appendFiltered(out, t, prev, cur)
		prev, cur = cur, prev
	}
	return out
}

func appendFiltered(out []byte, t byte, prev, cur []byte) []byte {
	for i, x := range cur {
		var a, c byte
		if i > 0 {
			a, c = cur[i-1], prev[i-1]
		}
		b := prev[i]
		switch t {
		case 1:
			x -= a
		case 2:
			x -= b
		case 3:
			x -= byte((int(a) + int(b)) / 2)
		case 4:
			p := int(a) + int(b) - int(c)
			pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
			switch {
			case pa <= pb && pa <= pc:
				x -= a
			case pb <= pc:
				x -= b
			default:
				x -= c
			}
		}
		out = append(out, x)
	}
	return out
}

func abs(v int) int { return max(v, -v) }

// minSumAbs is libpng's heuristic: the filter whose output, read as signed
// bytes, has the smallest sum of magnitudes.
func minSumAbs(prev, cur []byte) byte {
	best, bt := math.MaxInt, byte(0)
	var tmp []byte
	for t := range byte(5) {
		tmp = appendFiltered(tmp[:0], t, prev, cur)
		s := 0
		for _, v := range tmp {
			s += abs(int(int8(v)))
		}
		if s < best {
			best, bt = s, t
		}
	}
	return bt
}

type deflateFunc func([]byte) int

func stdDeflate(level int) deflateFunc {
	var buf bytes.Buffer
	return func(p []byte) int {
		buf.Reset()
		w, _ := stdzlib.NewWriterLevel(&buf, level)
		_, _ = w.Write(p)
		_ = w.Close()
		return buf.Len()
	}
}

func kpDeflate(level int) deflateFunc {
	buf := new(bytes.Buffer)
	w, _ := kzlib.NewWriterLevel(buf, level)
	return reusing(w, buf, 0)
}

// kpWindow is klauspost's deflate with a small window (its own fast
// matcher), wrapped as zlib: 6 bytes of header and checksum.
func kpWindow(size int) deflateFunc {
	buf := new(bytes.Buffer)
	w, _ := kflate.NewWriterWindow(buf, size)
	return reusing(w, buf, 6)
}

func reusing(w interface {
	io.WriteCloser
	Reset(io.Writer)
}, buf *bytes.Buffer, extra int) deflateFunc {
	return func(p []byte) int {
		buf.Reset()
		w.Reset(buf)
		_, _ = w.Write(p)
		_ = w.Close()
		return buf.Len() + extra
	}
}

// BenchmarkPageDeflate deflates the exact corpus pages with each encoder and
// row form: bytes and CPU per page (variants alternate within each round).
func BenchmarkPageDeflate(b *testing.B) {
	pages := exactPages(b)
	up := func(_, _ []byte) byte { return 2 }
	upIfSame := func(p, c []byte) byte {
		if bytes.Equal(p, c) {
			return 2
		}
		return 0
	}
	type variant struct {
		name string
		rows func(*zpl.Mono) []byte
		enc  deflateFunc
	}
	var vs []variant
	for _, f := range []struct {
		name string
		rows func(*zpl.Mono) []byte
	}{{"grey", rowsGrey}, {"palette", rowsPalette}, {"grf", rowsGRF}} {
		for l := 1; l <= 9; l++ {
			vs = append(vs, variant{fmt.Sprintf("%s/std%d", f.name, l), f.rows, stdDeflate(l)})
		}
		for l := 1; l <= 9; l++ {
			vs = append(vs, variant{fmt.Sprintf("%s/kp%d", f.name, l), f.rows, kpDeflate(l)})
		}
	}
	vs = append(vs, variant{"grey/kpHuffmanOnly", rowsGrey, kpDeflate(kflate.HuffmanOnly)})
	for _, w := range []int{256, 1024, 4096} {
		vs = append(vs, variant{fmt.Sprintf("grey/kpWindow%d", w), rowsGrey, kpWindow(w)})
	}
	for _, f := range []struct {
		name string
		pick func(prev, cur []byte) byte
	}{{"up", up}, {"minsumabs", minSumAbs}, {"up-if-same", upIfSame}} {
		rows := func(m *zpl.Mono) []byte { return rowsFiltered(m, f.pick) }
		for _, e := range []struct {
			name string
			enc  deflateFunc
		}{{"std7", stdDeflate(7)}, {"kp8", kpDeflate(8)}, {"kp9", kpDeflate(9)}} {
			vs = append(vs, variant{"filter-" + f.name + "/" + e.name, rows, e.enc})
		}
	}
	inputs := make([][][]byte, len(vs))
	for i, v := range vs {
		for _, p := range pages {
			inputs[i] = append(inputs[i], v.rows(p.m))
		}
	}
	size := make([]int, len(vs))
	cpu := make([][]time.Duration, len(vs))
	for b.Loop() {
		for i, v := range vs {
			c0 := zpl.CPUTime()
			size[i] = 0
			for _, in := range inputs[i] {
				size[i] += v.enc(in)
			}
			cpu[i] = append(cpu[i], zpl.CPUTime()-c0)
		}
	}
	b.Logf("%d pages (the corpus at 203 and 300 dpi), zlib stream bytes and CPU per page (median of %d rounds)", len(pages), len(cpu[0]))
	for i, v := range vs {
		b.Logf("%-28s %8d B/page %6.2f ms/page", v.name, size[i]/len(pages), float64(medianDuration(cpu[i]).Microseconds())/1000/float64(len(pages)))
	}
	b.ReportMetric(0, "ns/op")
}

func medianDuration(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}

// zopfli is the size of p as a zlib stream from the zopfli tool (Debian
// package zopfli: an optimal-parse deflate in C, far too slow for a label,
// used here as the bound of what any deflate reaches), or 0 without it.
func zopfli(b *testing.B, p []byte) int {
	if _, err := exec.LookPath("zopfli"); err != nil {
		return 0
	}
	f := filepath.Join(b.TempDir(), "rows")
	if err := os.WriteFile(f, p, 0o644); err != nil {
		b.Fatal(err)
	}
	out, err := exec.Command("zopfli", "--zlib", "-c", f).Output()
	if err != nil {
		b.Fatal(err)
	}
	return len(out)
}

// components labels the 8-connected black components of m: the label of
// each dot (0 white) and each component's box and dot count.
type component struct {
	r image4
	n int
}

type image4 struct{ x0, y0, x1, y1 int }

func components(m *zpl.Mono) ([]int32, []component) {
	lab := make([]int32, m.W*m.H)
	var cs []component
	var stack []int
	for i := range lab {
		x, y := i%m.W, i/m.W
		if lab[i] != 0 || !m.Black(x, y) {
			continue
		}
		id := int32(len(cs) + 1)
		c := component{image4{x, y, x, y}, 0}
		lab[i] = id
		stack = append(stack[:0], i)
		for len(stack) > 0 {
			j := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			cx, cy := j%m.W, j/m.W
			c.n++
			c.r = image4{min(c.r.x0, cx), min(c.r.y0, cy), max(c.r.x1, cx), max(c.r.y1, cy)}
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					nx, ny := cx+dx, cy+dy
					if nx >= 0 && ny >= 0 && nx < m.W && ny < m.H && lab[ny*m.W+nx] == 0 && m.Black(nx, ny) {
						lab[ny*m.W+nx] = id
						stack = append(stack, ny*m.W+nx)
					}
				}
			}
		}
		cs = append(cs, c)
	}
	return lab, cs
}

// keep returns the dots of m whose component keep accepts.
func keepComponents(m *zpl.Mono, lab []int32, ok func(l int32) bool) *zpl.Mono {
	out, _ := zpl.NewMono(m.W, m.H)
	for i, l := range lab {
		if l != 0 && ok(l) {
			out.Set(i%m.W, i/m.W, true)
		}
	}
	return out
}

// contextBytes is the ideal code length of m under an adaptive binary
// context model over 16 neighbouring dots (as JBIG2's generic region
// coding): how much information the dots hold, for a coder no Zebra has.
func contextBytes(m *zpl.Mono) int {
	tmpl := [16][2]int{{-1, 0}, {-2, 0}, {-3, 0}, {-4, 0}, {-3, -1}, {-2, -1}, {-1, -1}, {0, -1}, {1, -1}, {2, -1}, {3, -1}, {-2, -2}, {-1, -2}, {0, -2}, {1, -2}, {2, -2}}
	var n0, n1 [1 << 16]uint32
	dot := func(x, y int) int {
		if x >= 0 && y >= 0 && x < m.W && m.Black(x, y) {
			return 1
		}
		return 0
	}
	total := 0.0
	for y := range m.H {
		for x := range m.W {
			ctx := 0
			for _, t := range tmpl {
				ctx = ctx<<1 | dot(x+t[0], y+t[1])
			}
			a, b := float64(n0[ctx])+0.4, float64(n1[ctx])+0.4
			if dot(x, y) == 1 {
				total -= math.Log2(b / (a + b))
				n1[ctx]++
			} else {
				total -= math.Log2(a / (a + b))
				n0[ctx]++
			}
		}
	}
	return int(total / 8)
}

// pipelineBytes is the size of the pdftoppm -mono + zpl-image label for
// a corpus file at dpi, or 0 when the pipeline is not installed.
func pipelineBytes(b *testing.B, file string, dpi int) int {
	script, _ := filepath.Abs("../bench/zpl/pbm2zpl.js")
	if _, err := os.Stat(filepath.Join(filepath.Dir(script), "node_modules", "zpl-image")); err != nil {
		return 0
	}
	dir := b.TempDir()
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, corpus(b, file+".pdf"), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := exec.Command("pdftoppm", "-r", fmt.Sprint(dpi), "-mono", "-singlefile", in, filepath.Join(dir, "page")).Run(); err != nil {
		return 0
	}
	node := exec.Command("node", script, filepath.Join(dir, "page.pbm"))
	node.Dir = filepath.Dir(script)
	out, err := node.Output()
	if err != nil {
		return 0
	}
	return len(out)
}

// BenchmarkDeflateLimits asks whether 0.6x of the pipeline's bytes is
// reachable with the deflate a Zebra decodes: the exact pages whole and cut
// into their text (components within 6 mm both ways) and the rest, at
// stdlib level 7 (what ships) and at zopfli's optimal parse, against the
// budget the 0.6x target leaves for the PNG's zlib stream.
func BenchmarkDeflateLimits(b *testing.B) {
	pages := exactPages(b)
	for b.Loop() {
		b.Log("page | dpi | 0.6x budget for the zlib stream | std7 | zopfli | text alone std7 / zopfli | rest alone zopfli | context model whole / text")
		for _, p := range pages {
			lab, cs := components(p.m)
			lim := zpl.MMToDots(6, p.dpi)
			isText := func(l int32) bool {
				r := cs[l-1].r
				return r.x1-r.x0 < lim && r.y1-r.y0 < lim
			}
			text := keepComponents(p.m, lab, isText)
			rest := keepComponents(p.m, lab, func(l int32) bool { return !isText(l) })
			budget := "-"
			if pipe := pipelineBytes(b, p.name, p.dpi); pipe > 0 {
				budget = fmt.Sprint(pipe*6/10 - (p.label - p.idat))
			}
			std7 := stdDeflate(7)
			b.Logf("%s | %d | %s | %d | %d | %d / %d | %d | %d / %d", p.name, p.dpi, budget,
				std7(rowsPalette(p.m)), zopfli(b, rowsPalette(p.m)),
				std7(rowsPalette(text)), zopfli(b, rowsPalette(text)), zopfli(b, rowsPalette(rest)),
				contextBytes(p.m), contextBytes(text))
		}
	}
	b.ReportMetric(0, "ns/op")
}

// BenchmarkTemplateRecall measures what a template stored in the printer
// (~DY once, ^XG or ^IM with every label) would save between the two DHL
// Parcel DE labels of the corpus: the components one label has identically
// (same dots, same place) in the other are the template; the label then
// needs only the rest. Exact, since the rest and the template together are
// the page's dots and printed fields add black.
func BenchmarkTemplateRecall(b *testing.B) {
	pages := exactPages(b)
	byName := map[string]*zpl.Mono{}
	for _, p := range pages {
		byName[fmt.Sprintf("%s/%d", p.name, p.dpi)] = p.m
	}
	for b.Loop() {
		for _, dpi := range []int{203, 300} {
			a := byName[fmt.Sprintf("dhl_parcel_de_8a9d39e6/%d", dpi)]
			c := byName[fmt.Sprintf("dhl_parcel_de_9097dab5/%d", dpi)]
			w, h := max(a.W, c.W), max(a.H, c.H)
			a, c = padTo(a, w, h), padTo(c, w, h)
			tmpl := sharedComponents(a, c)
			std7 := stdDeflate(7)
			for _, m := range []struct {
				name string
				m    *zpl.Mono
			}{{"8a9d39e6", a}, {"9097dab5", c}} {
				rest := andNot(m.m, tmpl)
				whole, left := std7(rowsPalette(m.m)), std7(rowsPalette(rest))
				b.Logf("%d dpi, label %s: %d B alone, %d B with the template stored (%.0f %%); the template once %d B; %d of %d dots in it",
					dpi, m.name, whole, left, 100*float64(left)/float64(whole), std7(rowsPalette(tmpl)), tmpl.BlackCount(), m.m.BlackCount())
			}
		}
	}
	b.ReportMetric(0, "ns/op")
}

func padTo(m *zpl.Mono, w, h int) *zpl.Mono {
	out, _ := zpl.NewMono(w, h)
	out.Paste(m, 0, 0)
	return out
}

func andNot(a, b *zpl.Mono) *zpl.Mono {
	out := a.Clone()
	for i := range out.Pix {
		out.Pix[i] &^= b.Pix[i]
	}
	return out
}

// sharedComponents is the union of b's components that a has identically:
// every dot inside one component of a with the same dot count.
func sharedComponents(a, b *zpl.Mono) *zpl.Mono {
	labA, csA := components(a)
	labB, csB := components(b)
	in := make([]int32, len(csB)) // the a component each b component lies in; -1 none
	for i, l := range labB {
		if l == 0 || in[l-1] < 0 {
			continue
		}
		switch la := labA[i]; {
		case la == 0, in[l-1] != 0 && in[l-1] != la:
			in[l-1] = -1
		default:
			in[l-1] = la
		}
	}
	return keepComponents(b, labB, func(l int32) bool {
		return in[l-1] > 0 && csA[in[l-1]-1].n == csB[l-1].n
	})
}

// BenchmarkRenderersSameEncoder puts pdfium's page and poppler's
// (pdftoppm -mono, the pipeline's renderer) through the same encoder
// (whole page, trimmed, every barcode as dots, PNG rows, stdlib level 7):
// how much of the byte gap to the pipeline is the rasteriser's. Poppler
// draws the corpus's non-embedded Helvetica with whatever font fontconfig
// substitutes (DejaVu Sans on a bare Debian).
func BenchmarkRenderersSameEncoder(b *testing.B) {
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		b.Skip("pdftoppm (poppler-utils) is not installed")
	}
	for b.Loop() {
		for _, c := range corpusLabels {
			data := corpus(b, c.file)
			for _, dpi := range []int{203, 300} {
				pm, err := conv.RenderPDFPage(b.Context(), data, 1, dpi)
				if err != nil {
					b.Fatal(err)
				}
				qm := popplerPage(b, data, dpi)
				pm, _ = pm.Trim()
				qm, _ = qm.Trim()
				std7 := stdDeflate(7)
				p, q := std7(rowsPalette(pm)), std7(rowsPalette(qm))
				b.Logf("%s %d dpi: pdfium %d B (%d black dots), poppler %d B (%d black dots): %.3fx", c.file, dpi, p, pm.BlackCount(), q, qm.BlackCount(), float64(p)/float64(q))
			}
		}
	}
	b.ReportMetric(0, "ns/op")
}

// popplerPage is pdftoppm -mono's rendering of the first page at dpi.
func popplerPage(b *testing.B, pdf []byte, dpi int) *zpl.Mono {
	dir := b.TempDir()
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		b.Fatal(err)
	}
	if out, err := exec.Command("pdftoppm", "-r", fmt.Sprint(dpi), "-mono", "-singlefile", in, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		b.Fatalf("pdftoppm: %v: %s", err, out)
	}
	pbm, err := os.ReadFile(filepath.Join(dir, "page.pbm"))
	if err != nil {
		b.Fatal(err)
	}
	// pdftoppm writes "P4\nW H\n" and the rows, 1 for black as in a Mono.
	parts := bytes.SplitN(pbm, []byte("\n"), 3)
	var w, h int
	if len(parts) != 3 || string(parts[0]) != "P4" {
		b.Fatalf("pdftoppm wrote no binary PBM: %.20q", pbm)
	}
	if _, err := fmt.Sscanf(string(parts[1]), "%d %d", &w, &h); err != nil {
		b.Fatalf("PBM size %q: %v", parts[1], err)
	}
	m, err := zpl.NewMono(w, h)
	if err != nil || len(parts[2]) < len(m.Pix) {
		b.Fatalf("PBM of %dx%d dots, %d bytes: %v", w, h, len(parts[2]), err)
	}
	copy(m.Pix, parts[2])
	return m
}
