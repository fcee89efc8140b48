package zpl

import (
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"math/bits"

	xdraw "golang.org/x/image/draw"
)

// Mono is a 1-bit image laid out as ZPL graphics are: rows of Stride bytes,
// most significant bit first, a set bit prints a black dot.
type Mono struct {
	W, H   int
	Stride int // bytes per row: (W+7)/8
	Pix    []byte
}

// MaxGraphicBytes bounds one graphic's uncompressed size: a 600 dpi 4 x 8 inch
// label needs about 1.4 MB, so this leaves room without letting a
// decompression bomb take the machine's memory.
const MaxGraphicBytes = 8 << 20

// NewMono returns a white w x h image.
func NewMono(w, h int) (*Mono, error) {
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("graphic size %dx%d is empty", w, h)
	}
	stride := (w + 7) / 8
	if w > MaxDots || h > MaxDots || int64(stride)*int64(h) > MaxGraphicBytes {
		return nil, fmt.Errorf("graphic size %dx%d dots exceeds the limit of %d dots per side and %d bytes", w, h, MaxDots, MaxGraphicBytes)
	}
	return &Mono{W: w, H: h, Stride: stride, Pix: make([]byte, stride*h)}, nil
}

// Black reports whether the dot at x, y prints. Outside the image is white.
func (m *Mono) Black(x, y int) bool {
	if x < 0 || y < 0 || x >= m.W || y >= m.H {
		return false
	}
	return m.Pix[y*m.Stride+x/8]&(0x80>>(x%8)) != 0
}

// Set sets the dot at x, y; outside the image it does nothing.
func (m *Mono) Set(x, y int, black bool) {
	if x < 0 || y < 0 || x >= m.W || y >= m.H {
		return
	}
	i, b := y*m.Stride+x/8, byte(0x80>>(x%8))
	if black {
		m.Pix[i] |= b
	} else {
		m.Pix[i] &^= b
	}
}

// ColorModel implements image.Image.
func (m *Mono) ColorModel() color.Model { return color.GrayModel }

// Bounds implements image.Image.
func (m *Mono) Bounds() image.Rectangle { return image.Rect(0, 0, m.W, m.H) }

// At implements image.Image: black or white.
func (m *Mono) At(x, y int) color.Color {
	if m.Black(x, y) {
		return color.Gray{Y: 0}
	}
	return color.Gray{Y: 255}
}

// Equal reports whether two images have the same size and dots.
func (m *Mono) Equal(o *Mono) bool {
	if m.W != o.W || m.H != o.H {
		return false
	}
	for y := 0; y < m.H; y++ {
		for x := 0; x < m.W; x++ {
			if m.Black(x, y) != o.Black(x, y) {
				return false
			}
		}
	}
	return true
}

// clearPadding zeroes the bits past W in every row so that equal images
// encode to equal bytes.
func (m *Mono) clearPadding() {
	if m.W%8 == 0 {
		return
	}
	mask := byte(0xFF << (8 - m.W%8))
	for y := 0; y < m.H; y++ {
		m.Pix[y*m.Stride+m.Stride-1] &= mask
	}
}

// BlackCount counts the printing dots.
func (m *Mono) BlackCount() int {
	n := 0
	for _, b := range m.Pix {
		n += bits.OnesCount8(b)
	}
	return n
}

// Threshold is the default grey level (0..255) below which a dot prints.
const Threshold = 128

// ToMono converts an image to 1 bit. Transparent areas are white. With
// dither false, dots darker than threshold print (right for text, line art
// and barcodes: edges stay sharp). With dither true, Floyd-Steinberg error
// diffusion keeps grey levels of photos; never use it for barcodes.
// threshold 0 means Threshold.
func ToMono(img image.Image, threshold int, dither bool) (*Mono, error) {
	if threshold <= 0 || threshold > 255 {
		threshold = Threshold
	}
	b := img.Bounds()
	m, err := NewMono(b.Dx(), b.Dy())
	if err != nil {
		return nil, err
	}
	if g, ok := img.(*image.Gray); ok && !dither {
		// The renderer's grey buffer is read in place (pdfium's own
		// memory): no copy of the page.
		t := uint8(threshold)
		for y := 0; y < m.H; y++ {
			row := g.Pix[y*g.Stride : y*g.Stride+m.W]
			out := m.Pix[y*m.Stride:]
			x := 0
			// Eight pixels at a time: rendered without anti-aliasing,
			// almost every group is all white or all black.
			for ; x+8 <= len(row); x += 8 {
				switch v := binary.LittleEndian.Uint64(row[x:]); {
				case v == ^uint64(0): // white (t is at most 255)
				case v == 0: // black (t is at least 1)
					out[x>>3] = 0xFF
				default:
					var b byte
					for k, p := range row[x : x+8] {
						if p < t {
							b |= 0x80 >> k
						}
					}
					out[x>>3] = b
				}
			}
			for ; x < len(row); x++ {
				if row[x] < t {
					out[x>>3] |= 0x80 >> (x & 7)
				}
			}
		}
		return m, nil
	}
	gray := grayOf(img)
	if !dither {
		for y := 0; y < m.H; y++ {
			row := gray[y*m.W : (y+1)*m.W]
			out := m.Pix[y*m.Stride:]
			for x, g := range row {
				if int(g) < threshold {
					out[x>>3] |= 0x80 >> (x & 7)
				}
			}
		}
		return m, nil
	}
	// Floyd-Steinberg on int16 errors, two rows at a time.
	cur := make([]int32, m.W+2)
	next := make([]int32, m.W+2)
	for y := 0; y < m.H; y++ {
		for x := 0; x < m.W; x++ {
			cur[x+1] += int32(gray[y*m.W+x])
		}
		for x := 0; x < m.W; x++ {
			v := cur[x+1]
			var e int32
			if v < int32(threshold) {
				m.Pix[y*m.Stride+x>>3] |= 0x80 >> (x & 7)
				e = v
			} else {
				e = v - 255
			}
			cur[x+2] += e * 7 / 16
			next[x] += e * 3 / 16
			next[x+1] += e * 5 / 16
			next[x+2] += e / 16
		}
		cur, next = next, cur
		clear(next)
	}
	return m, nil
}

// grayOf flattens an image to 8-bit luminance, compositing on white.
func grayOf(img image.Image) []uint8 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	out := make([]uint8, w*h)
	switch src := img.(type) {
	case *image.Gray:
		for y := 0; y < h; y++ {
			copy(out[y*w:(y+1)*w], src.Pix[(y)*src.Stride:])
		}
		return out
	case *Mono:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				if src.Black(x, y) {
					out[y*w+x] = 0
				} else {
					out[y*w+x] = 255
				}
			}
		}
		return out
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, bl, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			// Composite premultiplied colour on white.
			wht := 0xFFFF - a
			r, g, bl = r+wht, g+wht, bl+wht
			lum := (19595*r + 38470*g + 7471*bl + 1<<15) >> 24
			out[y*w+x] = uint8(lum)
		}
	}
	return out
}

// Trim returns the smallest part of m that holds every black dot, and where
// that part was. An all-white image trims to nil.
func (m *Mono) Trim() (*Mono, image.Rectangle) {
	minX, minY, maxX, maxY := m.W, m.H, -1, -1
	for y := 0; y < m.H; y++ {
		row := m.Pix[y*m.Stride : (y+1)*m.Stride]
		first, last := -1, -1
		for i, b := range row {
			if b != 0 {
				if first < 0 {
					first = i*8 + bits.LeadingZeros8(b)
				}
				last = i*8 + 7 - bits.TrailingZeros8(b)
			}
		}
		if first < 0 {
			continue
		}
		minX, maxX = min(minX, first), max(maxX, last)
		if minY > y {
			minY = y
		}
		maxY = y
	}
	if maxY < 0 {
		return nil, image.Rectangle{}
	}
	r := image.Rect(minX, minY, maxX+1, maxY+1)
	return m.Crop(r), r
}

// Crop copies the part r of m (clipped to m); nil when r is empty.
func (m *Mono) Crop(r image.Rectangle) *Mono {
	r = r.Intersect(m.Bounds())
	out, err := NewMono(r.Dx(), r.Dy())
	if err != nil {
		return nil
	}
	shift := uint(r.Min.X % 8)
	first := r.Min.X / 8
	for y := 0; y < out.H; y++ {
		src := m.Pix[(r.Min.Y+y)*m.Stride : (r.Min.Y+y+1)*m.Stride]
		dst := out.Pix[y*out.Stride : (y+1)*out.Stride]
		for i := range dst {
			j := first + i
			b := src[j] << shift
			if shift != 0 && j+1 < len(src) {
				b |= src[j+1] >> (8 - shift)
			}
			dst[i] = b
		}
	}
	out.clearPadding()
	return out
}

// Clone copies m.
func (m *Mono) Clone() *Mono {
	c := *m
	c.Pix = append([]byte(nil), m.Pix...)
	return &c
}

// Rotate turns m clockwise by degrees (0, 90, 180 or 270).
func (m *Mono) Rotate(degrees int) (*Mono, error) {
	degrees = ((degrees % 360) + 360) % 360
	var w, h int
	switch degrees {
	case 0:
		return m.Clone(), nil
	case 90, 270:
		w, h = m.H, m.W
	case 180:
		w, h = m.W, m.H
	default:
		return nil, fmt.Errorf("rotation %d: use 0, 90, 180 or 270 degrees", degrees)
	}
	out, err := NewMono(w, h)
	if err != nil {
		return nil, err
	}
	for y := 0; y < m.H; y++ {
		for x := 0; x < m.W; x++ {
			if !m.Black(x, y) {
				continue
			}
			switch degrees {
			case 90:
				out.Set(m.H-1-y, x, true)
			case 180:
				out.Set(m.W-1-x, m.H-1-y, true)
			case 270:
				out.Set(y, m.W-1-x, true)
			}
		}
	}
	return out, nil
}

// Paste draws the black dots of src into m with src's top left at x, y.
func (m *Mono) Paste(src *Mono, x, y int) {
	for sy := 0; sy < src.H; sy++ {
		for sx := 0; sx < src.W; sx++ {
			if src.Black(sx, sy) {
				m.Set(x+sx, y+sy, true)
			}
		}
	}
}

// scaleGray resamples img to w x h in grey before thresholding, so that
// thin lines survive better than when scaling a 1-bit image.
func scaleGray(img image.Image, w, h int) *image.Gray {
	if b := img.Bounds(); w <= b.Dx() && h <= b.Dy() {
		return shrinkGray(img, w, h) // bounded memory for big pictures
	}
	dst := image.NewGray(image.Rect(0, 0, w, h))
	// White background so transparent sources stay white.
	for i := range dst.Pix {
		dst.Pix[i] = 255
	}
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), img, img.Bounds(), xdraw.Over, nil)
	return dst
}
