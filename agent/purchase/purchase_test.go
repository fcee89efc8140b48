package purchase

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	im "github.com/labelagent/labelagent/dhl/internetmarke"
	imsim "github.com/labelagent/labelagent/dhl/sim/internetmarke"
	"github.com/labelagent/labelagent/zpl"
)

var errCrash = errors.New("simulated crash")

var quiet = slog.New(slog.DiscardHandler)

// world is a simulator, a database file and the prints that came out; an
// agent (client + journal) can be started on it, crashed and restarted.
type world struct {
	t      *testing.T
	sim    *imsim.Server
	srv    *httptest.Server
	dbPath string

	mu        sync.Mutex
	prints    map[string]int // purchase id → times printed
	files     map[string][][]byte
	failPrint error

	db *bolt.DB
	j  *Journal
}

func newWorld(t *testing.T, mod func(*imsim.Config)) *world {
	t.Helper()
	cfg := imsim.Config{Approved: true, Balance: 1000}
	if mod != nil {
		mod(&cfg)
	}
	sim, err := imsim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	w := &world{t: t, sim: sim, srv: srv, dbPath: filepath.Join(t.TempDir(), "agent.db"),
		prints: map[string]int{}, files: map[string][][]byte{}}
	t.Cleanup(func() {
		if w.db != nil {
			w.db.Close()
		}
	})
	return w
}

// start opens the database and a fresh client and journal, like an agent
// starting up. crashAt, when set, stops the flow at that step once.
func (w *world) start(crashAt string) {
	w.t.Helper()
	db, err := bolt.Open(w.dbPath, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		w.t.Fatal(err)
	}
	w.db = db
	k, s, u, p := w.sim.Credentials()
	cl, err := im.New(im.Config{BaseURL: w.srv.URL + imsim.BasePath, APIKey: k, APISecret: s, Username: u, Password: p,
		Products: []im.Product{{Code: 1, Price: 95}, {Code: 21, Price: 180}, {Code: 4711, Price: 100}}},
		im.WithHTTPClient(&http.Client{Timeout: 5 * time.Second}), im.WithLogger(quiet))
	if err != nil {
		w.t.Fatal(err)
	}
	opts := Options{Printer: w.print, DefaultDPI: im.DPI203, Log: quiet}
	if crashAt != "" {
		crashed := false
		opts.crash = func(step string) error {
			if step == crashAt && !crashed {
				crashed = true
				return errCrash
			}
			return nil
		}
	}
	j, err := Open(db, cl, opts)
	if err != nil {
		w.t.Fatal(err)
	}
	w.j = j
}

// restart simulates a crash: the database is closed with whatever was
// written, and a new agent starts and reconciles.
func (w *world) restart() {
	w.t.Helper()
	if err := w.db.Close(); err != nil {
		w.t.Fatal(err)
	}
	w.start("")
	if err := w.j.Reconcile(w.t.Context()); err != nil {
		w.t.Fatalf("reconcile: %v", err)
	}
}

func (w *world) print(ctx context.Context, p *Purchase) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failPrint != nil {
		return w.failPrint
	}
	if len(p.Files) != len(p.Vouchers) || p.Kind != im.KindPNG {
		w.t.Errorf("printer got %d files of kind %s for %d vouchers", len(p.Files), p.Kind, len(p.Vouchers))
	}
	w.prints[p.ID]++
	w.files[p.ID] = p.Files
	return nil
}

func (w *world) printed(id string) int { w.mu.Lock(); defer w.mu.Unlock(); return w.prints[id] }

// printedAny counts every print of every purchase.
func (w *world) printedAny() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, c := range w.prints {
		n += c
	}
	return n
}

// checkOnce asserts the money rule for a purchase: one charge, printed
// exactly once, and the printed stamp's DataMatrix names its voucher.
func (w *world) checkOnce(id string) *Purchase {
	w.t.Helper()
	p, err := w.j.Get(id)
	if err != nil {
		w.t.Fatal(err)
	}
	if p.State != StatePrinted {
		w.t.Fatalf("state = %s (%s), want printed", p.State, p.Error)
	}
	if n := w.sim.Charges(p.ShopOrderID); n != 1 {
		w.t.Fatalf("shop order %s charged %d times; ledger %+v", p.ShopOrderID, n, w.sim.Ledger())
	}
	charges := 0
	for _, e := range w.sim.Ledger() {
		if e.Kind == "charge" {
			charges++
		}
	}
	if charges != 1 {
		w.t.Fatalf("%d charges in the ledger, want 1: %+v", charges, w.sim.Ledger())
	}
	if n := w.printed(id); n != 1 {
		w.t.Fatalf("printed %d times, want 1", n)
	}
	w.mu.Lock()
	files := w.files[id]
	w.mu.Unlock()
	img, err := png.Decode(bytes.NewReader(files[0]))
	if err != nil {
		w.t.Fatal(err)
	}
	got, err := imsim.FindDataMatrix(img)
	if err != nil {
		w.t.Fatal(err)
	}
	st, _ := w.sim.Voucher(p.Vouchers[0].VoucherID)
	if got != imsim.DataMatrixContent(st) || !strings.Contains(got, p.Vouchers[0].VoucherID) {
		w.t.Fatalf("printed DataMatrix %q is not voucher %s", got, p.Vouchers[0].VoucherID)
	}
	return p
}

func req(key string) Request { return Request{IdempotencyKey: key, ProductCode: 1} }

func TestBuyPrintsOnce(t *testing.T) {
	w := newWorld(t, nil)
	w.start("")
	p, err := w.j.Buy(t.Context(), req("order-1"))
	if err != nil {
		t.Fatal(err)
	}
	w.checkOnce(p.ID)
	if w.sim.Balance() != 905 {
		t.Fatalf("balance %d", w.sim.Balance())
	}
	// The same key again (double click, retried HTTP request): the first purchase.
	again, err := w.j.Buy(t.Context(), req("order-1"))
	if err != nil || again.ID != p.ID {
		t.Fatalf("second submission: %v, %v", again, err)
	}
	w.checkOnce(p.ID)
}

func TestConcurrentDoubleClick(t *testing.T) {
	w := newWorld(t, nil)
	w.start("")
	var wg sync.WaitGroup
	ids := make([]string, 4)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := w.j.Buy(t.Context(), req("click"))
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = p.ID
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("different purchases for one key: %v", ids)
		}
	}
	w.checkOnce(ids[0])
}

// TestCrashAtEveryStep: the agent dies at each step; after a restart the
// purchase is finished with one charge and one print.
func TestCrashAtEveryStep(t *testing.T) {
	for _, tc := range []struct {
		name  string
		crash string
		fault *imsim.Fault
	}{
		{"after intent, before shop order", "intent", nil},
		{"after shop order, before checkout", "ordered", nil},
		{"checkout answer lost after charging", "checkout-answered", &imsim.Fault{Op: "checkout", Kind: imsim.LoseAfterCharge}},
		{"checkout answer lost before charging", "checkout-answered", &imsim.Fault{Op: "checkout", Kind: imsim.LoseBeforeCharge}},
		{"checkout answered, crash before recording", "checkout-answered", nil},
		{"after checkout, before download", "paid-recorded", &imsim.Fault{Op: "download", Kind: imsim.ServerError}},
		{"after download, before print", "stored", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, nil)
			w.start(tc.crash)
			if tc.fault != nil {
				w.sim.Inject(*tc.fault)
			}
			_, err := w.j.Buy(t.Context(), req("k"))
			if !errors.Is(err, errCrash) {
				t.Fatalf("Buy = %v, want the simulated crash", err)
			}
			if n := w.printedAny(); n != 0 {
				t.Fatalf("printed %d times before the crash", n)
			}
			w.restart()
			p, err := w.j.ByKey("k")
			if err != nil {
				t.Fatal(err)
			}
			w.checkOnce(p.ID)
			// A second restart changes nothing.
			w.restart()
			w.checkOnce(p.ID)
			// And the operator's retry of the same key does not buy again.
			again, err := w.j.Buy(t.Context(), req("k"))
			if err != nil || again.ID != p.ID {
				t.Fatalf("retry: %v %v", again, err)
			}
			w.checkOnce(p.ID)
		})
	}
}

func TestCrashWhilePrintingIsNotReprintedButRefundable(t *testing.T) {
	w := newWorld(t, nil)
	w.start("printing")
	if _, err := w.j.Buy(t.Context(), req("k")); err != nil {
		// print's crash is swallowed: the purchase itself succeeded
		t.Fatal(err)
	}
	w.restart()
	p, _ := w.j.ByKey("k")
	if p.State != StatePrinting || !p.PrintUnknown || w.printed(p.ID) != 0 {
		t.Fatalf("after restart: %+v printed %d", p, w.printed(p.ID))
	}
	w.restart()
	if w.printed(p.ID) != 0 {
		t.Fatal("printed again on its own")
	}
	p, err := w.j.Refund(t.Context(), p.ID)
	if err != nil || p.State != StateRefunded {
		t.Fatalf("refund: %+v %v", p, err)
	}
	if !w.sim.Refunded(p.Vouchers[0].VoucherID) || w.sim.Balance() != 1000 {
		t.Fatal("not refunded at the service")
	}
}

func TestLostAnswersWithoutCrash(t *testing.T) {
	for _, k := range []imsim.FaultKind{imsim.LoseAfterCharge, imsim.LoseBeforeCharge, imsim.ServerError} {
		w := newWorld(t, nil)
		w.start("")
		w.sim.Inject(imsim.Fault{Op: "checkout", Kind: k})
		p, err := w.j.Buy(t.Context(), req("k"))
		if err != nil {
			t.Fatalf("fault %d: %v", k, err)
		}
		w.checkOnce(p.ID)
	}
}

func TestServiceUnreachableStaysPendingThenReconciles(t *testing.T) {
	w := newWorld(t, nil)
	w.start("")
	w.sim.Inject(imsim.Fault{Op: "checkout", Kind: imsim.LoseAfterCharge})
	w.sim.Inject(imsim.Fault{Op: "order", Kind: imsim.LoseBeforeCharge, Times: 100})
	p, err := w.j.Buy(t.Context(), req("k"))
	if !errors.Is(err, ErrPending) {
		t.Fatalf("err = %v, want pending", err)
	}
	if p.State != StateOrdered || HTTPStatus(err) != http.StatusAccepted {
		t.Fatalf("state %s", p.State)
	}
	if err := w.j.Reconcile(t.Context()); !errors.Is(err, ErrPending) {
		t.Fatalf("reconcile while unreachable: %v", err)
	}
	w.sim.ClearFaults() // the service is back
	if err := w.j.Reconcile(t.Context()); err != nil {
		t.Fatal(err)
	}
	w.checkOnce(p.ID)
}

func TestRefusedPurchasesChargeNothing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mod   func(*imsim.Config)
		setup func(w *world)
		r     Request
		want  string
	}{
		{"balance too low", nil, func(w *world) { w.sim.SetBalance(42) }, req("k"), "Portokasse balance too low: 0,42 € left, 0,95 € needed"},
		{"wrong total", nil, func(w *world) { w.sim.SetPrice(1, 100) }, req("k"), "price mismatch"},
		{"unknown product", nil, nil, Request{IdempotencyKey: "k", ProductCode: 4711}, "unknown or unavailable product code"},
		{"not in price list", nil, nil, Request{IdempotencyKey: "k", ProductCode: 31}, "Maxibrief"},
		{"app not approved", func(c *imsim.Config) { c.Approved = false }, nil, req("k"), "Geschäftsanwendungen"},
		{"rate limited", nil, func(w *world) { w.sim.Inject(imsim.Fault{Op: "checkout", Kind: imsim.RateLimit}) }, req("k"), "too many requests"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, tc.mod)
			w.start("")
			if tc.setup != nil {
				tc.setup(w)
			}
			before := w.sim.Balance()
			p, err := w.j.Buy(t.Context(), tc.r)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "nothing") && p != nil {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if len(w.sim.Ledger()) != 0 || w.sim.Balance() != before {
				t.Fatalf("charged: %+v", w.sim.Ledger())
			}
			if p != nil && p.State != StateFailed {
				t.Fatalf("state %s", p.State)
			}
		})
	}
}

func TestRetryAfterTopUpUsesSameShopOrder(t *testing.T) {
	w := newWorld(t, nil)
	w.start("")
	w.sim.SetBalance(42)
	p, err := w.j.Buy(t.Context(), req("k"))
	if err == nil || !p.Retryable {
		t.Fatalf("%v %+v", err, p)
	}
	w.sim.SetBalance(500)
	p2, err := w.j.Retry(t.Context(), p.ID)
	if err != nil || p2.ShopOrderID != p.ShopOrderID {
		t.Fatalf("retry %+v %v", p2, err)
	}
	w.checkOnce(p.ID)
}

func TestExpiredTokenIsRenewed(t *testing.T) {
	w := newWorld(t, nil)
	w.start("")
	if _, err := w.j.Buy(t.Context(), req("a")); err != nil {
		t.Fatal(err)
	}
	w.sim.ExpireTokens()
	p, err := w.j.Buy(t.Context(), req("b"))
	if err != nil || p.State != StatePrinted {
		t.Fatalf("%v %v", p, err)
	}
}

func TestPrinterFailureKeepsStampsAndRetries(t *testing.T) {
	w := newWorld(t, nil)
	w.start("")
	w.failPrint = errors.New("printer out of paper")
	p, err := w.j.Buy(t.Context(), req("k"))
	if err != nil || p.State != StateStored || !strings.Contains(p.PrintError, "paper") {
		t.Fatalf("%+v %v", p, err)
	}
	w.mu.Lock()
	w.failPrint = nil
	w.mu.Unlock()
	w.restart()
	w.checkOnce(p.ID)
}

func TestRefundUnprintedStampNeverPrints(t *testing.T) {
	w := newWorld(t, nil)
	w.start("")
	w.failPrint = errors.New("printer offline")
	p, _ := w.j.Buy(t.Context(), req("k"))
	w.sim.Inject(imsim.Fault{Op: "retoure", Kind: imsim.LoseBeforeCharge})
	if _, err := w.j.Refund(t.Context(), p.ID); err == nil {
		t.Fatal("lost refund answer not reported")
	}
	w.mu.Lock()
	w.failPrint = nil
	w.mu.Unlock()
	w.restart() // retries the refund, does not print
	p, _ = w.j.Get(p.ID)
	if p.State != StateRefunded || w.printed(p.ID) != 0 || w.sim.Balance() != 1000 {
		t.Fatalf("%+v printed %d balance %d", p, w.printed(p.ID), w.sim.Balance())
	}
	if _, err := w.j.Refund(t.Context(), p.ID); !errors.Is(err, ErrNotRefundable) {
		t.Fatalf("second refund: %v", err)
	}
}

func TestValidation(t *testing.T) {
	w := newWorld(t, nil)
	w.start("")
	for _, r := range []Request{
		{ProductCode: 0},
		{ProductCode: 1, Quantity: -1},
		{ProductCode: 1, Format: "tiff"},
		{ProductCode: 1, DPI: "DPI600"},
		{ProductCode: 1, Format: "pdf"},
		{ProductCode: 1, Sender: &im.Address{Name: "x"}},
	} {
		if _, err := w.j.Buy(t.Context(), r); err == nil {
			t.Errorf("%+v accepted", r)
		}
	}
	if l, _ := w.j.List(false, 0); len(l) != 0 {
		t.Fatalf("invalid requests were recorded: %v", l)
	}
}

func TestCrashWhilePrintingWithIdempotentPrinter(t *testing.T) {
	w := newWorld(t, nil)
	w.start("printing")
	w.j.opts.IdempotentPrinter = true
	if _, err := w.j.Buy(t.Context(), req("k")); err != nil {
		t.Fatal(err)
	}
	w.db.Close()
	w.start("")
	w.j.opts.IdempotentPrinter = true
	if err := w.j.Reconcile(t.Context()); err != nil {
		t.Fatal(err)
	}
	p, _ := w.j.ByKey("k")
	w.checkOnce(p.ID)
}

func TestJobPrinter(t *testing.T) {
	w := newWorld(t, nil)
	w.start("")
	var mu sync.Mutex
	jobs := map[string][]byte{}
	submits := 0
	size, _ := zpl.LookupSize("62x100mm")
	prof, _ := zpl.NewProfile(size, 203)
	w.j.SetPrinter(JobPrinter(nil, func(string) (zpl.Profile, error) { return prof, nil },
		func(ctx context.Context, printer, key, name string, z []byte) error {
			mu.Lock()
			defer mu.Unlock()
			submits++
			if _, ok := jobs[key]; !ok {
				jobs[key] = z
			}
			return nil
		}, quiet))
	p, err := w.j.Buy(t.Context(), Request{IdempotencyKey: "k", ProductCode: 1, Reference: "order 42"})
	if err != nil || p.State != StatePrinted {
		t.Fatalf("%+v %v", p, err)
	}
	if _, err := w.j.Reprint(t.Context(), p.ID); err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 2 || submits != 2 || jobs["stamp-"+p.ID+"-2"] == nil {
		t.Fatalf("jobs %d submits %d: a reprint is a new job", len(jobs), submits)
	}
	gs := graphics(t, jobs["stamp-"+p.ID+"-1"])
	got, err := imsim.FindDataMatrix(padded(gs[0]))
	if err != nil || !strings.Contains(got, p.Vouchers[0].VoucherID) {
		t.Fatalf("%q %v", got, err)
	}
}

func TestResubmitAfterCrashAsksBeforeCheckingOut(t *testing.T) {
	w := newWorld(t, nil)
	w.start("checkout-answered")
	w.sim.Inject(imsim.Fault{Op: "checkout", Kind: imsim.LoseAfterCharge})
	if _, err := w.j.Buy(t.Context(), req("k")); !errors.Is(err, errCrash) {
		t.Fatal(err)
	}
	w.db.Close()
	w.start("")
	before := w.sim.Requests("checkout")
	// The operator clicks again before any reconcile ran.
	p, err := w.j.Buy(t.Context(), req("k"))
	if err != nil {
		t.Fatal(err)
	}
	if w.sim.Requests("checkout") != before {
		t.Fatal("checked out again instead of asking for the paid order")
	}
	w.checkOnce(p.ID)
}

func TestFailedKeyReportsFailure(t *testing.T) {
	w := newWorld(t, nil)
	w.start("")
	w.sim.SetBalance(0)
	if _, err := w.j.Buy(t.Context(), req("k")); !errors.Is(err, ErrFailed) {
		t.Fatal(err)
	}
	p, err := w.j.Buy(t.Context(), req("k"))
	if !errors.Is(err, ErrFailed) || p == nil || !strings.Contains(err.Error(), "balance too low") {
		t.Fatalf("%v %v", p, err)
	}
}
