package zpl

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/boombuler/barcode/datamatrix"

	"github.com/labelagent/labelagent/printer"
)

func pngBytes(t testing.TB, img image.Image, dpi float64) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if dpi == 0 {
		return b.Bytes()
	}
	// Insert a pHYs chunk after IHDR (8 + 25 bytes).
	data := b.Bytes()
	ppm := uint32(dpi/0.0254 + 0.5)
	chunk := make([]byte, 0, 21)
	chunk = binary.BigEndian.AppendUint32(chunk, 9)
	body := append([]byte("pHYs"), 0, 0, 0, 0, 0, 0, 0, 0, 1)
	binary.BigEndian.PutUint32(body[4:], ppm)
	binary.BigEndian.PutUint32(body[8:], ppm)
	chunk = append(chunk, body...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(body))
	out := append([]byte{}, data[:33]...)
	out = append(out, chunk...)
	return append(out, data[33:]...)
}

// hugePNG claims w x h pixels in its header but carries almost nothing.
func hugePNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := []byte("IHDR")
	ihdr = binary.BigEndian.AppendUint32(ihdr, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 0, 0, 0, 0)
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(ihdr)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(ihdr))
	idat := []byte("IDAT\x78\x9c\x03\x00\x00\x00\x00\x01")
	binary.Write(&b, binary.BigEndian, uint32(len(idat)-4))
	b.Write(idat)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(idat))
	b.Write([]byte{0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82})
	return b.Bytes()
}

func TestPNGLimits(t *testing.T) {
	for _, size := range [][2]uint32{{100000, 100000}, {40000, 10}, {5000, 5000}} {
		_, err := DecodePNG(hugePNG(size[0], size[1]))
		if !errors.Is(err, ErrInputTooLarge) {
			t.Errorf("%dx%d PNG: err = %v, want ErrInputTooLarge", size[0], size[1], err)
		}
	}
	if _, err := DecodePNG([]byte("GIF89a")); err == nil {
		t.Error("GIF accepted as PNG")
	}
}

func TestPNGLabelUsesDeclaredResolution(t *testing.T) {
	// A 300 dpi stamp of 300 x 150 pixels is 1 x 0.5 inch: 203 x 102 dots
	// on a 203 dpi printer.
	img := image.NewGray(image.Rect(0, 0, 300, 150))
	for i := range img.Pix {
		img.Pix[i] = 0
	}
	p, _ := ProfileFrom(printer.ProfileConfig{Label: "62x100mm"})
	data := pngBytes(t, img, 300)
	if got, err := DecodePNG(data); err != nil || got.DPI != 300 {
		t.Fatalf("pHYs read as %v dpi (%v), want 300", got.DPI, err)
	}
	out, err := PNGLabel(data, p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte("^GFA,2652,2652,26,")) { // 26 bytes x 102 rows
		t.Fatalf("label: %.120s", out)
	}
	// Without pHYs pixels are dots.
	out, _ = PNGLabel(pngBytes(t, img, 0), p)
	if !bytes.Contains(out, []byte("^GFA,5700,5700,38,")) {
		t.Fatalf("label: %.120s", out)
	}
	// A landscape image larger than the portrait label is turned.
	wide := image.NewRGBA(image.Rect(0, 0, 700, 400))
	for y := 0; y < 400; y++ {
		for x := 0; x < 700; x++ {
			wide.Set(x, y, color.Black)
		}
	}
	m, err := PrepareImage(wide, p, ImageOptions{AutoRotate: true})
	if err != nil {
		t.Fatal(err)
	}
	if m.W != 400 || m.H != 700 {
		t.Fatalf("landscape image became %dx%d, want turned to 400x700", m.W, m.H)
	}
}

func FuzzDecodePNG(f *testing.F) {
	img := image.NewNRGBA(image.Rect(0, 0, 20, 10))
	img.Set(3, 3, color.Black)
	f.Add(pngBytes(f, img, 0))
	f.Add(pngBytes(f, img, 203))
	f.Add(hugePNG(100000, 100000))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, _ := ProfileFrom(printer.ProfileConfig{WidthMM: 30, HeightMM: 20})
		out, err := PNGLabel(data, p)
		if err == nil && !bytes.HasSuffix(out, []byte("^XZ\n")) {
			t.Fatalf("label not terminated: %q", out)
		}
	})
}

func FuzzTokenize(f *testing.F) {
	f.Add([]byte(dhlStyleZPL))
	f.Add([]byte("^XA^CC+^FO1,2+FDx+XZ"))
	f.Add([]byte("^XA^GFB,4,4,1,^^~~^FS^XZ"))
	f.Add([]byte("~DGR:X.GRF,2,1,FF00^XA^XGR:X.GRF,1,1^FS^XZ"))
	f.Fuzz(func(t *testing.T, src []byte) {
		cmds, err := Tokenize(src)
		if err != nil {
			return
		}
		prev := -1
		for _, c := range cmds {
			if c.Offset <= prev || c.End < c.Offset || c.End > len(src) {
				t.Fatalf("command %s at %d..%d out of order", c.Code(), c.Offset, c.End)
			}
			prev = c.Offset
		}
		SplitLabels(cmds)
		p, _ := ProfileFrom(printer.ProfileConfig{DPI: 300})
		out, err := PrepareZPL(src, p, 0)
		if err == nil {
			if _, err := Tokenize(out); err != nil {
				t.Fatalf("prepared ZPL does not tokenize: %v", err)
			}
		}
	})
}

// dmImage draws a DataMatrix with mod pixels per module on white.
func dmImage(t *testing.T, text string, mod int) *image.Gray {
	t.Helper()
	bc, err := datamatrix.Encode(text)
	if err != nil {
		t.Fatal(err)
	}
	b := bc.Bounds()
	img := image.NewGray(image.Rect(0, 0, (b.Dx()+8)*mod, (b.Dy()+8)*mod))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			if r, _, _, _ := bc.At(x, y).RGBA(); r < 0x8000 {
				for dy := range mod {
					for dx := range mod {
						img.SetGray((x+4)*mod+dx, (y+4)*mod+dy, color.Gray{})
					}
				}
			}
		}
	}
	return img
}

func TestPNGScalingKeepsDataMatrixOrRefuses(t *testing.T) {
	p, _ := ProfileFrom(printer.ProfileConfig{Label: "62x100mm"}) // 203 dpi
	// 6-pixel modules at 300 dpi are 4.06 dots at 203: still reads.
	out, err := PNGLabel(pngBytes(t, dmImage(t, "A0012345678DE", 6), 300), p)
	if err != nil {
		t.Fatalf("6-pixel modules: %v", err)
	}
	if !bytes.Contains(out, []byte("^GFA")) {
		t.Fatal("no graphic")
	}
	// 2-pixel modules at 300 dpi are 1.35 dots at 203: unreadable, refused.
	_, err = PNGLabel(pngBytes(t, dmImage(t, "A0012345678DE", 2), 300), p)
	if !errors.Is(err, ErrScalingBreaksBarcode) {
		t.Fatalf("2-pixel modules: err = %v, want ErrScalingBreaksBarcode", err)
	}
	t.Log(err)
}
