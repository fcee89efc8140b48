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
