package purchase

import (
	"fmt"
	"image"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	im "github.com/labelagent/labelagent/dhl/internetmarke"
	imsim "github.com/labelagent/labelagent/dhl/sim/internetmarke"
	"github.com/labelagent/labelagent/zpl"
)

// graphics decodes every ^GF of a ZPL stream back into the 1-bit rasters
// the printer would receive.
func graphics(t *testing.T, z []byte) []*zpl.Mono {
	t.Helper()
	cmds, err := zpl.Tokenize(z)
	if err != nil {
		t.Fatal(err)
	}
	var out []*zpl.Mono
	for _, c := range cmds {
		if c.Name != "GF" {
			continue
		}
		ps := strings.SplitN(c.Args, string(c.Delim), 5)
		data := c.Data
		if data == nil && len(ps) == 5 {
			data = []byte(ps[4])
		}
		m, err := zpl.DecodeGraphic(ps[0][0], c.IntParam(1, 0), c.IntParam(3, 0), data)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// padded puts a raster on a white border, as the label around it is.
func padded(m *zpl.Mono) image.Image {
	out, _ := zpl.NewMono(m.W+40, m.H+40)
	out.Paste(m, 20, 20)
	return out
}

func buyStamps(t *testing.T, dpi, layout string, n int) (*imsim.Server, *im.Receipt) {
	t.Helper()
	sim, err := imsim.New(imsim.Config{Approved: true, Balance: 10000})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	k, s, u, p := sim.Credentials()
	cl, err := im.New(im.Config{BaseURL: srv.URL + imsim.BasePath, APIKey: k, APISecret: s, Username: u, Password: p,
		Products: []im.Product{{Code: 1, Price: 95}}}, im.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	pos := im.Position{ProductCode: 1, Layout: layout}
	if layout == im.LayoutAddressZone {
		pos.Sender = &im.Address{Name: "Versand GmbH", AddressLine1: "Hauptstr. 1", PostalCode: "53113", City: "Bonn", Country: "DEU"}
		pos.Receiver = &im.Address{Name: "Erika Mustermann", AddressLine1: "Heidestr. 17", PostalCode: "51147", City: "Köln", Country: "DEU"}
	}
	var ps []im.Position
	for range n {
		ps = append(ps, pos)
	}
	r, err := cl.CheckoutPNG(t.Context(), im.Order{Positions: ps, DPI: dpi, OptimizePNG: true})
	if err != nil {
		t.Fatal(err)
	}
	return sim, r
}

func TestStampLabelDataMatrixDecodes(t *testing.T) {
	for _, tc := range []struct {
		size    string
		dpi     int
		layout  string
		rotated bool
	}{
		{"62x100mm", 203, im.LayoutAddressZone, true},
		{"62x100mm", 300, im.LayoutAddressZone, true},
		{"62x100mm", 600, im.LayoutAddressZone, true},
		{"stamp-35x42mm", 203, im.LayoutFrankingZone, false},
		{"stamp-35x42mm", 300, im.LayoutFrankingZone, false},
		{"stamp-90x38mm", 203, im.LayoutFrankingZone, false},
		{"62mm", 300, im.LayoutFrankingZone, false},
	} {
		t.Run(fmt.Sprintf("%s@%ddpi", tc.size, tc.dpi), func(t *testing.T) {
			size, err := zpl.LookupSize(tc.size)
			if err != nil {
				t.Fatal(err)
			}
			prof, err := zpl.NewProfile(size, tc.dpi)
			if err != nil {
				t.Fatal(err)
			}
			buyDPI := DPIFor(prof)
			sim, r := buyStamps(t, buyDPI, tc.layout, 2)
			z, warns, err := StampLabels(t.Context(), nil, r.Kind, buyDPI, r.Files, prof)
			if err != nil {
				t.Fatal(err)
			}
			if len(warns) != 0 {
				t.Fatalf("warnings: %v", warns)
			}
			gs := graphics(t, z)
			if len(gs) != 2 || strings.Count(string(z), "^XA") != 2 {
				t.Fatalf("%d graphics, %d labels for 2 stamps", len(gs), strings.Count(string(z), "^XA"))
			}
			for i, g := range gs {
				if g.W > prof.WidthDots+7 || (prof.HeightDots > 0 && g.H > prof.HeightDots) {
					t.Fatalf("graphic %dx%d does not fit %s", g.W, g.H, prof)
				}
				if rot := g.H > g.W; rot != tc.rotated {
					t.Fatalf("graphic %dx%d: rotated=%v, want %v", g.W, g.H, rot, tc.rotated)
				}
				got, err := imsim.FindDataMatrix(padded(g))
				if err != nil {
					t.Fatalf("stamp %d: %v", i, err)
				}
				st, ok := sim.Voucher(r.Vouchers[i].VoucherID)
				if !ok || got != imsim.DataMatrixContent(st) {
					t.Fatalf("stamp %d decodes to %q, want voucher %s", i, got, r.Vouchers[i].VoucherID)
				}
			}
		})
	}
}

func TestStampLabelWrongDPIWarns(t *testing.T) {
	size, _ := zpl.LookupSize("62x100mm")
	prof, _ := zpl.NewProfile(size, 203)
	_, r := buyStamps(t, im.DPI300, im.LayoutAddressZone, 1)
	z, warns, err := StampLabels(t.Context(), nil, r.Kind, im.DPI300, r.Files, prof)
	if err != nil || len(z) == 0 {
		t.Fatal(err)
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "DPI203") {
		t.Fatalf("warnings %v", warns)
	}
}

func TestStampLabelBadInput(t *testing.T) {
	size, _ := zpl.LookupSize("62x100mm")
	prof, _ := zpl.NewProfile(size, 203)
	for _, files := range [][][]byte{nil, {[]byte("not a png")}, {[]byte("\x89PNG\r\n\x1a\nbroken")}} {
		if _, _, err := StampLabels(t.Context(), nil, im.KindPNG, im.DPI203, files, prof); err == nil {
			t.Errorf("%q accepted", files)
		}
	}
	if _, _, err := StampLabels(t.Context(), nil, "tiff", im.DPI203, [][]byte{{1}}, prof); err == nil {
		t.Error("kind tiff accepted")
	}
}

func TestPDFStampLabelDataMatrixDecodes(t *testing.T) {
	// Runs under -race too, as CI runs it: the renderer's compiled form is
	// cached in the temp dir (shared with the zpl tests), so it starts in
	// well under a second after the first run.
	sim, err := imsim.New(imsim.Config{Approved: true, Balance: 10000})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	k, s, u, p := sim.Credentials()
	cl, err := im.New(im.Config{BaseURL: srv.URL + imsim.BasePath, APIKey: k, APISecret: s, Username: u, Password: p,
		Products: []im.Product{{Code: 1, Price: 95}}}, im.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	r, err := cl.CheckoutPDF(t.Context(), im.Order{PageFormatID: 29, DPI: im.DPI203, Positions: []im.Position{{ProductCode: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	conv := zpl.NewConverter(zpl.ConverterOptions{CacheDir: filepath.Join(os.TempDir(), "labelagent-zpl-test-cache")})
	defer conv.Close()
	size, _ := zpl.LookupSize("62x100mm")
	prof, _ := zpl.NewProfile(size, 203)
	z, _, err := StampLabels(t.Context(), conv, r.Kind, im.DPI203, r.Files, prof)
	if err != nil {
		t.Fatal(err)
	}
	gs := graphics(t, z)
	if len(gs) != 1 {
		t.Fatalf("%d graphics", len(gs))
	}
	got, err := imsim.FindDataMatrix(padded(gs[0]))
	if err != nil {
		t.Fatal(err)
	}
	st, _ := sim.Voucher(r.Vouchers[0].VoucherID)
	if got != imsim.DataMatrixContent(st) {
		t.Fatalf("decoded %q", got)
	}
}
