package zpl

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// parseGF splits "^GFA,b,c,d,data" for tests.
func parseGF(t testing.TB, cmd []byte) (total, bpr int, data []byte) {
	t.Helper()
	s := strings.TrimPrefix(string(cmd), "^GFA,")
	parts := strings.SplitN(s, ",", 4)
	if len(parts) != 4 {
		t.Fatalf("not a ^GFA command: %.40q", cmd)
	}
	total, _ = strconv.Atoi(parts[0])
	bpr, _ = strconv.Atoi(parts[2])
	return total, bpr, []byte(parts[3])
}

func testImages(t testing.TB) map[string]*Mono {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	imgs := map[string]*Mono{}
	mk := func(name string, w, h int, f func(x, y int) bool) {
		m, err := NewMono(w, h)
		if err != nil {
			t.Fatal(err)
		}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				m.Set(x, y, f(x, y))
			}
		}
		imgs[name] = m
	}
	mk("white", 17, 5, func(x, y int) bool { return false })
	mk("black", 16, 9, func(x, y int) bool { return true })
	mk("black-odd-width", 13, 3, func(x, y int) bool { return true })
	mk("one-dot", 1, 1, func(x, y int) bool { return true })
	mk("stripes", 803, 40, func(x, y int) bool { return (x/3)%2 == 0 })
	mk("repeated-rows", 64, 100, func(x, y int) bool { return x > 20 && x < 30 })
	mk("checker", 33, 33, func(x, y int) bool { return (x+y)%2 == 0 })
	mk("noise", 250, 60, func(x, y int) bool { return r.IntN(3) == 0 })
	mk("long-runs", 3300, 4, func(x, y int) bool { return x > 5 && x < 3290 })
	mk("right-edge-black", 40, 4, func(x, y int) bool { return x >= 24 })
	return imgs
}

func TestGraphicRoundTrip(t *testing.T) {
	for name, m := range testImages(t) {
		for _, enc := range []Encoding{EncodingHex, EncodingACS, EncodingZ64, EncodingAuto} {
			t.Run(fmt.Sprintf("%s/%s", name, enc), func(t *testing.T) {
				cmd := GraphicField(m, enc, true)
				total, bpr, data := parseGF(t, cmd)
				if total != len(m.Pix) || bpr != m.Stride {
					t.Fatalf("header says %d bytes, %d per row; want %d, %d", total, bpr, len(m.Pix), m.Stride)
				}
				got, err := DecodeGraphic('A', total, bpr, data)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Pix, m.Pix) {
					t.Fatalf("decoded pixels differ from the original\nencoded: %.200s", data)
				}
			})
		}
	}
}

func TestAutoPicksSmallest(t *testing.T) {
	for name, m := range testImages(t) {
		auto := GraphicField(m, EncodingAuto, true)
		for _, enc := range []Encoding{EncodingHex, EncodingACS, EncodingZ64} {
			if o := GraphicField(m, enc, true); len(o) < len(auto) {
				t.Errorf("%s: auto gave %d bytes but %s gives %d", name, len(auto), enc, len(o))
			}
		}
		if noz := GraphicField(m, EncodingAuto, false); bytes.Contains(noz, []byte(":Z64:")) {
			t.Errorf("%s: Z64 used although the printer cannot read it", name)
		}
	}
}

func TestDecodeACSExamples(t *testing.T) {
	// Examples in the style of the ZPL manual's alternative compression scheme.
	tests := []struct {
		name     string
		data     string
		total    int
		bpr      int
		wantRows []string
	}{
		{"plain hex", "FF00\n00FF", 4, 2, []string{"FF00", "00FF"}},
		{"run counts", "gF", 10, 10, []string{"FFFFFFFFFFFFFFFFFFFF"}},
		{"added counts", "hKA", 45, 45, []string{strings.Repeat("A", 45) + strings.Repeat("0", 45)}},
		{"comma fills zeros", "F,", 4, 2, []string{"F000", "0000"}},
		{"bang fills ones", "0!", 2, 2, []string{"0FFF"}},
		{"colon repeats row", "1234::", 6, 2, []string{"1234", "1234", "1234"}},
		{"comma as empty row", ",FFFF", 4, 2, []string{"0000", "FFFF"}},
		{"lowercase hex", "abcd", 2, 2, []string{"ABCD"}},
		{"short data pads white", "FF", 4, 2, []string{"FF00", "0000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := DecodeGraphic('A', tt.total, tt.bpr, []byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			var rows []string
			for y := 0; y < m.H; y++ {
				rows = append(rows, fmt.Sprintf("%X", m.Pix[y*m.Stride:(y+1)*m.Stride]))
			}
			want := strings.Join(tt.wantRows, "|")
			if len(tt.wantRows) == 1 && len(rows) > 1 {
				// one long expected string across rows
				want = tt.wantRows[0]
				if got := strings.Join(rows, ""); got != want {
					t.Fatalf("got %s, want %s", got, want)
				}
				return
			}
			if got := strings.Join(rows, "|"); got != want {
				t.Fatalf("got %s, want %s", got, want)
			}
		})
	}
}

func TestDecodeGraphicRefusesBombs(t *testing.T) {
	// 64 MB of zeros deflate to about 64 KB: declared small, it must stop
	// reading at the declared size.
	var buf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	zero := make([]byte, 1<<20)
	for range 64 {
		zw.Write(zero)
	}
	zw.Close()
	b64 := base64.StdEncoding.EncodeToString(buf.Bytes())
	data := fmt.Sprintf(":Z64:%s:%04X", b64, crc16([]byte(b64)))
	if _, err := DecodeGraphic('A', 1000, 10, []byte(data)); !errors.Is(err, ErrGraphicTooLarge) {
		t.Fatalf("bomb declared small: err = %v, want ErrGraphicTooLarge", err)
	}
	if _, err := DecodeGraphic('A', 64<<20, 100, []byte(data)); !errors.Is(err, ErrGraphicTooLarge) {
		t.Fatalf("bomb declared huge: err = %v, want ErrGraphicTooLarge", err)
	}
	if _, err := DecodeGraphic('A', 1<<20, 1, []byte("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzF")); !errors.Is(err, ErrGraphicTooLarge) {
		t.Fatalf("tall narrow graphic: err = %v, want ErrGraphicTooLarge", err)
	}
}

func TestDecodeZ64BadCRC(t *testing.T) {
	m := testImages(t)["noise"]
	_, _, data := parseGF(t, GraphicField(m, EncodingZ64, true))
	bad := bytes.Clone(data)
	bad[10] ^= 1
	if _, err := DecodeGraphic('A', len(m.Pix), m.Stride, bad); err == nil || !strings.Contains(err.Error(), "CRC") {
		t.Fatalf("damaged data: err = %v, want a CRC error", err)
	}
}

func TestCRC16KnownValue(t *testing.T) {
	// CRC-16/XMODEM check value.
	if got := crc16([]byte("123456789")); got != 0x31C3 {
		t.Fatalf("crc16 = %04X, want 31C3", got)
	}
}

func FuzzDecodeGraphic(f *testing.F) {
	for _, m := range testImages(f) {
		for _, enc := range []Encoding{EncodingHex, EncodingACS, EncodingZ64} {
			total, bpr, data := parseGF(f, GraphicField(m, enc, true))
			f.Add(total, bpr, data)
		}
	}
	f.Add(10, 2, []byte(":B64:AAAA"))
	f.Fuzz(func(t *testing.T, total, bpr int, data []byte) {
		if total > 1<<20 {
			// The size limits are tested above; megabyte allocations only
			// slow the fuzzer down.
			return
		}
		m, err := DecodeGraphic('A', total, bpr, data)
		if err != nil {
			return
		}
		if m.Stride != bpr || len(m.Pix) < total {
			t.Fatalf("decoded %d bytes, %d per row for declared %d, %d", len(m.Pix), m.Stride, total, bpr)
		}
		if total > 1<<16 {
			return // re-encoding megabytes is too slow for fuzzing
		}
		// What decodes must survive our own encoders.
		for _, enc := range []Encoding{EncodingACS, EncodingZ64} {
			tot, b, d := parseGF(t, GraphicField(m, enc, true))
			back, err := DecodeGraphic('A', tot, b, d)
			if err != nil || !bytes.Equal(back.Pix, m.Pix) {
				t.Fatalf("re-encoding with %s does not round trip: %v", enc, err)
			}
		}
	})
}

func TestCropMatchesDots(t *testing.T) {
	m := testImages(t)["noise"]
	for _, r := range []image.Rectangle{image.Rect(0, 0, 250, 60), image.Rect(3, 5, 200, 50), image.Rect(7, 1, 8, 2), image.Rect(13, 0, 250, 60), image.Rect(240, 10, 300, 70)} {
		c := m.Crop(r)
		rr := r.Intersect(m.Bounds())
		if c.W != rr.Dx() || c.H != rr.Dy() {
			t.Fatalf("crop %v is %dx%d", r, c.W, c.H)
		}
		for y := 0; y < c.H; y++ {
			for x := 0; x < c.W+8; x++ {
				if c.Black(x, y) != (x < c.W && m.Black(rr.Min.X+x, rr.Min.Y+y)) {
					t.Fatalf("crop %v differs at %d,%d", r, x, y)
				}
			}
		}
		for y := 0; y < c.H; y++ { // padding bits stay clear
			if c.W%8 != 0 && c.Pix[y*c.Stride+c.Stride-1]&(0xFF>>(c.W%8)) != 0 {
				t.Fatalf("crop %v leaves padding bits set", r)
			}
		}
	}
}
