package sim

import "testing"

func BenchmarkLabelZPL(b *testing.B) {
	d := sampleLabel()
	fs := testFonts(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := fs.shippingLabel(d, "ZPL2", "910-300-600"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLabelPDF(b *testing.B) {
	d := sampleLabel()
	fs := testFonts(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := fs.shippingLabel(d, "PDF", "910-300-600"); err != nil {
			b.Fatal(err)
		}
	}
}
