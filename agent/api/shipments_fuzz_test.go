package api

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/labelagent/labelagent/agent/shipment"
)

// FuzzParseOrder: an order from a client is read or refused as invalid
// (400), never a panic; what is read can be sent on.
func FuzzParseOrder(f *testing.F) {
	for _, s := range []string{
		`{"product":"V01PAK","consignee":{"name1":"Maria","addressStreet":"Kurfürstendamm 1","postalCode":"10719","city":"Berlin","country":"DEU"},"details":{"weight":{"uom":"kg","value":1.2}}}`,
		`{"consignee":{"lockerID":"118","postNumber":123456,"name":"P","postalCode":"53113","city":"Bonn"}}`,
		`{"customs":{"items":[{"hsCode":61091000}]}}`,
		`{"prodct":"x"}`, `null`, ``, `[]`, `{"consignee":[]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sh, err := parseOrder(data)
		if err != nil {
			if !errors.Is(err, shipment.ErrInvalid) {
				t.Fatalf("error not marked invalid: %v", err)
			}
			return
		}
		if _, err := json.Marshal(sh); err != nil {
			t.Fatalf("a read order does not marshal: %v", err)
		}
	})
}
