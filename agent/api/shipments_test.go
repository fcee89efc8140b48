package api_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"gopkg.in/yaml.v3"

	"github.com/labelagent/labelagent/agent"
	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/dhl/sim"
	"github.com/labelagent/labelagent/printer"
)

type shipFixture struct {
	a   *agent.Agent
	sim *sim.Server
	cl  *client.Client
	out string
}

func setupShipping(t *testing.T) *shipFixture {
	t.Helper()
	s := sim.New(sim.Options{Seed: 3, TrackingPerSecond: -1, TrackingDailyQuota: -1})
	simSrv := httptest.NewServer(s)
	t.Cleanup(simSrv.Close)
	sc := s.Config(simSrv.URL)
	var bn strings.Builder
	for p, n := range sc.BillingNumbers {
		fmt.Fprintf(&bn, "    %s: %q\n", p, n)
	}
	dhl := fmt.Sprintf(`base_url: %s
api_key: %s
api_secret: %s
username: %s
password: %q
max_retry_wait: 100ms
max_retries: 1
billing_numbers:
%sshipper:
  name1: Shop GmbH
  street: Sträßchensweg 10
  postal_code: "53113"
  city: Bonn
`, simSrv.URL, sc.APIKey, sc.APISecret, sc.Username, sc.Password, bn.String())
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(dhl), &doc); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg, err := config.Load("", func(c *config.Config) {
		c.DataDir = dir
		c.Printers = []printer.Config{{Name: "desk", Transport: "file"}}
		c.DHL = *doc.Content[0]
		c.Shipments.Postage = map[string]string{"V01PAK": "4,99"}
		c.Jobs.RetryInitial, c.Jobs.RetryMax = 10*time.Millisecond, 50*time.Millisecond
	})
	if err != nil {
		t.Fatal(err)
	}
	f := serve(t, cfg, nil)
	p, _ := cfg.Printer("desk")
	return &shipFixture{a: f.a, sim: s, cl: f.cl, out: p.File.Dir}
}

func orderJSON(name, street string) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"product":"V01PAK","consignee":{"name1":%q,"addressStreet":%q,"postalCode":"10719","city":"Berlin","country":"DEU"},"details":{"weight":{"uom":"kg","value":1.2}}}`, name, street))
}

// printedWith waits until the file printer wrote n labels carrying text.
func (f *shipFixture) printedWith(t *testing.T, text string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := 0
		files, _ := filepath.Glob(filepath.Join(f.out, "*"))
		for _, p := range files {
			b, _ := os.ReadFile(p)
			if strings.Contains(string(b), text) {
				got++ // one file per printed job
			}
		}
		if got >= n {
			if got > n {
				t.Fatalf("%q printed %d times, want %d", text, got, n)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q printed %d times, want %d", text, got, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestShipmentsAPI(t *testing.T) {
	f := setupShipping(t)
	ctx := context.Background()
	evCtx, stopEvents := context.WithTimeout(ctx, 30*time.Second)
	defer stopEvents()
	ev, err := f.cl.Events(evCtx)
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	events := make(chan apitype.Event, 100)
	go func() {
		for {
			e, err := ev.Next()
			if err != nil {
				return
			}
			events <- e
		}
	}()

	res, err := f.cl.CreateShipment(ctx, apitype.ShipmentCreateRequest{OrderRef: "order-api-0001", Order: orderJSON("Maria Musterfrau", "Kurfürstendamm 1")})
	if err != nil || res.Existing || res.Shipment.State != apitype.ShipmentCreated || res.Shipment.ShipmentNo == "" {
		t.Fatalf("create: %v %+v", err, res)
	}
	no := res.Shipment.ShipmentNo
	f.printedWith(t, no, 1)
	// An event of type shipment was published.
	deadline := time.After(5 * time.Second)
	for seen := false; !seen; {
		select {
		case e := <-events:
			seen = e.Type == apitype.EventShipment && e.Shipment != nil && e.Shipment.ShipmentNo == no
		case <-deadline:
			t.Fatal("no shipment event")
		}
	}
	// Same order: same shipment, 200, nothing printed.
	again, err := f.cl.CreateShipment(ctx, apitype.ShipmentCreateRequest{OrderRef: "order-api-0001", Order: orderJSON("Maria Musterfrau", "Kurfürstendamm 1")})
	if err != nil || !again.Existing || again.Shipment.ID != res.Shipment.ID {
		t.Fatalf("again: %v %+v", err, again)
	}
	// Show by number and by order; the label as a file.
	s, err := f.cl.Shipment(ctx, no)
	if err != nil || s.ID != res.Shipment.ID || len(s.History) < 2 || len(s.Prints) != 1 || s.Prints[0].JobID == "" {
		t.Fatalf("show: %v %+v", err, s)
	}
	label, err := f.cl.ShipmentDocument(ctx, "order-api-0001", "label")
	if err != nil || !strings.Contains(string(label), "^XA") {
		t.Fatalf("label: %v", err)
	}
	if _, err := f.cl.ReprintShipment(ctx, no, "", ""); err != nil {
		t.Fatal(err)
	}
	f.printedWith(t, no, 2)

	// Refused by DHL: 422 with DHL's words, the record kept.
	bad, err := f.cl.CreateShipment(ctx, apitype.ShipmentCreateRequest{OrderRef: "order-api-0002", Order: orderJSON("Otto", "Kurfürstendamm")})
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusUnprocessableEntity || ae.Code != apitype.CodeShipmentRefused ||
		bad.Shipment.State != apitype.ShipmentFailed || len(bad.Shipment.Messages) == 0 {
		t.Fatalf("refused: %v %+v", err, bad)
	}
	// Invalid locally: 400, nothing recorded.
	if _, err := f.cl.CreateShipment(ctx, apitype.ShipmentCreateRequest{Order: orderJSON("X", "Y 1")}); !errors.As(err, &ae) || ae.Status != 400 {
		t.Fatalf("no reference: %v", err)
	}
	if _, err := f.cl.CreateShipment(ctx, apitype.ShipmentCreateRequest{OrderRef: "x-000001", Order: json.RawMessage(`{"prodct":"V01PAK"}`)}); !errors.As(err, &ae) || ae.Status != 400 {
		t.Fatalf("typo in the order: %v", err)
	}

	// A lost answer: 202 outcome_unknown with what to do.
	f.sim.Inject(sim.Fault{Method: "POST", Path: "/parcel/de/shipping/v2/orders", Drop: true})
	lost, err := f.cl.CreateShipment(ctx, apitype.ShipmentCreateRequest{OrderRef: "order-api-0003", Order: orderJSON("Lisa L", "Hauptstraße 5")})
	if !errors.As(err, &ae) || ae.Status != http.StatusAccepted || ae.Code != apitype.CodeOutcomeUnknown ||
		lost.Shipment.State != apitype.ShipmentUnknown || lost.Shipment.Action == "" {
		t.Fatalf("lost answer: %v %+v", err, lost)
	}

	// A batch with mixed outcomes: 207, one result each.
	batch, err := f.cl.CreateShipments(ctx, apitype.ShipmentBatchRequest{Shipments: []apitype.ShipmentCreateRequest{
		{OrderRef: "order-api-0010", Order: orderJSON("A", "Hauptstraße 1")},
		{OrderRef: "order-api-0011", Order: orderJSON("B", "Hauptstraße")},
		{OrderRef: "order-api-0012", Order: orderJSON("C", "Hauptstraße 3")},
	}})
	if err != nil || len(batch.Results) != 3 || batch.Results[0].Error != nil || batch.Results[1].Error == nil || batch.Results[2].Error != nil ||
		batch.Results[1].Error.Code != apitype.CodeShipmentRefused {
		t.Fatalf("batch: %v %+v", err, batch)
	}
	list, err := f.cl.Shipments(ctx, client.ShipmentsQuery{Day: "today", State: apitype.ShipmentCreated})
	if err != nil || len(list) != 3 {
		t.Fatalf("list created today: %v %d", err, len(list))
	}

	// Return label for a shipment, tracking, cancel.
	// (PDFs are not printed here: the PDF renderer's first start takes
	// seconds; the journal's tests cover their printing.)
	noPrint := false
	ret, err := f.cl.ReturnShipment(ctx, no, apitype.ReturnRequest{LabelType: "BOTH", Print: &noPrint})
	if err != nil || ret.Shipment.Kind != apitype.ShipmentKindReturn || !strings.HasPrefix(ret.Shipment.ReturnID, "RET") {
		t.Fatalf("return: %v %+v", err, ret)
	}
	if qr, err := f.cl.ShipmentDocument(ctx, ret.Shipment.ID, "qr"); err != nil || !strings.HasPrefix(string(qr), "\x89PNG") {
		t.Fatalf("QR code: %v", err)
	}
	tr, err := f.cl.TrackShipment(ctx, no)
	if err != nil || tr.Tracking == nil || tr.Tracking.Status == "" {
		t.Fatalf("track: %v %+v", err, tr.Tracking)
	}
	c, err := f.cl.CancelShipment(ctx, batch.Results[2].Shipment.ID)
	if err != nil || c.State != apitype.ShipmentCancelled {
		t.Fatalf("cancel: %v %+v", err, c)
	}
	if _, err := f.cl.ResolveShipment(ctx, no, apitype.ShipmentResolveRequest{NotCreated: true}); !errors.As(err, &ae) || ae.Status != http.StatusConflict {
		t.Fatalf("resolve a created shipment: %v", err)
	}

	// The day's end: closes out, names the orphan, stores the manifest, CSV.
	de, err := f.cl.DayEnd(ctx, apitype.DayEndRequest{Print: &noPrint})
	if err != nil || len(de.Closed) != 2 || len(de.Orphans) != 1 || len(de.Unknown) != 1 || de.Manifest == nil || de.PrintJob != "" {
		t.Fatalf("day's end: %v %+v", err, de)
	}
	pdf, err := f.cl.DayEndManifest(ctx, de.ID)
	if err != nil || !strings.HasPrefix(string(pdf), "%PDF") {
		t.Fatalf("manifest: %v", err)
	}
	data, err := f.cl.DayEndCSV(ctx, de.ID)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(data))).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("csv: %v %q", err, rows)
	}
	full, err := f.cl.GetDayEnd(ctx, de.ID)
	if err != nil || len(full.Shipments) != 2 {
		t.Fatalf("day's end shipments: %v %d", err, len(full.Shipments))
	}
	// Settle the unknown one with the orphan's number.
	got, err := f.cl.ResolveShipment(ctx, "order-api-0003", apitype.ShipmentResolveRequest{ShipmentNo: de.Orphans[0].ShipmentNo})
	if err != nil || got.State != apitype.ShipmentClosed {
		t.Fatalf("resolve: %v %+v", err, got)
	}
}

func TestShipmentsAPIErrors(t *testing.T) {
	f := setupShipping(t)
	ctx := context.Background()
	var ae *client.APIError
	f.sim.Inject(sim.Fault{Path: "/parcel/de/shipping/v2/orders", Status: 401, Times: 2})
	res, err := f.cl.CreateShipment(ctx, apitype.ShipmentCreateRequest{OrderRef: "order-err-0001", IdempotencyKey: "k-1", Order: orderJSON("A", "Hauptstraße 1")})
	if !errors.As(err, &ae) || ae.Code != apitype.CodeCarrierAuth || ae.Status != http.StatusBadGateway || res.Shipment.State != apitype.ShipmentFailed {
		t.Fatalf("401: %v %+v", err, res)
	}
	f.sim.Inject(sim.Fault{Path: "/parcel/de/shipping/v2/orders", Status: 429, RetryAfter: 2 * time.Second})
	if _, err := f.cl.CreateShipment(ctx, apitype.ShipmentCreateRequest{OrderRef: "order-err-0001", IdempotencyKey: "k-1", Order: orderJSON("A", "Hauptstraße 1")}); !errors.As(err, &ae) || ae.Status != http.StatusTooManyRequests {
		t.Fatalf("429: %v", err)
	}
	f.sim.Inject(sim.Fault{Path: "/parcel/de/shipping/v2/orders", Status: 502})
	if res, err := f.cl.CreateShipment(ctx, apitype.ShipmentCreateRequest{OrderRef: "order-err-0002", Order: orderJSON("B", "Hauptstraße 2")}); !errors.As(err, &ae) || ae.Code != apitype.CodeOutcomeUnknown || res.Shipment.State != apitype.ShipmentUnknown {
		t.Fatalf("502: %v %+v", err, res)
	}
	// Once DHL answers again, the same key goes out once.
	res, err = f.cl.CreateShipment(ctx, apitype.ShipmentCreateRequest{OrderRef: "order-err-0001", IdempotencyKey: "k-1", Order: orderJSON("A", "Hauptstraße 1")})
	if err != nil || res.Shipment.State != apitype.ShipmentCreated || len(f.sim.Shipments()) != 1 {
		t.Fatalf("after the faults: %v %+v (DHL has %d)", err, res, len(f.sim.Shipments()))
	}
	// Answers in the reader's language, DHL's own words kept.
	resp := func(lang string) apitype.Error {
		req, _ := http.NewRequest(http.MethodGet, "http://"+f.cl.Addr+"/api/v1/shipments?state=lost", nil)
		req.Header.Set(apitype.HeaderAPIKey, key)
		req.Header.Set("Accept-Language", lang)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		var e apitype.Error
		_ = json.NewDecoder(r.Body).Decode(&e)
		return e
	}
	if en, de := resp("en"), resp("de"); en.ID != "ship.api.bad_state" || de.ID != en.ID || en.Message == de.Message || !strings.Contains(de.Message, "Status") {
		t.Fatalf("worded answers: %+v / %+v", en, de)
	}
	if _, err := f.cl.Shipment(ctx, "nope"); !client.IsNotFound(err) {
		t.Fatalf("unknown shipment: %v", err)
	}
	f.sim.Inject(sim.Fault{Path: "/parcel/de/shipping/v2/manifests", Status: 503, Times: 10})
	if _, err := f.cl.DayEnd(ctx, apitype.DayEndRequest{}); !errors.As(err, &ae) || ae.Code != apitype.CodeCarrierUnavailable {
		t.Fatalf("day's end under 503: %v", err)
	}
}

func TestShipmentsNotConfigured(t *testing.T) {
	f := setup(t)
	var ae *client.APIError
	_, err := f.cl.CreateShipment(context.Background(), apitype.ShipmentCreateRequest{OrderRef: "order-1", Order: orderJSON("A", "B 1")})
	if !errors.As(err, &ae) || ae.Status != http.StatusServiceUnavailable || ae.Code != apitype.CodeShipmentNotConfigured {
		t.Fatalf("%v", err)
	}
	resp, err := http.Get("http://" + f.addr + "/api/v1/dayend")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without key: %d", resp.StatusCode)
	}
}

// A shipment's history, what to do and the journal's refusals are worded
// in the reader's language; each step names its catalog message, and a
// record written before steps had one is shown with its words as stored.
func TestShipmentWordsInTheReadersLanguage(t *testing.T) {
	f := setupShipping(t)
	ctx := context.Background()
	res, err := f.cl.CreateShipment(ctx, apitype.ShipmentCreateRequest{OrderRef: "order-words-01", Order: orderJSON("A", "Hauptstraße 1")})
	if err != nil {
		t.Fatal(err)
	}
	f.sim.Inject(sim.Fault{Path: "/parcel/de/shipping/v2/orders", Status: 502})
	lost, _ := f.cl.CreateShipment(ctx, apitype.ShipmentCreateRequest{OrderRef: "order-words-02", Order: orderJSON("B", "Hauptstraße 2")})
	if lost.Shipment.State != apitype.ShipmentUnknown {
		t.Fatalf("502 left %+v", lost.Shipment)
	}
	in := func(lang, id string) apitype.Shipment {
		cl := &client.Client{Addr: f.cl.Addr, Key: key, Lang: lang}
		s, err := cl.Shipment(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, id := range []string{res.Shipment.ID, lost.Shipment.ID} {
		en, de := in("en", id), in("de", id)
		if len(en.History) < 2 || len(en.History) != len(de.History) {
			t.Fatalf("history en %d, de %d steps", len(en.History), len(de.History))
		}
		for i := range en.History {
			h := en.History[i]
			if h.ID == "" || !strings.HasPrefix(h.ID, "shipjournal.") || de.History[i].ID != h.ID {
				t.Errorf("step %d has no catalog message: %+v", i, h)
			}
			if h.Note == de.History[i].Note {
				t.Errorf("step %d reads the same in English and German: %q", i, h.Note)
			}
		}
		if en.Action != "" && (en.Action == de.Action || en.ActionID == "" || de.ActionID != en.ActionID) {
			t.Errorf("what to do: en %s %q, de %s %q", en.ActionID, en.Action, de.ActionID, de.Action)
		}
	}
	if de := in("de", res.Shipment.ID); !strings.Contains(de.History[0].Note, "Auftrag erfasst") {
		t.Errorf("first step in German: %q", de.History[0].Note)
	}
	de := in("de", lost.Shipment.ID)
	if de.ActionID != apitype.ShipmentActionResolve || !strings.Contains(de.Action, "Geschäftskundenportal") || !strings.Contains(de.Action, "order-words-02") {
		t.Errorf("what to do in German: %s %q", de.ActionID, de.Action)
	}
	if !strings.Contains(de.Error, "Antwort ging verloren") {
		t.Errorf("the record's error in German: %q", de.Error)
	}

	// A refusal of the journal: the detail is in the reader's language too.
	for lang, want := range map[string]string{"en": "order reference or an idempotency key", "de": "Auftragsreferenz oder einen Idempotenzschlüssel"} {
		req, _ := http.NewRequest(http.MethodPost, "http://"+f.cl.Addr+"/api/v1/shipments", strings.NewReader(`{"order":`+string(orderJSON("C", "Hauptstraße 3"))+`}`))
		req.Header.Set(apitype.HeaderAPIKey, key)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept-Language", lang)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e apitype.Error
		_ = json.NewDecoder(r.Body).Decode(&e)
		r.Body.Close()
		if e.ID != "ship.api.invalid" || !strings.Contains(e.Message, want) {
			t.Errorf("%s: %+v", lang, e)
		}
	}

	// A record from before: its English words are shown as they are.
	old := `{"id":"20260101-0001","kind":"shipment","orderRef":"order-old","state":"created","day":"2026-01-01","shipmentNo":"00340434161094000001",` +
		`"created":"2026-01-01T10:00:00Z","updated":"2026-01-01T10:00:01Z","history":[{"at":"2026-01-01T10:00:00Z","state":"requested","note":"order recorded; sending it to DHL"}]}`
	if err := f.a.Store().DB().Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("ship_records")).Put([]byte("20260101-0001"), []byte(old))
	}); err != nil {
		t.Fatal(err)
	}
	if s := in("de", "20260101-0001"); len(s.History) != 1 || s.History[0].Note != "order recorded; sending it to DHL" || s.History[0].ID != "" {
		t.Errorf("an old record reads %+v", s.History)
	}
}
