package internetmarke

import (
	"errors"
	"image"
	"image/draw"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/datamatrix"
)

// FindDataMatrix finds and decodes a DataMatrix anywhere in img, the way a
// scanner aimed at the stamp would: the whole image first, then square
// windows of shrinking size (the text beside the code misleads a detector
// that starts from the centre). For tests and label verification.
func FindDataMatrix(img image.Image) (string, error) {
	reader := datamatrix.NewDataMatrixReader()
	try := func(im image.Image) (string, bool) {
		bmp, err := gozxing.NewBinaryBitmapFromImage(im)
		if err != nil {
			return "", false
		}
		res, err := reader.Decode(bmp, nil)
		if err != nil {
			return "", false
		}
		return res.GetText(), true
	}
	if s, ok := try(img); ok {
		return s, nil
	}
	sub, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	})
	if !ok {
		g := image.NewGray(img.Bounds())
		draw.Draw(g, g.Rect, img, img.Bounds().Min, draw.Src)
		sub = g
	}
	b := img.Bounds()
	for size := min(b.Dx(), b.Dy()); size >= 24; size = size * 4 / 5 {
		step := max(size/5, 1)
		for y := b.Min.Y; y+size <= b.Max.Y; y += step {
			for x := b.Min.X; x+size <= b.Max.X; x += step {
				if s, ok := try(sub.SubImage(image.Rect(x, y, x+size, y+size))); ok {
					return s, nil
				}
			}
		}
	}
	return "", errors.New("no DataMatrix found")
}
