package render

import (
	"fmt"
	"image"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gzdm "github.com/makiuchi-d/gozxing/datamatrix"
)

func readDM(t *testing.T, grid [][]bool, mod int) (string, string, error) {
	t.Helper()
	h, w := len(grid)*mod, len(grid[0])*mod
	g := image.NewGray(image.Rect(0, 0, w+8*mod, h+8*mod))
	for i := range g.Pix {
		g.Pix[i] = 255
	}
	for r, row := range grid {
		for c, dark := range row {
			if !dark {
				continue
			}
			for y := 0; y < mod; y++ {
				for x := 0; x < mod; x++ {
					g.Pix[(4*mod+r*mod+y)*g.Stride+4*mod+c*mod+x] = 0
				}
			}
		}
	}
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(gozxing.NewLuminanceSourceFromImage(g)))
	if err != nil {
		return "", "", err
	}
	res, err := gzdm.NewDataMatrixReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		return "", "", err
	}
	id, _ := res.GetResultMetadata()[gozxing.ResultMetadataType_SYMBOLOGY_IDENTIFIER].(string)
	return res.GetText(), id, nil
}

// Every ECC 200 size, square and rectangular, filled with data: the
// symbol has the size asked for and reads back.
func TestDataMatrixEverySize(t *testing.T) {
	for _, s := range append(append([]dmSize{}, dmSquare...), dmRect...) {
		t.Run(fmt.Sprintf("%dx%d", s.rows, s.cols), func(t *testing.T) {
			// Letters take one codeword each: fill the symbol.
			data := strings.Repeat("AbC", s.data)[:s.data]
			grid, err := dmEncode([]byte(data), nil, s.cols, s.rows, false)
			if err != nil {
				t.Fatal(err)
			}
			if len(grid) != s.rows || len(grid[0]) != s.cols {
				t.Fatalf("%dx%d symbol", len(grid), len(grid[0]))
			}
			text, _, err := readDM(t, grid, 3)
			if err != nil || text != data {
				t.Fatalf("reads %q, %v", text, err)
			}
			// Part full: padding. (gozxing misreads the 8x18 symbol of
			// "Ab", which dmtxread reads; hence a little more than half.)
			half := data[:(s.data+1)/2]
			grid, _ = dmEncode([]byte(half), nil, s.cols, s.rows, false)
			if text, _, err := readDM(t, grid, 3); err != nil || text != half {
				t.Fatalf("half: reads %q, %v", text, err)
			}
		})
	}
}

func TestDataMatrixSizeAndGS1(t *testing.T) {
	// USPS asks for 20x20; the data would fit 18x18.
	data := []byte("\xe842098028\xe89205590303196500000000")
	fnc1 := map[int]bool{0: true, 9: true}
	grid, err := dmEncode(data, fnc1, 20, 20, false)
	if err != nil || len(grid) != 20 {
		t.Fatalf("%d rows, %v", len(grid), err)
	}
	text, id, err := readDM(t, grid, 3)
	if err != nil || text != "\x1d42098028\x1d9205590303196500000000" || id != "]d2" {
		t.Fatalf("%q %s %v", text, id, err)
	}
	// Too small a size asked for: the smallest that fits.
	grid, _ = dmEncode(data, fnc1, 10, 10, false)
	if len(grid) != 18 {
		t.Errorf("%d rows, want the smallest square that holds the data (18)", len(grid))
	}
	// Rectangular on request.
	grid, _ = dmEncode([]byte("ABC"), nil, 0, 0, true)
	if len(grid) != 8 || len(grid[0]) != 18 {
		t.Errorf("%dx%d, want 8x18", len(grid), len(grid[0]))
	}
	// Bytes above 127 take the upper shift.
	grid, _ = dmEncode([]byte("M\xfcller"), nil, 0, 0, false)
	if text, _, err := readDM(t, grid, 3); err != nil || text != "M\xfcller" {
		t.Errorf("%q %v", text, err)
	}
}
