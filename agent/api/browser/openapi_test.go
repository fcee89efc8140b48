package browser_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestOpenAPI: the agent serves a valid OpenAPI file that documents every
// route of the browser API.
func TestOpenAPI(t *testing.T) {
	f := setup(t, fixtureOpts{})
	resp, data := f.req(t, "GET", f.addr, "/openapi.yaml", "", nil, map[string]string{"Origin": "https://any.example"})
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/yaml") {
		t.Fatalf("openapi.yaml: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("invalid OpenAPI: %v", err)
	}
	for _, r := range []struct{ method, path string }{
		{"POST", "/v1/pair"}, {"GET", "/v1/pair"}, {"GET", "/v1/printers"}, {"POST", "/v1/jobs"},
		{"GET", "/v1/jobs/{id}"}, {"GET", "/v1/jobs/{id}/preview"}, {"GET", "/v1/events"},
		{"GET", "/v1/postage/balance"}, {"POST", "/v1/postage/stamps"},
		{"POST", "/v1/shipments"}, {"GET", "/v1/shipments/{id}"}, {"POST", "/v1/shipments/{id}/reprint"},
	} {
		item := doc.Paths.Find(r.path)
		if item == nil || item.GetOperation(r.method) == nil {
			t.Errorf("%s %s is not documented", r.method, r.path)
		}
	}
	// The documented paths exist: each answers something other than 404
	// "no such endpoint" to an approved origin.
	tok := f.pair(t, shop, "shipping", "postage")
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if path == "/v1/events" {
				continue // a stream; TestPrintFlow reads it
			}
			p := strings.ReplaceAll(path, "{id}", "1")
			resp, body := f.req(t, method, f.addr, p, "application/json", strings.NewReader("{}"), map[string]string{"Origin": shop, "Authorization": "Bearer " + tok})
			if resp.StatusCode == 404 && strings.Contains(string(body), "browser.err_no_endpoint") {
				t.Errorf("%s %s is documented but not served", method, path)
			}
			resp.Body.Close()
		}
	}
}
