package browser_test

import (
	"strings"
	"testing"

	"github.com/labelagent/labelagent/agent/apitype"
)

// TestDashboardScan: the dashboard's scan field goes through the control
// API's scan, needs the session and its CSRF token, and answers in the
// page's language.
func TestDashboardScan(t *testing.T) {
	f := setup(t, fixtureOpts{})
	cookie, csrf, page := dashSession(t, f, "de-DE")
	if !strings.Contains(page, `id="scan-code"`) || !strings.Contains(page, "Auftrag scannen") {
		t.Fatal("the dashboard has no scan field")
	}
	self := "http://" + f.addr
	hdr := map[string]string{"Cookie": cookie, "X-Labelagent-CSRF": csrf, "Origin": self, "Sec-Fetch-Site": "same-origin", "Accept-Language": "de"}
	if _, _, err := f.a.Packing().Orders().Put([]apitype.Order{{Ref: "D-1", WeightGrams: 900,
		Recipient: apitype.OrderAddress{Name: "Max", Street: "Weg 1", City: "Bonn", Country: "DE"}}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, body string
		hdr        map[string]string
		status     int
		words      string
	}{
		{"no CSRF token", `{"code":"D-1"}`, map[string]string{"Cookie": cookie, "Origin": self}, 403, ""},
		{"unknown order", `{"code":"nope"}`, hdr, 404, "importieren"},
		{"no rule", `{"code":"D-1"}`, hdr, 422, "D-1"},
	} {
		resp, data := f.req(t, "POST", f.addr, "/dashboard/api/scan", "application/json", strings.NewReader(tc.body), tc.hdr)
		if resp.StatusCode != tc.status || !strings.Contains(string(data), tc.words) {
			t.Errorf("%s: %d %s, want %d with %q", tc.name, resp.StatusCode, data, tc.status, tc.words)
		}
	}
	if n, _ := f.a.Store().Stats(); n.Jobs != 0 {
		t.Fatalf("a refused scan queued %d jobs", n.Jobs)
	}
}
