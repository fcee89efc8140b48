package internetmarke

import (
	"testing"
	"time"
)

func BenchmarkRenderStampPNG(b *testing.B) {
	f, err := loadFonts()
	if err != nil {
		b.Fatal(err)
	}
	st := Stamp{VoucherID: "A0012345C00000000138", ProductCode: 1, ProductName: "Standardbrief", Price: 95, Date: time.Now(), Layout: "FRANKING_ZONE"}
	for _, dpi := range []int{203, 300} {
		b.Run(map[int]string{203: "203dpi", 300: "300dpi"}[dpi], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				img, err := f.Render(st, dpi)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := encodePNG(img, true); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
