package pdf417

import (
	"strings"
	"testing"

	"github.com/boombuler/barcode/pdf417"
)

// grid samples a boombuler symbol into module rows (it draws rows two
// pixels tall).
func grid(t *testing.T, text string, sec byte) [][]bool {
	t.Helper()
	bc, err := pdf417.Encode(text, sec)
	if err != nil {
		t.Fatal(err)
	}
	b := bc.Bounds()
	var rows [][]bool
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		row := make([]bool, b.Dx())
		for x := range row {
			r, _, _, _ := bc.At(b.Min.X+x, y).RGBA()
			row[x] = r < 0x8000
		}
		rows = append(rows, row)
	}
	return rows
}

func TestDecodeRoundTrip(t *testing.T) {
	for _, text := range []string{
		"DHL PAKET 00340434161094042557 MAX MUSTERMANN 53113 BONN",
		"Hello World",
		"lower case and UPPER; punct: (x) {y} [z] ~!@",
		"12345678901234567890123456789",
		"mixed 0815 #42 & 50% + tax = $3/4*",
		"a\tb\r\nc",
		"\x00\x01\x02binary\xff\xfe ok",
		"123456",
		strings.Repeat("LONG LABEL DATA 2026 ", 20),
	} {
		for _, sec := range []byte{0, 2, 5} {
			s, err := Decode(grid(t, text, sec))
			if err != nil {
				t.Fatalf("%q sec %d: %v", text, sec, err)
			}
			if s.Text != text {
				t.Errorf("sec %d: decoded %q, want %q", sec, s.Text, text)
			}
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	rows := grid(t, "Hello", 2)
	rows[1][40] = !rows[1][40]
	if _, err := Decode(rows); err == nil {
		t.Error("damaged codeword accepted")
	}
	if _, err := Decode([][]bool{{true}, {true}, {true}}); err == nil {
		t.Error("tiny grid accepted")
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(3, 103, []byte{0xff, 0x00, 0xaa})
	f.Add(5, 137, []byte("some bits"))
	f.Fuzz(func(t *testing.T, rows, width int, bits []byte) {
		if rows < 0 || rows > 100 || width < 0 || width > 600 || len(bits) == 0 {
			return
		}
		g := make([][]bool, rows)
		for r := range g {
			g[r] = make([]bool, width)
			for x := range g[r] {
				i := r*width + x
				g[r][x] = bits[(i/8)%len(bits)]&(0x80>>(i%8)) != 0
			}
			// Real start and stop patterns, so the fuzzer reaches the
			// codeword and high-level decoding.
			if width > 40 && (width-1)%17 == 0 {
				for k := 0; k < 17; k++ {
					g[r][k] = startWord&(1<<(16-k)) != 0
				}
				for k := 0; k < 18; k++ {
					g[r][width-18+k] = stopWord&(1<<(17-k)) != 0
				}
			}
		}
		_, _ = Decode(g)
	})
}
