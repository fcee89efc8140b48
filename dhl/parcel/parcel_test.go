package parcel_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labelagent/labelagent/dhl/address"
	"github.com/labelagent/labelagent/dhl/internal/contract"
	"github.com/labelagent/labelagent/dhl/parcel"
	"github.com/labelagent/labelagent/dhl/sim"
	"github.com/labelagent/labelagent/dhl/transport"
)

// env is a simulator behind a contract checker and a client.
type env struct {
	sim    *sim.Server
	srv    *httptest.Server
	ck     *contract.Checker
	client *parcel.Client
	tr     *transport.Client
	waits  *[]time.Duration
	logs   *bytes.Buffer
	// breachesExpected: the test sends a request that breaks the contract on purpose
	breachesExpected bool
}

type envOpt func(*transport.Config)

func newEnv(t *testing.T, opts ...envOpt) *env {
	t.Helper()
	c := contract.MustLoad(t, contract.ParcelShipping)
	s := sim.New(sim.Options{Seed: 42})
	if !s.Validating() {
		t.Fatalf("the simulator should check requests against the contract: %v", s.SpecError())
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	ck := &contract.Checker{
		Contract: c,
		Skip:     func(r *http.Request) bool { return !strings.HasPrefix(r.URL.Path, transport.ShippingPath) },
		// injected faults are not part of the contract
		SkipResponse: func(code int) bool { return code == 502 || code == 503 },
	}
	cfg := s.Config(srv.URL)
	cfg.Timeout = 60 * time.Second // generous: PDF rendering under -race on a loaded 2-core machine takes seconds
	for _, o := range opts {
		o(&cfg)
	}
	var mu sync.Mutex
	waits := &[]time.Duration{}
	logs := &bytes.Buffer{}
	lw := &lockedWriter{w: logs}
	tr, err := transport.New(cfg,
		transport.WithHTTPClient(&http.Client{Transport: ck}),
		transport.WithLogger(slog.New(slog.NewTextHandler(lw, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		transport.WithSleep(func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			*waits = append(*waits, d)
			mu.Unlock()
			return ctx.Err()
		}))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{sim: s, srv: srv, ck: ck, client: parcel.New(tr), tr: tr, waits: waits, logs: logs}
	t.Cleanup(func() {
		if !e.breachesExpected {
			ck.AssertClean(t)
		}
	})
	return e
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// specExample loads one of the contract's own request examples as a typed order.
func specExample(t *testing.T, name string) parcel.ShipmentOrderRequest {
	t.Helper()
	c := contract.MustLoad(t, contract.ParcelShipping)
	ex := c.Doc().Components.Examples[name]
	if ex == nil || ex.Value == nil {
		t.Fatalf("example %s not in the contract", name)
	}
	b, err := json.Marshal(ex.Value.Value)
	if err != nil {
		t.Fatal(err)
	}
	var req parcel.ShipmentOrderRequest
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatalf("example %s: %v", name, err)
	}
	return req
}

var specExamples = []string{"DHLPaket", "DHLPaketInternational", "DHLPaketInternationalWithCustoms", "DHLKleinpaket", "WarenpostInternationalWithCustoms"}

func TestSpecExamplesGoThroughToALabel(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, name := range specExamples {
		for _, format := range []string{parcel.DocFormatZPL2, parcel.DocFormatPDF} {
			t.Run(name+"/"+format, func(t *testing.T) {
				req := specExample(t, name)
				res, err := e.client.CreateOrders(ctx, req, parcel.CreateOptions{DocFormat: format, PrintFormat: parcel.PrintFormat910300600})
				if err != nil {
					t.Fatal(err)
				}
				if res.HTTPStatus != 200 || len(res.Shipments) != 1 {
					t.Fatalf("want one shipment with 200, got %d with %d", res.HTTPStatus, len(res.Shipments))
				}
				sh := res.Shipments[0]
				if sh.Outcome == parcel.OutcomeError || sh.ShipmentNo == "" {
					t.Fatalf("shipment not created: %+v", sh)
				}
				if sh.Label == nil || len(sh.Label.Data) == 0 {
					t.Fatal("no label bytes")
				}
				switch format {
				case parcel.DocFormatZPL2:
					z := string(sh.Label.Data)
					if !strings.HasPrefix(z, "^XA") || !strings.Contains(z, "^FD>;"+sh.ShipmentNo+"^FS") {
						t.Fatalf("ZPL label lacks the shipment barcode:\n%s", z)
					}
					if strings.Contains(z, "^PW") || strings.Contains(z, "^LL") {
						t.Error("DHL's ZPL carries no ^PW/^LL; neither should the simulator's")
					}
					if sh.RoutingCode == "" || !strings.Contains(z, sh.RoutingCode) {
						t.Errorf("routing code %q not on the label", sh.RoutingCode)
					}
				case parcel.DocFormatPDF:
					if !bytes.HasPrefix(sh.Label.Data, []byte("%PDF-")) {
						t.Fatalf("PDF label does not start like a PDF: %q", sh.Label.Data[:10])
					}
				}
				if name == "DHLPaketInternationalWithCustoms" && (sh.CustomsDoc == nil || !bytes.HasPrefix(sh.CustomsDoc.Data, []byte("%PDF-"))) {
					t.Error("V53WPAK with customs should come with a CN23 PDF")
				}
				if name == "DHLPaket" {
					// the example sends a phone number for a German consignee
					if sh.Outcome != parcel.OutcomeWarning || len(sh.Messages) == 0 || sh.Messages[0].Field != "consignee.phone" {
						t.Errorf("want a warning about consignee.phone, got %v %v", sh.Outcome, sh.Messages)
					}
				}
			})
		}
	}
	if e.ck.Requests() == 0 {
		t.Fatal("the contract checker saw no traffic")
	}
}

func germanShipment(street string) parcel.Shipment {
	return parcel.Shipment{
		Product: "V01PAK", BillingNumber: "33333333330102", RefNo: "Order 100200",
		Shipper:   parcel.Shipper{Name1: "My Online Shop GmbH", AddressStreet: "Sträßchensweg 10", PostalCode: "53113", City: "Bonn", Country: "DEU"},
		Consignee: parcel.Consignee{Contact: &parcel.ContactAddress{Name1: "Maria Musterfrau", AddressStreet: street, PostalCode: "10719", City: "Berlin", Country: "DEU"}},
		Details:   parcel.ShipmentDetails{Weight: parcel.Weight{UOM: "kg", Value: 1.2}},
	}
}

func TestMultiStatusIsReportedPerShipment(t *testing.T) {
	e := newEnv(t)
	warned := germanShipment("Kurfürstendamm 1")
	warned.Consignee.Contact.Phone = "+49 30 123456"
	req := parcel.ShipmentOrderRequest{Shipments: []parcel.Shipment{
		germanShipment("Kurfürstendamm 1"),
		germanShipment("Kurfürstendamm"), // no house number: cannot be routed, mustEncode refuses it
		warned,
	}}
	res, err := e.client.CreateOrders(context.Background(), req, parcel.CreateOptions{DocFormat: "ZPL2", PrintFormat: "910-300-400"})
	if err != nil {
		t.Fatal(err)
	}
	if res.HTTPStatus != http.StatusMultiStatus {
		t.Fatalf("want 207, got %d", res.HTTPStatus)
	}
	if !res.Partial() || res.Summary() != "2 of 3 shipments successfully created." || res.Summary() != res.Status.Detail {
		t.Fatalf("a mixed answer must be a partial success, summed up as DHL does: %q (DHL: %q)", res.Summary(), res.Status.Detail)
	}
	want := []parcel.Outcome{parcel.OutcomeSuccess, parcel.OutcomeError, parcel.OutcomeWarning}
	for i, sh := range res.Shipments {
		if sh.Index != i || sh.Outcome != want[i] {
			t.Errorf("shipment %d: outcome %v, want %v (%v)", i, sh.Outcome, want[i], sh.Messages)
		}
	}
	if res.Shipments[1].ShipmentNo != "" || res.Shipments[1].Label != nil {
		t.Error("the refused shipment must have no number and no label")
	}
	if m := res.Shipments[1].Messages; len(m) == 0 || m[0].Field != "consignee" || !strings.Contains(m[0].Text, "encoded") {
		t.Errorf("the refusal should name the consignee and say why: %v", m)
	}
	for _, i := range []int{0, 2} {
		if res.Shipments[i].Label == nil || len(res.Shipments[i].Label.Data) == 0 {
			t.Errorf("shipment %d: label bytes missing", i)
		}
	}
	if n := len(e.sim.Shipments()); n != 2 {
		t.Errorf("the simulator holds %d shipments, want 2", n)
	}
	// without mustEncode the unroutable address is labelled with a warning
	res, err = e.client.CreateOrders(context.Background(), parcel.ShipmentOrderRequest{Shipments: []parcel.Shipment{germanShipment("Kurfürstendamm")}},
		parcel.CreateOptions{AllowUnencodable: true})
	if err != nil || res.Shipments[0].Outcome != parcel.OutcomeWarning || res.Shipments[0].RoutingCode != "" {
		t.Fatalf("want a warning and no routing code, got %v %+v", err, res)
	}
}

func TestValidateIsADryRun(t *testing.T) {
	e := newEnv(t)
	res, err := e.client.CreateOrders(context.Background(), parcel.ShipmentOrderRequest{Shipments: []parcel.Shipment{germanShipment("Kurfürstendamm 1")}},
		parcel.CreateOptions{Validate: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Shipments[0].Outcome != parcel.OutcomeSuccess || res.Shipments[0].Label != nil || res.Shipments[0].ShipmentNo != "" {
		t.Fatalf("a dry run creates nothing: %+v", res.Shipments[0])
	}
	if n := len(e.sim.Shipments()); n != 0 {
		t.Fatalf("dry run created %d shipments", n)
	}
	res, err = e.client.CreateOrders(context.Background(), parcel.ShipmentOrderRequest{Shipments: []parcel.Shipment{germanShipment("Kurfürstendamm")}},
		parcel.CreateOptions{Validate: true})
	var rej *parcel.RejectedError
	if !errors.As(err, &rej) || res.Shipments[0].Outcome != parcel.OutcomeError {
		t.Fatalf("an unroutable address fails the dry run: %v", err)
	}
}

func TestServerSchemaErrorsNameTheProperty(t *testing.T) {
	e := newEnv(t)
	e.breachesExpected = true
	sh := germanShipment("Kurfürstendamm 1")
	sh.Consignee.Contact.PostalCode = "10719!"
	sh.Details.Weight.Value = -1
	res, err := e.client.CreateOrders(context.Background(), parcel.ShipmentOrderRequest{Shipments: []parcel.Shipment{sh}},
		parcel.CreateOptions{SkipLocalChecks: true})
	var rej *parcel.RejectedError
	if !errors.As(err, &rej) {
		t.Fatalf("want a RejectedError, got %v", err)
	}
	if transport.StatusOf(err) != 400 {
		t.Fatalf("want HTTP 400, got %d", transport.StatusOf(err))
	}
	var fields []string
	for _, s := range res.Shipments {
		for _, m := range s.Messages {
			fields = append(fields, m.Field)
		}
	}
	joined := strings.Join(fields, " ")
	if !strings.Contains(joined, "shipments[0].details.weight.value") {
		t.Errorf("the weight error should name its path, got %q", joined)
	}
	if !strings.Contains(joined, "shipments[0].consignee") {
		t.Errorf("the postal code error should name the consignee, got %q", joined)
	}
	if !strings.Contains(err.Error(), "details.weight.value") {
		t.Errorf("the error text should carry the findings: %v", err)
	}
}

func TestLocalChecksStopBadInputBeforeAnyCall(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name  string
		edit  func(*parcel.Shipment)
		field string
		text  string
	}{
		{"billing number of another product", func(s *parcel.Shipment) { s.BillingNumber = "33333333336201" }, "shipments[0].billingNumber", "V01PAK needs"},
		{"malformed billing number", func(s *parcel.Shipment) { s.BillingNumber = "1234" }, "shipments[0].billingNumber", "not a billing number"},
		{"two-letter country", func(s *parcel.Shipment) { s.Consignee.Contact.Country = "DE" }, "shipments[0].consignee.country", "alpha-3"},
		{"Kleinpaket too heavy", func(s *parcel.Shipment) {
			s.Product, s.BillingNumber = "V62KP", "33333333336201"
			s.Details.Weight = parcel.Weight{UOM: "g", Value: 1500}
		}, "shipments[0].details.weight.value", "too heavy for V62KP"},
		{"too heavy for the contract", func(s *parcel.Shipment) { s.Details.Weight = parcel.Weight{UOM: "kg", Value: 40} }, "shipments[0].details.weight.value", "at most 31.5 kg"},
		{"name too long", func(s *parcel.Shipment) { s.Consignee.Contact.Name1 = strings.Repeat("x", 51) }, "shipments[0].consignee.name1", "at most 50"},
		{"German postal code", func(s *parcel.Shipment) { s.Consignee.Contact.PostalCode = "1071" }, "shipments[0].consignee.postalCode", "five digits"},
		{"domestic product abroad", func(s *parcel.Shipment) {
			s.Consignee.Contact.Country, s.Consignee.Contact.PostalCode = "AUT", "1010"
		}, "shipments[0].consignee.country", "only within Germany"},
		{"shipper reference and address", func(s *parcel.Shipment) { s.Shipper.ShipperRef = "SHIPPER1" }, "shipments[0].shipper", "not both"},
		{"customs missing outside the EU", func(s *parcel.Shipment) {
			s.Product, s.BillingNumber = "V53WPAK", "33333333335301"
			s.Consignee.Contact.Country, s.Consignee.Contact.PostalCode = "CHE", "8001"
		}, "shipments[0].customs", "customs declaration"},
		{"ship date in the past", func(s *parcel.Shipment) { s.ShipDate = "2001-01-01" }, "shipments[0].shipDate", "past"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sh := germanShipment("Kurfürstendamm 1")
			tc.edit(&sh)
			_, err := e.client.CreateOrders(context.Background(), parcel.ShipmentOrderRequest{Shipments: []parcel.Shipment{sh}}, parcel.CreateOptions{})
			var errs address.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("want field errors, got %v", err)
			}
			found := false
			for _, fe := range errs {
				if fe.Field == tc.field && strings.Contains(fe.Message, tc.text) {
					found = true
				}
			}
			if !found {
				t.Fatalf("want %s: …%s…, got %v", tc.field, tc.text, errs)
			}
		})
	}
	if n := e.sim.Requests("POST " + transport.ShippingPath + "/orders"); n != 0 {
		t.Fatalf("%d requests reached DHL despite local errors", n)
	}
	// inputs are trimmed: a trailing space would break the contract's pattern
	sh := germanShipment(" Kurfürstendamm 1 ")
	sh.Consignee.Contact.PostalCode = "10719 "
	if _, err := e.client.CreateOrders(context.Background(), parcel.ShipmentOrderRequest{Shipments: []parcel.Shipment{sh}}, parcel.CreateOptions{}); err != nil {
		t.Fatalf("trimmed input should pass: %v", err)
	}
}

func orderWithConsignee(t *testing.T, consignee string) parcel.ShipmentOrderRequest {
	t.Helper()
	body := `{"profile":"STANDARD_GRUPPENPROFIL","shipments":[{"product":"V01PAK","billingNumber":"33333333330102",
	"shipper":{"name1":"Shop","addressStreet":"Sträßchensweg 10","postalCode":"53113","city":"Bonn","country":"DEU"},
	"consignee":` + consignee + `,"details":{"weight":{"uom":"g","value":500}}}]}`
	var req parcel.ShipmentOrderRequest
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	return req
}

func TestConsigneeShapes(t *testing.T) {
	e := newEnv(t)
	valid := map[string]string{
		"street address": `{"name1":"Maria Musterfrau","addressStreet":"Kurfürstendamm 1","postalCode":"10719","city":"Berlin","country":"DEU"}`,
		"Packstation":    `{"name":"Paula Packstation","lockerID":118,"postNumber":"12345678","postalCode":"53113","city":"Bonn","country":"DEU"}`,
		"Postfiliale":    `{"name":"Fritz Filialabholer","retailID":518,"postNumber":"12345678","postalCode":"53113","city":"Bonn"}`,
		"PO box":         `{"name1":"Joe Black","poBoxID":1234,"postalCode":"53113","city":"Bonn","country":"DEU"}`,
	}
	for name, js := range valid {
		t.Run("valid "+name, func(t *testing.T) {
			res, err := e.client.CreateOrders(context.Background(), orderWithConsignee(t, js), parcel.CreateOptions{DocFormat: "ZPL2", PrintFormat: "100x70mm"})
			if err != nil || res.Shipments[0].Outcome == parcel.OutcomeError {
				t.Fatalf("a valid %s should be labelled: %v", name, err)
			}
		})
	}
	invalid := []struct {
		name, js string
		want     []string
	}{
		{"street address without street", `{"name1":"Maria","postalCode":"10719","city":"Berlin","country":"DEU"}`,
			[]string{"as a street address: addressStreet: is required", "as a Packstation: name: is required", "lockerID: is required", "as a Postfiliale:", "retailID: is required", "as a PO box: poBoxID: is required"}},
		{"Packstation with bad numbers", `{"name":"Paula","lockerID":99,"postNumber":"123","postalCode":"53113","city":"Bonn"}`,
			[]string{"as a Packstation: lockerID: 99 is not a Packstation number", "postNumber: \"123\" is not a Postnummer", "as a street address: name1: is required"}},
		{"Postfiliale without Postnummer or e-mail", `{"name":"Fritz","retailID":518,"postalCode":"53113","city":"Bonn"}`,
			[]string{"as a Postfiliale: postNumber: a Postnummer or an e-mail address of the recipient is required"}},
		{"PO box without city", `{"name1":"Joe","poBoxID":"77","postalCode":"53113"}`,
			[]string{"as a PO box: city: is required", "as a street address:"}},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.client.CreateOrders(context.Background(), orderWithConsignee(t, tc.js), parcel.CreateOptions{})
			var errs address.Errors
			if !errors.As(err, &errs) || len(errs) == 0 || errs[0].Field != "shipments[0].consignee" {
				t.Fatalf("want an error on shipments[0].consignee, got %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(errs[0].Message, w) {
					t.Errorf("message lacks %q:\n%s", w, errs[0].Message)
				}
			}
			for _, shape := range []string{"street address", "Packstation", "Postfiliale", "PO box"} {
				if !strings.Contains(errs[0].Message, "as a "+shape+":") {
					t.Errorf("no reason given for the %s shape", shape)
				}
			}
		})
	}
}

func TestTokenIsCachedAndRefreshedOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	create := func() error {
		_, err := e.client.CreateOrders(ctx, parcel.ShipmentOrderRequest{Shipments: []parcel.Shipment{germanShipment("Kurfürstendamm 1")}}, parcel.CreateOptions{})
		return err
	}
	for i := 0; i < 3; i++ {
		if err := create(); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.sim.TokenRequests(); n != 1 {
		t.Fatalf("the token should be cached: %d token requests", n)
	}
	e.sim.ExpireTokens()
	if err := create(); err != nil {
		t.Fatalf("a revoked token should be replaced transparently: %v", err)
	}
	if n := e.sim.TokenRequests(); n != 2 {
		t.Fatalf("want exactly one refresh, got %d token requests", n)
	}
	// a 401 that persists is reported, after one refresh only
	e.sim.Inject(sim.Fault{Path: transport.ShippingPath + "/orders", Status: 401, Times: 5})
	err := create()
	if transport.StatusOf(err) != 401 || !strings.Contains(err.Error(), "check the API key") {
		t.Fatalf("want an actionable 401, got %v", err)
	}
	if n := e.sim.TokenRequests(); n != 3 {
		t.Fatalf("want one refresh for the 401, got %d token requests", n)
	}
}

func TestBasicAuthAndWrongCredentials(t *testing.T) {
	e := newEnv(t, func(c *transport.Config) { c.Auth = transport.AuthBasic })
	if _, err := e.client.GetLabels(context.Background(), []string{"00340434000000000000"}, parcel.LabelOptions{}); transport.StatusOf(err) != 0 && transport.StatusOf(err) != 400 {
		t.Fatalf("Basic auth should be accepted: %v", err)
	}
	if e.sim.TokenRequests() != 0 {
		t.Fatal("Basic auth must not fetch tokens")
	}
	bad := newEnv(t, func(c *transport.Config) { c.Password = "wrong-password" })
	_, err := bad.client.GetLabels(context.Background(), []string{"1234567890"}, parcel.LabelOptions{})
	if err == nil || !strings.Contains(err.Error(), "Invalid user credentials") {
		t.Fatalf("want the login failure explained, got %v", err)
	}
}

func TestRateLimitWaitsAndRetries(t *testing.T) {
	e := newEnv(t)
	e.sim.Inject(sim.Fault{Method: "POST", Path: transport.ShippingPath + "/orders", Status: 429, RetryAfter: 2 * time.Second})
	res, err := e.client.CreateOrders(context.Background(), parcel.ShipmentOrderRequest{Shipments: []parcel.Shipment{germanShipment("Kurfürstendamm 1")}}, parcel.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(*e.waits) != 1 || (*e.waits)[0] != 2*time.Second {
		t.Fatalf("want one wait of the Retry-After (2s), got %v", *e.waits)
	}
	if len(res.Shipments) != 1 || len(e.sim.Shipments()) != 1 {
		t.Fatal("exactly one shipment must be created")
	}
	// a Retry-After beyond the limit is not waited for
	e.sim.Inject(sim.Fault{Path: transport.ShippingPath + "/orders", Status: 429, RetryAfter: time.Hour})
	_, err = e.client.GetLabels(context.Background(), []string{res.Shipments[0].ShipmentNo}, parcel.LabelOptions{})
	if transport.StatusOf(err) != 429 || !strings.Contains(err.Error(), "retry after 1h") {
		t.Fatalf("want the 429 reported with its wait, got %v", err)
	}
}

func TestServerErrorsRetryOnlyIdempotentCalls(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.sim.Inject(sim.Fault{Method: "POST", Path: transport.ShippingPath + "/orders", Status: 500})
	_, err := e.client.CreateOrders(ctx, parcel.ShipmentOrderRequest{Shipments: []parcel.Shipment{germanShipment("Kurfürstendamm 1")}}, parcel.CreateOptions{})
	if transport.StatusOf(err) != 500 || !errors.Is(err, parcel.ErrOutcomeUnknown) {
		t.Fatalf("want the 500 reported as an unknown outcome, got %v", err)
	}
	if n := e.sim.Requests("POST " + transport.ShippingPath + "/orders"); n != 1 {
		t.Fatalf("creating a shipment must not be repeated after a 500 (it may have been billed): %d attempts", n)
	}
	res, err := e.client.CreateOrders(ctx, parcel.ShipmentOrderRequest{Shipments: []parcel.Shipment{germanShipment("Kurfürstendamm 1")}}, parcel.CreateOptions{DocFormat: "ZPL2"})
	if err != nil {
		t.Fatal(err)
	}
	no := res.Shipments[0].ShipmentNo
	e.sim.Inject(sim.Fault{Method: "GET", Path: transport.ShippingPath + "/orders", Status: 500, Times: 2})
	res, err = e.client.GetLabels(ctx, []string{no}, parcel.LabelOptions{DocFormat: "ZPL2", PrintFormat: "910-300-600"})
	if err != nil {
		t.Fatalf("a reprint should be retried after 5xx: %v", err)
	}
	if len(*e.waits) != 2 || len(res.Shipments[0].Label.Data) == 0 {
		t.Fatalf("want two backoff waits and a label, got %v", *e.waits)
	}
}

func TestTimeouts(t *testing.T) {
	e := newEnv(t, func(c *transport.Config) { c.Timeout = 150 * time.Millisecond; c.MaxRetries = 1 })
	ctx := context.Background()
	// fetch the token first, so the slow answer hits the order call
	if _, err := e.client.GetLabels(ctx, []string{"1234567890"}, parcel.LabelOptions{}); transport.StatusOf(err) != 400 {
		t.Fatalf("unexpected: %v", err)
	}
	e.sim.Inject(sim.Fault{Method: "POST", Delay: 2 * time.Second})
	start := time.Now()
	_, err := e.client.CreateOrders(ctx, parcel.ShipmentOrderRequest{Shipments: []parcel.Shipment{germanShipment("Kurfürstendamm 1")}}, parcel.CreateOptions{})
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, parcel.ErrOutcomeUnknown) || !strings.Contains(err.Error(), "no answer within") {
		t.Fatalf("want a timeout, got %v", err)
	}
	if time.Since(start) > time.Second {
		t.Fatal("the timeout was not applied")
	}
	// an idempotent call is tried again after a timeout
	e.sim.Inject(sim.Fault{Method: "GET", Delay: 2 * time.Second})
	_, err = e.client.GetLabels(ctx, []string{"1234567890"}, parcel.LabelOptions{})
	if transport.StatusOf(err) != 400 {
		t.Fatalf("the second attempt should have got DHL's answer: %v", err)
	}
}

func TestLatin1ErrorPage(t *testing.T) {
	e := newEnv(t, func(c *transport.Config) { c.MaxRetries = -1 })
	e.sim.Inject(sim.Fault{Method: "GET", Path: transport.ShippingPath + "/orders", Status: 503, Latin1HTML: true})
	_, err := e.client.GetLabels(context.Background(), []string{"1234567890"}, parcel.LabelOptions{})
	if transport.StatusOf(err) != 503 {
		t.Fatalf("want 503, got %v", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "vorübergehend nicht verfügbar") || !strings.Contains(msg, "später") || strings.Contains(msg, "<p>") {
		t.Fatalf("the Latin-1 page should be decoded to readable text: %s", msg)
	}
}

func TestCancelReprintManifest(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	res, err := e.client.CreateOrders(ctx, parcel.ShipmentOrderRequest{Shipments: []parcel.Shipment{germanShipment("Kurfürstendamm 1"), germanShipment("Hauptstraße 4/1")}}, parcel.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a, b := res.Shipments[0].ShipmentNo, res.Shipments[1].ShipmentNo
	cres, err := e.client.Cancel(ctx, "", a)
	if err != nil || cres.Shipments[0].Outcome != parcel.OutcomeSuccess {
		t.Fatalf("cancel: %v %+v", err, cres)
	}
	cres, err = e.client.Cancel(ctx, "", a, b)
	if err != nil {
		t.Fatal(err)
	}
	if cres.Shipments[0].Outcome != parcel.OutcomeError || cres.Shipments[1].Outcome != parcel.OutcomeSuccess || !cres.Partial() {
		t.Fatalf("cancelling twice fails for that shipment only: %+v", cres.Shipments)
	}
	res, err = e.client.CreateOrders(ctx, parcel.ShipmentOrderRequest{Shipments: []parcel.Shipment{germanShipment("Am Markt 12a-13c")}}, parcel.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Shipments[0].ShipmentNo
	mres, err := e.client.Manifest(ctx, parcel.ManifestRequest{All: true})
	if err != nil || len(mres.Shipments) != 1 || mres.Shipments[0].ShipmentNo != c || mres.Shipments[0].Outcome != parcel.OutcomeSuccess {
		t.Fatalf("closeout: %v %+v", err, mres)
	}
	mres, err = e.client.Manifest(ctx, parcel.ManifestRequest{ShipmentNumbers: []string{c}})
	if err != nil || mres.Shipments[0].Outcome != parcel.OutcomeWarning {
		t.Fatalf("closing out twice is a warning: %v %+v", err, mres)
	}
	if _, err := e.client.Cancel(ctx, "", c); err == nil {
		t.Fatal("a closed-out shipment cannot be cancelled")
	}
	if _, err := e.client.GetLabels(ctx, []string{c}, parcel.LabelOptions{}); err == nil {
		t.Fatal("labels of a closed-out shipment are gone")
	}
	doc, err := e.client.GetManifest(ctx, time.Time{}, "")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(doc.PDF, []byte("%PDF-")) || len(doc.Shipments) != 1 || doc.Shipments[0].ShipmentNo != c || len(doc.Sheets) != 1 {
		t.Fatalf("manifest: %+v", doc)
	}
	if _, err := e.client.GetManifest(ctx, time.Now().AddDate(0, 0, 3), ""); transport.StatusOf(err) != 400 {
		t.Fatalf("a manifest of the future is a 400: %v", err)
	}
}

func TestLabelsByURL(t *testing.T) {
	e := newEnv(t)
	res, err := e.client.CreateOrders(context.Background(), parcel.ShipmentOrderRequest{Shipments: []parcel.Shipment{germanShipment("Kurfürstendamm 1")}},
		parcel.CreateOptions{IncludeDocs: parcel.IncludeDocsURL})
	if err != nil {
		t.Fatal(err)
	}
	l := res.Shipments[0].Label
	if l == nil || l.URL == "" || len(l.Data) != 0 {
		t.Fatalf("want a URL only: %+v", l)
	}
	resp, err := e.srv.Client().Get(l.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("download: %d %q", resp.StatusCode, b[:min(len(b), 20)])
	}
}

func TestOptionsAreChecked(t *testing.T) {
	e := newEnv(t)
	_, err := e.client.CreateOrders(context.Background(), parcel.ShipmentOrderRequest{Shipments: []parcel.Shipment{germanShipment("Kurfürstendamm 1")}},
		parcel.CreateOptions{DocFormat: "ZPL2", PrintFormat: "A4"})
	if err == nil || !strings.Contains(err.Error(), "laser format") {
		t.Fatalf("ZPL2 on A4 must be refused: %v", err)
	}
}

func TestSecretsStayOutOfLogs(t *testing.T) {
	e := newEnv(t)
	if _, err := e.client.CreateOrders(context.Background(), parcel.ShipmentOrderRequest{Shipments: []parcel.Shipment{germanShipment("Kurfürstendamm 1")}}, parcel.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	key, secret, _, password := e.sim.Credentials()
	logs := e.logs.String()
	if !strings.Contains(logs, "dhl request") {
		t.Fatal("requests should be logged at debug level")
	}
	for _, s := range []string{key, secret, password, "Bearer "} {
		if strings.Contains(logs, s) {
			t.Errorf("log contains secret %q", s)
		}
	}
}

func TestTokenRenewedAMinuteBeforeExpiryAndShared(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	s := sim.New(sim.Options{SpecPath: "-", TokenTTL: 90 * time.Second, Now: clock})
	srv := httptest.NewServer(s)
	defer srv.Close()
	tr, err := transport.New(s.Config(srv.URL), transport.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	c := parcel.New(tr)
	c.SetClock(clock)
	req := parcel.ShipmentOrderRequest{Shipments: []parcel.Shipment{germanShipment("Kurfürstendamm 1")}}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.CreateOrders(context.Background(), req, parcel.CreateOptions{DocFormat: "ZPL2"})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := s.TokenRequests(); n != 1 {
		t.Fatalf("concurrent calls must share one token fetch, got %d", n)
	}
	advance(29 * time.Second) // 61s of 90 left: still good
	if _, err := c.CreateOrders(context.Background(), req, parcel.CreateOptions{}); err != nil || s.TokenRequests() != 1 {
		t.Fatalf("token should still be cached: %v, %d fetches", err, s.TokenRequests())
	}
	advance(2 * time.Second) // 59s left: renew before it runs out
	if _, err := c.CreateOrders(context.Background(), req, parcel.CreateOptions{}); err != nil || s.TokenRequests() != 2 {
		t.Fatalf("token should be renewed a minute before expiry: %v, %d fetches", err, s.TokenRequests())
	}
}

func TestReturnLabelCombined(t *testing.T) {
	e := newEnv(t)
	sh := germanShipment("Kurfürstendamm 1")
	sh.Services = &parcel.VAS{DHLRetoure: &parcel.VASDhlRetoure{BillingNumber: "33333333330701",
		ReturnAddress: &parcel.ContactAddress{Name1: "Retourenlager", AddressStreet: "Sträßchensweg 10", PostalCode: "53113", City: "Bonn", Country: "DEU"}}}
	req := parcel.ShipmentOrderRequest{Shipments: []parcel.Shipment{sh}}
	res, err := e.client.CreateOrders(context.Background(), req, parcel.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Shipments[0]
	if r.ReturnShipmentNo == "" || r.ReturnLabel != nil || bytes.Count(r.Label.Data, []byte("/Type /Page ")) != 2 {
		t.Fatalf("combine (the default) puts label and return label in one two-page PDF: return %q, separate %v", r.ReturnShipmentNo, r.ReturnLabel != nil)
	}
	no := false
	res, err = e.client.CreateOrders(context.Background(), req, parcel.CreateOptions{Combine: &no, DocFormat: "ZPL2", PrintFormat: "910-300-600", RetourePrintFormat: "910-300-400"})
	if err != nil {
		t.Fatal(err)
	}
	r = res.Shipments[0]
	if r.ReturnLabel == nil || !strings.Contains(string(r.ReturnLabel.Data), r.ReturnShipmentNo) || r.ReturnLabel.PrintFormat != "910-300-400/410" {
		t.Fatalf("separate return label in its own print format: %+v", r.ReturnLabel)
	}
}

func TestUnreachableAndBadLoginSendNothing(t *testing.T) {
	// a closed port: the connection is never made
	ln := httptest.NewServer(http.NotFoundHandler())
	url := ln.URL
	ln.Close()
	s := sim.New(sim.Options{SpecPath: "-"})
	cfg := s.Config(url)
	cfg.MaxRetries = 1
	tr, err := transport.New(cfg, transport.WithSleep(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }))
	if err != nil {
		t.Fatal(err)
	}
	_, err = parcel.New(tr).CreateOrders(context.Background(), parcel.ShipmentOrderRequest{Shipments: []parcel.Shipment{germanShipment("Kurfürstendamm 1")}}, parcel.CreateOptions{})
	if !errors.Is(err, transport.ErrNotSent) || errors.Is(err, parcel.ErrOutcomeUnknown) {
		t.Fatalf("an unreachable DHL means nothing was sent: %v", err)
	}
	bad := newEnv(t, func(c *transport.Config) { c.APISecret = "wrong" })
	_, err = bad.client.CreateOrders(context.Background(), parcel.ShipmentOrderRequest{Shipments: []parcel.Shipment{germanShipment("Kurfürstendamm 1")}}, parcel.CreateOptions{})
	if !errors.Is(err, transport.ErrNotSent) || errors.Is(err, parcel.ErrOutcomeUnknown) || transport.StatusOf(err) != 401 {
		t.Fatalf("a failed login sends no order: %v", err)
	}
	if n := bad.sim.Requests("POST " + transport.ShippingPath + "/orders"); n != 0 {
		t.Fatalf("%d orders reached DHL", n)
	}
}
