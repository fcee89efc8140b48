package preview

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/zpl"
)

func profile(t *testing.T, pc printer.ProfileConfig) zpl.Profile {
	t.Helper()
	p, err := zpl.ProfileFrom(pc)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPreviewZPLOnTheProfilesLabel(t *testing.T) {
	p := profile(t, printer.ProfileConfig{DPI: 203, Label: "4x6in"})
	res, err := Render(t.Context(), nil, Request{Payload: []byte("^XA^FO20,20^BY2^BCN,80,N^FDABC123^FS^XZ"), Profile: p, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Kind != zpl.KindZPL || res.DPI != 203 || len(res.Labels) != 1 {
		t.Fatalf("%+v", res)
	}
	l := res.Labels[0]
	if l.Image.W != 812 || l.Image.H != 1218 {
		t.Errorf("%dx%d, want 4x6in at 203 dpi", l.Image.W, l.Image.H)
	}
	if l.Report == nil || !l.Report.OK() || res.Failed() != 0 {
		t.Errorf("report %+v", l.Report)
	}
	// The format's own size wins over the profile's.
	res, err = Render(t.Context(), nil, Request{Payload: []byte("^XA^PW400^LL300^FO20,20^A0N,30,30^FDx^FS^XZ"), Profile: p})
	if err != nil || res.Labels[0].Image.W != 400 || res.Labels[0].Image.H != 300 {
		t.Errorf("^PW/^LL: %v", err)
	}
}

func TestPreviewRefusesWhatIsNoLabel(t *testing.T) {
	p := profile(t, printer.ProfileConfig{})
	for _, tc := range []struct {
		kind string
		in   string
	}{{zpl.KindRaw, "\x1b@ESC/POS"}, {"", "just text"}} {
		if _, err := Render(t.Context(), nil, Request{Kind: tc.kind, Payload: []byte(tc.in), Profile: p}); !errors.Is(err, ErrNoPreview) {
			t.Errorf("%q: %v, want ErrNoPreview", tc.in, err)
		}
	}
	if _, err := Render(t.Context(), nil, Request{Payload: []byte("^XA^FO1,1^FDx"), Profile: p}); !errors.Is(err, zpl.ErrBadInput) {
		t.Errorf("unterminated ZPL: %v", err)
	}
}

// PNG input goes through the converter as a print job does, and the
// barcode check compares the label with the source image.
func TestPreviewPNGThroughTheConverter(t *testing.T) {
	conv := zpl.NewConverter(zpl.ConverterOptions{CacheDir: t.TempDir()})
	defer conv.Close()
	img := image.NewGray(image.Rect(0, 0, 400, 300))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for x := 100; x < 300; x++ {
		for y := 100; y < 200; y++ {
			img.SetGray(x, y, color.Gray{})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	p := profile(t, printer.ProfileConfig{DPI: 203, Label: "4x6in"})
	res, err := Render(t.Context(), conv, Request{Payload: b.Bytes(), Profile: p, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Kind != zpl.KindPNG || len(res.Labels) != 1 || res.Labels[0].Image.W != 812 || !bytes.Contains(res.ZPL, []byte("^GF")) {
		t.Fatalf("kind %s labels %d", res.Kind, len(res.Labels))
	}
	if res.Failed() != 0 {
		t.Errorf("a label without barcodes failed the check: %v", res.Labels[0].Report.Err())
	}
}
