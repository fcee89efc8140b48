package returns_test

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/labelagent/labelagent/dhl/address"
	"github.com/labelagent/labelagent/dhl/returns"
	"github.com/labelagent/labelagent/dhl/sim"
	"github.com/labelagent/labelagent/dhl/transport"
)

func newClient(t *testing.T) (*returns.Client, *sim.Server) {
	t.Helper()
	s := sim.New(sim.Options{Seed: 7, SpecPath: "-"})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	cfg := s.Config(srv.URL)
	cfg.Timeout = 5 * time.Second
	tr, err := transport.New(cfg, transport.WithSleep(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }))
	if err != nil {
		t.Fatal(err)
	}
	return returns.New(tr), s
}

// the seed document's examples
func german() returns.Order {
	return returns.Order{ReceiverID: "deu", Shipper: returns.Shipper{Name1: "Max Mustermann", AddressStreet: "Kurfürstendamm", AddressHouse: "1", PostalCode: "10719", City: "Berlin"}}
}

func swiss() returns.Order {
	w := func(v float64) *returns.Weight { return &returns.Weight{UOM: "kg", Value: v} }
	val := func(v float64) *returns.Value { return &returns.Value{Currency: "EUR", Value: v} }
	return returns.Order{ReceiverID: "che",
		Shipper: returns.Shipper{Name1: "Hans Meier", AddressStreet: "Heimpl.", AddressHouse: "1/5", PostalCode: "8001", City: "Zürich"},
		CustomsDetails: &returns.CustomsDetails{Items: []returns.CustomsItem{
			{ItemDescription: "T-Shirt (red, size S)", PackagedQuantity: 2, ItemWeight: w(1), ItemValue: val(19.98)},
			{ItemDescription: "T-Shirt (blue, size M)", PackagedQuantity: 1, ItemWeight: w(0.5), ItemValue: val(19.99)},
		}}}
}

func TestReturnLabelTypes(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	for _, lt := range []string{returns.LabelShipment, returns.LabelQR, returns.LabelBoth} {
		l, err := c.Create(ctx, german(), lt)
		if err != nil {
			t.Fatalf("%s: %v", lt, err)
		}
		if !strings.HasPrefix(l.ReturnID(), "RET") || len(l.ShipmentNo) < 10 {
			t.Fatalf("return id %q", l.ReturnID())
		}
		if (lt != returns.LabelQR) != bytes.HasPrefix(l.PDF, []byte("%PDF-")) {
			t.Errorf("%s: PDF present = %v", lt, l.PDF != nil)
		}
		if lt == returns.LabelShipment {
			continue
		}
		img, err := png.Decode(bytes.NewReader(l.QRCode))
		if err != nil {
			t.Fatalf("%s: QR code is not a PNG: %v", lt, err)
		}
		bmp, _ := gozxing.NewBinaryBitmapFromImage(img)
		res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
		if err != nil || res.GetText() != l.ReturnID() {
			t.Fatalf("QR code decodes to %v (%v), want %s", res, err, l.ReturnID())
		}
		if l.QRLink == "" {
			t.Error("German returns come with a qrLink")
		}
	}
}

func TestInternationalReturns(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	l, err := c.Create(ctx, swiss(), returns.LabelShipment)
	if err != nil {
		t.Fatal(err)
	}
	if l.InternationalShipmentNo == "" {
		t.Error("international returns carry an international shipment number")
	}
	fr := returns.Order{ReceiverID: "fra", Shipper: returns.Shipper{Name1: "Jean Doe", AddressStreet: "Rue de Thorigny 5", PostalCode: "75003", City: "Paris"}}
	if _, err := c.Create(ctx, fr, returns.LabelShipment); err != nil {
		t.Fatalf("EU return without customs, street split by the client: %v", err)
	}
	if _, err := c.Create(ctx, fr, returns.LabelQR); err == nil || !strings.Contains(err.Error(), "only for senders in Germany") {
		t.Fatalf("QR labels are for German senders only: %v", err)
	}
}

func TestReturnValidation(t *testing.T) {
	c, s := newClient(t)
	ctx := context.Background()
	cases := []struct {
		name  string
		order func() returns.Order
		field string
	}{
		{"customs for Switzerland", func() returns.Order { o := swiss(); o.CustomsDetails = nil; return o }, "customsDetails.items"},
		{"customs for Great Britain", func() returns.Order {
			return returns.Order{ReceiverID: "gbr", Shipper: returns.Shipper{Name1: "Joe Black", AddressStreet: "Downing Street", AddressHouse: "10", PostalCode: "SW1A 2AA", City: "London"}}
		}, "customsDetails.items"},
		{"weight for Sweden", func() returns.Order {
			return returns.Order{ReceiverID: "swe", Shipper: returns.Shipper{Name1: "Sven Svensson", AddressStreet: "Drottninggatan", AddressHouse: "1", PostalCode: "11151", City: "Stockholm"}}
		}, "itemWeight"},
		{"no house number", func() returns.Order { o := german(); o.Shipper.AddressHouse = ""; return o }, "shipper.addressHouse"},
		{"pipe in the reference", func() returns.Order { o := german(); o.CustomerReference = "A|B"; return o }, "customerReference"},
		{"mixed currencies", func() returns.Order { o := swiss(); o.CustomsDetails.Items[1].ItemValue.Currency = "CHF"; return o }, "customsDetails.items[1].itemValue.currency"},
	}
	for _, tc := range cases {
		_, err := c.Create(ctx, tc.order(), returns.LabelShipment)
		var errs address.Errors
		if !errors.As(err, &errs) {
			t.Fatalf("%s: want field errors, got %v", tc.name, err)
		}
		found := false
		for _, e := range errs {
			found = found || e.Field == tc.field
		}
		if !found {
			t.Errorf("%s: want an error on %s, got %v", tc.name, tc.field, errs)
		}
	}
	if n := s.Requests("POST " + transport.ReturnsPath + "/orders"); n != 0 {
		t.Fatalf("%d requests reached DHL", n)
	}
	// Northern Ireland needs no customs
	ni := returns.Order{ReceiverID: "gbr", Shipper: returns.Shipper{Name1: "Joe Black", AddressStreet: "Donegall Square 1", PostalCode: "BT1 5GS", City: "Belfast"}}
	if _, err := c.Create(ctx, ni, returns.LabelShipment); err != nil {
		t.Fatalf("BT postal codes need no customs: %v", err)
	}
	// the simulator refuses what a client failed to split
	o := german()
	o.ReceiverID = "xyz"
	if _, err := c.Create(ctx, o, returns.LabelShipment); transport.StatusOf(err) != 400 || !strings.Contains(err.Error(), "Unknown receiverId") {
		t.Fatalf("an unknown receiver is a 400 that says so: %v", err)
	}
}

func TestLocations(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	all, err := c.Locations(ctx, returns.LocationQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 20 {
		t.Fatalf("want the sandbox receivers, got %d", len(all))
	}
	for _, l := range all {
		if !l.Usable() {
			t.Errorf("receiver %s without billing number is listed", l.ReceiverID)
		}
	}
	swe, err := c.Locations(ctx, returns.LocationQuery{ReceiverID: "swe"})
	if err != nil || len(swe) != 1 || swe[0].ReceiverID != "swe" {
		t.Fatalf("filter by receiver: %v %v", swe, err)
	}
	deu, err := c.Locations(ctx, returns.LocationQuery{CountryCode: "DEU"})
	if err != nil || len(deu) != 1 {
		t.Fatalf("filter by country: %v %v", deu, err)
	}
}
