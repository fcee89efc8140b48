package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/labelagent/labelagent/agent/apikey"
	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
)

// TestStampTopUpAsksFirst: a top-up moves money, so without --yes nothing is
// sent unless the operator answers yes.
func TestStampTopUpAsksFirst(t *testing.T) {
	var mu sync.Mutex
	var got []apitype.StampTopUpRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/stamps/topup" || r.Header.Get(apitype.HeaderAPIKey) == "" {
			http.Error(w, `{"status":404,"code":"not_found","message":"no"}`, 404)
			return
		}
		var req apitype.StampTopUpRequest
		json.NewDecoder(r.Body).Decode(&req)
		mu.Lock()
		got = append(got, req)
		mu.Unlock()
		bal := 3000
		json.NewEncoder(w).Encode(apitype.StampTopUp{ShopOrderID: "1", BalanceCents: &bal, Balance: "30,00 €"})
	}))
	defer srv.Close()
	dir := t.TempDir()
	if _, err := apikey.Ensure(dir, nil); err != nil {
		t.Fatal(err)
	}
	run := func(stdin string, args ...string) (string, error) {
		var out, errb bytes.Buffer
		app := newCLIApp("test", strings.NewReader(stdin), &out, &errb)
		root := app.root()
		app.env = func(string) string { return "" }
		root.SetArgs(append([]string{"--lang", "de", "--addr", strings.TrimPrefix(srv.URL, "http://"), "--data-dir", dir, "stamp"}, args...))
		err := root.Execute()
		return out.String() + errb.String(), err
	}
	if out, err := run("n\n", "topup", "20"); err != nil || !strings.Contains(out, "20,00 € vom Bankkonto auf die Portokasse laden") || !strings.Contains(out, "[j/N]") || !strings.Contains(out, "abgebrochen") {
		t.Fatalf("%q %v", out, err)
	}
	if _, err := run("", "topup", "20"); err == nil {
		t.Fatal("no answer taken as yes")
	}
	if len(got) != 0 {
		t.Fatalf("top-up sent without confirmation: %+v", got)
	}
	if out, err := run("ja\n", "topup", "12,50"); err != nil || !strings.Contains(out, "Guthaben jetzt 30,00 €") {
		t.Fatalf("%q %v", out, err)
	}
	if _, err := run("", "topup", "--yes", "5"); err != nil {
		t.Fatal(err)
	}
	if _, err := run("", "topup", "--yes", "-3"); err == nil {
		t.Fatal("negative amount accepted")
	}
	// A mistyped amount is answered in the reader's language, and nothing is sent.
	if _, err := run("", "topup", "--yes", "12,5x"); err == nil || !strings.Contains(i18n.For(i18n.German).Err(err), "kein Betrag in Euro") {
		t.Fatalf("mistyped amount: %v", err)
	}
	if len(got) != 2 || got[0].AmountCents != 1250 || !got[0].Confirm || got[1].AmountCents != 500 {
		t.Fatalf("requests %+v", got)
	}
}

func TestStampAddressFlags(t *testing.T) {
	f := stampAddressFlags{name: "Erika Mustermann", street: "Heidestr. 17", zip: "51147", city: "Köln", country: "deu"}
	if a := f.address(); a == nil || a.Country != "DEU" || a.PostalCode != "51147" || a.AddressLine1 != "Heidestr. 17" {
		t.Fatalf("%+v", a)
	}
	if a := (&stampAddressFlags{country: "DEU"}).address(); a != nil {
		t.Fatal("no receiver expected")
	}
}
