package shipment

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/dhl/parcel"
	"github.com/labelagent/labelagent/dhl/returns"
	"github.com/labelagent/labelagent/dhl/sim"
	"github.com/labelagent/labelagent/dhl/tracking"
	"github.com/labelagent/labelagent/dhl/transport"
)

var errCrash = errors.New("simulated crash")

// queue stands in for the agent's job queue with its one property the
// journal relies on: a repeated idempotency key answers the first job.
type queue struct {
	mu     sync.Mutex
	byKey  map[string]string
	jobs   map[string]PrintRequest
	fail   error
	submit int
}

func (q *queue) Submit(_ context.Context, p PrintRequest) (string, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.submit++
	if q.fail != nil {
		return "", q.fail
	}
	if id, ok := q.byKey[p.Key]; ok {
		return id, nil
	}
	id := fmt.Sprint(len(q.jobs) + 1)
	q.byKey[p.Key] = id
	q.jobs[id] = p
	return id, nil
}

// printed counts the distinct jobs whose payload carries text.
func (q *queue) printed(text string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, p := range q.jobs {
		if bytes.Contains(p.Data, []byte(text)) {
			n++
		}
	}
	return n
}

func (q *queue) count() int { q.mu.Lock(); defer q.mu.Unlock(); return len(q.jobs) }

// world is a DHL simulator, a database file and a print queue; a journal
// can be started on it, crashed and started again.
type world struct {
	t       *testing.T
	sim     *sim.Server
	srv     *httptest.Server
	dbPath  string
	q       *queue
	db      *bolt.DB
	j       *Journal
	events  []apitype.Shipment
	now     time.Time
	profile string // the journal's DHL profile; "" for the default
	mu      sync.Mutex
}

func newWorld(t *testing.T) *world {
	t.Helper()
	s := sim.New(sim.Options{Seed: 7, TrackingPerSecond: -1, TrackingDailyQuota: -1})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	w := &world{t: t, sim: s, srv: srv, dbPath: filepath.Join(t.TempDir(), "agent.db"),
		q: &queue{byKey: map[string]string{}, jobs: map[string]PrintRequest{}}}
	t.Cleanup(func() {
		if w.db != nil {
			w.db.Close()
		}
	})
	return w
}

func (w *world) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.now.IsZero() {
		return time.Now()
	}
	return w.now
}

// start opens the store and a journal as an agent does at start; crashAt
// stops the flow once at that step.
func (w *world) start(crashAt string) {
	w.t.Helper()
	if w.db != nil {
		w.db.Close()
	}
	db, err := bolt.Open(w.dbPath, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		w.t.Fatal(err)
	}
	w.db = db
	cfg := w.sim.Config(w.srv.URL)
	cfg.Timeout, cfg.MaxRetryWait = time.Minute, 100*time.Millisecond
	tr, err := transport.New(cfg, transport.WithHTTPClient(&http.Client{}), transport.WithSleep(func(context.Context, time.Duration) error { return nil }))
	if err != nil {
		w.t.Fatal(err)
	}
	opts := Options{
		Parcel: parcel.New(tr), Returns: returns.New(tr), Tracker: tracking.New(tr, tracking.Options{PerSecond: 1000}),
		Submit: w.q.Submit,
		Defaults: func(s *parcel.Shipment) {
			if s.BillingNumber == "" {
				s.BillingNumber = cfg.BillingNumbers[s.Product]
			}
			if s.Shipper == (parcel.Shipper{}) {
				s.Shipper = parcel.Shipper{Name1: "Shop GmbH", AddressStreet: "Sträßchensweg 10", PostalCode: "53113", City: "Bonn", Country: "DEU"}
			}
		},
		Profile:         w.profile,
		Postage:         map[string]int64{"V01PAK": 499},
		DocumentPrinter: "office",
		OnChange: func(s apitype.Shipment) {
			w.mu.Lock()
			w.events = append(w.events, s)
			w.mu.Unlock()
		},
		Log: slog.New(slog.DiscardHandler),
		Now: w.clock,
	}
	if crashAt != "" {
		fired := false
		opts.crash = func(step string) error {
			if step == crashAt && !fired {
				fired = true
				return errCrash
			}
			return nil
		}
	}
	j, err := Open(db, opts)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := j.MarkInterrupted(); err != nil {
		w.t.Fatal(err)
	}
	if err := j.Recover(context.Background()); err != nil {
		w.t.Fatal(err)
	}
	w.j = j
}

func order(name string) parcel.Shipment {
	return parcel.Shipment{Product: "V01PAK",
		Consignee: parcel.Consignee{Contact: &parcel.ContactAddress{Name1: name, AddressStreet: "Kurfürstendamm 1", PostalCode: "10719", City: "Berlin", Country: "DEU"}},
		Details:   parcel.ShipmentDetails{Weight: parcel.Weight{UOM: "kg", Value: 1.2}}}
}

func (w *world) create(ref, key string, o parcel.Shipment) Result {
	w.t.Helper()
	res, err := w.j.Create(context.Background(), []Request{{OrderRef: ref, Key: key, Order: o, Print: true}})
	if err != nil {
		w.t.Fatalf("create %s: %v", ref, err)
	}
	return res[0]
}

func (w *world) dhlShipments() []sim.Shipment { return w.sim.Shipments() }

func TestCreateStoresAndPrintsOnceAndTheSameOrderGetsTheSameShipment(t *testing.T) {
	w := newWorld(t)
	w.start("")
	r := w.create("order-100001", "", order("Maria Musterfrau"))
	if r.Err != nil || r.Existing {
		t.Fatalf("create: %+v", r)
	}
	rec := r.Record
	if rec.State != apitype.ShipmentCreated || rec.ShipmentNo == "" || rec.RoutingCode == "" {
		t.Fatalf("record: %+v", rec)
	}
	label, doc, err := w.j.Document(rec.ID, DocLabel)
	if err != nil || doc.Format != parcel.DocFormatZPL2 || !bytes.Contains(label, []byte("^XA")) {
		t.Fatalf("stored label: %v %+v %q", err, doc, label[:min(len(label), 40)])
	}
	if w.q.count() != 1 || w.q.printed(rec.ShipmentNo) != 1 {
		t.Fatalf("prints: %d jobs, %d with the shipment number", w.q.count(), w.q.printed(rec.ShipmentNo))
	}
	if got := w.dhlShipments(); len(got) != 1 || got[0].RefNo != "order-100001" {
		t.Fatalf("DHL has %+v", got)
	}
	// The same order again: the same shipment, nothing sent, nothing printed.
	again := w.create("order-100001", "", order("Maria Musterfrau"))
	if !again.Existing || again.Record.ID != rec.ID || again.Err != nil {
		t.Fatalf("second request: %+v", again)
	}
	if len(w.dhlShipments()) != 1 || w.q.count() != 1 {
		t.Fatalf("second request sent or printed: %d at DHL, %d jobs", len(w.dhlShipments()), w.q.count())
	}
	// ... and with reprint: printed again, same shipment.
	res, err := w.j.Create(context.Background(), []Request{{OrderRef: "order-100001", Order: order("Maria Musterfrau"), Reprint: true, Print: true}})
	if err != nil || !res[0].Existing || w.q.count() != 2 || len(w.dhlShipments()) != 1 {
		t.Fatalf("reprint by scan: %v %+v, %d jobs", err, res, w.q.count())
	}
	// A further shipment needs the flag and a key; the answer says so.
	res, _ = w.j.Create(context.Background(), []Request{{OrderRef: "order-100001", NewShipment: true, Order: order("Maria Musterfrau")}})
	if !errors.Is(res[0].Err, ErrInvalid) {
		t.Fatalf("new shipment without key: %+v", res[0])
	}
	second := w.create2("order-100001", "order-100001/2")
	if !second.Additional || second.Record.ID == rec.ID || second.Record.State != apitype.ShipmentCreated || len(w.dhlShipments()) != 2 {
		t.Fatalf("further shipment: %+v", second)
	}
	// Repeating that request (a lost answer) does not make a third.
	if third := w.create2("order-100001", "order-100001/2"); third.Record.ID != second.Record.ID || len(w.dhlShipments()) != 2 {
		t.Fatalf("repeated further shipment: %+v", third)
	}
	found, err := w.j.Find("order-100001")
	if err != nil || found.ID != second.Record.ID {
		t.Fatalf("find by order: %v %v", found, err)
	}
	if byNo, err := w.j.Find(rec.ShipmentNo); err != nil || byNo.ID != rec.ID {
		t.Fatalf("find by number: %v", err)
	}
	w.mu.Lock()
	n := len(w.events)
	w.mu.Unlock()
	if n < 4 {
		t.Errorf("%d change events", n)
	}
}

func (w *world) create2(ref, key string) Result {
	w.t.Helper()
	res, err := w.j.Create(context.Background(), []Request{{OrderRef: ref, Key: key, NewShipment: true, Order: order("Maria Musterfrau"), Print: true}})
	if err != nil {
		w.t.Fatal(err)
	}
	return res[0]
}

// TestCrashAtEveryStep stops the flow at each step as if the agent died
// there, starts it again and checks: no order got two shipments, and every
// shipment whose answer reached the disk is printed exactly once; a crash
// before that leaves an "unknown" record that is never re-sent, and which
// the operator settles with the number from DHL's portal (label printed once).
func TestCrashAtEveryStep(t *testing.T) {
	for _, step := range []string{"intent", "answered", "stored", "printing"} {
		t.Run(step, func(t *testing.T) {
			w := newWorld(t)
			w.start(step)
			_, err := w.j.Create(context.Background(), []Request{{OrderRef: "order-crash-1", Order: order("Erika Mustermann"), Print: true}})
			if !errors.Is(err, errCrash) {
				t.Fatalf("crash at %s: %v", step, err)
			}
			w.start("") // the restart
			// The same order, sent again by the shop after the crash.
			r := w.create("order-crash-1", "", order("Erika Mustermann"))
			dhl := w.dhlShipments()
			if len(dhl) > 1 {
				t.Fatalf("DHL has %d shipments for one order", len(dhl))
			}
			if !r.Existing {
				t.Fatalf("the order was sent again after the crash: %+v", r.Record)
			}
			rec := r.Record
			switch step {
			case "intent", "answered":
				if rec.State != apitype.ShipmentUnknown || !errors.Is(r.Err, ErrUnknown) || actionID(rec) != apitype.ShipmentActionResolve {
					t.Fatalf("after a crash at %s: %+v (%v)", step, rec, r.Err)
				}
				if w.q.count() != 0 {
					t.Fatal("printed something of unknown outcome")
				}
				if step == "intent" {
					if len(dhl) != 0 {
						t.Fatal("DHL created a shipment that was never sent")
					}
					if _, err := w.j.Resolve(context.Background(), rec.ID, "", true); err != nil {
						t.Fatal(err)
					}
					r2 := w.create("order-crash-1", "", order("Erika Mustermann"))
					if r2.Existing || r2.Record.State != apitype.ShipmentCreated || w.q.printed(r2.Record.ShipmentNo) != 1 {
						t.Fatalf("shipping again after not created: %+v", r2)
					}
					return
				}
				// The operator finds the shipment in the portal (here: the simulator's list).
				got, err := w.j.Resolve(context.Background(), rec.ID, dhl[0].No, false)
				if err != nil || got.State != apitype.ShipmentCreated || got.ShipmentNo != dhl[0].No {
					t.Fatalf("resolve: %v %+v", err, got)
				}
				if w.q.printed(dhl[0].No) != 1 {
					t.Fatalf("label printed %d times after resolving", w.q.printed(dhl[0].No))
				}
			default:
				if rec.State != apitype.ShipmentCreated || rec.ShipmentNo != dhl[0].No {
					t.Fatalf("after a crash at %s: %+v", step, rec)
				}
				if n := w.q.printed(rec.ShipmentNo); n != 1 {
					t.Fatalf("after a crash at %s the label printed %d times", step, n)
				}
				if rec.PrintPending || len(rec.Prints) == 0 {
					t.Fatalf("print not recorded: %+v", rec)
				}
			}
		})
	}
}

func TestBatchWithMixedOutcomes(t *testing.T) {
	w := newWorld(t)
	w.start("")
	bad := order("Otto Normal")
	bad.Consignee.Contact.AddressStreet = "Kurfürstendamm" // no house number: DHL cannot route it
	reqs := []Request{
		{OrderRef: "batch-0001", Order: order("Anna A"), Print: true},
		{OrderRef: "batch-0002", Order: bad, Print: true},
		{OrderRef: "batch-0003", Order: order("Carla C"), Print: true},
	}
	noProduct := order("Dora D")
	noProduct.Product = "V99XX"
	reqs = append(reqs, Request{OrderRef: "batch-0004", Order: noProduct})
	res, err := w.j.Create(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []apitype.ShipmentState{apitype.ShipmentCreated, apitype.ShipmentFailed, apitype.ShipmentCreated} {
		if res[i].Record == nil || res[i].Record.State != want {
			t.Fatalf("shipment %d: %+v", i, res[i])
		}
	}
	if !errors.Is(res[1].Err, ErrRefused) || len(res[1].Record.Messages) == 0 || res[1].Record.Error == "" {
		t.Fatalf("refused shipment carries no reason: %+v", res[1])
	}
	if !errors.Is(res[3].Err, ErrInvalid) || res[3].Record != nil {
		t.Fatalf("invalid order: %+v", res[3])
	}
	if res[0].Record.BatchID == "" || res[0].Record.BatchID != res[2].Record.BatchID {
		t.Fatal("batch members not marked")
	}
	if w.sim.Requests("POST /parcel/de/shipping/v2/orders") != 1 {
		t.Fatal("the batch was not one call")
	}
	if w.q.count() != 2 {
		t.Fatalf("%d labels printed, want 2", w.q.count())
	}
	// DHL's rarer item shapes: 206 with a number but no shipment, and a
	// created shipment whose label cannot be decoded.
	gen, broken := order("Gerd G"), order("Bruno B")
	gen.RefNo, broken.RefNo = sim.RefGeneralError+"-0001", sim.RefBrokenLabel+"-0001"
	res, err = w.j.Create(context.Background(), []Request{{OrderRef: "batch-0005", Order: gen, Print: true}, {OrderRef: "batch-0006", Order: broken, Print: true}})
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0].Record; r.State != apitype.ShipmentFailed || !strings.Contains(r.Error, "General") || !errors.Is(res[0].Err, ErrRefused) {
		t.Fatalf("206: %+v %v", r, res[0].Err)
	}
	if r := res[1].Record; r.State != apitype.ShipmentCreated || r.ShipmentNo == "" || r.Error == "" || len(r.Prints) != 0 {
		t.Fatalf("created with a broken label: %+v", r)
	} else if _, ok := r.Doc(DocLabel); ok {
		t.Fatal("a broken label was stored as the label")
	}
	if w.q.count() != 2 {
		t.Fatal("something without a label was printed")
	}
	// The refused order can be sent again once corrected (a failed record
	// is not live).
	r := w.create("batch-0002", "", order("Otto Normal"))
	if r.Existing || r.Record.State != apitype.ShipmentCreated {
		t.Fatalf("corrected order: %+v", r)
	}
}

func TestLostAnswerIsUnknownAndTheDayEndNamesTheOrphan(t *testing.T) {
	w := newWorld(t)
	w.start("")
	known := w.create("order-known-1", "", order("Known Kunde"))
	w.sim.Inject(sim.Fault{Method: "POST", Path: "/parcel/de/shipping/v2/orders", Drop: true})
	r := w.create("order-lost-1", "", order("Lost Kunde"))
	if r.Record.State != apitype.ShipmentUnknown || !errors.Is(r.Err, ErrUnknown) {
		t.Fatalf("lost answer: %+v %v", r.Record, r.Err)
	}
	if n := w.sim.Requests("POST /parcel/de/shipping/v2/orders"); n != 2 {
		t.Fatalf("create calls %d: a lost answer must not be re-sent", n)
	}
	for _, lang := range i18n.Langs() {
		if ws := w.j.Wire(r.Record, i18n.For(lang)); ws.ActionID != apitype.ShipmentActionResolve || !strings.Contains(ws.Action, "order-lost-1") {
			t.Errorf("%s: action does not name the reference: %s %q", lang, ws.ActionID, ws.Action)
		}
	}
	// Asking again does not send it again.
	if again := w.create("order-lost-1", "", order("Lost Kunde")); !again.Existing || w.sim.Requests("POST /parcel/de/shipping/v2/orders") != 2 {
		t.Fatal("an unknown outcome was re-sent")
	}
	de, err := w.j.DayEnd(context.Background(), DayEndRequest{Print: true})
	if err != nil {
		t.Fatal(err)
	}
	var orphan string
	for _, s := range w.dhlShipments() {
		if s.No != known.Record.ShipmentNo {
			orphan = s.No
		}
	}
	if len(de.Orphans) != 1 || de.Orphans[0].ShipmentNo != orphan {
		t.Fatalf("orphans %+v, want %s", de.Orphans, orphan)
	}
	if len(de.Unknown) != 1 || de.Unknown[0] != r.Record.ID {
		t.Fatalf("unknown list %+v", de.Unknown)
	}
	if len(de.Closed) != 1 || de.Closed[0] != known.Record.ShipmentNo {
		t.Fatalf("closed %+v", de.Closed)
	}
	// The operator attaches the orphan: closed, label gone.
	got, err := w.j.Resolve(context.Background(), r.Record.ID, orphan, false)
	if err != nil || got.State != apitype.ShipmentClosed || got.ShipmentNo != orphan {
		t.Fatalf("resolve with orphan: %v %+v", err, got)
	}
}

func TestDayEnd(t *testing.T) {
	w := newWorld(t)
	w.start("")
	a := w.create("order-day-0001", "", order("Anna A"))
	b := w.create("order-day-0002", "", order("Berta B"))
	c := w.create("order-day-0003", "", order("Clara C"))
	if _, err := w.j.Cancel(context.Background(), c.Record.ID); err != nil {
		t.Fatal(err)
	}
	if st := w.dhlShipments(); !st[2].Cancelled {
		t.Fatal("cancel did not reach DHL")
	}
	jobsBefore := w.q.count()
	de, err := w.j.DayEnd(context.Background(), DayEndRequest{Print: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(de.Closed) != 2 || len(de.Orphans) != 0 || len(de.NotAtDHL) != 0 || de.Manifest == nil || de.PrintJob == "" {
		t.Fatalf("day's end: %+v", de)
	}
	if w.q.count() != jobsBefore+1 {
		t.Fatal("manifest not printed")
	}
	pdf, err := w.j.Manifest(de.ID)
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatalf("stored manifest: %v", err)
	}
	for _, id := range []string{a.Record.ID, b.Record.ID} {
		r, _ := w.j.Get(id)
		if r.State != apitype.ShipmentClosed || r.DayEndID != de.ID {
			t.Fatalf("%s after day's end: %s %s", id, r.State, r.DayEndID)
		}
	}
	if _, err := w.j.Cancel(context.Background(), a.Record.ID); !errors.Is(err, ErrConflict) {
		t.Fatalf("cancel after closeout: %v", err)
	}
	// The CSV matches the journal.
	var buf bytes.Buffer
	if err := w.j.ExportCSV(&buf, de.Day, ""); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || strings.Join(rows[0], ",") != strings.Join(CSVHeader, ",") {
		t.Fatalf("csv: %q", rows)
	}
	want := map[string][]string{
		a.Record.ID: {"closed", a.Record.ShipmentNo, "4.99"},
		b.Record.ID: {"closed", b.Record.ShipmentNo, "4.99"},
		c.Record.ID: {"cancelled", c.Record.ShipmentNo, ""},
	}
	for _, row := range rows[1:] {
		wv, ok := want[row[0]]
		if !ok || row[3] != wv[0] || row[4] != wv[1] || row[13] != wv[2] || row[5] != "V01PAK" {
			t.Errorf("csv row %q, want %q", row, wv)
		}
	}
	// After the closeout, new shipments go to the next working day.
	d := w.create("order-day-0004", "", order("Doris D"))
	if d.Record.Day == de.Day || d.Record.Day != de.NextDay || d.Record.Order.ShipDate != de.NextDay {
		t.Fatalf("shipment after the closeout is on %s (ship date %s), the day's end said %s", d.Record.Day, d.Record.Order.ShipDate, de.NextDay)
	}
	full, err := w.j.GetDayEnd(de.ID, nil)
	if err != nil || len(full.Shipments) != 2 {
		t.Fatalf("day's end list: %v %d", err, len(full.Shipments))
	}
}

func TestDayEndCrashIsFinishedAtRestart(t *testing.T) {
	w := newWorld(t)
	w.start("dayend-intent")
	a := w.create("order-de-crash", "", order("Anna A"))
	if _, err := w.j.DayEnd(context.Background(), DayEndRequest{}); !errors.Is(err, errCrash) {
		t.Fatal(err)
	}
	w.start("")
	r, _ := w.j.Get(a.Record.ID)
	if r.State != apitype.ShipmentClosed {
		t.Fatalf("after restart: %s", r.State)
	}
	des, _ := w.j.DayEnds(10)
	if len(des) != 1 || des[0].Manifest == nil {
		t.Fatalf("day's ends: %+v", des)
	}
}

func TestDHLErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fault     sim.Fault
		state     apitype.ShipmentState
		retryable bool
	}{
		{"401", sim.Fault{Path: "/parcel/de/shipping/v2/orders", Status: 401, Times: 2}, apitype.ShipmentFailed, true},
		{"429", sim.Fault{Path: "/parcel/de/shipping/v2/orders", Status: 429, RetryAfter: time.Second}, apitype.ShipmentFailed, true},
		{"500", sim.Fault{Path: "/parcel/de/shipping/v2/orders", Status: 500}, apitype.ShipmentUnknown, false},
		{"503 html", sim.Fault{Path: "/parcel/de/shipping/v2/orders", Status: 503, Latin1HTML: true}, apitype.ShipmentUnknown, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.start("")
			w.sim.Inject(tc.fault)
			r := w.create("order-err-1", "key-err-1", order("Emil E"))
			if r.Record.State != tc.state || r.Record.Retryable != tc.retryable || r.Record.Error == "" {
				t.Fatalf("%+v", r.Record)
			}
			if len(w.dhlShipments()) != 0 || w.q.count() != 0 {
				t.Fatal("created or printed")
			}
			if tc.retryable {
				// The same request once the cause passed: sent again, created once.
				r2 := w.create("order-err-1", "key-err-1", order("Emil E"))
				if r2.Record.ID != r.Record.ID || r2.Record.State != apitype.ShipmentCreated || len(w.dhlShipments()) != 1 {
					t.Fatalf("retry: %+v", r2.Record)
				}
			}
		})
	}
	// Cancel, tracking, returns and the day's end under 5xx/429: errors, nothing marked.
	w := newWorld(t)
	w.start("")
	r := w.create("order-err-2", "", order("Emil E"))
	w.sim.Inject(sim.Fault{Method: "DELETE", Path: "/parcel/de/shipping/v2/orders", Status: 503, Times: 10})
	if _, err := w.j.Cancel(context.Background(), r.Record.ID); err == nil {
		t.Fatal("cancel under 503 succeeded")
	}
	if got, _ := w.j.Get(r.Record.ID); got.State != apitype.ShipmentCreated {
		t.Fatalf("state after failed cancel: %s", got.State)
	}
	w.sim.Inject(sim.Fault{Path: "/parcel/de/shipping/v2/manifests", Status: 500, Times: 10})
	if _, err := w.j.DayEnd(context.Background(), DayEndRequest{}); err == nil {
		t.Fatal("day's end under 500 succeeded")
	}
	if got, _ := w.j.Get(r.Record.ID); got.State != apitype.ShipmentCreated {
		t.Fatalf("marked closed although DHL failed: %s", got.State)
	}
	if day := w.j.NextDay(""); day != w.j.Today() {
		t.Fatalf("a failed day's end moved new shipments to %s", day)
	}
	w.sim.Inject(sim.Fault{Path: "/track/shipments", Status: 429, Times: 10})
	if got, err := w.j.Track(context.Background(), r.Record.ID); err == nil || got.Tracking == nil || got.Tracking.Error == "" {
		t.Fatalf("tracking under 429: %v %+v", err, got)
	}
	w.sim.Inject(sim.Fault{Path: "/parcel/de/shipping/returns/v1/orders", Status: 502, Times: 10})
	if _, _, err := w.j.Return(context.Background(), ReturnRequest{ForID: r.Record.ID}); err == nil {
		t.Fatal("return under 502 succeeded")
	}
}

func TestReturnsAndTracking(t *testing.T) {
	w := newWorld(t)
	w.start("")
	r := w.create("order-ret-0001", "", order("Rita R"))
	ret, existing, err := w.j.Return(context.Background(), ReturnRequest{ForID: r.Record.ID, LabelType: returns.LabelBoth, Print: true})
	if err != nil || existing || ret.State != apitype.ShipmentCreated || ret.ShipmentNo == "" || ret.ForID != r.Record.ID {
		t.Fatalf("return: %v %+v", err, ret)
	}
	if _, ok := ret.Doc(DocQR); !ok {
		t.Fatal("no QR code stored")
	}
	if _, ok := ret.Doc(DocReturnLabel); !ok {
		t.Fatal("no return label stored")
	}
	parent, _ := w.j.Get(r.Record.ID)
	if len(parent.Returns) != 1 || parent.Returns[0] != ret.ID {
		t.Fatalf("parent does not list its return: %+v", parent.Returns)
	}
	again, existing, err := w.j.Return(context.Background(), ReturnRequest{ForID: r.Record.ID})
	if err != nil || !existing || again.ID != ret.ID {
		t.Fatalf("second return request: %v %v", err, existing)
	}
	// For an address alone.
	addr, _, err := w.j.Return(context.Background(), ReturnRequest{OrderRef: "walk-in", Order: returns.Order{Shipper: returns.Shipper{
		Name1: "Max Muster", AddressStreet: "Hauptstraße 4/1", PostalCode: "53113", City: "Bonn"}}, LabelType: returns.LabelQR})
	if err != nil || addr.State != apitype.ShipmentCreated || j0(addr) {
		t.Fatalf("address return: %v %+v", err, addr)
	}
	got, err := w.j.Track(context.Background(), r.Record.ID)
	if err != nil || got.Tracking == nil || got.Tracking.Status == "" || got.Tracking.Checked.IsZero() {
		t.Fatalf("track: %v %+v", err, got.Tracking)
	}
	// The refresher asks for due shipments only.
	n, err := w.j.TrackOpen(context.Background(), time.Hour, 24*time.Hour, 0)
	if err != nil || n != 0 {
		t.Fatalf("refresh right after a check asked %d: %v", n, err)
	}
	w.mu.Lock()
	w.now = time.Now().Add(2 * time.Hour)
	w.mu.Unlock()
	if n, err := w.j.TrackOpen(context.Background(), time.Hour, 24*time.Hour, 0); err != nil || n != 1 {
		t.Fatalf("refresh of a due shipment asked %d: %v", n, err)
	}
}

// j0 reports whether an address return lost its document.
func j0(r *Record) bool { _, ok := r.Doc(DocQR); return !ok }

func TestListFilters(t *testing.T) {
	w := newWorld(t)
	w.start("")
	for i := range 3 {
		w.create(fmt.Sprintf("order-list-%04d", i), "", order("L"))
	}
	all, err := w.j.List(Filter{})
	if err != nil || len(all) != 3 || all[0].OrderRef != "order-list-0002" {
		t.Fatalf("list: %v %d", err, len(all))
	}
	one, _ := w.j.List(Filter{OrderRef: "order-list-0001"})
	if len(one) != 1 {
		t.Fatal("order filter")
	}
	page, _ := w.j.List(Filter{Limit: 2})
	rest, _ := w.j.List(Filter{Before: page[1].ID})
	if len(page) != 2 || len(rest) != 1 || rest[0].ID == page[1].ID {
		t.Fatal("paging")
	}
	none, _ := w.j.List(Filter{State: apitype.ShipmentClosed})
	if len(none) != 0 {
		t.Fatal("state filter")
	}
}

// TestCustomsPapersStoredAndPrintedOnTheDocumentPrinter: an international
// parcel's CN23 (A4 PDF) is stored with the label and goes to the document
// printer, the label to the label printer.
func TestCustomsPapersStoredAndPrintedOnTheDocumentPrinter(t *testing.T) {
	w := newWorld(t)
	w.start("")
	o := parcel.Shipment{Product: "V53WPAK",
		Consignee: parcel.Consignee{Contact: &parcel.ContactAddress{Name1: "Heidi Muster", AddressStreet: "Bahnhofstrasse 1", PostalCode: "8001", City: "Zürich", Country: "CHE"}},
		Details:   parcel.ShipmentDetails{Weight: parcel.Weight{UOM: "kg", Value: 1}},
		Customs: &parcel.CustomsDetails{ExportType: "COMMERCIAL_GOODS", InvoiceNo: "RE-100", PostalCharges: parcel.Value{Currency: "EUR", Value: 5},
			Items: []parcel.Commodity{{ItemDescription: "T-Shirt", CountryOfOrigin: "DEU", HSCode: "61091000", PackagedQuantity: 1,
				ItemValue: parcel.Value{Currency: "EUR", Value: 20}, ItemWeight: parcel.Weight{UOM: "kg", Value: 0.5}}}}}
	r := w.create("order-cn23-0001", "", o)
	if r.Err != nil || r.Record.State != apitype.ShipmentCreated {
		t.Fatalf("create: %v %+v", r.Err, r.Record)
	}
	cn23, d, err := w.j.Document(r.Record.ID, DocCustoms)
	if err != nil || !bytes.HasPrefix(cn23, []byte("%PDF")) || d.Format != parcel.DocFormatPDF {
		t.Fatalf("customs papers not stored: %v %+v", err, d)
	}
	w.q.mu.Lock()
	printers := map[string]string{}
	for _, p := range w.q.jobs {
		printers[p.Name] = p.Printer
	}
	w.q.mu.Unlock()
	if len(printers) != 2 {
		t.Fatalf("jobs: %v", printers)
	}
	for name, printer := range printers {
		if strings.Contains(name, "customs") != (printer == "office") {
			t.Errorf("%s went to %q", name, printer)
		}
	}
}

func TestPruneDocumentsKeepsRecordsAndOpenShipments(t *testing.T) {
	w := newWorld(t)
	w.start("")
	a := w.create("order-prune-1", "", order("A"))
	b := w.create("order-prune-2", "", order("B"))
	if _, err := w.j.Cancel(context.Background(), a.Record.ID); err != nil {
		t.Fatal(err)
	}
	n, err := w.j.PruneDocuments(time.Now().Add(time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("pruned %d: %v", n, err)
	}
	if _, _, err := w.j.Document(a.Record.ID, DocLabel); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the cancelled shipment's label is still there: %v", err)
	}
	if r, err := w.j.Get(a.Record.ID); err != nil || r.State != apitype.ShipmentCancelled || len(r.Docs) != 0 {
		t.Fatalf("record after pruning: %v %+v", err, r)
	}
	if _, _, err := w.j.Document(b.Record.ID, DocLabel); err != nil {
		t.Fatalf("an open shipment's label was pruned: %v", err)
	}
}

func actionID(r *Record) string {
	id, _ := Action(r)
	return id
}

// What a record keeps of the catalog's words is worded again for each
// reader: a history step with a message inside its arguments, a print's
// error, the tracking error; DHL's words stay as they are.
func TestRecordWordsInTheReadersLanguage(t *testing.T) {
	j := &Journal{}
	r := &Record{ID: "20261130-0001", Kind: apitype.ShipmentKindOutbound, State: apitype.ShipmentCreated, Docs: []apitype.ShipmentDocument{{Kind: DocLabel}}}
	r.step(time.Now(), msg("shipjournal.note.unknown", "why", problemMsg(parcel.ProblemNotAnswered)))
	r.step(time.Now(), msg("shipjournal.note.refused", "reason", "Die Postleitzahl ist ungültig."))
	p := apitype.ShipmentPrint{N: 1, Document: DocLabel}
	setPrintError(&p, i18n.K(ErrUnavailable, "shipjournal.err.no_printing"))
	r.Prints = append(r.Prints, p)
	r.Tracking = &apitype.ShipmentTracking{ErrorID: "shipjournal.why.no_tracking_status", Error: "old words"}
	// As the store keeps it.
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Record
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	en, de := j.Wire(&back, i18n.For(i18n.English)), j.Wire(&back, i18n.For(i18n.German))
	for _, c := range []struct{ got, want string }{
		{en.History[0].Note, "outcome unknown: DHL's answer says nothing about this shipment; not sent again"},
		{de.History[0].Note, "Ergebnis unbekannt: DHLs Antwort sagt nichts über diese Sendung; wird nicht erneut gesendet"},
		{de.History[1].Note, "von DHL abgelehnt: Die Postleitzahl ist ungültig."},
		{en.Prints[0].Error, "printing is not available"},
		{de.Prints[0].Error, "Drucken ist nicht verfügbar"},
		{de.Tracking.Error, "DHL kennt für diese Sendung noch keinen Status"},
		{de.ActionID, apitype.ShipmentActionReprint},
		{de.Action, "Druck fehlgeschlagen; die Dokumente sind gespeichert: die Sendung nachdrucken."},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if back.History[0].Note != en.History[0].Note || back.Tracking.Error != "old words" {
		t.Errorf("the record keeps its English words: %q / %q", back.History[0].Note, back.Tracking.Error)
	}
}

// A label job the queue held because it may have printed when the agent
// stopped: the shipment says so and what to do, in the reader's language.
func TestHeldPrintJobIsTheOperatorsDecision(t *testing.T) {
	j := &Journal{opts: Options{Job: func(id string) (apitype.Job, error) {
		return apitype.Job{ID: id, State: apitype.StateFailed, Printer: "zebra", LastError: "may have printed: the agent stopped while sending it"}, nil
	}}}
	r := &Record{ID: "20261130-0002", Kind: apitype.ShipmentKindOutbound, State: apitype.ShipmentCreated,
		Docs: []apitype.ShipmentDocument{{Kind: DocLabel}}, Prints: []apitype.ShipmentPrint{{N: 1, Document: DocLabel, JobID: "7"}}}
	de := j.Wire(r, i18n.For(i18n.German))
	if de.ActionID != apitype.ShipmentActionReprint || !strings.Contains(de.Action, "Druckauftrag 7") || !strings.Contains(de.Action, "may have printed") || de.Prints[0].State != apitype.StateFailed {
		t.Fatalf("held print: %s %q %+v", de.ActionID, de.Action, de.Prints)
	}
	r.State = apitype.ShipmentCancelled
	if w := j.Wire(r, i18n.For(i18n.German)); w.ActionID != "" {
		t.Errorf("a cancelled shipment has nothing to do: %s %q", w.ActionID, w.Action)
	}
}
