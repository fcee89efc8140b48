package zpl_test

import (
	"fmt"
	"image"
	"image/color"

	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/zpl"
)

// An INTERNETMARKE-style stamp image placed on a 62 x 100 mm label: the
// profile comes from the printer's configuration, the image is already at
// the printer's resolution (one pixel per dot).
func ExampleImageLabel() {
	p, err := zpl.ProfileFrom(printer.ProfileConfig{DPI: 203, Label: "62x100mm"})
	if err != nil {
		fmt.Println(err)
		return
	}
	img := image.NewGray(image.Rect(0, 0, 16, 4))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for x := 0; x < 16; x++ {
		img.SetGray(x, 1, color.Gray{}) // one black line
	}
	out, err := zpl.ImageLabel(img, p, zpl.ImageOptions{X: 40, Y: 80})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))
	// Output:
	// ^XA^PW496^LL799^MNY^LH0,0^FO40,81^GFA,2,2,2,!^FS^XZ
}
