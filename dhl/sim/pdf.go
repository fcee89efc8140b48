package sim

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
)

// A minimal PDF writer: each page shows one 1-bit image filling the page.
// It is all the simulator's labels and manifests need, and it avoids a PDF
// library that keeps a configuration directory in the user's profile.

type pdfPage struct {
	img      *image.Gray
	wmm, hmm float64
}

func imagePDF(pages []pdfPage) ([]byte, error) {
	var objs [][]byte
	add := func(b []byte) int { objs = append(objs, b); return len(objs) } // object numbers from 1
	add(nil)                                                               // 1: catalog, filled in last
	add(nil)                                                               // 2: page tree
	var kids []int
	for _, p := range pages {
		b := p.img.Bounds()
		bpr := (b.Dx() + 7) / 8
		raw := make([]byte, 0, bpr*b.Dy())
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for bx := 0; bx < bpr; bx++ {
				v := byte(0xff) // 1 = white in DeviceGray
				for bit := 0; bit < 8; bit++ {
					x := b.Min.X + bx*8 + bit
					if x < b.Max.X && p.img.GrayAt(x, y).Y < 128 {
						v &^= 0x80 >> bit
					}
				}
				raw = append(raw, v)
			}
		}
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		if _, err := zw.Write(raw); err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		img := add(stream(fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /FlateDecode", b.Dx(), b.Dy()), z.Bytes()))
		wpt, hpt := p.wmm*72/25.4, p.hmm*72/25.4
		content := add(stream("", []byte(fmt.Sprintf("q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q", wpt, hpt))))
		kids = append(kids, add([]byte(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>", wpt, hpt, img, content))))
	}
	objs[0] = []byte("<< /Type /Catalog /Pages 2 0 R >>")
	var k bytes.Buffer
	for _, id := range kids {
		fmt.Fprintf(&k, "%d 0 R ", id)
	}
	objs[1] = []byte(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", bytes.TrimSpace(k.Bytes()), len(kids)))

	var out bytes.Buffer
	out.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = out.Len()
		fmt.Fprintf(&out, "%d 0 obj\n", i+1)
		out.Write(o)
		out.WriteString("\nendobj\n")
	}
	xref := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&out, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&out, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return out.Bytes(), nil
}

func stream(dict string, data []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "<< %s /Length %d >>\nstream\n", dict, len(data))
	b.Write(data)
	b.WriteString("\nendstream")
	return b.Bytes()
}
