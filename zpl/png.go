package zpl

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/png"
)

// Input limits. A label never needs more: a 600 dpi 4 x 8 inch page is
// 2400 x 4800 = 11.5 million pixels.
const (
	MaxInputBytes  = 32 << 20   // a PDF or PNG job
	MaxImagePixels = 16_000_000 // decoded PNG pixels, checked before decoding
	MaxPDFPages    = 50         // pages converted from one PDF
)

// ErrInputTooLarge is returned for input beyond the fixed limits.
var ErrInputTooLarge = errors.New("input too large")

// PNGImage is a decoded PNG and the resolution its pHYs chunk declares
// (0 when it declares none).
type PNGImage struct {
	Image image.Image
	DPI   float64
}

// DecodePNG decodes a PNG after checking its declared dimensions, so a small
// file that claims a huge image is refused before any pixel memory is taken.
func DecodePNG(data []byte) (PNGImage, error) {
	if len(data) > MaxInputBytes {
		return PNGImage{}, fmt.Errorf("PNG of %d bytes: %w (limit %d)", len(data), ErrInputTooLarge, MaxInputBytes)
	}
	if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		return PNGImage{}, errors.New("not a PNG image (the file does not start with the PNG signature)")
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return PNGImage{}, fmt.Errorf("reading PNG header: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxDots || cfg.Height > MaxDots ||
		int64(cfg.Width)*int64(cfg.Height) > MaxImagePixels {
		return PNGImage{}, fmt.Errorf("PNG of %dx%d pixels: %w (limit %d pixels, %d per side)", cfg.Width, cfg.Height, ErrInputTooLarge, MaxImagePixels, MaxDots)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return PNGImage{}, fmt.Errorf("decoding PNG: %w", err)
	}
	return PNGImage{Image: img, DPI: pngDPI(data)}, nil
}

// pngDPI reads the pHYs chunk (pixels per metre) if present before IDAT.
func pngDPI(data []byte) float64 {
	p := data[8:]
	for len(p) >= 12 {
		n := binary.BigEndian.Uint32(p)
		typ := string(p[4:8])
		if uint64(n)+12 > uint64(len(p)) {
			return 0
		}
		if typ == "pHYs" && n == 9 {
			x := binary.BigEndian.Uint32(p[8:])
			y := binary.BigEndian.Uint32(p[12:])
			unit := p[16]
			if unit == 1 && x == y && x > 0 {
				dpi := float64(x) * 0.0254
				// Round to the usual printer resolutions (7992 ppm is 203 dpi).
				for _, d := range []float64{152, 203, 300, 600} {
					if dpi > d-1.5 && dpi < d+1.5 {
						return d
					}
				}
				return dpi
			}
			return 0
		}
		if typ == "IDAT" {
			return 0
		}
		p = p[12+n:]
	}
	return 0
}

// PNGLabel converts a PNG (an INTERNETMARKE stamp, a QR return label, any
// picture) into a label for p. The image is scaled from its declared
// resolution to the printer's (pixels are dots when it declares none),
// turned to fit the media when needed, shrunk if too large and centred.
func PNGLabel(data []byte, p Profile) ([]byte, error) {
	img, err := DecodePNG(data)
	if err != nil {
		return nil, err
	}
	opts := ImageOptions{SourceDPI: img.DPI, AutoRotate: true, Center: true}
	m, err := PrepareImage(img.Image, p, opts)
	if err != nil {
		return nil, err
	}
	b := img.Image.Bounds()
	if m.W != b.Dx() && m.H != b.Dx() {
		// Scaled (not only turned): make sure the 2D codes survived.
		how := "to fit the label"
		if img.DPI > 0 && int(img.DPI) != p.DPI {
			how = fmt.Sprintf("from %.0f to %d dpi", img.DPI, p.DPI)
		}
		if err := checkScaledDataMatrix(img.Image, m, how, p.DPI); err != nil {
			return nil, err
		}
	}
	return MonoLabel(m, p, opts)
}
