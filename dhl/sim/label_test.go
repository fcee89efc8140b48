package sim

import (
	"bytes"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

func sampleLabel() labelData {
	return labelData{
		Title: "DHL PAKET", Date: "21.11.2026", Weight: "1.20 kg",
		Sender:      []string{"My Online Shop GmbH", "Sträßchensweg 10", "53113 Bonn"},
		Receiver:    []string{"Jürgen Müller", "Kurfürstendamm 1", "10719 Berlin"},
		RoutingCode: leitcode("10719", "Kurfürstendamm", "1"),
		ShipmentNo:  shipmentNumber(10_000_000_123),
		Reference:   "Order 100200",
	}
}

func decode128(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := oned.NewCode128Reader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		t.Fatalf("barcode does not decode: %v", err)
	}
	return res.GetText()
}

// TestLabelBarcodesDecode renders every thermal format and reads each
// barcode back from the image, cropped to where the layout put it.
func TestLabelBarcodesDecode(t *testing.T) {
	d := sampleLabel()
	for _, f := range []string{"910-300-600", "910-300-400", "100x70mm"} {
		t.Run(f, func(t *testing.T) {
			wmm, hmm, thermal := labelSize(f)
			if !thermal {
				t.Fatal("thermal format expected")
			}
			w, h := wmm*dotsPerMM, hmm*dotsPerMM
			ops := layout(d, w, h)
			tr := testFonts(t).renderer()
			img, err := tr.renderImage(ops, w, h)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range ops {
				if o.x < 0 || o.y < 0 || o.x > w || o.y+o.h > h {
					t.Errorf("%v lies outside the %dx%d label", o, w, h)
				}
				if o.kind != opBarcode {
					continue
				}
				crop := image.Rect(0, o.y, w, o.y+o.h).Intersect(img.Bounds())
				got = append(got, decode128(t, img.SubImage(crop)))
			}
			if len(got) != 2 || got[0] != d.RoutingCode || got[1] != d.ShipmentNo {
				t.Fatalf("decoded %q, want routing code %s and shipment %s", got, d.RoutingCode, d.ShipmentNo)
			}
			z := string(tr.renderZPL(ops))
			for _, want := range []string{"^XA", "^FD>;" + d.ShipmentNo + "^FS", "^FD>;" + d.RoutingCode + "^FS", "^GFA,", "^XZ"} {
				if !strings.Contains(z, want) {
					t.Errorf("ZPL lacks %q", want)
				}
			}
			if strings.Contains(z, "Müller") {
				t.Error("accented names go as ^GFA bitmaps, as DHL sends them")
			}
		})
	}
}

func TestPDFLabelIsValid(t *testing.T) {
	api.DisableConfigDir()
	for _, f := range []string{"910-300-600", "A4", "100x70mm"} {
		_, pdf, err := testFonts(t).shippingLabel(sampleLabel(), "PDF", f)
		if err != nil {
			t.Fatal(err)
		}
		conf := model.NewDefaultConfiguration()
		conf.ValidationMode = model.ValidationStrict
		if err := api.Validate(bytes.NewReader(pdf), conf); err != nil {
			t.Fatalf("%s: invalid PDF: %v", f, err)
		}
		n, err := api.PageCount(bytes.NewReader(pdf), conf)
		if err != nil || n != 1 {
			t.Fatalf("%s: %d pages, %v", f, n, err)
		}
	}
}

func TestCheckDigits(t *testing.T) {
	// Deutsche Post's 4/9 weighting: the documented Identcode 56.310 243.031 3
	if got := dpCheck("56310243031"); got != 3 {
		t.Errorf("dpCheck = %d, want 3", got)
	}
	// GS1 examples: SSCC 10614141123456789-7, GTIN-13 629104150021-3
	if got := gs1Check("10614141123456789"); got != 7 {
		t.Errorf("gs1Check(SSCC) = %d, want 7", got)
	}
	if got := gs1Check("629104150021"); got != 3 {
		t.Errorf("gs1Check(GTIN) = %d, want 3", got)
	}
	if n := shipmentNumber(1); len(n) != 20 || !strings.HasPrefix(n, "00340434") {
		t.Errorf("shipment number %q", n)
	}
	if l := leitcode("53113", "Sträßchensweg", "10"); len(l) != 14 {
		t.Errorf("Leitcode %q is not 14 digits", l)
	}
}

func TestQRCodeDecodes(t *testing.T) {
	b, err := qrPNG("RET990001000001")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	bmp, _ := gozxing.NewBinaryBitmapFromImage(img)
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil || res.GetText() != "RET990001000001" {
		t.Fatalf("QR decodes to %v, %v", res, err)
	}
}

func testFonts(tb testing.TB) *fontSet {
	tb.Helper()
	fs, err := newFontSet()
	if err != nil {
		tb.Fatal(err)
	}
	return fs
}

func TestAdminFault(t *testing.T) {
	s := New(Options{SpecPath: "-"})
	srv := httptest.NewServer(s)
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/_sim/faults", "application/json", strings.NewReader(`{"path":"/parcel/de/shipping/v2/","status":503,"retry_after_s":2,"latin1_html":true}`))
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("inject: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = http.Get(srv.URL + "/parcel/de/shipping/v2/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "2" || !strings.Contains(resp.Header.Get("Content-Type"), "iso-8859-1") || !bytes.Contains(body, []byte("vor\xfcbergehend")) {
		t.Fatalf("fault answer: %d %v %q", resp.StatusCode, resp.Header, body)
	}
	resp, err = http.Get(srv.URL + "/parcel/de/shipping/v2/")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("the fault applies once: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, _ = http.Post(srv.URL+"/_sim/faults", "application/json", strings.NewReader(`{"stauts":503}`))
	if resp.StatusCode != 400 {
		t.Fatalf("a misspelt field is refused: %d", resp.StatusCode)
	}
	resp.Body.Close()
}
