package parcel

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzOrderJSON feeds order files (outside input) through decoding,
// normalising and validation: no panic, and an order that validates
// encodes to JSON that decodes and validates again.
func FuzzOrderJSON(f *testing.F) {
	f.Add(`{"profile":"P","shipments":[{"product":"V01PAK","billingNumber":"33333333330102","shipper":{"name1":"a","addressStreet":"b 1","postalCode":"53113","city":"c","country":"DEU"},"consignee":{"name":"P","lockerID":"118","postNumber":12345678,"postalCode":"53113","city":"Bonn"},"details":{"weight":{"uom":"g","value":500}}}]}`)
	f.Add(`{"profile":"P","shipments":[{"consignee":{"name1":"x","poBoxID":5,"lockerID":120}}]}`)
	f.Add(`{"shipments":[{"customs":{"items":[{"hsCode":123456}]}}]}`)
	today := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, in string) {
		var req ShipmentOrderRequest
		if json.Unmarshal([]byte(in), &req) != nil {
			return
		}
		req.Normalize()
		if req.Validate(today) != nil {
			return
		}
		out, err := json.Marshal(&req)
		if err != nil {
			t.Fatalf("a valid order does not encode: %v", err)
		}
		var again ShipmentOrderRequest
		if err := json.Unmarshal(out, &again); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		again.Normalize()
		if err := again.Validate(today); err != nil {
			t.Fatalf("valid order invalid after a round trip: %v\n%s", err, out)
		}
	})
}

// FuzzAnswer feeds DHL answers (outside input) through the per-shipment
// reading: no panic, exactly one result per shipment sent, in order, and
// a shipment is never ok unless DHL's own status for it is 200.
func FuzzAnswer(f *testing.F) {
	f.Add(`{"status":{"title":"Multi-Status","status":207,"detail":"1 of 2 shipments successfully created."},"items":[{"shipmentNo":"1","sstatus":{"title":"ok","status":200},"label":{"zpl2":"^XA^XZ"}},{"shipmentNo":"2","sstatus":{"title":"GeneralShipmentError","status":206}}]}`, 2, 207)
	f.Add(`{"status":{"title":"Bad Request","status":400},"items":[{"propertyPath":"shipments[1].consignee.country","message":"m"},{"propertyPath":"shipments[7]","message":"m"}]}`, 2, 400)
	f.Add(`{"items":[{"requestIndex":"2","sstatus":{"statusCode":204}},{"sequenceNumber":1,"sstatus":{"status":200}}]}`, 2, 207)
	f.Add(`{"items":[{"shipmentNo":340434310428091700,"sstatus":{"status":200},"label":{"b64":"JVBERi0xLjQKJeLjz9MKNSAwIG9-0"}}]}`, 1, 200)
	f.Fuzz(func(t *testing.T, in string, n, httpStatus int) {
		if n < 0 || n > MaxShipments {
			return
		}
		var ldr LabelDataResponse
		if json.Unmarshal([]byte(in), &ldr) != nil {
			return
		}
		for _, op := range []Op{OpCreate, OpValidate, OpCancel, OpLabels} {
			res := newResult(op, httpStatus, &ldr, n, nil)
			if len(res.Shipments) != n {
				t.Fatalf("%d results for %d shipments", len(res.Shipments), n)
			}
			for i, s := range res.Shipments {
				if s.Index != i {
					t.Fatalf("result %d has index %d", i, s.Index)
				}
				if s.Outcome.OK() && s.Status.Code() != 200 && !(s.Status.Code() == 0 && httpStatus == 200 && n == 1) {
					t.Fatalf("shipment %d ok with status %d", i, s.Status.Code())
				}
				if !s.Outcome.OK() && s.Problem == ProblemNone {
					t.Fatalf("shipment %d failed without a problem code", i)
				}
			}
			_ = res.Summary()
		}
	})
}
