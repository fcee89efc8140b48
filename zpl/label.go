package zpl

import (
	"bytes"
	"fmt"
	"image"
	"math"
)

// Fit says what happens to an image that does not fit the label.
type Fit int

// Fit modes. FitShrink is the default: an image larger than the printable
// area is scaled down (never up), keeping its aspect ratio.
const (
	FitShrink Fit = iota // scale down to fit, never up
	FitNone              // keep the size; refuse an image that does not fit
	FitFill              // scale up or down to fill the label's width or height
)

// ImageOptions control ImageLabel. The zero value is right for labels
// rendered at the printer's resolution: threshold, trim, no rotation,
// shrink when too large, placed at the top left.
type ImageOptions struct {
	Threshold  int      // grey level 1..255 below which a dot prints; 0 means 128
	Dither     bool     // error diffusion: for photos only, it breaks barcodes and text
	SourceDPI  float64  // the image's resolution; 0 means the printer's (pixels are dots)
	Rotate     int      // clockwise degrees: 0, 90, 180, 270
	AutoRotate bool     // turn a landscape image by 90 degrees when that fits the label better
	Fit        Fit      // what to do when it does not fit
	NoTrim     bool     // send the white margins too
	Center     bool     // centre on the label instead of X, Y
	X, Y       int      // top left in dots (ignored with Center)
	Encoding   Encoding // ^GF encoding; EncodingAuto picks the smallest the printer reads
	Copies     int      // ^PQ; 0 or 1 prints one
}

// LabelHeader starts a label with the profile's print width, length, media
// tracking and darkness: "~SDnn^XA^PWw^LLh^MNx^LH0,0".
func LabelHeader(p Profile) []byte {
	var b bytes.Buffer
	if p.Darkness > 0 {
		fmt.Fprintf(&b, "~SD%02d", p.Darkness)
	}
	b.WriteString("^XA")
	b.Write(profileCommands(p))
	b.WriteString("^LH0,0")
	return b.Bytes()
}

// profileCommands are ^PW, ^LL and ^MN for p.
func profileCommands(p Profile) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "^PW%d", p.WidthDots)
	if p.HeightDots > 0 {
		fmt.Fprintf(&b, "^LL%d", p.HeightDots)
	}
	switch p.Media {
	case MediaMark:
		b.WriteString("^MNM")
	case MediaContinuous:
		b.WriteString("^MNN")
	default:
		b.WriteString("^MNY")
	}
	return b.Bytes()
}

// ImageLabel converts an image into a complete label (^XA … ^XZ) for the
// printer p: 1 bit, rotated, scaled and trimmed per opts, as one ^GF graphic
// in the smallest encoding the printer can read.
func ImageLabel(img image.Image, p Profile, opts ImageOptions) ([]byte, error) {
	m, err := PrepareImage(img, p, opts)
	if err != nil {
		return nil, err
	}
	return MonoLabel(m, p, opts)
}

// PrepareImage does ImageLabel's raster work and returns a label-sized
// (or smaller, with Center/X/Y placement still to do) 1-bit image. It is
// exported for callers that compose their own labels with GraphicField.
func PrepareImage(img image.Image, p Profile, opts ImageOptions) (*Mono, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("image is empty")
	}
	rot := ((opts.Rotate % 360) + 360) % 360
	if rot%90 != 0 {
		return nil, fmt.Errorf("rotation %d: use 0, 90, 180 or 270 degrees", opts.Rotate)
	}
	scale := 1.0
	if opts.SourceDPI > 0 {
		scale = float64(p.DPI) / opts.SourceDPI
	}
	sw, sh := float64(w)*scale, float64(h)*scale
	availW, availH := float64(p.WidthDots-opts.X), float64(p.HeightDots-opts.Y)
	if opts.Center {
		availW, availH = float64(p.WidthDots), float64(p.HeightDots)
	}
	if p.HeightDots == 0 {
		availH = math.Inf(1)
	}
	if opts.AutoRotate && rot == 0 && sw > sh && availH > availW && (sw > availW || sh > availH) {
		rot = 90
	}
	rw, rh := sw, sh
	if rot == 90 || rot == 270 {
		rw, rh = sh, sw
	}
	switch opts.Fit {
	case FitNone:
		if math.Round(rw) > availW || math.Round(rh) > availH {
			return nil, fmt.Errorf("image of %.0fx%.0f dots does not fit the %s label (%.0fx%.0f dots free)", rw, rh, p.Label, availW, availH)
		}
	case FitFill:
		f := math.Min(availW/rw, availH/rh)
		scale *= f
	default:
		if f := math.Min(availW/rw, availH/rh); f < 1 {
			scale *= f
		}
	}
	src := img
	if tw, th := int(math.Round(float64(w)*scale)), int(math.Round(float64(h)*scale)); tw != w || th != h {
		if tw < 1 || th < 1 {
			return nil, fmt.Errorf("image scales to nothing")
		}
		if int64(tw)*int64(th) > int64(MaxGraphicBytes)*8 {
			return nil, fmt.Errorf("image scaled to %dx%d dots: %w", tw, th, ErrGraphicTooLarge)
		}
		src = scaleGray(img, tw, th)
	}
	m, err := ToMono(src, opts.Threshold, opts.Dither)
	if err != nil {
		return nil, err
	}
	if rot != 0 {
		if m, err = m.Rotate(rot); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// MonoLabel wraps a 1-bit image into a complete label for p, trimming white
// margins (unless opts.NoTrim) while keeping the printed position. Long
// solid rules may go out as ^GB and the dots in several ^GF bands when that
// is smaller; the dots printed are the same.
func MonoLabel(m *Mono, p Profile, opts ImageOptions) ([]byte, error) {
	x, y := opts.X, opts.Y
	if opts.Center {
		x = max(0, (p.WidthDots-m.W)/2)
		y = 0
		if p.HeightDots > 0 {
			y = max(0, (p.HeightDots-m.H)/2)
		}
	}
	var out bytes.Buffer
	out.Write(LabelHeader(p))
	if p.HeightDots == 0 {
		// Continuous media: the label is as long as the image.
		fmt.Fprintf(&out, "^LL%d", y+m.H)
	}
	g := m
	if !opts.NoTrim {
		t, r := m.Trim()
		g = t
		x += r.Min.X
		y += r.Min.Y
	}
	switch {
	case g == nil:
	case opts.NoTrim:
		fmt.Fprintf(&out, "^FO%d,%d", x, y)
		out.Write(GraphicField(g, opts.Encoding, !p.NoZ64))
		out.WriteString("^FS")
	default:
		out.Write(graphicCommands(g, x, y, opts.Encoding, p))
	}
	if opts.Copies > 1 {
		fmt.Fprintf(&out, "^PQ%d", opts.Copies)
	}
	out.WriteString("^XZ\n")
	return out.Bytes(), nil
}
