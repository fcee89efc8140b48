package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestShipReportsDHLsFailures runs the real binary against `labelagent
// simulate`: a partly failed batch and a refused cancel are failures, in
// DHL's words, with a non-zero exit — never "ok".
func TestShipReportsDHLsFailures(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end carrier test skipped in -short mode")
	}
	_, carriers := startSimulator(t)
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
	consignee := `"consignee":{"name1":"Maria Musterfrau","addressStreet":"Kurfürstendamm 1","postalCode":"10719","city":"Berlin","country":"DEU"},"details":{"weight":{"uom":"kg","value":1.2}}`
	order := filepath.Join(t.TempDir(), "order.json")
	if err := os.WriteFile(order, []byte(`{"shipments":[{"refNo":"Order 100200",`+consignee+`},{"refNo":"SIM-206-100201",`+consignee+`}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := run("ship", "--file", order, "-o", t.TempDir())
	if code == 0 {
		t.Fatalf("a batch with a failed shipment must exit non-zero:\n%s", out)
	}
	for _, w := range []string{"General Shipment Backend Error", "1 of 2 shipments successfully created"} {
		if !strings.Contains(out, w) {
			t.Errorf("ship must say %q:\n%s", w, out)
		}
	}
	created := regexp.MustCompile(`\b(00340434\d{12})\b`).FindStringSubmatch(out)
	if created == nil {
		t.Fatalf("the created shipment's number is missing:\n%s", out)
	}

	// one number DHL does not know: refused with 400, DHL's reason shown
	out, code = run("ship", "cancel", "00340434999999999999")
	if code == 0 || !strings.Contains(out, "Unknown shipment number.") || strings.Contains(out, "00340434999999999999: cancelled") {
		t.Fatalf("a refused cancel must fail with DHL's words (exit %d):\n%s", code, out)
	}
	// a known and an unknown number: 207, one cancelled, one not
	out, code = run("ship", "cancel", created[1], "00340434999999999998")
	if code == 0 || !strings.Contains(out, "Unknown shipment number.") || !strings.Contains(out, created[1]) {
		t.Fatalf("a partly refused cancel must fail with DHL's words (exit %d):\n%s", code, out)
	}

	// a label that does not decode is no label
	single := filepath.Join(t.TempDir(), "single.json")
	if err := os.WriteFile(single, []byte(`{"shipments":[{"refNo":"SIM-BADLABEL-1",`+consignee+`}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code = run("ship", "--file", single, "-o", t.TempDir())
	if code == 0 || !strings.Contains(out, "0 of 1 shipment successfully created") {
		t.Fatalf("a shipment without a usable label must fail (exit %d):\n%s", code, out)
	}
}
