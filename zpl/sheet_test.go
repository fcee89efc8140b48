package zpl

import (
	"image"
	"testing"
)

// fillText draws text-like ink (strokes with gaps) in r.
func fillText(m *Mono, r image.Rectangle) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		if (y/6)%3 == 2 {
			continue // line spacing
		}
		for x := r.Min.X; x < r.Max.X; x++ {
			if x%5 < 2 {
				m.Set(x, y, true)
			}
		}
	}
}

func TestLabelAreasOnASheet(t *testing.T) {
	p, _ := NewProfile(LabelSize{WidthMM: 103, HeightMM: 199}, 203)
	mm := p.MMToDots
	// A landscape A4 sheet at 203 dpi.
	sheet := func() *Mono { m, _ := NewMono(mm(297), mm(210)); return m }

	t.Run("two labels side by side, a fold note", func(t *testing.T) {
		m := sheet()
		// Each label: a header, an address block 12 mm lower, a barcode
		// block 40 mm lower: gaps inside a label larger than the gap
		// between clusters of ink.
		for _, x0 := range []int{mm(10), mm(160)} {
			fillText(m, image.Rect(x0, mm(10), x0+mm(95), mm(30)))
			fillText(m, image.Rect(x0, mm(42), x0+mm(80), mm(80)))
			fillText(m, image.Rect(x0, mm(120), x0+mm(95), mm(190)))
		}
		fillText(m, image.Rect(mm(130), mm(200), mm(140), mm(204))) // "fold here"
		areas, dropped := labelAreas(m, p)
		if len(areas) != 2 || dropped != 1 {
			t.Fatalf("areas %v, %d dropped; want 2 labels and the note left out", areas, dropped)
		}
		if areas[0].Min.X > mm(11) || areas[1].Min.X < mm(159) {
			t.Errorf("areas %v not in reading order", areas)
		}
		for _, a := range areas {
			if a.Dx() > p.WidthDots || a.Dy() > p.HeightDots || a.Dy() < mm(175) {
				t.Errorf("area %v is not one whole label", a)
			}
		}
	})
	t.Run("a landscape label fits turned", func(t *testing.T) {
		m := sheet()
		fillText(m, image.Rect(mm(20), mm(20), mm(200), mm(110)))
		areas, _ := labelAreas(m, p)
		if len(areas) != 1 || fitsLabel(areas[0].Dx(), areas[0].Dy(), p) || !fitsLabel(areas[0].Dy(), areas[0].Dx(), p) {
			t.Fatalf("areas %v: want one area that fits only turned", areas)
		}
	})
	t.Run("content larger than any label is not a sheet of labels", func(t *testing.T) {
		m := sheet()
		fillText(m, image.Rect(mm(10), mm(10), mm(280), mm(200)))
		if areas, _ := labelAreas(m, p); areas != nil {
			t.Fatalf("areas %v: a full-page document must be shrunk, not cut", areas)
		}
	})
}
