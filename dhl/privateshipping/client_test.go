package privateshipping_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	ps "github.com/labelagent/labelagent/dhl/privateshipping"
	"github.com/labelagent/labelagent/dhl/sim/franking"
)

func newPair(t *testing.T) (*franking.Server, *ps.Client) {
	t.Helper()
	s := franking.New(franking.Options{})
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	c, err := ps.New(hs.URL, franking.DefaultAPIKey, ps.WithSleep(func(context.Context, time.Duration) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func sender() ps.Address {
	return ps.Address{Name2: "Selma Sender", Street: "Sträßchensweg", StreetNumber: "1-5", PLZ: "53113",
		City: "Bonn", Country: "DEU", Email: "noreply@example.com"}
}

func TestCatalogSearchAndFilter(t *testing.T) {
	s, c := newPair(t)
	ctx := context.Background()
	all, err := c.Products(ctx, ps.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 5 {
		t.Fatalf("catalog has %d products", len(all))
	}
	heavy, err := c.Products(ctx, ps.Filter{Destination: "DEU", WeightGrams: 8000})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range heavy {
		if p.MaxWeightGrams != 0 && p.MaxWeightGrams < 8000 {
			t.Errorf("filter let %s (max %d g) through for 8 kg", p.ID, p.MaxWeightGrams)
		}
		if !p.Ships("DEU") {
			t.Errorf("filter let %s through for DEU", p.ID)
		}
	}
	if len(heavy) == 0 || len(heavy) >= len(all) {
		t.Errorf("filter returned %d of %d", len(heavy), len(all))
	}
	pk, err := c.Products(ctx, ps.Filter{Search: "päckchen"})
	if err != nil || len(pk) == 0 {
		t.Fatalf("search: %v %d", err, len(pk))
	}
	if s.CatalogCalls() != 3 {
		t.Errorf("catalog calls %d", s.CatalogCalls())
	}
}

func TestCartPerAddressTypePaidLabelsAndQR(t *testing.T) {
	s, c := newPair(t)
	ctx := context.Background()
	cat, err := c.Products(ctx, ps.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	receivers := map[string]struct {
		product string
		addr    ps.Address
		typ     ps.AddressType
	}{
		"street":      {"PAKET_5KG_DE", ps.Address{Name2: "Max Müller", Street: "Hauptstraße", StreetNumber: "4/1", PLZ: "10115", City: "Berlin", Country: "DEU"}, ps.TypeStreet},
		"parcel shop": {"PAKET_2KG_DE", ps.Address{Name1: "Selma Sender", Name2: "12341887", Street: "Postfiliale", StreetNumber: "506", PLZ: "53119", City: "Bonn", Country: "DEU"}, ps.TypeParcelShop},
		"packstation": {"PAECKCHEN_S_DE", ps.Address{Name1: "Selma Sender", Name2: "12341887", Street: "Packstation", StreetNumber: "150", PLZ: "53113", City: "Bonn", Country: "DEU"}, ps.TypePackstation},
		"province":    {"PAECKCHEN_INT", ps.Address{Name2: "Selma Sender", Street: "Dyer Ave", StreetNumber: "100", PLZ: "10001", City: "New York", Province: "NY", Country: "USA", Email: "noreply@dhl.com"}, ps.TypeProvince},
	}
	for name, tc := range receivers {
		t.Run(name, func(t *testing.T) {
			if got := ps.TypeOf(tc.addr); got != tc.typ {
				t.Fatalf("type %s, want %s", got, tc.typ)
			}
			cart, err := c.CreateCart(ctx, ps.CartRequest{Items: []ps.Item{{ProductID: tc.product, WeightGrams: 1500,
				Address: ps.Addresses{Sender: sender(), Receiver: tc.addr}}}}, cat)
			if err != nil {
				t.Fatal(err)
			}
			if cart.Status != ps.StatusCreated || cart.Download.EntryURL == "" || cart.Total <= 0 {
				t.Fatalf("cart %+v", cart)
			}
			if len(cart.PAKIDs()) != 0 {
				t.Fatal("unpaid cart has PAKIDs")
			}
			if _, err := s.Pay(cart.ShoppingCartID, 0); err != nil {
				t.Fatal(err)
			}
			paid, err := c.Cart(ctx, cart.ShoppingCartID)
			if err != nil {
				t.Fatal(err)
			}
			if !paid.Paid() || len(paid.PAKIDs()) != 1 || paid.Items[0].ShipmentNo == "" {
				t.Fatalf("paid cart %+v", paid)
			}
			pdf, err := c.Label(ctx, paid.PAKIDs()[0])
			if err != nil || !strings.HasPrefix(string(pdf), "%PDF-") {
				t.Fatalf("label: %v", err)
			}
			png, err := c.QRCode(ctx, paid.PAKIDs()[0])
			if err != nil || len(png) < 100 {
				t.Fatalf("qr: %v", err)
			}
		})
	}
}

// TestInputRules: every rule of the document, refused before sending with a
// message naming the field; and the simulator refuses the same request on
// its own (checked by sending it past the client's checks).
func TestInputRules(t *testing.T) {
	base := func() ps.CartRequest {
		return ps.CartRequest{Items: []ps.Item{{ProductID: "PAKET_5KG_DE", Address: ps.Addresses{Sender: sender(),
			Receiver: ps.Address{Name2: "Max Mustermann", Street: "Hauptstraße", StreetNumber: "1", PLZ: "10115", City: "Berlin", Country: "DEU"}}}}}
	}
	for _, tc := range []struct {
		name    string
		mod     func(*ps.CartRequest)
		field   string
		problem string
		suggest string
	}{
		{"polish ł", func(r *ps.CartRequest) { r.Items[0].Address.Receiver.Name2 = "Paweł Nowak" }, "items[0].address.receiver.name2", ps.ProblemNotLatin1, "Pawel Nowak"},
		{"euro sign", func(r *ps.CartRequest) { r.Items[0].Address.Receiver.AddressAddition1 = "Wert 5 €" }, "items[0].address.receiver.addressAddition1", ps.ProblemNotLatin1, "Wert 5 EUR"},
		{"czech š", func(r *ps.CartRequest) { r.Items[0].Address.Receiver.City = "Šumperk" }, "items[0].address.receiver.city", ps.ProblemNotLatin1, "Sumperk"},
		{"hash", func(r *ps.CartRequest) { r.Items[0].Address.Receiver.StreetNumber = "#4" }, "items[0].address.receiver.streetNumber", ps.ProblemForbidden, ""},
		{"colon", func(r *ps.CartRequest) { r.Items[0].Address.Sender.Name2 = "Firma: Muster" }, "items[0].address.sender.name2", ps.ProblemForbidden, ""},
		{"brackets", func(r *ps.CartRequest) { r.Items[0].Address.Receiver.Name3 = "[c/o]" }, "items[0].address.receiver.name3", ps.ProblemForbidden, ""},
		{"no plz", func(r *ps.CartRequest) { r.Items[0].Address.Receiver.PLZ = "" }, "items[0].address.receiver.plz", ps.ProblemRequired, ""},
		{"bad plz", func(r *ps.CartRequest) { r.Items[0].Address.Receiver.PLZ = "1011" }, "items[0].address.receiver.plz", ps.ProblemFormat, ""},
		{"packstation without postnummer", func(r *ps.CartRequest) {
			r.Items[0].Address.Receiver = ps.Address{Name1: "Max", Street: "Packstation", StreetNumber: "150", PLZ: "53113", City: "Bonn"}
		}, "items[0].address.receiver.name2", ps.ProblemRequired, ""},
		{"sender at packstation", func(r *ps.CartRequest) { r.Items[0].Address.Sender.Street = "Packstation" }, "items[0].address.sender.street", ps.ProblemSender, ""},
		{"sender without email", func(r *ps.CartRequest) { r.Items[0].Address.Sender.Email = "" }, "items[0].address.sender.email", ps.ProblemRequired, ""},
		{"unknown product", func(r *ps.CartRequest) { r.Items[0].ProductID = "NOPE" }, "items[0].productId", ps.ProblemProduct, ""},
		{"too heavy", func(r *ps.CartRequest) { r.Items[0].ProductID = "PAECKCHEN_S_DE"; r.Items[0].WeightGrams = 3000 }, "items[0].weightGrams", ps.ProblemProduct, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, c := newPair(t)
			req := base()
			tc.mod(&req)
			_, err := c.CreateCart(context.Background(), req, franking.Catalog())
			es, ok := ps.AsInputErrors(err)
			if !ok {
				t.Fatalf("want input errors, got %v", err)
			}
			var found *ps.InputError
			for _, e := range es {
				if e.Field == tc.field && e.Problem == tc.problem {
					found = e
				}
			}
			if found == nil {
				t.Fatalf("no %s problem on %s in %v", tc.problem, tc.field, err)
			}
			if tc.suggest != "" && found.Suggest != tc.suggest {
				t.Errorf("suggestion %q, want %q", found.Suggest, tc.suggest)
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Errorf("message does not name the field: %v", err)
			}
			if s.Requests("POST "+ps.CartsPath) != 0 {
				t.Error("a refused cart was sent")
			}
			// The simulator, on its own reading of the document, refuses it too.
			if tc.problem == ps.ProblemProduct && tc.field == "items[0].productId" {
				return
			}
			resp := rawPost(t, s, req)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("simulator answered %d", resp.StatusCode)
			}
		})
	}
}

func rawPost(t *testing.T, s *franking.Server, req ps.CartRequest) *http.Response {
	t.Helper()
	hs := httptest.NewServer(s)
	defer hs.Close()
	c, _ := ps.New(hs.URL, franking.DefaultAPIKey)
	_ = c
	body := mustJSON(t, req)
	r, _ := http.NewRequest(http.MethodPost, hs.URL+ps.CartsPath, strings.NewReader(body))
	r.Header.Set("dhl-api-key", franking.DefaultAPIKey)
	r.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestServerErrorsAndLostAnswers(t *testing.T) {
	ctx := context.Background()
	req := ps.CartRequest{Items: []ps.Item{{ProductID: "PAKET_5KG_DE", Address: ps.Addresses{Sender: sender(),
		Receiver: ps.Address{Name2: "Max Mustermann", Street: "Hauptstraße", StreetNumber: "1", PLZ: "10115", City: "Berlin", Country: "DEU"}}}}}

	t.Run("lost answer is unknown outcome, not resent", func(t *testing.T) {
		s, c := newPair(t)
		s.AddFault(franking.Fault{Method: "POST", Path: ps.CartsPath, Drop: true})
		_, err := c.CreateCart(ctx, req, nil)
		var uo *ps.UnknownOutcomeError
		if !errors.As(err, &uo) {
			t.Fatalf("want unknown outcome, got %v", err)
		}
		if n := s.Requests("POST " + ps.CartsPath); n != 1 {
			t.Errorf("cart POSTed %d times", n)
		}
		if len(s.Snapshot().Carts) != 1 {
			t.Error("the simulator should hold the cart whose answer was lost")
		}
	})
	t.Run("429 retried", func(t *testing.T) {
		s, c := newPair(t)
		s.AddFault(franking.Fault{Method: "POST", Path: ps.CartsPath, Status: 429, RetryAfter: 1})
		if _, err := c.CreateCart(ctx, req, nil); err != nil {
			t.Fatal(err)
		}
		if n := s.Requests("POST " + ps.CartsPath); n != 2 {
			t.Errorf("POSTs %d", n)
		}
	})
	t.Run("503 on create not retried", func(t *testing.T) {
		s, c := newPair(t)
		s.AddFault(franking.Fault{Method: "POST", Path: ps.CartsPath, Status: 503})
		_, err := c.CreateCart(ctx, req, nil)
		if ps.StatusOf(err) != 503 {
			t.Fatalf("got %v", err)
		}
		if n := s.Requests("POST " + ps.CartsPath); n != 1 {
			t.Errorf("POSTs %d", n)
		}
	})
	t.Run("503 on read retried", func(t *testing.T) {
		s, c := newPair(t)
		s.AddFault(franking.Fault{Method: "GET", Path: ps.ProductsPath, Status: 503, Times: 2})
		if _, err := c.Products(ctx, ps.Filter{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("wrong key", func(t *testing.T) {
		s := franking.New(franking.Options{})
		hs := httptest.NewServer(s)
		defer hs.Close()
		c, _ := ps.New(hs.URL, "wrong")
		_, err := c.Products(ctx, ps.Filter{})
		if ps.StatusOf(err) != 401 || !strings.Contains(err.Error(), "api_key") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("server problem names the field", func(t *testing.T) {
		_, c := newPair(t)
		bad := req
		bad.Items = []ps.Item{req.Items[0]}
		bad.Items[0].Address.Receiver.City = ""
		// Past the client's own check, as if the rules were not known.
		_, err := c.CreateCart(ctx, bad, nil)
		if _, ok := ps.AsInputErrors(err); !ok {
			t.Fatalf("client check: %v", err)
		}
	})
	t.Run("unknown cart", func(t *testing.T) {
		_, c := newPair(t)
		_, err := c.Cart(ctx, "999")
		if ps.StatusOf(err) != 404 {
			t.Fatalf("got %v", err)
		}
	})
}

func TestProblemField(t *testing.T) {
	for in, want := range map[string]string{
		"item._0.address.receiver.plz": "items[0].address.receiver.plz",
		"item._12.services._1":         "items[12].services[1]",
		"pickup.date":                  "pickup.date",
		"":                             "",
	} {
		if got := (ps.Problem{Property: in}).Field(); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
}

func TestTransliterate(t *testing.T) {
	for in, want := range map[string]string{
		"Łódź": "Lódz", "Müller": "Müller", "Øresund": "Øresund", "Straße": "Straße", "Dvořák": "Dvorák",
		"„Zitat“": "\"Zitat\"", "Œuvre": "OEuvre", "İstanbul": "Istanbul",
	} {
		got, ok := ps.Transliterate(in)
		if got != want || !ok {
			t.Errorf("%q → %q %v, want %q", in, got, ok, want)
		}
	}
	if _, ok := ps.Transliterate("東京"); ok {
		t.Error("CJK cannot be transliterated to Latin-1")
	}
}

func FuzzValidate(f *testing.F) {
	f.Add("Max", "Hauptstraße", "1", "10115", "Berlin", "DEU")
	f.Add("Paweł", "Packstation", "150", "53113", "Bonn", "")
	f.Add("\xff\xfe", "Postfiliale", "x", "", "", "usa")
	f.Fuzz(func(t *testing.T, name, street, no, plz, city, country string) {
		a := ps.Address{Name1: name, Name2: name, Street: street, StreetNumber: no, PLZ: plz, City: city, Country: country}
		err := ps.Validate(ps.CartRequest{Items: []ps.Item{{ProductID: "X", Address: ps.Addresses{Sender: a, Receiver: a}}}}, franking.Catalog())
		if err == nil {
			t.Fatal("product X does not exist, yet the request passed")
		}
		es, ok := ps.AsInputErrors(err)
		if !ok || len(es) == 0 {
			t.Fatalf("not input errors: %v", err)
		}
		for _, e := range es {
			if e.Field == "" || e.Error() == "" {
				t.Fatalf("problem without field: %+v", e)
			}
		}
		_, _ = ps.Transliterate(name)
	})
}
