package main

import (
	"encoding/json"
	"testing"
)

// FuzzSplitOrders: any order file gives 1–30 orders, each valid JSON, or an
// error; never a panic.
func FuzzSplitOrders(f *testing.F) {
	for _, s := range []string{
		`{"product":"V01PAK","consignee":{"name1":"A"}}`,
		`[{"refNo":"order-1"},{"refNo":"order-2"}]`,
		`{"profile":"STANDARD_GRUPPENPROFIL","shipments":[{"refNo":"x"}]}`,
		`[]`, `{"shipments":[]}`, `[1,2`, `"shipments"`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		orders, refs, err := splitOrders(data)
		if err != nil {
			return
		}
		if len(orders) < 1 || len(orders) > 30 || len(refs) != len(orders) {
			t.Fatalf("%d orders, %d refs", len(orders), len(refs))
		}
		for _, o := range orders {
			if !json.Valid(o) {
				t.Fatalf("order is not JSON: %q", o)
			}
		}
	})
}
