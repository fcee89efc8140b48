package parcel_test

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/labelagent/labelagent/dhl/internal/contract"
	"github.com/labelagent/labelagent/dhl/parcel"
)

// sample builds the contract's own sample of a schema: its example, else an
// object of its properties' samples (nil when there is none).
func sample(ref *openapi3.SchemaRef, depth int) any {
	if ref == nil || ref.Value == nil || depth > 6 {
		return nil
	}
	s := ref.Value
	if s.Example != nil {
		return s.Example
	}
	if len(s.Properties) == 0 {
		return nil
	}
	obj := map[string]any{}
	for name, p := range s.Properties {
		if v := sample(p, depth+1); v != nil {
			obj[name] = v
		}
	}
	if len(obj) == 0 {
		return nil
	}
	return obj
}

// responseSchemas names every component schema an answer of the contract
// can contain.
func responseSchemas(doc *openapi3.T) map[string]bool {
	names := map[string]bool{}
	var walk func(*openapi3.SchemaRef)
	walk = func(r *openapi3.SchemaRef) {
		if r == nil || r.Value == nil {
			return
		}
		if n, ok := strings.CutPrefix(r.Ref, "#/components/schemas/"); ok {
			if names[n] {
				return
			}
			names[n] = true
		}
		for _, p := range r.Value.Properties {
			walk(p)
		}
		walk(r.Value.Items)
		for _, x := range append(append(r.Value.OneOf, r.Value.AnyOf...), r.Value.AllOf...) {
			walk(x)
		}
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, resp := range op.Responses.Map() {
				if resp.Value == nil {
					continue
				}
				for _, mt := range resp.Value.Content {
					walk(mt.Schema)
				}
			}
		}
	}
	return names
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSpecSampleAnswers sends every sample answer of the Shipping v2
// contract through the client: each response schema with an example (or
// examples on its properties) has a row, and a schema added to the contract
// with a sample and no row fails the test.
func TestSpecSampleAnswers(t *testing.T) {
	doc := contract.MustLoad(t, contract.ParcelShipping).Doc()
	schemas := doc.Components.Schemas
	sampleOf := func(name string) any {
		v := sample(schemas[name], 0)
		if v == nil {
			t.Fatalf("the contract has no sample of %s", name)
		}
		return v
	}
	status := sampleOf("RequestStatus")
	itemWith := func(extra map[string]any) map[string]any {
		it := map[string]any{"shipmentNo": "00340434161094015902", "sstatus": status, "label": map[string]any{"url": "https://example/label"}}
		for k, v := range extra {
			it[k] = v
		}
		return it
	}
	const specNo = "340434310428091700" // a JSON number in the contract's example
	rows := map[string]func(t *testing.T){
		"RequestStatus": func(t *testing.T) {
			body := mustJSON(t, map[string]any{"status": status, "items": []any{map[string]any{"shipmentNo": "1", "sstatus": status}}})
			res, err := canned(t, 200, body).Cancel(context.Background(), "", "1")
			if err != nil || res.Shipments[0].Outcome != parcel.OutcomeSuccess || res.Status.Detail != "The Webservice call ran successfully." {
				t.Fatalf("%v %+v", err, res)
			}
		},
		"LabelDataResponse": func(t *testing.T) {
			c := answerCase{op: parcel.OpCreate, sent: []string{"a"}, status: 200, body: mustJSON(t, sampleOf("LabelDataResponse")),
				want:    []shipmentWant{{outcome: parcel.OutcomeSuccess, no: specNo, label: true, created: true}},
				summary: "1 of 1 shipment successfully created."}
			res, err := c.run(t, canned(t, c.status, c.body))
			checkAnswer(t, c, res, err)
			if l := res.Shipments[0].Label; l.Format != "PDF" || !strings.HasPrefix(l.URL, "https://") || res.Shipments[0].RoutingCode == "" {
				t.Errorf("label and routing code of the sample: %+v %q", l, res.Shipments[0].RoutingCode)
			}
		},
		"ResponseItem": func(t *testing.T) {
			// the contract's example of one item is a list of them
			c := answerCase{op: parcel.OpCreate, sent: []string{"a"}, status: 200,
				body:    mustJSON(t, map[string]any{"status": status, "items": sampleOf("ResponseItem")}),
				want:    []shipmentWant{{outcome: parcel.OutcomeSuccess, no: specNo, label: true, created: true}},
				summary: "1 of 1 shipment successfully created."}
			res, err := c.run(t, canned(t, c.status, c.body))
			checkAnswer(t, c, res, err)
		},
		"ValidationMessageItem": func(t *testing.T) {
			vm := sampleOf("ValidationMessageItem")
			c := answerCase{op: parcel.OpCreate, sent: []string{"a"}, status: 200,
				body: mustJSON(t, map[string]any{"status": status, "items": []any{itemWith(map[string]any{"validationMessages": []any{vm}})}}),
				// created (status 200): the message is for reading, the shipment exists
				want:    []shipmentWant{{outcome: parcel.OutcomeWarning, no: "00340434161094015902", label: true, created: true}},
				summary: "1 of 1 shipment successfully created."}
			res, err := c.run(t, canned(t, c.status, c.body))
			checkAnswer(t, c, res, err)
			if m := res.Shipments[0].Messages; len(m) != 1 || m[0].Field != "dimension.weight" || m[0].Text != "The weight is too high" {
				t.Errorf("messages: %+v", m)
			}
		},
		"Document": func(t *testing.T) {
			c := answerCase{op: parcel.OpCreate, sent: []string{"a"}, status: 200,
				body:    mustJSON(t, map[string]any{"status": status, "items": []any{itemWith(map[string]any{"label": sampleOf("Document")})}}),
				want:    []shipmentWant{{outcome: parcel.OutcomeSuccess, no: "00340434161094015902", label: true, created: true}},
				summary: "1 of 1 shipment successfully created."}
			res, err := c.run(t, canned(t, c.status, c.body))
			checkAnswer(t, c, res, err)
			if l := res.Shipments[0].Label; l.Format != "PDF" || l.PrintFormat != "910-300-700" {
				t.Errorf("document: %+v", l)
			}
		},
		"ShortResponseItem": func(t *testing.T) {
			body := mustJSON(t, map[string]any{"status": status, "items": []any{sampleOf("ShortResponseItem")}})
			res, err := canned(t, 207, body).Manifest(context.Background(), parcel.ManifestRequest{All: true})
			if err != nil || len(res.Shipments) != 1 || res.Shipments[0].ShipmentNo != specNo || res.Shipments[0].Outcome != parcel.OutcomeSuccess {
				t.Fatalf("%v %+v", err, res)
			}
		},
		"MultipleManifestResponse": func(t *testing.T) {
			res, err := canned(t, 207, mustJSON(t, sampleOf("MultipleManifestResponse"))).Manifest(context.Background(), parcel.ManifestRequest{All: true})
			if err != nil || res.Status.Code() != 200 {
				t.Fatalf("%v %+v", err, res)
			}
		},
		"ServiceInformation": func(t *testing.T) {
			si, err := canned(t, 200, mustJSON(t, sampleOf("ServiceInformation"))).Version(context.Background())
			if err != nil || si.Amp.Name != "pp-parcel-shipping-native" || si.Amp.Version != "v2.0.4" || si.Backend.Version != "v2.1.0" {
				t.Fatalf("%v %+v", err, si)
			}
		},
		"SingleManifestResponse": func(t *testing.T) {
			doc, err := canned(t, 200, mustJSON(t, sampleOf("SingleManifestResponse"))).GetManifest(context.Background(), timeZero, "")
			if err != nil || doc == nil {
				t.Fatalf("%v %+v", err, doc)
			}
		},
		"ShipmentNoToSheetNo": func(t *testing.T) {
			body := mustJSON(t, map[string]any{"status": status, "items": []any{sampleOf("ShipmentNoToSheetNo")}})
			doc, err := canned(t, 200, body).GetManifest(context.Background(), timeZero, "")
			if err != nil || len(doc.Shipments) != 1 || doc.Shipments[0].SStatus == nil || doc.Shipments[0].SStatus.Code() != 200 {
				t.Fatalf("%v %+v", err, doc)
			}
		},
	}
	var missing []string
	for name := range responseSchemas(doc) {
		if sample(schemas[name], 0) != nil && rows[name] == nil {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("sample answers of the contract not sent through the client: %v", missing)
	}
	for name, row := range rows {
		t.Run(name, row)
	}
}

var timeZero = time.Time{}
