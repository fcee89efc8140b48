package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
)

// Our own check refuses a too-heavy parcel before it reaches DHL; the
// operator reads why in their language: the create answer's detail and the
// validate-only answer, German with Accept-Language: de, English otherwise.
func TestTooHeavyParcelRefusedInTheReadersLanguage(t *testing.T) {
	f := setupShipping(t)
	ctx := context.Background()
	heavy := json.RawMessage(`{"product":"V01PAK","consignee":{"name1":"A","addressStreet":"Hauptstraße 1","postalCode":"10719","city":"Berlin","country":"DEU"},"details":{"weight":{"uom":"kg","value":40}}}`)
	for _, tc := range []struct {
		lang      string
		want      []string
		notWanted []string
	}{
		{"de", []string{"Sendungsdaten › Gewicht › Wert: 40 kg ist zu schwer für V01PAK (höchstens 31,5 kg)"}, []string{"too heavy", "details.weight"}},
		{"en", []string{"details.weight.value: 40 kg is too heavy for V01PAK (at most 31.5 kg)"}, []string{"zu schwer"}},
		{"", []string{"details.weight.value: 40 kg is too heavy for V01PAK (at most 31.5 kg)"}, []string{"zu schwer"}},
		{"fr-FR", []string{"details.weight.value: 40 kg is too heavy for V01PAK (at most 31.5 kg)"}, []string{"zu schwer"}},
	} {
		body := `{"order_ref":"order-heavy-01","order":` + string(heavy) + `}`
		req, _ := http.NewRequest(http.MethodPost, "http://"+f.cl.Addr+"/api/v1/shipments", strings.NewReader(body))
		req.Header.Set(apitype.HeaderAPIKey, key)
		req.Header.Set("Content-Type", "application/json")
		if tc.lang != "" {
			req.Header.Set("Accept-Language", tc.lang)
		}
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e apitype.Error
		_ = json.NewDecoder(r.Body).Decode(&e)
		r.Body.Close()
		if r.StatusCode != http.StatusBadRequest && r.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%q: status %d: %+v", tc.lang, r.StatusCode, e)
		}
		for _, w := range tc.want {
			if !strings.Contains(e.Message, w) {
				t.Errorf("%q: the refusal %q lacks %q", tc.lang, e.Message, w)
			}
		}
		for _, w := range tc.notWanted {
			if strings.Contains(e.Message, w) {
				t.Errorf("%q: the refusal %q has %q", tc.lang, e.Message, w)
			}
		}

		cl := &client.Client{Addr: f.cl.Addr, Key: key, Lang: tc.lang}
		res, err := cl.ValidateShipments(ctx, apitype.ShipmentValidateRequest{Orders: []json.RawMessage{heavy}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 1 || res[0].Valid || len(res[0].Messages) != 1 {
			t.Fatalf("%q: validation %+v", tc.lang, res)
		}
		m := res[0].Messages[0]
		t.Logf("%q: %s / %s: %s", tc.lang, e.Message, m.FieldText, m.Text)
		if m.ID != "dhlcheck.too_heavy" || m.Field != "details.weight.value" || m.Severity != "error" {
			t.Errorf("%q: message %+v", tc.lang, m)
		}
		got := m.FieldText + ": " + m.Text
		if !strings.Contains(tc.want[0], got) {
			t.Errorf("%q: validate says %q, want it within %q", tc.lang, got, tc.want[0])
		}
	}
	if n := f.sim.Requests("POST /parcel/de/shipping/v2/orders"); n != 0 {
		t.Errorf("a refused order reached DHL %d times", n)
	}
}
