package browser_test

import (
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/labelagent/labelagent/agent/apitype"
)

// dashSession loads the dashboard page as a browser would and returns its
// session cookie and CSRF token.
func dashSession(t *testing.T, f *fixture, lang string) (cookie, csrf string, page string) {
	t.Helper()
	resp, data := f.req(t, "GET", f.addr, "/dashboard/", "", nil, map[string]string{"Sec-Fetch-Site": "none", "Sec-Fetch-Dest": "document", "Accept-Language": lang})
	if resp.StatusCode != 200 {
		t.Fatalf("dashboard: %d %s", resp.StatusCode, data)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "labelagent_dashboard" {
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
				t.Fatalf("session cookie not HttpOnly+SameSite=Strict: %+v", c)
			}
			cookie = c.Name + "=" + c.Value
		}
	}
	m := regexp.MustCompile(`name="labelagent-csrf" content="([0-9a-f]+)"`).FindStringSubmatch(string(data))
	if cookie == "" || m == nil {
		t.Fatalf("no session in the page: %v", resp.Header)
	}
	if resp.Header.Get("X-Frame-Options") != "DENY" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Fatalf("dashboard can be framed: %v", resp.Header)
	}
	return cookie, m[1], string(data)
}

func TestDashboardSession(t *testing.T) {
	f := setup(t, fixtureOpts{})
	f.req(t, "POST", f.addr, "/v1/pair", "application/json", strings.NewReader(`{}`), map[string]string{"Origin": shop})
	cookie, csrf, page := dashSession(t, f, "de-DE")
	if !strings.Contains(page, "Webseiten") || !strings.Contains(page, `lang="de"`) {
		t.Fatal("German dashboard is not German")
	}
	self := "http://" + f.addr
	_, port, _ := net.SplitHostPort(f.addr)
	approve := `{"origin":"` + shop + `"}`
	for _, p := range []struct {
		name   string
		hdr    map[string]string
		status int
	}{
		{"no session", map[string]string{"X-Labelagent-CSRF": csrf, "Origin": self}, 401},
		{"no CSRF token", map[string]string{"Cookie": cookie, "Origin": self}, 403},
		{"wrong CSRF token", map[string]string{"Cookie": cookie, "X-Labelagent-CSRF": "00", "Origin": self}, 403},
		{"another origin", map[string]string{"Cookie": cookie, "X-Labelagent-CSRF": csrf, "Origin": shop}, 403},
		{"Origin null", map[string]string{"Cookie": cookie, "X-Labelagent-CSRF": csrf, "Origin": "null"}, 403},
		{"cross-site fetch", map[string]string{"Cookie": cookie, "X-Labelagent-CSRF": csrf, "Sec-Fetch-Site": "cross-site"}, 403},
		{"rebinding Host", map[string]string{"Cookie": cookie, "X-Labelagent-CSRF": csrf, "Host": "evil.example:" + port}, 403},
		{"localhost is another origin than 127.0.0.1", map[string]string{"Cookie": cookie, "X-Labelagent-CSRF": csrf, "Origin": "http://localhost:" + port}, 403},
	} {
		resp, data := f.req(t, "POST", f.addr, "/dashboard/api/origins/approve", "application/json", strings.NewReader(approve), p.hdr)
		if resp.StatusCode != p.status {
			t.Errorf("%s: %d %s, want %d", p.name, resp.StatusCode, data, p.status)
		}
		if o, _ := f.reg.Get(shop); o.State != apitype.OriginPending {
			t.Fatalf("%s approved the origin", p.name)
		}
	}
	// A cross-site page cannot even get a session from a frame or fetch.
	if resp, _ := f.req(t, "GET", f.addr, "/dashboard/", "", nil, map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "iframe"}); resp.StatusCode != 403 || len(resp.Cookies()) != 0 {
		t.Fatalf("cross-site dashboard load: %d", resp.StatusCode)
	}
	// Right: same origin, session and token.
	resp, data := f.req(t, "POST", f.addr, "/dashboard/api/origins/approve", "application/json", strings.NewReader(`{"origin":"`+shop+`","scopes":["postage"]}`),
		map[string]string{"Cookie": cookie, "X-Labelagent-CSRF": csrf, "Origin": self, "Sec-Fetch-Site": "same-origin"})
	if resp.StatusCode != 200 {
		t.Fatalf("approve: %d %s", resp.StatusCode, data)
	}
	if o, _ := f.reg.Get(shop); o.State != apitype.OriginApproved || strings.Join(o.Scopes, ",") != "print,postage" {
		t.Fatalf("after approve: %+v", o)
	}
	// Reads need the session too.
	if resp, _ := f.req(t, "GET", f.addr, "/dashboard/api/state", "", nil, nil); resp.StatusCode != 401 {
		t.Fatalf("state without session: %d", resp.StatusCode)
	}
	resp, data = f.req(t, "GET", f.addr, "/dashboard/api/state", "", nil, map[string]string{"Cookie": cookie})
	if resp.StatusCode != 200 || !strings.Contains(string(data), `"printers"`) {
		t.Fatalf("state: %d %s", resp.StatusCode, data)
	}
	// Test print, pause and resume.
	h := map[string]string{"Cookie": cookie, "X-Labelagent-CSRF": csrf}
	if resp, data := f.req(t, "POST", f.addr, "/dashboard/api/printers/desk/test", "application/json", strings.NewReader("{}"), h); resp.StatusCode != 201 {
		t.Fatalf("test print: %d %s", resp.StatusCode, data)
	}
	if resp, data := f.req(t, "POST", f.addr, "/dashboard/api/printers/desk/pause", "application/json", strings.NewReader("{}"), h); resp.StatusCode != 200 || !strings.Contains(string(data), `"paused": true`) && !strings.Contains(string(data), `"paused":true`) {
		t.Fatalf("pause: %d %s", resp.StatusCode, data)
	}
}
