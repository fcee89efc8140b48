package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
)

func TestMain(m *testing.M) {
	// Times print in local time; the expectations are in UTC. Set before any
	// goroutine runs.
	time.Local = time.UTC
	os.Exit(m.Run())
}

// fakeAgent speaks the control API's JSON (the routes the tray uses), so
// the view model is tested against the wire format without an agent in
// the process. The end-to-end test under Xvfb runs the real binary.
type fakeAgent struct {
	t   testing.TB
	srv *httptest.Server

	mu         sync.Mutex
	jobs       []apitype.Job
	printers   []apitype.Printer
	origins    []apitype.Origin
	balance    *apitype.StampBalance // nil: not configured
	lowBelow   int                   // the agent's tray.low_balance in cents
	ships      []apitype.Shipment
	scans      []apitype.ScanRequest
	scanResult apitype.ScanResult
	decisions  []string
	submitted  []apitype.Job
	payloads   []string
	dayEnds    int
	purchases  []apitype.StampPurchase
	products   []apitype.StampProduct
	buys       []apitype.StampBuyRequest // every purchase request, as sent
	dropBuy    bool                      // the next purchase's answer is lost
	station    *apitype.StationList      // nil: NATS not configured
	dashboard  string                    // the health's dashboard address
	streams    []chan apitype.Event
}

const fakeKey = "test-key"

func newFakeAgent(t testing.TB, addr string) *fakeAgent {
	t.Helper()
	f := &fakeAgent{t: t}
	mux := http.NewServeMux()
	js := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("GET /api/v1/health", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		js(w, apitype.Health{OK: true, Dashboard: f.dashboard})
	})
	mux.HandleFunc("GET /api/v1/jobs", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		js(w, apitype.JobList{Jobs: f.jobs})
	})
	mux.HandleFunc("GET /api/v1/printers", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		js(w, apitype.PrinterList{Printers: f.printers})
	})
	mux.HandleFunc("GET /api/v1/shipments", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.URL.Query().Get("day") != "today" {
			t.Errorf("shipments asked for day %q, want today", r.URL.Query().Get("day"))
		}
		js(w, apitype.ShipmentList{Shipments: f.ships})
	})
	mux.HandleFunc("GET /api/v1/origins", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		js(w, apitype.OriginList{Origins: f.origins})
	})
	decide := func(state string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var d apitype.OriginDecision
			if err := json.NewDecoder(r.Body).Decode(&d); err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			for i := range f.origins {
				if f.origins[i].Origin == d.Origin {
					f.origins[i].State = state
					f.origins[i].Scopes = d.Scopes
					f.decisions = append(f.decisions, state+" "+d.Origin+" "+strings.Join(d.Scopes, ","))
					js(w, f.origins[i])
					return
				}
			}
			w.WriteHeader(404)
			js(w, apitype.Error{Status: 404, Code: apitype.CodeNotFound, Message: "no such origin"})
		}
	}
	mux.HandleFunc("POST /api/v1/origins/approve", decide(apitype.OriginApproved))
	mux.HandleFunc("POST /api/v1/origins/deny", decide(apitype.OriginDenied))
	mux.HandleFunc("GET /api/v1/stamps/balance", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.balance == nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			msg := "INTERNETMARKE is not configured"
			if strings.HasPrefix(r.Header.Get("Accept-Language"), "de") {
				msg = "INTERNETMARKE ist nicht eingerichtet"
			}
			js(w, apitype.Error{Status: 503, Code: apitype.CodeStampNotConfigured, Message: msg})
			return
		}
		// The agent tells its tray.low_balance with the balance.
		b := *f.balance
		b.LowBelowCents = f.lowBelow
		b.Low = f.lowBelow > 0 && b.Cents < f.lowBelow
		js(w, b)
	})
	mux.HandleFunc("POST /api/v1/scan", func(w http.ResponseWriter, r *http.Request) {
		var req apitype.ScanRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		f.scans = append(f.scans, req)
		res := f.scanResult
		res.Code = req.Code
		if req.Reprint {
			res.Outcome = apitype.ScanReprinted
		}
		js(w, res)
	})
	mux.HandleFunc("POST /api/v1/jobs/{id}/retry", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		for i := range f.jobs {
			if f.jobs[i].ID == r.PathValue("id") {
				f.jobs[i].State = apitype.StateQueued
				f.jobs[i].LastError = ""
				js(w, f.jobs[i])
				return
			}
		}
		w.WriteHeader(404)
		js(w, apitype.Error{Status: 404, Code: apitype.CodeNotFound, Message: "no such job"})
	})
	mux.HandleFunc("POST /api/v1/jobs", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		q := r.URL.Query()
		f.mu.Lock()
		defer f.mu.Unlock()
		j := apitype.Job{ID: fmt.Sprintf("sub%d", len(f.submitted)+1), Printer: q.Get("printer"), Kind: apitype.Kind(q.Get("kind")), Name: q.Get("name"), Source: q.Get("source"), State: apitype.StateQueued, Created: time.Now()}
		f.submitted = append(f.submitted, j)
		f.payloads = append(f.payloads, string(body))
		w.WriteHeader(http.StatusCreated)
		js(w, apitype.SubmitResponse{Job: j})
	})
	mux.HandleFunc("GET /api/v1/stamps/products", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		js(w, apitype.StampProductList{Products: f.products})
	})
	// Purchases as the agent's journal answers them: one per idempotency
	// key; dropBuy loses the answer after the purchase was made.
	mux.HandleFunc("POST /api/v1/stamps/purchases", func(w http.ResponseWriter, r *http.Request) {
		var req apitype.StampBuyRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		f.mu.Lock()
		f.buys = append(f.buys, req)
		var p *apitype.StampPurchase
		for i := range f.purchases {
			if f.purchases[i].ID == "p-"+req.IdempotencyKey {
				p = &f.purchases[i]
			}
		}
		if p == nil {
			price := 0
			for _, pr := range f.products {
				if pr.Code == req.Product {
					price = pr.PriceCents
				}
			}
			f.purchases = append([]apitype.StampPurchase{{ID: "p-" + req.IdempotencyKey, State: "printed", Product: req.Product, ProductName: "Standardbrief", Quantity: req.Quantity, TotalCents: price * req.Quantity, Created: readAt, Vouchers: []apitype.StampVoucher{{VoucherID: "V1"}}}}, f.purchases...)
			p = &f.purchases[0]
		}
		out, drop := *p, f.dropBuy
		f.dropBuy = false
		f.mu.Unlock()
		if drop {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		w.WriteHeader(http.StatusCreated)
		js(w, out)
	})
	mux.HandleFunc("GET /api/v1/stations", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.station == nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			js(w, apitype.Error{Status: 503, Code: "nats_not_configured", Message: "NATS is not configured"})
			return
		}
		js(w, *f.station)
	})
	mux.HandleFunc("GET /api/v1/stamps/purchases", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		js(w, apitype.StampPurchaseList{Purchases: f.purchases})
	})
	mux.HandleFunc("POST /api/v1/stamps/purchases/{id}/refund", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		for i := range f.purchases {
			if f.purchases[i].ID == r.PathValue("id") {
				f.purchases[i].State = "refund_requested"
				js(w, f.purchases[i])
				return
			}
		}
		w.WriteHeader(404)
		js(w, apitype.Error{Status: 404, Code: apitype.CodeNotFound, Message: "no such purchase"})
	})
	mux.HandleFunc("GET /api/v1/jobs/{id}/preview", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "missing" {
			w.WriteHeader(404)
			js(w, apitype.Error{Status: 404, Code: apitype.CodeNotFound, Message: "no such job"})
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set(apitype.HeaderPreviewLabels, "1")
		w.Write(IconPNG(Ready)) // any PNG: the tray only shows what the agent drew
	})
	mux.HandleFunc("POST /api/v1/dayend", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.dayEnds++
		var closed []string
		for i := range f.ships {
			if f.ships[i].State == apitype.ShipmentCreated {
				f.ships[i].State = apitype.ShipmentClosed
				closed = append(closed, f.ships[i].ID)
			}
		}
		js(w, apitype.DayEnd{ID: "d1", Closed: closed, NoDocumentPrinter: true})
	})
	mux.HandleFunc("GET /api/v1/events", func(w http.ResponseWriter, r *http.Request) {
		ch := make(chan apitype.Event, 64)
		f.mu.Lock()
		f.streams = append(f.streams, ch)
		f.mu.Unlock()
		// A stream whose client has gone is forgotten, or emit would block
		// on its full buffer (holding f.mu) and stop would deadlock.
		defer f.forget(ch)
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		for {
			select {
			case <-r.Context().Done():
				return
			case e, ok := <-ch:
				if !ok {
					return
				}
				data, _ := json.Marshal(e)
				fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.Seq, e.Type, data)
				w.(http.Flusher).Flush()
			}
		}
	})
	auth := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(apitype.HeaderAPIKey) != fakeKey && r.URL.Path != "/api/v1/health" { // health needs no key, as the agent's
			w.WriteHeader(401)
			js(w, apitype.Error{Status: 401, Code: apitype.CodeUnauthorized, Message: "wrong API key"})
			return
		}
		mux.ServeHTTP(w, r)
	})
	f.srv = httptest.NewUnstartedServer(auth)
	if addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("listen again on %s: %v", addr, err)
		}
		f.srv.Listener.Close()
		f.srv.Listener = ln
	}
	f.srv.Start()
	t.Cleanup(f.stop)
	return f
}

func (f *fakeAgent) addr() string { return f.srv.Listener.Addr().String() }

// stop ends the event streams (as the agent does when it stops) and the server.
func (f *fakeAgent) stop() {
	f.mu.Lock()
	for _, ch := range f.streams {
		close(ch)
	}
	f.streams = nil
	f.mu.Unlock()
	f.srv.CloseClientConnections()
	f.srv.Close()
}

// emit sends e to every open event stream.
func (f *fakeAgent) emit(e apitype.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ch := range f.streams {
		ch <- e
	}
}

// forget removes an event stream that has ended.
func (f *fakeAgent) forget(ch chan apitype.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.streams = slices.DeleteFunc(f.streams, func(c chan apitype.Event) bool { return c == ch })
}

func (f *fakeAgent) streamCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.streams)
}

// waitFor polls cond until it holds or 5 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The fake forgets a stream whose client has gone: more events than a
// stream's buffer holds neither block emit nor deadlock stop.
func TestFakeAgentForgetsGoneStreams(t *testing.T) {
	f := newFakeAgent(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+f.addr()+"/api/v1/events", nil)
	req.Header.Set(apitype.HeaderAPIKey, fakeKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the stream", func() bool { return f.streamCount() == 1 })
	cancel()
	resp.Body.Close()
	waitFor(t, "the gone stream forgotten", func() bool { return f.streamCount() == 0 })
	done := make(chan struct{})
	go func() {
		for i := range 100 {
			f.emit(apitype.Event{Seq: uint64(i + 1), Type: apitype.EventJob})
		}
		f.stop()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("emit or stop blocked on a stream whose client has gone")
	}
}
