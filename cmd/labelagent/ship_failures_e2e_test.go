package main

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/labelagent/labelagent/dhl/sim"
	"github.com/labelagent/labelagent/dhl/transport"
)

// TestShipReportsDHLsFailures runs the real binary against `labelagent
// simulate`: a partly failed batch, a refused cancel and a label that does
// not decode are failures, in DHL's words, with a non-zero exit — never "ok".
func TestShipReportsDHLsFailures(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end carrier test skipped in -short mode")
	}
	base, carriers := startSimulator(t)
	e := newE2E(t, "")
	cfg, _ := os.ReadFile(e.cfgPath)
	if err := os.WriteFile(e.cfgPath, append(cfg, []byte(carriers)...), 0o600); err != nil {
		t.Fatal(err)
	}
	e.start()
	run := func(args ...string) (string, int) {
		t.Helper()
		out, code := e.cli(append([]string{"--config", e.cfgPath}, args...)...)
		t.Logf("labelagent %s → exit %d\n%s", strings.Join(args, " "), code, out)
		return out, code
	}
	number := regexp.MustCompile(`\b00340434\d{12}\b`)
	consignee := `"consignee":{"name1":"Maria Musterfrau","addressStreet":"Kurfürstendamm 1","postalCode":"10719","city":"Berlin","country":"DEU"},"details":{"weight":{"uom":"kg","value":1.2}}`
	order := func(refs ...string) string {
		var sh []string
		for _, r := range refs {
			sh = append(sh, `{"refNo":"`+r+`",`+consignee+`}`)
		}
		p := filepath.Join(t.TempDir(), "order.json")
		if err := os.WriteFile(p, []byte(`{"shipments":[`+strings.Join(sh, ",")+`]}`), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ship := func(ref string) string {
		t.Helper()
		out, code := run("ship", "--file", order(ref), "-o", t.TempDir())
		no := number.FindString(out)
		if code != 0 || no == "" {
			t.Fatalf("ship %s: exit %d, no shipment number:\n%s", ref, code, out)
		}
		return no
	}
	// cancelAtDHL deletes a shipment behind the agent's back (as the business
	// portal would), so that DHL no longer knows it.
	cancelAtDHL := func(no string) {
		t.Helper()
		q := url.Values{"profile": {"STANDARD_GRUPPENPROFIL"}, "shipment": {no}}
		req, _ := http.NewRequest(http.MethodDelete, base+transport.ShippingPath+"/orders?"+q.Encode(), nil)
		req.SetBasicAuth(transport.SandboxUser, transport.SandboxPassword)
		req.Header.Set("dhl-api-key", sim.DefaultAPIKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("cancel at DHL: %s", resp.Status)
		}
	}

	// a batch of two, the second refused by DHL with 206
	out, code := run("ship", "--file", order("Order 100200", sim.RefGeneralError+"-100201"), "-o", t.TempDir())
	if code == 0 {
		t.Fatalf("a batch with a failed shipment must exit non-zero:\n%s", out)
	}
	for _, w := range []string{"General Shipment Backend Error", "1 of 2 shipments"} {
		if !strings.Contains(out, w) {
			t.Errorf("ship must say %q:\n%s", w, out)
		}
	}

	// a cancel of a number DHL no longer knows (207: one cancelled, one not)
	a, b := ship("Order 100300"), ship("Order 100301")
	cancelAtDHL(a)
	out, code = run("ship", "cancel", a, b)
	if code == 0 || !strings.Contains(out, "Unknown shipment number.") {
		t.Errorf("a partly refused cancel must fail with DHL's words (exit %d):\n%s", code, out)
	}
	// one number, refused with 400
	c := ship("Order 100302")
	cancelAtDHL(c)
	out, code = run("ship", "cancel", c)
	if code == 0 || !strings.Contains(out, "Unknown shipment number.") {
		t.Errorf("a refused cancel must fail with DHL's words (exit %d):\n%s", code, out)
	}

	// a label that does not decode is no label
	out, code = run("ship", "--file", order(sim.RefBrokenLabel+"-1"), "-o", t.TempDir())
	if code == 0 {
		t.Errorf("a shipment without a usable label must not exit 0:\n%s", out)
	}
}
