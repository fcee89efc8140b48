package parcel_test

import (
	"context"
	"strings"
	"testing"

	"github.com/labelagent/labelagent/dhl/parcel"
	"github.com/labelagent/labelagent/zpl/render"
	"github.com/labelagent/labelagent/zpl/verify"
)

// TestZPLLabelsScan renders the simulator's ZPL labels with the project's
// own ZPL renderer and reads their barcodes back: the Leitcode (routing
// code) and the shipment number must scan, in every thermal format. DHL's
// ZPL carries no ^PW/^LL, so the label size is given as the printer's.
func TestZPLLabelsScan(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	formats := map[string][2]int{"910-300-600": {824, 1592}, "910-300-400": {824, 1200}, "100x70mm": {800, 560}}
	for _, name := range specExamples {
		for pf, size := range formats {
			if pf != "910-300-600" && name != "DHLPaket" {
				continue // every product on the big label, every label size with one product
			}
			t.Run(name+"/"+pf, func(t *testing.T) {
				res, err := e.client.CreateOrders(ctx, specExample(t, name), parcel.CreateOptions{DocFormat: parcel.DocFormatZPL2, PrintFormat: pf})
				if err != nil {
					t.Fatal(err)
				}
				sh := res.Shipments[0]
				want := []verify.Expectation{{Format: "code128", Text: sh.ShipmentNo}, {Format: "code128", Text: sh.RoutingCode}}
				labels, err := render.Render(sh.Label.Data, render.Options{DPI: 203, Width: size[0], Height: size[1]})
				if err != nil || len(labels) != 1 {
					t.Fatalf("render: %d labels, %v", len(labels), err)
				}
				if len(labels[0].Warnings) > 0 {
					t.Errorf("the renderer found fault with the label: %v", labels[0].Warnings)
				}
				if pf != "100x70mm" { // the small label has no room for it
					found := false
					for _, bc := range labels[0].Barcodes {
						found = found || (bc.Symbology == "pdf417" && strings.HasPrefix(bc.Data, sh.ShipmentNo+"|"+sh.RoutingCode+"|"))
					}
					if !found {
						t.Errorf("no PDF417 with the shipment data among %v", labels[0].Barcodes)
					}
				}
				rep, err := verify.CheckZPL(ctx, sh.Label.Data, render.Options{DPI: 203, Width: size[0], Height: size[1]}, want)
				if err != nil {
					t.Fatal(err)
				}
				if err := rep.Err(); err != nil {
					t.Fatalf("%v (found %v)", err, rep.Found)
				}
			})
		}
	}
}
