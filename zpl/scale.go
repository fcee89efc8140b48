package zpl

import (
	"image"
)

// shrinkGray scales img down to w x h (both no larger than img) by
// averaging the source pixels under each target pixel, composited on
// white. Unlike a kernel scaler it needs no buffer the size of the source
// (golang.org/x/image/draw's Catmull-Rom takes w x source height x 32
// bytes, 100 MB for a 4000-pixel-high picture): only the target and one
// source row. Averaging keeps thin lines as grey, which the threshold then
// decides on, as with the kernel scaler.
func shrinkGray(img image.Image, w, h int) *image.Gray {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	dst := image.NewGray(image.Rect(0, 0, w, h))
	row := make([]uint8, sw)
	sums := make([]uint32, w)
	x0s := make([]int, w+1)
	for dx := 0; dx <= w; dx++ {
		x0s[dx] = dx * sw / w
	}
	sy := 0
	for dy := 0; dy < h; dy++ {
		y1 := max((dy+1)*sh/h, sy+1)
		clear(sums)
		for ; sy < y1; sy++ {
			grayRow(img, b.Min.Y+sy, row)
			for dx := 0; dx < w; dx++ {
				x0, x1 := x0s[dx], max(x0s[dx+1], x0s[dx]+1)
				var s uint32
				for _, v := range row[x0:min(x1, sw)] {
					s += uint32(v)
				}
				sums[dx] += s
			}
		}
		rows := uint32(y1 - (dy * sh / h))
		for dx := 0; dx < w; dx++ {
			n := uint32(max(x0s[dx+1], x0s[dx]+1)-x0s[dx]) * max(rows, 1)
			dst.Pix[dy*dst.Stride+dx] = uint8((sums[dx] + n/2) / n)
		}
	}
	return dst
}

// grayRow writes row y of img as 8-bit luminance composited on white, with
// fast paths for what PNGs decode to.
func grayRow(img image.Image, y int, out []uint8) {
	b := img.Bounds()
	switch src := img.(type) {
	case *image.Gray:
		copy(out, src.Pix[(y-b.Min.Y)*src.Stride:])
		return
	case *image.Gray16:
		p := src.Pix[(y-b.Min.Y)*src.Stride:]
		for x := range out {
			out[x] = p[2*x]
		}
		return
	case *image.NRGBA:
		p := src.Pix[(y-b.Min.Y)*src.Stride:]
		for x := range out {
			r, g, bl, a := uint32(p[4*x]), uint32(p[4*x+1]), uint32(p[4*x+2]), uint32(p[4*x+3])
			lum := (19595*r + 38470*g + 7471*bl + 1<<15) >> 16
			out[x] = uint8((lum*a + 255*(255-a) + 127) / 255)
		}
		return
	}
	for x := range out {
		r, g, bl, a := img.At(b.Min.X+x, y).RGBA()
		wht := 0xFFFF - a
		r, g, bl = r+wht, g+wht, bl+wht
		out[x] = uint8((19595*r + 38470*g + 7471*bl + 1<<15) >> 24)
	}
}

// toGray flattens a decoded picture to 8-bit grey on white at once, so
// that everything after decoding (scaling, thresholding, the DataMatrix
// check) works on one byte per pixel, whatever the PNG's bit depth: the
// 16-bit or colour original can go as soon as this returns.
func toGray(img image.Image) *image.Gray {
	if g, ok := img.(*image.Gray); ok {
		return g
	}
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		grayRow(img, b.Min.Y+y, g.Pix[y*g.Stride:y*g.Stride+b.Dx()])
	}
	return g
}
