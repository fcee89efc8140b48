package zpl

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/png"
)

// PNGImage is a decoded PNG and the resolution its pHYs chunk declares
// (0 when it declares none).
type PNGImage struct {
	Image image.Image
	DPI   float64
}

// DecodePNG decodes a PNG after checking its declared dimensions, so a small
// file that claims a huge image is refused before any pixel memory is taken.
func DecodePNG(data []byte) (PNGImage, error) {
	if err := checkPNG(data); err != nil {
		return PNGImage{}, err
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return PNGImage{}, fmt.Errorf("decoding PNG: %w", err)
	}
	return PNGImage{Image: toGray(img), DPI: pngDPI(data)}, nil
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
