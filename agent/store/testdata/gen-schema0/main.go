// Command gen-schema0 wrote testdata/schema0/labelagent.db, the migration
// test's fixture: a store as the agent wrote it before the store had a schema
// version (main at e23ff0c), with queued, printing and finished jobs, a
// paused printer, and open INTERNETMARKE purchases (one whose checkout answer
// was lost after charging, one paid and stored but not yet printed).
//
// It must run against that old code, so it is kept here for the record:
//
//	git worktree add /tmp/old e23ff0c && cp -r agent/store/testdata/gen-schema0 /tmp/old/gen
//	(cd /tmp/old && go run ./gen /path/to/agent/store/testdata/schema0)
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/purchase"
	"github.com/labelagent/labelagent/agent/store"
	im "github.com/labelagent/labelagent/dhl/internetmarke"
	imsim "github.com/labelagent/labelagent/dhl/sim/internetmarke"
)

func main() {
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(dir string) error {
	os.Remove(dir + "/" + store.FileName)
	st, err := store.Open(dir)
	if err != nil {
		return err
	}
	t0 := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
	jobs := []struct {
		name, key, payload string
		state              apitype.JobState
	}{
		{"order-1001", "shop-1001", "^XA^FO50,50^A0N,40,40^FDorder 1001^FS^XZ", apitype.StateDone},
		{"order-1002", "shop-1002", "^XA^FO50,50^A0N,40,40^FDorder 1002^FS^XZ", apitype.StateQueued},
		{"order-1003", "", "^XA^FO50,50^A0N,40,40^FDorder 1003^FS^XZ", apitype.StatePrinting},
		{"order-1004", "shop-1004", "^XA^FO50,50^A0N,40,40^FDorder 1002^FS^XZ", apitype.StateQueued}, // same payload as 1002: shared by hash
	}
	for i, j := range jobs {
		at := t0.Add(time.Duration(i) * time.Minute)
		saved, _, err := st.Submit(apitype.Job{Source: "api", Printer: "zebra", Kind: apitype.Kind("zpl"), Copies: 1,
			IdempotencyKey: j.key, Name: j.name, State: apitype.StateQueued, Created: at, Updated: at,
			History: []apitype.Change{{At: at, State: apitype.StateQueued}}}, []byte(j.payload))
		if err != nil {
			return err
		}
		if j.state != apitype.StateQueued {
			saved.State = j.state
			saved.History = append(saved.History, apitype.Change{At: at.Add(time.Second), State: j.state})
			if j.state.Terminal() {
				f := at.Add(2 * time.Second)
				saved.Finished = &f
			}
			if err := st.Put(saved); err != nil {
				return err
			}
		}
	}
	if err := st.SetSetting("printer/zebra/paused", "1"); err != nil {
		return err
	}

	sim, err := imsim.New(imsim.Config{Approved: true, Balance: 1000})
	if err != nil {
		return err
	}
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	k, s, u, p := sim.Credentials()
	cl, err := im.New(im.Config{BaseURL: srv.URL + imsim.BasePath, APIKey: k, APISecret: s, Username: u, Password: p,
		Products: []im.Product{{Code: 1, Price: 95}}}, im.WithHTTPClient(&http.Client{Timeout: 5 * time.Second}))
	if err != nil {
		return err
	}
	quiet := slog.New(slog.DiscardHandler)
	offline := errors.New("printer offline")
	j, err := purchase.Open(st.DB(), cl, purchase.Options{Log: quiet, DefaultDPI: im.DPI203,
		Printer: func(context.Context, *purchase.Purchase) error { return offline }})
	if err != nil {
		return err
	}
	ctx := context.Background()
	if _, err := j.Buy(ctx, purchase.Request{IdempotencyKey: "stamp-stored", ProductCode: 1, Printer: "zebra", Reference: "order-1002"}); err != nil {
		fmt.Println("stored purchase:", err)
	}
	sim.Inject(imsim.Fault{Op: "checkout", Kind: imsim.LoseAfterCharge, Times: 5})
	if _, err := j.Buy(ctx, purchase.Request{IdempotencyKey: "stamp-lost", ProductCode: 1, Printer: "zebra", Reference: "order-1004"}); err != nil {
		fmt.Println("lost purchase:", err)
	}
	list, err := j.List(true, 0)
	if err != nil {
		return err
	}
	for _, p := range list {
		fmt.Println("open purchase", p.ID, p.Request.IdempotencyKey, p.State)
	}
	return st.Close()
}
