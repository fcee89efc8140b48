package purchase

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	im "github.com/labelagent/labelagent/dhl/internetmarke"
	imsim "github.com/labelagent/labelagent/dhl/sim/internetmarke"
	"github.com/labelagent/labelagent/zpl"
)

func BenchmarkStampLabel(b *testing.B) {
	for _, dpi := range []int{203, 300} {
		b.Run(fmt.Sprintf("62x100mm-address-%ddpi", dpi), func(b *testing.B) {
			size, _ := zpl.LookupSize("62x100mm")
			prof, _ := zpl.NewProfile(size, dpi)
			sim, err := imsim.New(imsim.Config{Approved: true, Balance: 1000})
			if err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(sim.Handler())
			defer srv.Close()
			k, s, u, p := sim.Credentials()
			cl, _ := im.New(im.Config{BaseURL: srv.URL + imsim.BasePath, APIKey: k, APISecret: s, Username: u, Password: p,
				Products: []im.Product{{Code: 1, Price: 95}}}, im.WithLogger(quiet))
			rcv := &im.Address{Name: "Erika Mustermann", AddressLine1: "Heidestr. 17", PostalCode: "51147", City: "Köln", Country: "DEU"}
			r, err := cl.CheckoutPNG(context.Background(), im.Order{DPI: DPIFor(prof), OptimizePNG: true,
				Positions: []im.Position{{ProductCode: 1, Layout: im.LayoutAddressZone, Sender: rcv, Receiver: rcv}}})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(r.Files[0])))
			for b.Loop() {
				if _, _, err := StampLabels(context.Background(), nil, r.Kind, DPIFor(prof), r.Files, prof); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkBuy is a whole purchase against the simulator on loopback:
// intent, shop order, checkout, download, stored stamps (bbolt, fsync),
// print callback, printed.
func BenchmarkBuy(b *testing.B) {
	sim, err := imsim.New(imsim.Config{Approved: true, Balance: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	k, s, u, p := sim.Credentials()
	cl, _ := im.New(im.Config{BaseURL: srv.URL + imsim.BasePath, APIKey: k, APISecret: s, Username: u, Password: p,
		Products: []im.Product{{Code: 1, Price: 95}}}, im.WithLogger(quiet))
	db, err := bolt.Open(filepath.Join(b.TempDir(), "a.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	j, err := Open(db, cl, Options{Log: quiet, Printer: func(context.Context, *Purchase) error { return nil }})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if _, err := j.Buy(context.Background(), Request{IdempotencyKey: fmt.Sprint("k", i), ProductCode: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
