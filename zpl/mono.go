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
			if t == 128 {
				// The default threshold: a dot prints when its grey
				// level's top bit is clear, read for 32 pixels at a
				// time; rendered without anti-aliasing, almost every
				// group is all white.
				for ; x+32 <= len(row); x += 32 {
					a, b := binary.LittleEndian.Uint64(row[x:]), binary.LittleEndian.Uint64(row[x+8:])
					c, d := binary.LittleEndian.Uint64(row[x+16:]), binary.LittleEndian.Uint64(row[x+24:])
					if a&b&c&d&0x8080808080808080 == 0x8080808080808080 {
						continue
					}
					out[x>>3] = topBitsClear(a)
					out[x>>3+1] = topBitsClear(b)
					out[x>>3+2] = topBitsClear(c)
					out[x>>3+3] = topBitsClear(d)
				}
				for ; x+8 <= len(row); x += 8 {
					out[x>>3] = topBitsClear(binary.LittleEndian.Uint64(row[x:]))
				}
			}
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

// topBitsClear packs eight grey pixels (the first in the lowest byte of
// v) into a byte of dots, most significant bit first: a dot prints where
// the pixel is below 128. The multiplication moves bit 8k of the mask to
// bit 63-k without carries.
func topBitsClear(v uint64) byte {
	return byte(((^v >> 7) & 0x0101010101010101) * 0x8040201008040201 >> 56)
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
	r := m.inkRect(m.Bounds())
	if r.Empty() {
		return nil, image.Rectangle{}
	}
	return m.Crop(r), r
}

// inkRect returns the smallest rectangle holding every black dot of m
// inside r (clipped to m); empty when there is none. Rows are tested a
// word at a time, and the columns come from one OR of the inked rows.
func (m *Mono) inkRect(r image.Rectangle) image.Rectangle {
	r = r.Intersect(m.Bounds())
	if r.Empty() {
		return image.Rectangle{}
	}
	i0, i1 := r.Min.X>>3, (r.Max.X-1)>>3
	first, last := byte(0xFF>>(r.Min.X&7)), byte(0xFF<<(7-(r.Max.X-1)&7))
	row := func(y int) []byte { return m.Pix[y*m.Stride+i0 : y*m.Stride+i1+1] }
	inked := func(b []byte) bool {
		if len(b) == 1 {
			return b[0]&first&last != 0
		}
		return b[0]&first != 0 || b[len(b)-1]&last != 0 || !allZero(b[1:len(b)-1])
	}
	minY, maxY := r.Min.Y, r.Max.Y-1
	for minY <= maxY && !inked(row(minY)) {
		minY++
	}
	if minY > maxY {
		return image.Rectangle{}
	}
	for !inked(row(maxY)) {
		maxY--
	}
	acc := make([]byte, i1-i0+1)
	for y := minY; y <= maxY; y++ {
		orBytes(acc, row(y))
	}
	acc[0] &= first
	acc[len(acc)-1] &= last
	minX, maxX := 0, 0
	for k, b := range acc {
		if b != 0 {
			minX = (i0+k)*8 + bits.LeadingZeros8(b)
			break
		}
	}
	for k := len(acc) - 1; k >= 0; k-- {
		if b := acc[k]; b != 0 {
			maxX = (i0+k)*8 + 7 - bits.TrailingZeros8(b)
			break
		}
	}
	return image.Rect(minX, minY, maxX+1, maxY+1)
}

// allZero reports whether every byte of b is 0, eight at a time.
func allZero(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b) != 0 {
			return false
		}
		b = b[8:]
	}
	for _, v := range b {
		if v != 0 {
			return false
		}
	}
	return true
}

// orBytes ORs src into dst (len(dst) >= len(src)), eight bytes at a time.
func orBytes(dst, src []byte) {
	i := 0
	for ; i+8 <= len(src); i += 8 {
		binary.LittleEndian.PutUint64(dst[i:], binary.LittleEndian.Uint64(dst[i:])|binary.LittleEndian.Uint64(src[i:]))
	}
	for ; i < len(src); i++ {
		dst[i] |= src[i]
	}
}

// spanMasks gives the bytes of a row that hold dots [x0, x1) (x0 < x1)
// and the masks of the first and last of them.
func spanMasks(x0, x1 int) (i0, i1 int, first, last byte) {
	return x0 >> 3, (x1 - 1) >> 3, byte(0xFF >> (x0 & 7)), byte(0xFF << (7 - (x1-1)&7))
}

// blankRect reports whether m has no black dot in r.
func (m *Mono) blankRect(r image.Rectangle) bool {
	r = r.Intersect(m.Bounds())
	if r.Empty() {
		return true
	}
	i0, i1, first, last := spanMasks(r.Min.X, r.Max.X)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		b := m.Pix[y*m.Stride+i0 : y*m.Stride+i1+1]
		if i0 == i1 {
			if b[0]&first&last != 0 {
				return false
			}
			continue
		}
		if b[0]&first != 0 || b[len(b)-1]&last != 0 || !allZero(b[1:len(b)-1]) {
			return false
		}
	}
	return true
}

// clearRect makes r (clipped to m) white.
func (m *Mono) clearRect(r image.Rectangle) {
	r = r.Intersect(m.Bounds())
	if r.Empty() {
		return
	}
	i0, i1, first, last := spanMasks(r.Min.X, r.Max.X)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		b := m.Pix[y*m.Stride+i0 : y*m.Stride+i1+1]
		if i0 == i1 {
			b[0] &^= first & last
			continue
		}
		b[0] &^= first
		b[len(b)-1] &^= last
		clear(b[1 : len(b)-1])
	}
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
		if shift == 0 {
			copy(dst, src[first:])
			continue
		}
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
// Bytes whose eight dots land inside m are ORed in whole; only those at
// m's edges go dot by dot.
func (m *Mono) Paste(src *Mono, x, y int) {
	sh := uint(x & 7)
	for sy := 0; sy < src.H; sy++ {
		dy := y + sy
		if dy < 0 || dy >= m.H {
			continue
		}
		srow := src.Pix[sy*src.Stride : (sy+1)*src.Stride]
		drow := m.Pix[dy*m.Stride : (dy+1)*m.Stride]
		for i, b := range srow {
			if b == 0 {
				continue
			}
			dx := x + i*8
			if i*8+8 > src.W {
				b &= byte(0xFF << (i*8 + 8 - src.W))
			}
			if dx < 0 || dx+8 > m.W {
				for k := 0; k < 8; k++ {
					if b&(0x80>>k) != 0 {
						m.Set(dx+k, dy, true)
					}
				}
				continue
			}
			j := dx >> 3
			drow[j] |= b >> sh
			if sh != 0 {
				drow[j+1] |= b << (8 - sh)
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

// transpose returns m mirrored on its diagonal: dot x, y of m is dot y, x
// of the result, so columns of m are read as rows. It works on 8 x 8
// blocks of dots, skipping eight white blocks at a time.
func (m *Mono) transpose() *Mono {
	out := &Mono{W: m.H, H: m.W, Stride: (m.H + 7) / 8}
	out.Pix = make([]byte, out.Stride*out.H)
	zero := make([]byte, m.Stride)
	var rows [8][]byte
	ost := out.Stride
	for by := 0; by < out.Stride; by++ {
		m.rowBlock(by, zero, &rows)
		for i := 0; i < m.Stride; i++ {
			if whiteBlocks(&rows, i) {
				i += 7
				continue
			}
			v := uint64(rows[0][i])<<56 | uint64(rows[1][i])<<48 | uint64(rows[2][i])<<40 | uint64(rows[3][i])<<32 |
				uint64(rows[4][i])<<24 | uint64(rows[5][i])<<16 | uint64(rows[6][i])<<8 | uint64(rows[7][i])
			if v == 0 {
				continue
			}
			// Swap bit (r, c) with bit (c, r) of the 8 x 8 block (Hacker's
			// Delight, transpose8).
			t := (v ^ (v >> 7)) & 0x00AA00AA00AA00AA
			v ^= t ^ (t << 7)
			t = (v ^ (v >> 14)) & 0x0000CCCC0000CCCC
			v ^= t ^ (t << 14)
			t = (v ^ (v >> 28)) & 0x00000000F0F0F0F0
			v ^= t ^ (t << 28)
			base := i*8*ost + by
			if i*8+8 <= m.W {
				p := out.Pix[base : base+7*ost+1]
				p[0], p[ost], p[2*ost], p[3*ost] = byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32)
				p[4*ost], p[5*ost], p[6*ost], p[7*ost] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
				continue
			}
			for c := 0; i*8+c < m.W; c++ {
				out.Pix[base+c*ost] = byte(v >> (56 - 8*c))
			}
		}
	}
	return out
}

// rowBlock sets rows to the eight rows of m from row 8*by on (zero, a
// white row, past the end).
func (m *Mono) rowBlock(by int, zero []byte, rows *[8][]byte) {
	for r := range rows {
		if y := by*8 + r; y < m.H {
			rows[r] = m.Pix[y*m.Stride : (y+1)*m.Stride]
		} else {
			rows[r] = zero
		}
	}
}

// whiteBlocks reports whether bytes i to i+7 of all eight rows are white,
// for i at a multiple of eight.
func whiteBlocks(rows *[8][]byte, i int) bool {
	if i&7 != 0 || i+8 > len(rows[0]) {
		return false
	}
	var or uint64
	for _, row := range rows {
		or |= binary.LittleEndian.Uint64(row[i:])
	}
	return or == 0
}
