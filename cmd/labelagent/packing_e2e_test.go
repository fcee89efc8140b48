package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
)

const packingOrders = `ref;name;street;postal_code;city;country;weight_kg;product_hint;contents;value
P-100;Maria Musterfrau;Kurfürstendamm 1;10719;Berlin;DE;3,2;;;
P-101;Max Mustermann;Hauptstraße 4;53113;Bonn;DE;0,8;;;
P-102;Heidi Huber;Bahnhofstrasse 10;8001;Zürich;CH;2;;Wollpullover;89,90
P-103;Erika Beispiel;Musterweg 5;10115;Berlin;DE;0,02;letter;;
`

const packingRules = `packing:
  rules:
    - {name: letter, when: {max_weight_g: 500, product_hint: letter}, carrier: internetmarke, product: "1"}
    - {name: kleinpaket, when: {max_weight_g: 1000, countries: [DE]}, carrier: dhl, product: V62KP}
    - {name: domestic, when: {countries: [DE]}, carrier: dhl, product: V01PAK}
    - {name: international, carrier: dhl, product: V53WPAK}
  report: {url: "%s/tracking", headers: {Authorization: "Bearer shop-secret"}}
shipments:
  document_printer: office
`

// TestPackingStationScans drives the packing station's day through the real
// binary: orders imported from a CSV, each scanned, the rule picking the
// product, the label printed, the CN23 of an international parcel on the
// office printer, a letter's INTERNETMARKE, the tracking numbers reported
// to the shop, and a repeated scan printing nothing new.
func TestPackingStationScans(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end packing test skipped in -short mode")
	}
	_, carriers := startSimulator(t)
	var mu sync.Mutex
	reported := map[string]string{}
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer shop-secret" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		var rep struct {
			OrderRef string `json:"order_ref"`
			Tracking string `json:"tracking_number"`
		}
		json.NewDecoder(r.Body).Decode(&rep)
		mu.Lock()
		reported[rep.OrderRef] = rep.Tracking
		mu.Unlock()
	}))
	defer shop.Close()
	office := filepath.Join(t.TempDir(), "office")
	e := newE2E(t, fmt.Sprintf("  - name: office\n    transport: file\n    file: {dir: %s}\n", office))
	cfg, _ := os.ReadFile(e.cfgPath)
	cfg = append(cfg, []byte(carriers)...)
	cfg = append(cfg, fmt.Sprintf(packingRules, shop.URL)...)
	if err := os.WriteFile(e.cfgPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := e.cli("--config", e.cfgPath, "config", "check"); code != 0 {
		t.Fatalf("config check: %s", out)
	}
	e.start()
	run := func(args ...string) string {
		t.Helper()
		out, code := e.cli(append([]string{"--config", e.cfgPath}, args...)...)
		if code != 0 {
			t.Fatalf("labelagent %v: exit %d\n%s", args, code, out)
		}
		return out
	}
	csv := filepath.Join(t.TempDir(), "orders.csv")
	os.WriteFile(csv, []byte(packingOrders), 0o644)
	if out := run("orders", "import", csv); !strings.Contains(out, "4") {
		t.Fatalf("import: %s", out)
	}
	want := map[string]struct{ rule, carrier, product string }{
		"P-100": {"domestic", "dhl", "V01PAK"},
		"P-101": {"kleinpaket", "dhl", "V62KP"},
		"P-102": {"international", "dhl", "V53WPAK"},
		"P-103": {"letter", "internetmarke", "1"},
	}
	results := map[string]apitype.ScanResult{}
	for ref, w := range want {
		var res apitype.ScanResult
		out := run("--json", "scan", ref)
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("scan %s: %v\n%s", ref, err, out)
		}
		if res.Outcome != apitype.ScanPrinted || res.Rule != w.rule || res.Carrier != w.carrier || res.Product != w.product {
			t.Errorf("scan %s: %+v, want %+v", ref, res, w)
		}
		if res.Carrier == "dhl" && res.Tracking == "" {
			t.Errorf("scan %s: no tracking number", ref)
		}
		results[ref] = res
	}
	// Labels and stamps printed; the CN23 on the office printer.
	var jobs []apitype.Job
	for deadline := time.Now().Add(60 * time.Second); ; {
		jobs, _ = e.cl.Jobs(t.Context(), clientJobsQuery())
		done := 0
		for _, j := range jobs {
			if j.State == apitype.StateFailed {
				t.Fatalf("job %s failed: %s", j.ID, j.LastError)
			}
			if j.State == apitype.StateDone {
				done++
			}
		}
		if done == 5 && len(jobs) == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 5 jobs done: %v", done, jobs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	labels, _ := filepath.Glob(filepath.Join(e.out, "*.prn"))
	papers, _ := filepath.Glob(filepath.Join(office, "*.prn"))
	if len(labels) != 4 || len(papers) != 1 {
		t.Errorf("%d files at the label printer (want 4), %d at the office printer (want 1)", len(labels), len(papers))
	}
	var officeJobs, labelJobs int
	for _, j := range jobs {
		if j.Printer == "office" {
			officeJobs++
		} else {
			labelJobs++
		}
	}
	if officeJobs != 1 || labelJobs != 4 {
		t.Errorf("%d jobs on the office printer (want the CN23), %d on the label printer (want 4)", officeJobs, labelJobs)
	}
	// A repeated scan prints nothing new.
	before := len(jobs)
	var again apitype.ScanResult
	json.Unmarshal([]byte(run("--json", "scan", "P-100")), &again)
	if again.Outcome != apitype.ScanAlreadyShipped || again.Tracking != results["P-100"].Tracking {
		t.Errorf("repeated scan: %+v", again)
	}
	if out := run("scan", "P-101"); !strings.Contains(out, "--reprint") {
		t.Errorf("repeated scan says: %s", out)
	}
	time.Sleep(300 * time.Millisecond)
	jobs, _ = e.cl.Jobs(t.Context(), clientJobsQuery())
	if len(jobs) != before {
		t.Errorf("a repeated scan queued %d jobs", len(jobs)-before)
	}
	// A reprint asked for prints the label again.
	var re apitype.ScanResult
	json.Unmarshal([]byte(run("--json", "scan", "--reprint", "P-100")), &re)
	if re.Outcome != apitype.ScanReprinted {
		t.Errorf("reprint: %+v", re)
	}
	// The shop heard of every tracking number.
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(reported)
		ok := reported["P-100"] == results["P-100"].Tracking && reported["P-102"] == results["P-102"].Tracking
		mu.Unlock()
		if n == 4 && ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("reported to the shop: %v", reported)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// rules test explains the choice.
	if out := run("rules", "test", "P-101"); !strings.Contains(out, "kleinpaket") || !strings.Contains(out, "✗ letter") {
		t.Errorf("rules test: %s", out)
	}
}
