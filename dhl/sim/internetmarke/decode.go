package internetmarke

import (
	"errors"
	"image"
	"image/draw"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/datamatrix"
)

// FindDataMatrix finds and decodes a DataMatrix anywhere in img, the way a
// scanner aimed at the stamp would. The detector of the decoding library
// starts from the image's centre and is misled by the text beside the code,
// so square clusters of black are located first and decoded on their own;
// the whole image is tried as well. For tests and label verification.
func FindDataMatrix(img image.Image) (string, error) {
	g := image.NewGray(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(g, g.Rect, img, img.Bounds().Min, draw.Src)
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
	for _, r := range squareClusters(g) {
		if s, ok := try(g.SubImage(r)); ok {
			return s, nil
		}
	}
	if s, ok := try(g); ok {
		return s, nil
	}
	return "", errors.New("no DataMatrix found")
}

// squareClusters returns regions (with a white margin) around roughly
// square clusters of black dots, at a few cell sizes.
func squareClusters(g *image.Gray) []image.Rectangle {
	var out []image.Rectangle
	W, H := g.Rect.Dx(), g.Rect.Dy()
	for _, c := range []int{2, 4, 8} {
		cw, ch := (W+c-1)/c, (H+c-1)/c
		if cw < 8 || ch < 8 {
			continue
		}
		cells := make([]bool, cw*ch)
		for y := 0; y < H; y++ {
			row := g.Pix[y*g.Stride : y*g.Stride+W]
			for x, v := range row {
				if v < 128 {
					cells[(y/c)*cw+x/c] = true
				}
			}
		}
		seen := make([]bool, len(cells))
		var stack []int
		for start := range cells {
			if !cells[start] || seen[start] {
				continue
			}
			minX, minY, maxX, maxY := cw, ch, -1, -1
			seen[start] = true
			stack = append(stack[:0], start)
			for len(stack) > 0 {
				i := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				x, y := i%cw, i/cw
				minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x), max(maxY, y)
				// Neighbours up to two cells away bridge the white modules
				// inside a code.
				for dy := -2; dy <= 2; dy++ {
					for dx := -2; dx <= 2; dx++ {
						nx, ny := x+dx, y+dy
						if nx < 0 || ny < 0 || nx >= cw || ny >= ch {
							continue
						}
						j := ny*cw + nx
						if cells[j] && !seen[j] {
							seen[j] = true
							stack = append(stack, j)
						}
					}
				}
			}
			bw, bh := maxX-minX+1, maxY-minY+1
			if bw < 5 || bh < 5 || bw*4 > bh*5 || bh*4 > bw*5 {
				continue
			}
			m := 2 * c
			out = append(out, image.Rect(minX*c-m, minY*c-m, (maxX+1)*c+m, (maxY+1)*c+m).Intersect(g.Rect))
		}
	}
	return out
}
