package parcel_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labelagent/labelagent/dhl/parcel"
	"github.com/labelagent/labelagent/dhl/sim"
	"github.com/labelagent/labelagent/dhl/transport"
)

// BenchmarkCreateOrder is one shipment with a ZPL label, client to
// simulator over loopback (OAuth token cached), without the simulator's
// contract check (that is measured by BenchmarkCreateOrderChecked).
func BenchmarkCreateOrder(b *testing.B)        { benchCreate(b, "-") }
func BenchmarkCreateOrderChecked(b *testing.B) { benchCreate(b, "") }

func benchCreate(b *testing.B, spec string) {
	s := sim.New(sim.Options{SpecPath: spec})
	srv := httptest.NewServer(s)
	defer srv.Close()
	tr, err := transport.New(s.Config(srv.URL))
	if err != nil {
		b.Fatal(err)
	}
	c := parcel.New(tr)
	req := parcel.ShipmentOrderRequest{Shipments: []parcel.Shipment{germanShipment("Kurfürstendamm 1")}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.CreateOrders(context.Background(), req, parcel.CreateOptions{DocFormat: "ZPL2"}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	req := parcel.ShipmentOrderRequest{Profile: "P", Shipments: []parcel.Shipment{germanShipment("Kurfürstendamm 1")}}
	b.ReportAllocs()
	for b.Loop() {
		req.Normalize()
		if err := req.Validate(timeNow()); err != nil {
			b.Fatal(err)
		}
	}
}

func timeNow() time.Time { return time.Now() }
