package browser_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/dhl/sim"
)

// dhlSim starts the DHL simulator and returns the dhl: section for it.
func dhlSim(t *testing.T) (*sim.Server, *yaml.Node) {
	t.Helper()
	s := sim.New(sim.Options{Seed: 5, TrackingPerSecond: -1, TrackingDailyQuota: -1})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	sc := s.Config(srv.URL)
	var bn strings.Builder
	for p, n := range sc.BillingNumbers {
		fmt.Fprintf(&bn, "    %s: %q\n", p, n)
	}
	doc := fmt.Sprintf("base_url: %s\napi_key: %s\napi_secret: %s\nusername: %s\npassword: %q\nmax_retry_wait: 100ms\nmax_retries: 1\nbilling_numbers:\n%sshipper:\n  name1: Shop GmbH\n  street: Sträßchensweg 10\n  postal_code: \"53113\"\n  city: Bonn\n",
		srv.URL, sc.APIKey, sc.APISecret, sc.Username, sc.Password, bn.String())
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &n); err != nil {
		t.Fatal(err)
	}
	return s, n.Content[0]
}

// TestShippingScope: creating a DHL shipment spends money, so an origin
// needs the shipping scope; with it, the shipment is created through the
// agent's shipment service, its label printed through the queue, and the
// dashboard lists it among today's shipments.
func TestShippingScope(t *testing.T) {
	s, dhl := dhlSim(t)
	f := setup(t, fixtureOpts{dhl: dhl})
	tok := f.pair(t, shop) // print only
	order := `{"order_ref":"4711","order":{"product":"V01PAK","consignee":{"name1":"Erika Mustermann","addressStreet":"Kurfürstendamm 1","postalCode":"10719","city":"Berlin","country":"DEU"},"details":{"weight":{"uom":"kg","value":1.2}}}}`
	hdr := map[string]string{"Origin": shop, "Authorization": "Bearer " + tok, "Idempotency-Key": "ship-4711"}
	resp, data := f.req(t, "POST", f.addr, "/v1/shipments", "application/json", strings.NewReader(order), hdr)
	if resp.StatusCode != 403 || !strings.Contains(string(data), apitype.CodeScope) || len(s.Shipments()) != 0 {
		t.Fatalf("without the scope: %d %s, DHL has %d", resp.StatusCode, data, len(s.Shipments()))
	}
	f.reg.Approve(shop, []string{apitype.ScopeShipping})
	resp, data = f.req(t, "POST", f.addr, "/v1/shipments", "application/json", strings.NewReader(order), hdr)
	var res apitype.ShipmentResult
	json.Unmarshal(data, &res)
	if resp.StatusCode/100 != 2 || res.Shipment.State != apitype.ShipmentCreated || res.Shipment.ShipmentNo == "" || len(s.Shipments()) != 1 {
		t.Fatalf("with the scope: %d %s", resp.StatusCode, data)
	}
	// Sent again with the same key: the same shipment, DHL called once.
	resp, data = f.req(t, "POST", f.addr, "/v1/shipments", "application/json", strings.NewReader(order), hdr)
	if resp.StatusCode/100 != 2 || len(s.Shipments()) != 1 {
		t.Fatalf("repeat: %d %s, DHL has %d", resp.StatusCode, data, len(s.Shipments()))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	labels, err := f.emu.WaitLabels(ctx, 1)
	if err != nil || !bytes.Contains(labels[0].Data, []byte("^XA")) {
		t.Fatalf("label: %v", err)
	}
	resp, data = f.req(t, "GET", f.addr, "/v1/shipments/"+res.Shipment.ID, "", nil, hdr)
	if resp.StatusCode != 200 || !strings.Contains(string(data), res.Shipment.ShipmentNo) {
		t.Fatalf("get: %d %s", resp.StatusCode, data)
	}
	cookie, _, _ := dashSession(t, f, "en")
	resp, data = f.req(t, "GET", f.addr, "/dashboard/api/shipments", "", nil, map[string]string{"Cookie": cookie})
	if resp.StatusCode != 200 || !strings.Contains(string(data), res.Shipment.ShipmentNo) {
		t.Fatalf("dashboard shipments: %d %s", resp.StatusCode, data)
	}
}
