package zpl

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/draw"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labelagent/labelagent/printer"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update if the change is intended)\ngot:  %.300q\nwant: %.300q", name, got, want)
	}
}

func TestProfileFrom(t *testing.T) {
	tests := []struct {
		name    string
		cfg     printer.ProfileConfig
		want    Profile
		wantErr string
	}{
		{"defaults", printer.ProfileConfig{}, Profile{DPI: 203, Label: "910-300-600", WidthDots: 823, HeightDots: 1590, Media: MediaGap}, ""},
		{"dhl 300 dpi", printer.ProfileConfig{DPI: 300, Label: "910-300-400", Darkness: 20}, Profile{DPI: 300, Label: "910-300-400", WidthDots: 1217, HeightDots: 1772, Media: MediaGap, Darkness: 20}, ""},
		{"4x6", printer.ProfileConfig{Label: "4x6in", Media: "mark"}, Profile{DPI: 203, Label: "4x6in", WidthDots: 812, HeightDots: 1218, Media: MediaMark}, ""},
		{"internetmarke", printer.ProfileConfig{DPI: 300, Label: "62x100mm", NoZ64: true}, Profile{DPI: 300, Label: "62x100mm", WidthDots: 732, HeightDots: 1181, Media: MediaGap, NoZ64: true}, ""},
		{"custom mm", printer.ProfileConfig{WidthMM: 57, HeightMM: 32}, Profile{DPI: 203, WidthDots: 456, HeightDots: 256, Media: MediaGap}, ""},
		{"custom name", printer.ProfileConfig{Label: "50x30mm"}, Profile{DPI: 203, Label: "50x30mm", WidthDots: 400, HeightDots: 240, Media: MediaGap}, ""},
		{"continuous", printer.ProfileConfig{Label: "62mm"}, Profile{DPI: 203, Label: "62mm", WidthDots: 496, Media: MediaContinuous}, ""},
		{"decimal comma", printer.ProfileConfig{Label: "101,6x152,4mm"}, Profile{DPI: 203, Label: "101,6x152,4mm", WidthDots: 812, HeightDots: 1218, Media: MediaGap}, ""},
		{"decimal point", printer.ProfileConfig{Label: "101.6x152.4mm"}, Profile{DPI: 203, Label: "101.6x152.4mm", WidthDots: 812, HeightDots: 1218, Media: MediaGap}, ""},
		{"continuous decimal comma", printer.ProfileConfig{Label: "57,5mm"}, Profile{DPI: 203, Label: "57,5mm", WidthDots: 460, Media: MediaContinuous}, ""},
		{"raw", printer.ProfileConfig{Language: "raw"}, Profile{DPI: 203, Label: "910-300-600", WidthDots: 823, HeightDots: 1590, Media: MediaGap, Raw: true}, ""},
		{"unknown label", printer.ProfileConfig{Label: "A5 sheet"}, Profile{}, "unknown label size"},
		{"bad dpi", printer.ProfileConfig{DPI: 250}, Profile{}, "250 dpi"},
		{"bad media", printer.ProfileConfig{Media: "roll"}, Profile{}, "media \"roll\""},
		{"bad darkness", printer.ProfileConfig{Darkness: 31}, Profile{}, "darkness"},
		{"too wide", printer.ProfileConfig{Label: "400x100mm"}, Profile{}, "outside"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ProfileFrom(tt.cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// testLabelImage draws a small label: a frame, a filled bar and a grey
// area, on a transparent background.
func testLabelImage(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	black := image.NewUniform(color.Black)
	draw.Draw(img, image.Rect(10, 10, w-10, 14), black, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(10, h-14, w-10, h-10), black, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(30, 30, 60, 80), black, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(70, 30, 100, 80), image.NewUniform(color.Gray{Y: 100}), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(110, 30, 140, 80), image.NewUniform(color.Gray{Y: 200}), image.Point{}, draw.Src)
	return img
}

func TestImageLabelGolden(t *testing.T) {
	p, err := ProfileFrom(printer.ProfileConfig{WidthMM: 25, HeightMM: 15, Darkness: 15})
	if err != nil {
		t.Fatal(err)
	}
	img := testLabelImage(200, 120)
	for _, tt := range []struct {
		name string
		opts ImageOptions
		p    Profile
	}{
		{"image-auto.zpl", ImageOptions{}, p},
		{"image-hex.zpl", ImageOptions{Encoding: EncodingHex}, p},
		{"image-acs-noz64.zpl", ImageOptions{}, func() Profile { q := p; q.NoZ64 = true; return q }()},
		{"image-rotate90-center.zpl", ImageOptions{Rotate: 90, Center: true, Encoding: EncodingACS}, p},
		{"image-dither.zpl", ImageOptions{Dither: true, Encoding: EncodingACS}, p},
		{"image-shrunk.zpl", ImageOptions{SourceDPI: 100, Encoding: EncodingACS}, p},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ImageLabel(img, tt.p, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(got, []byte("~SD15^XA^PW200^LL120^MNY^LH0,0")) || !bytes.HasSuffix(got, []byte("^XZ\n")) {
				t.Errorf("label frame wrong: %.60q … %q", got, got[len(got)-8:])
			}
			golden(t, tt.name, got)
			// What the label draws is the prepared image, dot for dot.
			m, err := PrepareImage(img, tt.p, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := NewMono(tt.p.WidthDots, tt.p.HeightDots)
			x, y := tt.opts.X, tt.opts.Y
			if tt.opts.Center {
				x, y = (tt.p.WidthDots-m.W)/2, (tt.p.HeightDots-m.H)/2
			}
			want.Paste(m, x, y)
			if drawn := drawCommands(t, got, tt.p.WidthDots, tt.p.HeightDots); !drawn.Equal(want) {
				t.Error("the label does not draw the prepared image")
			}
		})
	}
}

func TestImageLabelFitAndTrim(t *testing.T) {
	p, _ := ProfileFrom(printer.ProfileConfig{WidthMM: 25, HeightMM: 15})
	img := testLabelImage(200, 120)
	m, err := PrepareImage(img, p, ImageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.W != 200 || m.H != 120 {
		t.Fatalf("native-size image became %dx%d", m.W, m.H)
	}
	// The light grey block must not print with threshold, the dark one must.
	if !m.Black(80, 50) || m.Black(120, 50) {
		t.Error("threshold wrong: grey 100 should print, grey 200 not")
	}
	// Too large: shrunk to fit, aspect kept.
	big := testLabelImage(400, 240)
	m, _ = PrepareImage(big, p, ImageOptions{})
	if m.W != 200 || m.H != 120 {
		t.Fatalf("shrunk image is %dx%d, want 200x120", m.W, m.H)
	}
	if _, err := PrepareImage(big, p, ImageOptions{Fit: FitNone}); err == nil {
		t.Fatal("FitNone accepted an image larger than the label")
	}
	// Trimmed label keeps the position of the first black dot.
	out, _ := ImageLabel(img, p, ImageOptions{})
	if !bytes.Contains(out, []byte("^FO10,10^GFA")) {
		t.Fatalf("trimmed graphic not placed at its original position: %.80q", out)
	}
	// An all-white image still gives a valid (empty) label.
	white := image.NewGray(image.Rect(0, 0, 10, 10))
	draw.Draw(white, white.Bounds(), image.White, image.Point{}, draw.Src)
	out, err = ImageLabel(white, p, ImageOptions{})
	if err != nil || bytes.Contains(out, []byte("^GF")) || !bytes.HasSuffix(out, []byte("^XZ\n")) {
		t.Fatalf("white image: %q, %v", out, err)
	}
}
