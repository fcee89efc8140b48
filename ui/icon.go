package ui

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
)

// IconPNG draws the tray icon for an overall state: a filled disc in the
// state's colour (green ready, blue printing, orange needs attention, grey
// service not running) with a white mark, readable at 16 px.
func IconPNG(o Overall) []byte {
	const n = 64
	fill := iconFill(o)
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	white := color.NRGBA{0xff, 0xff, 0xff, 0xff}
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			dx, dy := x-n/2, y-n/2
			if dx*dx+dy*dy > (n/2-2)*(n/2-2) {
				continue
			}
			c := fill
			switch o {
			case Attention: // an exclamation mark
				if (x >= 28 && x < 36 && y >= 12 && y < 40) || (x >= 28 && x < 36 && y >= 45 && y < 53) {
					c = white
				}
			case NotRunning: // a bar: stopped
				if y >= 28 && y < 36 && x >= 14 && x < 50 {
					c = white
				}
			case Printing: // a label coming out
				if x >= 20 && x < 44 && y >= 16 && y < 48 && !(x >= 24 && x < 40 && y >= 20 && y < 44) {
					c = white
				}
			case Ready: // a tick
				if (y-x >= 6 && y-x < 14 && x >= 16 && x < 28) || (x+y >= 60 && x+y < 68 && x >= 26 && x < 50) {
					c = white
				}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img) // writing to memory cannot fail
	return b.Bytes()
}

// iconFill is the disc's colour for a state.
func iconFill(o Overall) color.NRGBA {
	return map[Overall]color.NRGBA{
		Ready:      {0x2e, 0x9e, 0x44, 0xff},
		Printing:   {0x1f, 0x6f, 0xd1, 0xff},
		Attention:  {0xe0, 0x7b, 0x00, 0xff},
		NotRunning: {0x80, 0x80, 0x80, 0xff},
		Connecting: {0xb0, 0xb0, 0xb0, 0xff},
	}[o]
}
