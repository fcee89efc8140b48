package browser_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/labelagent/labelagent/agent/apitype"
	imsim "github.com/labelagent/labelagent/dhl/sim/internetmarke"
)

func imSim(t *testing.T, balance int) (*imsim.Server, *yaml.Node) {
	t.Helper()
	s, err := imsim.New(imsim.Config{Approved: true, Balance: balance})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	k, sec, u, p := s.Credentials()
	doc := fmt.Sprintf("enabled: true\nbase_url: %s\napi_key: %s\napi_secret: %s\nusername: %s\npassword: %q\ndefault_product: 1\nproducts:\n  - {code: 1, name: Standardbrief, price: 95}\n",
		srv.URL+imsim.BasePath, k, sec, u, p)
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &n); err != nil {
		t.Fatal(err)
	}
	return s, n.Content[0]
}

// TestPostage: every paired origin reads the Portokasse balance; buying a
// stamp needs the postage scope, and then goes through the agent's
// purchase journal (idempotent by key) and prints on the emulator.
func TestPostage(t *testing.T) {
	_, im := imSim(t, 1000)
	f := setup(t, fixtureOpts{im: im})
	tok := f.pair(t, shop)
	hdr := map[string]string{"Origin": shop, "Authorization": "Bearer " + tok}
	resp, data := f.req(t, "GET", f.addr, "/v1/postage/balance", "", nil, hdr)
	var b apitype.StampBalance
	if json.Unmarshal(data, &b); resp.StatusCode != 200 || b.Cents != 1000 {
		t.Fatalf("balance: %d %s", resp.StatusCode, data)
	}
	buy := `{"quantity":1}`
	hdr["Idempotency-Key"] = "stamp-1"
	resp, data = f.req(t, "POST", f.addr, "/v1/postage/stamps", "application/json", strings.NewReader(buy), hdr)
	if resp.StatusCode != 403 || !strings.Contains(string(data), apitype.CodeScope) {
		t.Fatalf("without the scope: %d %s", resp.StatusCode, data)
	}
	f.reg.Approve(shop, []string{apitype.ScopePostage})
	for range 2 { // the same key twice: one purchase
		resp, data = f.req(t, "POST", f.addr, "/v1/postage/stamps", "application/json", strings.NewReader(buy), hdr)
		if resp.StatusCode != 200 {
			t.Fatalf("buy: %d %s", resp.StatusCode, data)
		}
	}
	resp, data = f.req(t, "GET", f.addr, "/v1/postage/balance?refresh=1", "", nil, hdr)
	if json.Unmarshal(data, &b); b.Cents != 905 {
		t.Fatalf("balance after one stamp: %d %s", resp.StatusCode, data)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if _, err := f.emu.WaitLabels(ctx, 1); err != nil {
		t.Fatalf("stamp not printed: %v", err)
	}
	// The dashboard shows the balance too.
	cookie, _, _ := dashSession(t, f, "de")
	resp, data = f.req(t, "GET", f.addr, "/dashboard/api/balance", "", nil, map[string]string{"Cookie": cookie})
	if resp.StatusCode != 200 || !strings.Contains(string(data), `"cents": 905`) && !strings.Contains(string(data), `"cents":905`) {
		t.Fatalf("dashboard balance: %d %s", resp.StatusCode, data)
	}
}
