package browser_test

import (
	"os"
	"regexp"
	"testing"

	"github.com/labelagent/labelagent/agent/i18n"
)

// TestDashboardWords: every word the dashboard's page and script use is in
// the catalog in every language (the catalog's own test scans Go code only).
func TestDashboardWords(t *testing.T) {
	page, err := os.ReadFile("static/dashboard/index.html")
	if err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile("static/dashboard/app.js")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range regexp.MustCompile(`\{\{t \.L "([a-z0-9_.]+)"\}\}`).FindAllStringSubmatch(string(page), -1) {
		ids = append(ids, m[1])
	}
	for _, m := range regexp.MustCompile(`\bS\("([a-z0-9_]+)"`).FindAllStringSubmatch(string(script), -1) {
		if m[1][len(m[1])-1] == '_' {
			continue // a prefix completed at run time: listed below
		}
		ids = append(ids, "browser.dash_"+m[1])
	}
	// Keys the script builds from states and scopes.
	for _, p := range []struct {
		prefix string
		values []string
	}{
		{"browser.dash_state_", []string{"queued", "preparing", "printing", "done", "failed", "cancelled", "ready", "paper_out", "ribbon_out", "head_open", "paused", "buffer_full", "offline", "unknown", "pending", "approved", "denied"}},
		{"browser.dash_scope_", []string{"print", "shipping", "postage"}},
		{"browser.dash_ship_", []string{"requested", "unknown", "failed", "created", "cancelled", "closed"}},
		{"wait.", []string{"paused", "paper_out", "head_open", "ribbon_out", "printer_error", "unreachable", "behind", "preparing_renderer"}},
	} {
		for _, v := range p.values {
			ids = append(ids, p.prefix+v)
		}
	}
	if len(ids) < 40 {
		t.Fatalf("found only %d ids: the patterns no longer match the files", len(ids))
	}
	c := i18n.Default()
	for _, id := range ids {
		for _, l := range i18n.Langs() {
			if !c.Has(l, id) {
				t.Errorf("%s has no %s text", id, l)
			}
		}
	}
}
