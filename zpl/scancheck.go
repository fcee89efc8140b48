package zpl

import (
	"fmt"
	"image"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/datamatrix"
)

// ErrScalingBreaksBarcode is returned when scaling an image to the
// printer's resolution makes a DataMatrix on it unreadable.
var ErrScalingBreaksBarcode = fmt.Errorf("scaling to the printer's resolution breaks a barcode")

// dataMatrixTexts reads the DataMatrix symbols in m (each cluster of ink
// tried on its own, with a quiet zone added).
func dataMatrixTexts(m *Mono) map[string]bool {
	out := map[string]bool{}
	for _, r := range inkRegions(m, max(4, m.W/200), 50) {
		if r.Dx() < 10 || r.Dy() < 10 {
			continue
		}
		g := image.NewGray(image.Rect(0, 0, r.Dx()+32, r.Dy()+32))
		for i := range g.Pix {
			g.Pix[i] = 255
		}
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if m.Black(x, y) {
					g.Pix[(y-r.Min.Y+16)*g.Stride+x-r.Min.X+16] = 0
				}
			}
		}
		if t, ok := readDataMatrix(g); ok {
			out[t] = true
		}
	}
	return out
}

func readDataMatrix(img image.Image) (text string, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", false
	}
	res, err := datamatrix.NewDataMatrixReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		return "", false
	}
	return res.GetText(), true
}

// checkScaledDataMatrix refuses a scaled image whose DataMatrix symbols,
// readable at the source resolution, no longer read after scaling.
func checkScaledDataMatrix(src image.Image, scaled *Mono, how string, toDPI int) error {
	before, err := ToMono(src, 0, false)
	if err != nil {
		return nil
	}
	want := dataMatrixTexts(before)
	if len(want) == 0 {
		return nil
	}
	got := dataMatrixTexts(scaled)
	for t := range want {
		if !got[t] {
			return fmt.Errorf("%w: the image's DataMatrix no longer reads after scaling %s; get the image at %d dpi and the label's size (INTERNETMARKE: dpi DPI%d)",
				ErrScalingBreaksBarcode, how, toDPI, toDPI)
		}
	}
	return nil
}
