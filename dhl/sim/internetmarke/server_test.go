package internetmarke

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/dhl/internal/contract"
)

func decodeDM(t *testing.T, img image.Image) string {
	t.Helper()
	s, err := FindDataMatrix(img)
	if err != nil {
		t.Fatalf("DataMatrix does not decode: %v", err)
	}
	return s
}

func TestStampDataMatrixDecodes(t *testing.T) {
	f, err := loadFonts()
	if err != nil {
		t.Fatal(err)
	}
	st := Stamp{VoucherID: "A0012345C00000000138", ProductCode: 1, ProductName: "Standardbrief", Price: 95,
		Date: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), Layout: "ADDRESS_ZONE",
		Sender:   &Address{Name: "Versand GmbH", AddressLine1: "Hauptstr. 1", PostalCode: "53113", City: "Bonn", Country: "DEU"},
		Receiver: &Address{Name: "Erika Mustermann", AddressLine1: "Heidestr. 17", PostalCode: "51147", City: "Köln", Country: "DEU"}}
	for _, dpi := range []int{203, 300} {
		for _, layout := range []string{"FRANKING_ZONE", "ADDRESS_ZONE"} {
			st.Layout = layout
			img, err := f.Render(st, dpi)
			if err != nil {
				t.Fatal(err)
			}
			wmm, _ := StampSizeMM(layout)
			if got := img.Bounds().Dx(); got != dots(wmm, dpi) {
				t.Fatalf("%d dpi: width %d dots", dpi, got)
			}
			b, err := encodePNG(img, true)
			if err != nil {
				t.Fatal(err)
			}
			back, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := decodeDM(t, back), DataMatrixContent(st); got != want {
				t.Fatalf("%d dpi %s: decoded %q, want %q", dpi, layout, got, want)
			}
		}
	}
}

func TestLostAnswers(t *testing.T) {
	s, err := New(Config{Approved: true, Balance: 500})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	ck := &contract.Checker{Contract: contract.MustLoad(t, contract.Internetmarke)}
	hc := &http.Client{Transport: ck}
	k, sec, u, p := s.Credentials()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {k}, "client_secret": {sec}, "username": {u}, "password": {p}}
	resp, err := hc.PostForm(srv.URL+BasePath+"/user", form)
	if err != nil {
		t.Fatal(err)
	}
	var login struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&login)
	resp.Body.Close()
	post := func(path, body string) (*http.Response, error) {
		req, _ := http.NewRequest("POST", srv.URL+BasePath+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+login.AccessToken)
		req.Header.Set("Content-Type", "application/json")
		return hc.Do(req)
	}
	order := `{"type":"AppShoppingCartPNGRequest","total":95,"positions":[{"productCode":1,"voucherLayout":"FRANKING_ZONE","positionType":"AppShoppingCartPosition"}]}`

	s.Inject(Fault{Op: "checkout", Kind: LoseBeforeCharge})
	if _, err := post("/app/shoppingcart/png?directCheckout=true", order); err == nil {
		t.Fatal("answer not lost")
	}
	if len(s.Ledger()) != 0 {
		t.Fatal("charged before the fault")
	}
	s.Inject(Fault{Op: "checkout", Kind: LoseAfterCharge})
	if _, err := post("/app/shoppingcart/png?directCheckout=true", order); err == nil {
		t.Fatal("answer not lost")
	}
	if l := s.Ledger(); len(l) != 1 || l[0].Kind != "charge" || l[0].Amount != 95 || s.Balance() != 405 {
		t.Fatalf("ledger %+v", l)
	}
	// The paid order can be fetched; its link serves a ZIP.
	req, _ := http.NewRequest("GET", srv.URL+BasePath+"/app/shoppingcart/"+s.Ledger()[0].ShopOrderID, nil)
	req.Header.Set("Authorization", "Bearer "+login.AccessToken)
	resp, err = hc.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("get order: %v %v", resp, err)
	}
	var got struct{ Link string }
	json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	dl, err := http.Get(got.Link)
	if err != nil {
		t.Fatal(err)
	}
	z, _ := io.ReadAll(dl.Body)
	dl.Body.Close()
	if !bytes.HasPrefix(z, []byte("PK")) {
		t.Fatal("not a ZIP")
	}
	// validate together with directCheckout is refused.
	resp, err = post("/app/shoppingcart/png?validate=true&directCheckout=true", `{"type":"AppShoppingCartPreviewPNGRequest","productCode":1,"voucherLayout":"FRANKING_ZONE"}`)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), "invalidCombination") {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	// A wrong type is InvalidTypeId.
	resp, err = post("/app/shoppingcart/png?directCheckout=true", strings.Replace(order, `"type":"AppShoppingCartPNGRequest"`, `"type":"AppShoppingCartPreviewPNGRequest"`, 1))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), "InvalidTypeId") {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	// The download link expires.
	s.cfg.LinkTTL = time.Nanosecond
	ck.AssertClean(t)
}

func TestPDFStructure(t *testing.T) {
	f, err := loadFonts()
	if err != nil {
		t.Fatal(err)
	}
	st := Stamp{VoucherID: "A0012345C00000000139", ProductCode: 1, ProductName: "Standardbrief", Price: 95, Date: time.Now(), Layout: "ADDRESS_ZONE"}
	img, err := f.Render(st, 203)
	if err != nil {
		t.Fatal(err)
	}
	data, err := pdfFor(DemoPageFormats()[2], []*image.Gray{img}, []pdfPos{{1, 1, 1}}, 203)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"%PDF-1.4", "/MediaBox [0 0 175.748 283.465]", "/Subtype /Image", "startxref", "%%EOF"} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("PDF lacks %q", want)
		}
	}
	// The address-zone stamp (88 x 56 mm) was turned to fit 62 x 100 mm.
	if !bytes.Contains(data, []byte("/Width 448 /Height 703")) {
		t.Errorf("stamp not rotated to fit: %s", data[:min(len(data), 600)])
	}
}

func TestControlEndpoints(t *testing.T) {
	s, err := NewDemo()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	post := func(path, body string) int {
		resp, err := http.Post(srv.URL+ControlPath+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if post("/faults", `{"op":"checkout","kind":"lose_after_charge"}`) != 204 || post("/faults", `{"kind":"nope"}`) != 400 {
		t.Fatal("faults")
	}
	if post("/balance", `{"cents":123}`) != 204 || s.Balance() != 123 {
		t.Fatal("balance")
	}
	if post("/approve", `{"approved":false}`) != 204 || post("/expire-tokens", ``) != 204 {
		t.Fatal("approve")
	}
	resp, err := http.Get(srv.URL + ControlPath + "/state")
	if err != nil {
		t.Fatal(err)
	}
	var st State
	json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if st.Approved || st.Balance != 123 {
		t.Fatalf("%+v", st)
	}
	if y := s.ConfigYAML(srv.URL); !strings.Contains(y, srv.URL+BasePath) || !strings.Contains(y, "contract_products: true") {
		t.Fatal(y)
	}
}
