package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
	"github.com/labelagent/labelagent/agent/purchase"
	im "github.com/labelagent/labelagent/dhl/internetmarke"
	imsim "github.com/labelagent/labelagent/dhl/sim/internetmarke"
	"github.com/labelagent/labelagent/zpl"
)

type stampWorld struct {
	sim    *imsim.Server
	cl     *client.Client
	mu     sync.Mutex
	jobs   map[string][]byte
	server *httptest.Server
}

func newStampWorld(t *testing.T, mount bool) *stampWorld {
	t.Helper()
	quiet := slog.New(slog.DiscardHandler)
	sim, err := imsim.New(imsim.Config{Approved: true, Balance: 1000})
	if err != nil {
		t.Fatal(err)
	}
	simSrv := httptest.NewServer(sim.Handler())
	t.Cleanup(simSrv.Close)
	k, sec, u, p := sim.Credentials()
	imc, err := im.New(im.Config{BaseURL: simSrv.URL + imsim.BasePath, APIKey: k, APISecret: sec, Username: u, Password: p,
		DefaultProduct: 1, Products: []im.Product{{Code: 1, Price: 95}, {Code: 21, Price: 180}}}, im.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(filepath.Join(t.TempDir(), "a.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w := &stampWorld{sim: sim, jobs: map[string][]byte{}}
	size, _ := zpl.LookupSize("62x100mm")
	prof, _ := zpl.NewProfile(size, 300)
	profile := func(string) (zpl.Profile, error) { return prof, nil }
	j, err := purchase.Open(db, imc, purchase.Options{Log: quiet, IdempotentPrinter: true,
		Printer: purchase.JobPrinter(nil, profile, func(_ context.Context, _, key, _ string, z []byte) error {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.jobs[key] = z
			return nil
		}, quiet)})
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{key: "secret", log: quiet, mux: http.NewServeMux()}
	if mount {
		s.MountStamps(&StampService{IM: imc, Journal: j, Profile: profile, LowBalanceCents: 2000})
	} else {
		s.MountStamps(nil)
	}
	w.server = httptest.NewServer(s.Handler())
	t.Cleanup(w.server.Close)
	w.cl = &client.Client{Addr: strings.TrimPrefix(w.server.URL, "http://"), Key: "secret"}
	return w
}

func TestStampEndpoints(t *testing.T) {
	w := newStampWorld(t, true)
	ctx := t.Context()
	b, err := w.cl.StampBalance(ctx, true)
	if err != nil || b.Cents != 1000 || b.Text != "10,00 €" {
		t.Fatalf("balance %+v %v", b, err)
	}
	// tray.low_balance (20 €) comes with the balance, for the tray.
	if b.LowBelowCents != 2000 || !b.Low {
		t.Fatalf("balance %+v: want low below 2000 cents", b)
	}
	ps, err := w.cl.StampProducts(ctx)
	if err != nil || len(ps) != 2 || ps[0].Name != "Standardbrief" || ps[0].Price != "0,95 €" || !ps[0].Default {
		t.Fatalf("products %+v %v", ps, err)
	}
	fs, err := w.cl.StampFormats(ctx)
	if err != nil || len(fs) == 0 {
		t.Fatalf("formats %v", err)
	}
	pv, err := w.cl.StampPreview(ctx, apitype.StampPreviewRequest{})
	if err != nil || pv.Kind != "png" || len(pv.Data) == 0 {
		t.Fatalf("preview %v", err)
	}
	req := apitype.StampBuyRequest{IdempotencyKey: "order-42", Reference: "order 42",
		Receiver: &apitype.StampAddress{Name: "Erika Mustermann", AddressLine1: "Heidestr. 17", PostalCode: "51147", City: "Köln"},
		Sender:   &apitype.StampAddress{Name: "Shop GmbH", AddressLine1: "Hauptstr. 1", PostalCode: "53113", City: "Bonn"}}
	p, err := w.cl.BuyStamps(ctx, req)
	if err != nil || p.State != "printed" || len(p.Vouchers) != 1 || p.Total != "0,95 €" {
		t.Fatalf("buy %+v %v", p, err)
	}
	again, err := w.cl.BuyStamps(ctx, req)
	if err != nil || again.ID != p.ID || w.sim.Charges(p.ShopOrderID) != 1 || len(w.sim.Ledger()) != 1 {
		t.Fatalf("double submit: %+v %v", again, err)
	}
	// Bought at the printer's 300 dpi (the profile), printed as one job.
	if st, _ := w.sim.Voucher(p.Vouchers[0].VoucherID); st.Layout != "ADDRESS_ZONE" {
		t.Fatalf("layout %q", st.Layout)
	}
	if len(w.jobs) != 1 {
		t.Fatalf("%d jobs", len(w.jobs))
	}
	f, err := w.cl.StampFile(ctx, p.ID, 0)
	if err != nil || !strings.HasPrefix(string(f), "\x89PNG") {
		t.Fatalf("file %v", err)
	}
	list, err := w.cl.StampPurchases(ctx, false, 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("list %v %v", list, err)
	}
	rp, err := w.cl.ReprintStamps(ctx, p.ID)
	if err != nil || rp.Prints != 2 || len(w.jobs) != 2 {
		t.Fatalf("reprint %+v %v", rp, err)
	}
	rf, err := w.cl.RefundStamps(ctx, p.ID)
	if err != nil || rf.State != "refunded" || w.sim.Balance() != 1000 {
		t.Fatalf("refund %+v %v", rf, err)
	}
	_, err = w.cl.RefundStamps(ctx, p.ID)
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusConflict {
		t.Fatalf("second refund %v", err)
	}
	tu, err := w.cl.TopUpPortokasse(ctx, 500)
	if err != nil || tu.Balance != "15,00 €" {
		t.Fatalf("topup %+v %v", tu, err)
	}
}

func TestStampErrors(t *testing.T) {
	w := newStampWorld(t, true)
	ctx := t.Context()
	w.sim.SetBalance(42)
	_, err := w.cl.BuyStamps(ctx, apitype.StampBuyRequest{IdempotencyKey: "a"})
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusUnprocessableEntity || ae.Code != apitype.CodeStampRefused ||
		!strings.Contains(ae.Message, "Portokasse balance too low: 0,42 € left, 0,95 € needed") || !strings.Contains(ae.Message, "purchase ") {
		t.Fatalf("low balance: %v", err)
	}
	_, err = w.cl.BuyStamps(ctx, apitype.StampBuyRequest{Product: 31})
	if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || !strings.Contains(ae.Message, "Maxibrief") {
		t.Fatalf("no price: %v", err)
	}
	w.sim.SetBalance(500)
	list, _ := w.cl.StampPurchases(ctx, false, 0)
	if len(list) != 1 || !list[0].Retryable {
		t.Fatalf("list %+v", list)
	}
	p, err := w.cl.RetryStamps(ctx, list[0].ID)
	if err != nil || p.State != "printed" {
		t.Fatalf("retry %+v %v", p, err)
	}
	// A top-up needs confirm: true.
	resp, err := http.Post(w.server.URL+"/api/v1/stamps/topup", "application/json", strings.NewReader(`{"amount_cents":100}`))
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("no key: %d", resp.StatusCode)
		}
	}
	if err := w.cl.Do(ctx, "POST", "/stamps/topup", nil, strings.NewReader(`{"amount_cents":100}`), "application/json", nil); err == nil || !strings.Contains(err.Error(), "confirm") {
		t.Fatalf("unconfirmed top-up: %v", err)
	}
	w.sim.Inject(imsim.Fault{Op: "checkout", Kind: imsim.RateLimit})
	_, err = w.cl.BuyStamps(ctx, apitype.StampBuyRequest{IdempotencyKey: "b"})
	if !errors.As(err, &ae) || ae.Status != http.StatusTooManyRequests {
		t.Fatalf("429: %v", err)
	}
}

func TestStampsNotConfigured(t *testing.T) {
	w := newStampWorld(t, false)
	_, err := w.cl.StampBalance(t.Context(), false)
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Code != apitype.CodeStampNotConfigured {
		t.Fatalf("%v", err)
	}
}
