package internetmarke_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labelagent/labelagent/dhl/internal/contract"
	im "github.com/labelagent/labelagent/dhl/internetmarke"
	imsim "github.com/labelagent/labelagent/dhl/sim/internetmarke"
	"gopkg.in/yaml.v3"
)

// splitTransport checks API traffic against the contract and lets the
// stamp downloads (not part of the contract) pass.
type splitTransport struct{ api, other http.RoundTripper }

func (s splitTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasPrefix(r.URL.Path, "/download/") {
		return s.other.RoundTrip(r)
	}
	return s.api.RoundTrip(r)
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time        { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration)   { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func newClock() *clock                 { return &clock{t: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)} }
func ctx(t *testing.T) context.Context { return t.Context() }

type env struct {
	sim    *imsim.Server
	srv    *httptest.Server
	client *im.Client
	ck     *contract.Checker
	clk    *clock
	cfg    im.Config
}

func newEnv(t *testing.T, mod func(*imsim.Config, *im.Config)) *env {
	t.Helper()
	c := contract.MustLoad(t, contract.Internetmarke)
	clk := newClock()
	scfg := imsim.Config{Approved: true, Balance: 1000, Now: clk.Now}
	ccfg := im.Config{
		Products: []im.Product{{Code: 1, Price: 95}, {Code: 11, Price: 110}, {Code: 1002, Price: 330}, {Code: 4711, Name: "Phantasie", Price: 100}},
	}
	if mod != nil {
		mod(&scfg, &ccfg)
	}
	sim, err := imsim.New(scfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	ccfg.BaseURL = srv.URL + imsim.BasePath
	ccfg.APIKey, ccfg.APISecret, ccfg.Username, ccfg.Password = sim.Credentials()
	ck := &contract.Checker{Contract: c}
	hc := &http.Client{Transport: splitTransport{api: ck, other: http.DefaultTransport}, Timeout: 10 * time.Second}
	cl, err := im.New(ccfg, im.WithHTTPClient(hc), im.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ck.AssertClean(t) })
	return &env{sim: sim, srv: srv, client: cl, ck: ck, clk: clk, cfg: ccfg}
}

func TestLoginBalanceAndTokenRefresh(t *testing.T) {
	e := newEnv(t, nil)
	l, err := e.client.Login(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if l.WalletBalance != 1000 || l.ExpiresIn != 3000*time.Second || l.TokenType != "BearerToken" {
		t.Fatalf("login = %+v", l)
	}
	if _, err := e.client.Profile(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if n := e.sim.Requests("login"); n != 1 {
		t.Fatalf("logins = %d, want 1 (token cached)", n)
	}
	// expires_in is 3000 s (50 min): at 48 min the token is reused, at 49.5 min
	// (less than a minute left) the client logs in again.
	e.clk.Add(48 * time.Minute)
	if _, err := e.client.Profile(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if n := e.sim.Requests("login"); n != 1 {
		t.Fatalf("logins = %d after 48 min, want 1", n)
	}
	e.clk.Add(90 * time.Second)
	if _, err := e.client.Profile(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if n := e.sim.Requests("login"); n != 2 {
		t.Fatalf("logins = %d less than a minute before expiry, want 2", n)
	}
	// A token the service dropped early: one 401, one new login, the call succeeds.
	e.sim.ExpireTokens()
	if _, err := e.client.Profile(ctx(t)); err != nil {
		t.Fatalf("after server-side expiry: %v", err)
	}
	if n := e.sim.Requests("login"); n != 3 {
		t.Fatalf("logins = %d, want 3", n)
	}
	b, err := e.client.Balance(ctx(t), 0)
	if err != nil || b.Amount != 1000 {
		t.Fatalf("balance = %v, %v", b, err)
	}
}

func TestLoginAppNotApproved(t *testing.T) {
	e := newEnv(t, func(s *imsim.Config, _ *im.Config) { s.Approved = false })
	_, err := e.client.Login(ctx(t))
	var ae *im.APIError
	if !errors.As(err, &ae) || !errors.Is(err, im.ErrUnauthorized) {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(ae.Message("en"), "approve it under Meine Daten → Geschäftsanwendungen") ||
		!strings.Contains(ae.Message("de"), "Meine Daten → Geschäftsanwendungen freigeben") {
		t.Fatalf("messages: %q / %q", ae.Message("en"), ae.Message("de"))
	}
	// Every other call reports the same, and nothing is charged.
	_, err = e.client.CheckoutPNG(ctx(t), im.Order{Positions: []im.Position{{ProductCode: 1}}})
	if !errors.Is(err, im.ErrUnauthorized) {
		t.Fatalf("checkout err = %v", err)
	}
	if len(e.sim.Ledger()) != 0 {
		t.Fatal("ledger not empty")
	}
}

func TestCatalogCached(t *testing.T) {
	e := newEnv(t, func(_ *imsim.Config, c *im.Config) { c.CatalogRefresh = time.Hour })
	pf, err := e.client.PageFormats(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, f := range pf {
		if f.ID == 29 && f.PageType == "LABELPRINTER" && f.PageLayout.Size.X == 62 && f.PageLayout.Size.Y == 100 && f.IsAddressPossible {
			found = true
		}
	}
	if !found {
		t.Fatalf("format 29 missing: %+v", pf)
	}
	if _, err := e.client.PageFormats(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if n := e.sim.Requests("catalog"); n != 1 {
		t.Fatalf("catalog requests = %d, want 1 (cached)", n)
	}
	e.clk.Add(61 * time.Minute)
	if _, err := e.client.PageFormats(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if n := e.sim.Requests("catalog"); n != 2 {
		t.Fatalf("catalog requests = %d after the refresh interval, want 2", n)
	}
	cat, err := e.client.Catalog(ctx(t), im.CatalogPublic, im.CatalogPageFormats)
	if err != nil || len(cat.Public) == 0 || len(cat.Public[0].Images) == 0 || len(cat.PageFormats) == 0 {
		t.Fatalf("catalog = %+v, %v", cat, err)
	}
}

func TestContractProductsPrices(t *testing.T) {
	// CONTRACT_PRODUCTS is not in the v1.30 enum, so this runs without the checker.
	sim, err := imsim.New(imsim.Config{Approved: true, Balance: 500})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	k, s, u, p := sim.Credentials()
	cl, err := im.New(im.Config{BaseURL: srv.URL + imsim.BasePath, APIKey: k, APISecret: s, Username: u, Password: p,
		ContractProducts: true, Products: []im.Product{{Code: 1, Price: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := cl.Price(ctx(t), 1)
	if err != nil || pr.Price != 95 || pr.Name != "Standardbrief" {
		t.Fatalf("price = %+v, %v (contract price must win over the configured one)", pr, err)
	}
	r, err := cl.CheckoutPNG(ctx(t), im.Order{Positions: []im.Position{{ProductCode: 1}}, DPI: im.DPI203})
	if err != nil || len(r.Files) != 1 {
		t.Fatalf("checkout: %+v, %v", r, err)
	}
}

func TestPreviewsAreFree(t *testing.T) {
	e := newEnv(t, func(_ *imsim.Config, c *im.Config) { c.PageFormat = 29 })
	png, err := e.client.PreviewPNG(ctx(t), im.Preview{ProductCode: 1, DPI: im.DPI203})
	if err != nil || png.Kind != im.KindPNG || len(png.Data) < 100 {
		t.Fatalf("png preview: %+v, %v", png, err)
	}
	pdf, err := e.client.PreviewPDF(ctx(t), im.Preview{ProductCode: 1})
	if err != nil || pdf.Kind != im.KindPDF {
		t.Fatalf("pdf preview: %v", err)
	}
	if len(e.sim.Ledger()) != 0 || e.sim.Balance() != 1000 {
		t.Fatal("a preview was charged")
	}
	_, err = e.client.PreviewPNG(ctx(t), im.Preview{ProductCode: 9999})
	var ae *im.APIError
	if !errors.As(err, &ae) || ae.Title != im.TitleInvalidProductcode {
		t.Fatalf("err = %v", err)
	}
}

func TestCheckoutPNGAndRefetch(t *testing.T) {
	e := newEnv(t, nil)
	id, err := e.client.NewShopOrder(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.client.CheckoutPNG(ctx(t), im.Order{ShopOrderID: id, DPI: im.DPI203, OptimizePNG: true,
		Positions: []im.Position{{ProductCode: 1}, {ProductCode: 1002}}})
	if err != nil {
		t.Fatal(err)
	}
	if r.ShopOrderID != id || len(r.Vouchers) != 2 || len(r.Files) != 2 || r.Kind != im.KindPNG {
		t.Fatalf("receipt = %+v", r)
	}
	if len(r.Vouchers[0].VoucherID) != 20 || r.Vouchers[1].TrackID == "" {
		t.Fatalf("vouchers = %+v", r.Vouchers)
	}
	if r.WalletBalance == nil || *r.WalletBalance != 1000-95-330 {
		t.Fatalf("walletBallance = %v", r.WalletBalance)
	}
	if b, _ := e.client.CachedBalance(); b.Amount != 575 {
		t.Fatalf("cached balance %v", b.Amount)
	}
	again, err := e.client.GetOrder(ctx(t), id)
	if err != nil || len(again.Files) != 2 || again.Vouchers[0] != r.Vouchers[0] {
		t.Fatalf("refetch: %+v, %v", again, err)
	}
	if e.sim.Charges(id) != 1 {
		t.Fatal("charged twice")
	}
	// Checking out the same shop order again is refused, not charged.
	_, err = e.client.CheckoutPNG(ctx(t), im.Order{ShopOrderID: id, Positions: []im.Position{{ProductCode: 1}}})
	var ae *im.APIError
	if !errors.As(err, &ae) || ae.Title != im.TitleInvalidShopOrderID {
		t.Fatalf("second checkout: %v", err)
	}
	if e.sim.Charges(id) != 1 {
		t.Fatal("charged twice")
	}
	_, err = e.client.GetOrder(ctx(t), "123")
	if !errors.Is(err, im.ErrNotFound) {
		t.Fatalf("unknown order: %v", err)
	}
}

func TestCheckoutPDF(t *testing.T) {
	e := newEnv(t, func(_ *imsim.Config, c *im.Config) { c.PageFormat = 29 })
	sender := &im.Address{Name: "Versand GmbH", AddressLine1: "Hauptstr. 1", PostalCode: "53113", City: "Bonn", Country: "DEU"}
	rcv := &im.Address{Name: "Erika Mustermann", AddressLine1: "Heidestr. 17", PostalCode: "51147", City: "Köln", Country: "DEU"}
	r, err := e.client.CheckoutPDF(ctx(t), im.Order{DPI: im.DPI300, PageFormatID: 29,
		Positions: []im.Position{{ProductCode: 1, Layout: im.LayoutAddressZone, Sender: sender, Receiver: rcv}}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind != im.KindPDF || len(r.Files) != 1 || !strings.HasPrefix(string(r.Files[0]), "%PDF-") {
		t.Fatalf("receipt kind %s files %d", r.Kind, len(r.Files))
	}
}

func TestCheckoutErrorsChargeNothing(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setup   func(e *env)
		order   im.Order
		check   func(t *testing.T, err error)
		skipCon bool
	}{
		{"balance too low", func(e *env) { e.sim.SetBalance(42) }, im.Order{Positions: []im.Position{{ProductCode: 1}}},
			func(t *testing.T, err error) {
				var ae *im.APIError
				if !errors.As(err, &ae) || !errors.Is(err, im.ErrBalanceTooLow) {
					t.Fatalf("err = %v", err)
				}
				if got := ae.Message("en"); got != "Portokasse balance too low: 0,42 € left, 0,95 € needed" {
					t.Fatalf("en: %q", got)
				}
				if got := ae.Message("de"); got != "Portokasse-Guthaben zu gering: 0,42 € übrig, 0,95 € benötigt" {
					t.Fatalf("de: %q", got)
				}
			}, false},
		{"wrong total (price changed)", func(e *env) { e.sim.SetPrice(1, 100) }, im.Order{Positions: []im.Position{{ProductCode: 1}}},
			func(t *testing.T, err error) {
				var ae *im.APIError
				if !errors.As(err, &ae) || ae.Title != im.TitleInvalidTotalAmount || !strings.Contains(ae.Error(), "price") {
					t.Fatalf("err = %v", err)
				}
			}, false},
		{"unknown product", nil, im.Order{Positions: []im.Position{{ProductCode: 4711}}},
			func(t *testing.T, err error) {
				var ae *im.APIError
				if !errors.As(err, &ae) || ae.Title != im.TitleInvalidProductcode {
					t.Fatalf("err = %v", err)
				}
			}, false},
		{"rate limited", func(e *env) { e.sim.Inject(imsim.Fault{Op: "checkout", Kind: imsim.RateLimit}) }, im.Order{Positions: []im.Position{{ProductCode: 1}}},
			func(t *testing.T, err error) {
				var ae *im.APIError
				if !errors.As(err, &ae) || !errors.Is(err, im.ErrRateLimited) || ae.RetryAfter != time.Second {
					t.Fatalf("err = %v", err)
				}
				if !strings.Contains(ae.Error(), "too many requests, try again in 1s") {
					t.Fatalf("message %q", ae.Error())
				}
			}, false},
		{"expired token", func(e *env) { e.sim.ExpireTokens() }, im.Order{Positions: []im.Position{{ProductCode: 1}}},
			func(t *testing.T, err error) {
				if err != nil {
					t.Fatalf("an expired token must be renewed transparently: %v", err)
				}
			}, false},
		{"no price configured", nil, im.Order{Positions: []im.Position{{ProductCode: 21}}},
			func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), "Großbrief") || !strings.Contains(err.Error(), "internetmarke.products") {
					t.Fatalf("err = %v", err)
				}
			}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			if _, err := e.client.Login(ctx(t)); err != nil {
				t.Fatal(err)
			}
			if tc.setup != nil {
				tc.setup(e)
			}
			before := e.sim.Balance()
			_, err := e.client.CheckoutPNG(ctx(t), tc.order)
			tc.check(t, err)
			if err != nil {
				if len(e.sim.Ledger()) != 0 || e.sim.Balance() != before {
					t.Fatalf("charged despite error: %+v", e.sim.Ledger())
				}
			}
		})
	}
}

func TestRefund(t *testing.T) {
	e := newEnv(t, nil)
	r, err := e.client.CheckoutPNG(ctx(t), im.Order{Positions: []im.Position{{ProductCode: 1}, {ProductCode: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Refund(ctx(t), im.RefundRequest{VoucherIDs: []string{r.Vouchers[0].VoucherID}}); err != nil {
		t.Fatal(err)
	}
	// The whole order: one voucher is refunded now, the other was already.
	rr, err := e.client.Refund(ctx(t), im.RefundRequest{ShopOrderID: r.ShopOrderID})
	if err != nil || rr.ShopRetoureID == "" || rr.RetoureTransactionID == "" {
		t.Fatalf("refund: %+v, %v", rr, err)
	}
	states, err := e.client.RefundStates(ctx(t), im.RefundQuery{ShopRetoureID: rr.ShopRetoureID})
	if err != nil || len(states) != 1 {
		t.Fatalf("states: %+v, %v", states, err)
	}
	st := states[0]
	if st.RetourePrice != 95 || len(st.Refunded) != 1 || len(st.NotRefunded) != 1 || st.Created.IsZero() {
		t.Fatalf("state = %+v", st)
	}
	if e.sim.Balance() != 1000 {
		t.Fatalf("balance after refunds = %d", e.sim.Balance())
	}
}

func TestTopUp(t *testing.T) {
	e := newEnv(t, func(s *imsim.Config, _ *im.Config) { s.TopUpQuota = 5000 })
	tu, err := e.client.TopUp(ctx(t), 2000)
	if err != nil || tu.WalletBalance == nil || *tu.WalletBalance != 3000 {
		t.Fatalf("top-up: %+v, %v", tu, err)
	}
	_, err = e.client.TopUp(ctx(t), 4000)
	var ae *im.APIError
	if !errors.As(err, &ae) || ae.Title != im.TitleQuotaExceeded {
		t.Fatalf("quota: %v", err)
	}
	if _, err := e.client.TopUp(ctx(t), 0); err == nil {
		t.Fatal("zero top-up accepted")
	}
	e2 := newEnv(t, func(s *imsim.Config, _ *im.Config) { s.NoDirectDebit = true })
	_, err = e2.client.TopUp(ctx(t), 100)
	if !errors.As(err, &ae) || ae.Title != im.TitleForbiddenPaymentMethod || !strings.Contains(ae.Message("de"), "SEPA") {
		t.Fatalf("forbidden: %v", err)
	}
}

func TestVersion(t *testing.T) {
	e := newEnv(t, nil)
	v, err := e.client.Version(ctx(t))
	if err != nil || v.Version != "v1.30" || v.Name != "pp-post-internetmarke" {
		t.Fatalf("version %+v, %v", v, err)
	}
}

func TestLenientDecoding(t *testing.T) {
	// A server that answers the way the live service does, not the spec.
	mux := http.NewServeMux()
	mux.HandleFunc("POST /im/user", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"access_token":"t","tokenType":"Bearer","expires_in":"86400","walletBalance":4711}`))
	})
	mux.HandleFunc("GET /im/app/catalog", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"publicGallery":{"items":[{"category":"A","categoryDescription":"a","images":[]}]}}`))
	})
	mux.HandleFunc("POST /im/app/shoppingcart/png", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		w.Write([]byte(`{"statusCode":400,"title":"walletBalanceNotEnough","description":"too poor","instance":"PCF-A1031"}`))
	})
	mux.HandleFunc("GET /im/user/profile", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(403)
		w.Write([]byte(`{"status":403,"title":"Forbidden","detail":"no"}`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	cl, err := im.New(im.Config{BaseURL: srv.URL + "/im", APIKey: "k", APISecret: "s", Username: "u", Password: "p",
		Products: []im.Product{{Code: 1, Price: 95}}})
	if err != nil {
		t.Fatal(err)
	}
	l, err := cl.Login(ctx(t))
	if err != nil || l.TokenType != "Bearer" || l.ExpiresIn != 24*time.Hour || l.WalletBalance != 4711 {
		t.Fatalf("login %+v, %v", l, err)
	}
	cat, err := cl.Catalog(ctx(t), im.CatalogPublic)
	if err != nil || len(cat.Public) != 1 {
		t.Fatalf("publicGallery not read: %+v %v", cat, err)
	}
	_, err = cl.CheckoutPNG(ctx(t), im.Order{Positions: []im.Position{{ProductCode: 1}}})
	var ae *im.APIError
	if !errors.As(err, &ae) || ae.Status != 400 || ae.Detail != "too poor" || ae.Instance != "PCF-A1031" {
		t.Fatalf("err = %#v", err)
	}
	if got := ae.Message("en"); got != "Portokasse balance too low: 47,11 € left, 0,95 € needed" {
		t.Fatalf("message %q", got)
	}
	_, err = cl.Profile(ctx(t))
	if !errors.As(err, &ae) || ae.Status != 403 || !strings.Contains(ae.Error(), "not allowed") {
		t.Fatalf("err = %v", err)
	}
}

func TestLostDownloadKeepsReceipt(t *testing.T) {
	e := newEnv(t, nil)
	e.sim.Inject(imsim.Fault{Op: "download", Kind: imsim.ServerError})
	r, err := e.client.CheckoutPNG(ctx(t), im.Order{Positions: []im.Position{{ProductCode: 1}}})
	if !errors.Is(err, im.ErrDownload) || r == nil || len(r.Vouchers) != 1 {
		t.Fatalf("receipt %+v, err %v", r, err)
	}
	again, err := e.client.GetOrder(ctx(t), r.ShopOrderID)
	if err != nil || len(again.Files) != 1 {
		t.Fatalf("refetch: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  im.Config
		want string
	}{
		{"ok", im.Config{APIKey: "k", APISecret: "s", Username: "u", Password: "p"}, ""},
		{"missing secrets", im.Config{}, "api_key is empty"},
		{"long password", im.Config{APIKey: "k", APISecret: "s", Username: "u", Password: strings.Repeat("x", 23)}, "longer than 22"},
		{"bad dpi", im.Config{APIKey: "k", APISecret: "s", Username: "u", Password: "p", DPI: "DPI600"}, "DPI203 or DPI300"},
		{"pdf without format", im.Config{APIKey: "k", APISecret: "s", Username: "u", Password: "p", Format: "pdf"}, "page_format"},
		{"duplicate product", im.Config{APIKey: "k", APISecret: "s", Username: "u", Password: "p", Products: []im.Product{{Code: 1}, {Code: 1}}}, "listed twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	var c im.Config
	c.ApplyEnv(func(k string) string {
		if k == im.EnvPassword {
			return "from-env"
		}
		return ""
	})
	if c.Password != "from-env" {
		t.Fatal("env not applied")
	}
}

func TestSimulatorConfigSnippetWorks(t *testing.T) {
	sim, err := imsim.NewDemo()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(sim.ConfigYAML(srv.URL)), &doc); err != nil {
		t.Fatal(err)
	}
	cfg, err := im.DecodeConfig(doc.Content[0].Content[1], func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cl, err := im.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := cl.CheckoutPNG(ctx(t), im.Order{Positions: []im.Position{{ProductCode: cfg.DefaultProduct}}, DPI: im.DPI203})
	if err != nil || len(r.Files) != 1 {
		t.Fatalf("%v", err)
	}
}
