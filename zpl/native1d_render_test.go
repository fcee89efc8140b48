package zpl_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/code128"
	"github.com/boombuler/barcode/code39"
	"github.com/boombuler/barcode/ean"
	"github.com/boombuler/barcode/twooffive"

	"github.com/labelagent/labelagent/zpl"
	"github.com/labelagent/labelagent/zpl/render"
)

// modules reads a 1-D symbol drawn by another encoder as dark/light per
// module.
func modules(bc barcode.Barcode) []bool {
	b := bc.Bounds()
	out := make([]bool, b.Dx())
	for x := range out {
		r, _, _, _ := bc.At(b.Min.X+x, b.Min.Y).RGBA()
		out[x] = r < 0x8000
	}
	return out
}

// Symbols drawn with whole-dot modules, in every orientation, go out as
// commands that the renderer (which follows the ZPL guide) draws back dot
// for dot.
func TestNativeLinearDrawsTheSameDots(t *testing.T) {
	c128, _ := code128.Encode("40327610117+99000933000000")
	gs1, _ := code128.Encode(string(code128.FNC1) + "42073108" + string(code128.FNC1) + "9234690361980900000142")
	itf, _ := twooffive.Encode("60701001756402", true)
	c39, _ := code39.Encode("1103733901", false, false)
	e13, _ := ean.Encode("9780201379341")
	for _, c := range []struct {
		name string
		mods []bool
		x    int
	}{
		{"code128", modules(c128), 3},
		{"gs1-128", modules(gs1), 2},
		{"itf", modules(itf), 2},
		{"code39", modules(c39), 3},
		{"ean13", modules(e13), 2},
	} {
		for _, rot := range []int{0, 90, 180, 270} {
			m, _ := zpl.NewMono(len(c.mods)*c.x+80, 160)
			for i, dark := range c.mods {
				for y := 20; dark && y < 140; y++ {
					for x := 40 + i*c.x; x < 40+(i+1)*c.x; x++ {
						m.Set(x, y, true)
					}
				}
			}
			if rot != 0 {
				m, _ = m.Rotate(rot)
			}
			rects, cmds := zpl.NativeLinear(m)
			if len(cmds) != 1 {
				t.Errorf("%s turned %d: %d symbols found", c.name, rot, len(cmds))
				continue
			}
			src := fmt.Sprintf("^XA^PW%d^LL%d^FO%d,%d%s^FS^XZ", m.W, m.H, rects[0].Min.X, rects[0].Min.Y, cmds[0])
			labels, err := render.Render([]byte(src), render.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if w := labels[0].Warnings; len(w) > 0 {
				t.Errorf("%s turned %d: renderer warnings %v", c.name, rot, w)
			}
			if got := labels[0].Image; !got.Equal(m) {
				t.Errorf("%s turned %d: %s draws other dots than the page", c.name, rot, strings.TrimPrefix(src, "^XA"))
			}
		}
	}
}
