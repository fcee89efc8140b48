package franking

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	ps "github.com/labelagent/labelagent/dhl/privateshipping"
	"github.com/labelagent/labelagent/dhl/sim/franking"
)

// queue stands in for the agent's idempotent print queue: one job per key.
type queue struct {
	mu     sync.Mutex
	jobs   map[string]string
	prints map[string]int // PDFs handed over per key
}

func (q *queue) submit(_ context.Context, printer, key, name string, pdf []byte) (string, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !strings.HasPrefix(string(pdf), "%PDF-") {
		return "", errors.New("not a PDF")
	}
	if id, ok := q.jobs[key]; ok {
		return id, nil
	}
	id := fmt.Sprint(len(q.jobs) + 1)
	q.jobs[key] = id
	q.prints[key]++
	return id, nil
}

// labels counts the labels that came out for a cart (reprints excluded).
func (q *queue) labels(cartID string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for k, c := range q.prints {
		if strings.HasPrefix(k, "franking:"+cartID+":") && !strings.Contains(k, "reprint") {
			n += c
		}
	}
	return n
}

type world struct {
	t       *testing.T
	sim     *franking.Server
	simURL  string
	db      *bolt.DB
	dbPath  string
	q       *queue
	j       *Journal
	front   *httptest.Server // the notify listener DHL calls
	now     time.Time
	crashAt string

	mu      sync.Mutex
	notifys []string // notify URLs DHL called, as it called them
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, q: &queue{jobs: map[string]string{}, prints: map[string]int{}}, now: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	w.sim = franking.New(franking.Options{Now: w.clock})
	hs := httptest.NewServer(w.sim)
	t.Cleanup(hs.Close)
	w.simURL = hs.URL
	w.front = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		w.notifys = append(w.notifys, r.URL.String())
		j := w.j
		w.mu.Unlock()
		j.NotifyHandler().ServeHTTP(rw, r)
	}))
	t.Cleanup(w.front.Close)
	w.dbPath = filepath.Join(t.TempDir(), "store.db")
	w.open()
	t.Cleanup(func() { w.db.Close() })
	return w
}

func (w *world) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

func (w *world) advance(d time.Duration) {
	w.mu.Lock()
	w.now = w.now.Add(d)
	w.mu.Unlock()
}

func (w *world) config() ps.Config {
	return ps.Config{Enabled: true, BaseURL: w.simURL, APIKey: franking.DefaultAPIKey, DefaultProduct: "PAKET_5KG_DE",
		Sender: ps.Address{Name2: "Versand GmbH", Street: "Hauptstraße", StreetNumber: "1", PLZ: "53113", City: "Bonn", Country: "DEU", Email: "versand@example.com"},
		Notify: ps.NotifyConfig{Listen: "127.0.0.1:0", PublicURL: w.front.URL + "/notify"}}
}

// open (re)opens the journal on the store, as a restart does.
func (w *world) open() {
	w.t.Helper()
	if w.db != nil {
		w.db.Close()
	}
	db, err := bolt.Open(w.dbPath, 0o600, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	cl, err := ps.New(w.simURL, franking.DefaultAPIKey, ps.WithSleep(func(context.Context, time.Duration) error { return nil }))
	if err != nil {
		w.t.Fatal(err)
	}
	j, err := Open(db, cl, Options{Config: w.config(), Submit: w.q.submit, Now: w.clock,
		Step: func(name string) error {
			w.mu.Lock()
			defer w.mu.Unlock()
			if name == w.crashAt {
				return errors.New("crash at " + name)
			}
			return nil
		}})
	if err != nil {
		w.t.Fatal(err)
	}
	w.mu.Lock()
	w.db, w.j = db, j
	w.mu.Unlock()
}

func (w *world) crash(at string) { w.mu.Lock(); w.crashAt = at; w.mu.Unlock() }

func order(ref string) Request {
	return Request{OrderRef: ref, Receiver: ps.Address{Name2: "Max Mustermann", Street: "Musterweg", StreetNumber: "5", PLZ: "10115", City: "Berlin"}}
}

// lastNotify is the last notify URL DHL called: its token and cart.
func (w *world) lastNotify() (token, cart string) {
	w.t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.notifys) == 0 {
		w.t.Fatal("DHL called no notify URL")
	}
	u, err := url.Parse(w.notifys[len(w.notifys)-1])
	if err != nil {
		w.t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/notify/"), u.Query().Get("shoppingCartId")
}

// callNotify sends DHL's callback to the journal's listener.
func (w *world) callNotify(token, cartID, partner string) int {
	w.t.Helper()
	u := w.front.URL + "/notify/" + token + "?dhlPartner=" + url.QueryEscape(partner) + "&shoppingCartId=" + url.QueryEscape(cartID)
	resp, err := http.Get(u)
	if err != nil {
		w.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (w *world) create(ref string) *Cart {
	w.t.Helper()
	c, existing, err := w.j.Create(context.Background(), order(ref))
	if err != nil {
		w.t.Fatal(err)
	}
	if existing {
		w.t.Fatal("new order answered as existing")
	}
	if c.State != StateCreated || c.EntryURL == "" || c.ShoppingCartID == "" {
		w.t.Fatalf("cart %+v", c)
	}
	return c
}

func (w *world) get(id string) *Cart {
	w.t.Helper()
	c, err := w.j.Get(id)
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

func TestPaidByNotifyPrintsOnce(t *testing.T) {
	w := newWorld(t)
	c := w.create("A-1")
	statuses, err := w.sim.Pay(c.ShoppingCartID, 1)
	if err != nil || len(statuses) != 1 || statuses[0] != 200 {
		t.Fatalf("notify answered %v %v", statuses, err)
	}
	got := w.get(c.ID)
	if got.State != StateDone || got.PaidVia != "notify" || got.Items[0].JobID == "" || got.Items[0].PAKID == "" {
		t.Fatalf("after notify: %+v", got)
	}
	if n := w.q.labels(c.ID); n != 1 {
		t.Fatalf("%d labels", n)
	}
	if err := w.j.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := w.q.labels(c.ID); n != 1 {
		t.Fatalf("%d labels after poll", n)
	}
	pdf, err := w.j.Document(c.ID, got.Items[0].PAKID, "label")
	if err != nil || !strings.HasPrefix(string(pdf), "%PDF-") {
		t.Fatalf("stored label: %v", err)
	}
}

func TestPaidByPollingPrintsOnce(t *testing.T) {
	w := newWorld(t)
	c := w.create("A-2")
	if _, err := w.j.MarkOpened(c.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.j.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := w.get(c.ID); got.State != StateCreated || got.PaymentOpened.IsZero() {
		t.Fatalf("unpaid cart moved: %+v", got)
	}
	if _, err := w.sim.Pay(c.ShoppingCartID, 0); err != nil { // paid; no notify reaches a PC behind NAT
		t.Fatal(err)
	}
	if err := w.j.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := w.get(c.ID)
	if got.State != StateDone || got.PaidVia != "poll" {
		t.Fatalf("%+v", got)
	}
	if n := w.q.labels(c.ID); n != 1 {
		t.Fatalf("%d labels", n)
	}
}

func TestNotifyRefusals(t *testing.T) {
	w := newWorld(t)
	c := w.create("A-3")
	if _, err := w.sim.Pay(c.ShoppingCartID, 1); err != nil {
		t.Fatal(err)
	}
	token, cart := w.lastNotify()
	if cart != c.ShoppingCartID || len(token) < 32 {
		t.Fatalf("notify token %q cart %q", token, cart)
	}
	for _, tc := range []struct {
		name                 string
		token, cart, partner string
		want                 int
	}{
		{"reused token", token, c.ShoppingCartID, "DEUANON", http.StatusGone},
		{"wrong token", strings.Repeat("ab", 32), c.ShoppingCartID, "DEUANON", http.StatusNotFound},
		{"short token", "abc", c.ShoppingCartID, "DEUANON", http.StatusNotFound},
		{"wrong partner", token, c.ShoppingCartID, "SOMEONE", http.StatusBadRequest},
	} {
		if got := w.callNotify(tc.token, tc.cart, tc.partner); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	resp, err := http.Post(w.front.URL+"/notify/"+token, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", resp.StatusCode)
	}
	if n := w.q.labels(c.ID); n != 1 {
		t.Fatalf("%d labels", n)
	}

}

func TestNotifyExpiredAndForeignCart(t *testing.T) {
	w := newWorld(t)
	// The simulator calls the notify URL on payment; to hold a token back,
	// pay with zero notifies and read the token from a cart whose notify
	// we let through first.
	first := w.create("E-1")
	second := w.create("E-2")
	if _, err := w.sim.Pay(first.ShoppingCartID, 1); err != nil {
		t.Fatal(err)
	}
	// Second: paid, notify withheld. Its token is unknown to the test, but
	// the first cart's used token with the second's id must not print it.
	if _, err := w.sim.Pay(second.ShoppingCartID, 0); err != nil {
		t.Fatal(err)
	}
	tok1, _ := w.lastNotify()
	if got := w.callNotify(tok1, second.ShoppingCartID, "DEUANON"); got != http.StatusGone {
		t.Errorf("used token, other cart: %d", got)
	}
	if w.q.labels(second.ID) != 0 {
		t.Fatal("a foreign notify printed")
	}
	// Expired: DHL calls after the token's lifetime.
	third := w.create("E-3")
	w.advance(8 * 24 * time.Hour)
	if st, err := w.sim.Pay(third.ShoppingCartID, 1); err != nil || st[0] != http.StatusGone {
		t.Fatalf("expired token answered %v %v", st, err)
	}
	if got := w.get(third.ID); got.State == StateDone {
		t.Error("an expired token's notify printed")
	}
	// The poller still finishes the paid carts: money is never lost.
	if err := w.j.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*Cart{second, third} {
		if n := w.q.labels(c.ID); n != 1 {
			t.Errorf("%s printed %d after polling", c.ID, n)
		}
	}
}

func TestNotifyWithAnotherCartsToken(t *testing.T) {
	w := newWorld(t)
	a := w.create("M-1")
	b := w.create("M-2")
	if _, err := w.sim.Pay(b.ShoppingCartID, 0); err != nil {
		t.Fatal(err)
	}
	// a is unpaid and b's notify was withheld: a forged call is refused.
	if got := w.callNotify(strings.Repeat("0f", 16), a.ShoppingCartID, "DEUANON"); got != http.StatusNotFound {
		t.Errorf("forged token: %d", got)
	}
	if w.q.labels(a.ID)+w.q.labels(b.ID) != 0 {
		t.Fatal("a forged notify printed")
	}
}

func TestDuplicateNotifiesAndPollRace(t *testing.T) {
	w := newWorld(t)
	var carts []*Cart
	for i := 0; i < 5; i++ {
		carts = append(carts, w.create(fmt.Sprint("R-", i)))
	}
	var wg sync.WaitGroup
	for _, c := range carts {
		wg.Add(3)
		go func() { defer wg.Done(); _, _ = w.sim.Pay(c.ShoppingCartID, 3) }() // DHL repeats its notify
		go func() { defer wg.Done(); _ = w.j.Reconcile(context.Background()) }()
		go func() { defer wg.Done(); _, _ = w.j.Refresh(context.Background(), c.ID) }()
	}
	wg.Wait()
	if err := w.j.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, c := range carts {
		got := w.get(c.ID)
		if got.State != StateDone {
			t.Errorf("%s: %s (%s)", c.ID, got.State, got.Error)
		}
		if n := w.q.labels(c.ID); n != 1 {
			t.Errorf("%s: %d labels", c.ID, n)
		}
	}
}

func TestCrashAtEveryStepPrintsOnce(t *testing.T) {
	for _, step := range []string{"intent", "sending", "created-unsaved", "paid", "stored", "printing"} {
		t.Run(step, func(t *testing.T) {
			w := newWorld(t)
			w.crash(step)
			c, _, err := w.j.Create(context.Background(), order("C-"+step))
			if c == nil {
				t.Fatalf("nothing recorded: %v", err)
			}
			if cur := w.get(c.ID); cur.ShoppingCartID != "" {
				if _, err := w.sim.Pay(cur.ShoppingCartID, 1); err != nil {
					t.Fatal(err)
				}
			}
			// Restart.
			w.crash("")
			w.open()
			_ = w.j.Reconcile(context.Background())
			got := w.get(c.ID)
			switch got.State {
			case StateCreated:
				if _, err := w.sim.Pay(got.ShoppingCartID, 0); err != nil {
					t.Fatal(err)
				}
				if err := w.j.Reconcile(context.Background()); err != nil {
					t.Fatal(err)
				}
			case StateSending, StateUnknown:
				// The create may or may not have reached DHL: it is not sent
				// again, and DHL holds at most one cart for it.
				if n := len(w.sim.Snapshot().Carts); n > 1 {
					t.Fatalf("%d carts at DHL", n)
				}
				if w.q.labels(c.ID) != 0 {
					t.Fatal("printed without a known cart")
				}
				return
			}
			got = w.get(c.ID)
			if got.State != StateDone {
				t.Fatalf("after restart: %s (%s)", got.State, got.Error)
			}
			if n := w.q.labels(c.ID); n != 1 {
				t.Fatalf("%d labels", n)
			}
			if n := len(w.sim.Snapshot().Carts); n != 1 {
				t.Fatalf("%d carts at DHL", n)
			}
		})
	}
}

func TestLostCreateAnswerIsUnknownThenAdoptedByNotify(t *testing.T) {
	w := newWorld(t)
	w.sim.AddFault(franking.Fault{Method: "POST", Path: ps.CartsPath, Drop: true})
	c, _, err := w.j.Create(context.Background(), order("L-1"))
	if err == nil || c == nil || c.State != StateUnknown || c.Action == "" {
		t.Fatalf("%+v %v", c, err)
	}
	again, existing, err := w.j.Create(context.Background(), order("L-1"))
	if err != nil || !existing || again.ID != c.ID {
		t.Fatalf("%+v %v %v", again, existing, err)
	}
	if err := w.j.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := w.sim.Requests("POST " + ps.CartsPath); n != 1 {
		t.Fatalf("cart sent %d times", n)
	}
	carts := w.sim.Snapshot().Carts
	if len(carts) != 1 {
		t.Fatalf("%d carts at DHL", len(carts))
	}
	if _, err := w.sim.Pay(carts[0].ShoppingCartID, 1); err != nil {
		t.Fatal(err)
	}
	got := w.get(c.ID)
	if got.State != StateDone || got.ShoppingCartID != carts[0].ShoppingCartID {
		t.Fatalf("%+v", got)
	}
	if n := w.q.labels(c.ID); n != 1 {
		t.Fatalf("%d labels", n)
	}
}

func TestSameOrderSameCartAndValidation(t *testing.T) {
	w := newWorld(t)
	c := w.create("S-1")
	again, existing, err := w.j.Create(context.Background(), order("S-1"))
	if err != nil || !existing || again.ID != c.ID {
		t.Fatalf("%v %v", existing, err)
	}
	bad := order("S-2")
	bad.Receiver.Name2 = "Paweł"
	_, _, err = w.j.Create(context.Background(), bad)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "receiver.name2") {
		t.Fatalf("%v", err)
	}
	if n := w.sim.Requests("POST " + ps.CartsPath); n != 1 {
		t.Fatalf("POSTs %d", n)
	}
}

func TestQROutputAndReprint(t *testing.T) {
	w := newWorld(t)
	r := order("Q-1")
	r.Output = OutputQR
	c, _, err := w.j.Create(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.sim.Pay(c.ShoppingCartID, 1); err != nil {
		t.Fatal(err)
	}
	got := w.get(c.ID)
	if got.State != StateDone || !got.Items[0].HasQR || w.q.labels(c.ID) != 0 {
		t.Fatalf("%+v", got)
	}
	png, err := w.j.Document(c.ID, got.Items[0].PAKID, "qr")
	if err != nil || !strings.HasPrefix(string(png), "\x89PNG") {
		t.Fatalf("qr: %v", err)
	}
	if _, err := w.j.Reprint(context.Background(), c.ID); !errors.Is(err, ErrConflict) {
		t.Fatalf("reprint of a QR cart: %v", err)
	}
	l := w.create("Q-2")
	if _, err := w.sim.Pay(l.ShoppingCartID, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := w.j.Reprint(context.Background(), l.ID); err != nil {
		t.Fatal(err)
	}
	w.q.mu.Lock()
	n := len(w.q.jobs)
	w.q.mu.Unlock()
	if n != 2 {
		t.Fatalf("%d jobs after a reprint", n)
	}
}

func TestCatalogCachedAndRefreshedDaily(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	if _, _, err := w.j.Products(ctx, ps.Filter{}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if _, _, err := w.j.Products(ctx, ps.Filter{Destination: "DEU"}); err != nil {
			t.Fatal(err)
		}
		w.create(fmt.Sprint("K-", i))
	}
	if n := w.sim.CatalogCalls(); n != 1 {
		t.Fatalf("catalog fetched %d times in a day", n)
	}
	w.advance(25 * time.Hour)
	if _, _, err := w.j.Products(ctx, ps.Filter{}); err != nil {
		t.Fatal(err)
	}
	if n := w.sim.CatalogCalls(); n != 2 {
		t.Fatalf("catalog fetched %d times after a day", n)
	}
	w.advance(25 * time.Hour)
	w.sim.AddFault(franking.Fault{Path: ps.ProductsPath, Status: 503, Times: 10})
	st, err := w.j.Catalog(ctx, false)
	if err != nil || len(st.Products) == 0 || st.Error == "" {
		t.Fatalf("a failed refresh lost the catalog: %+v %v", st, err)
	}
}
