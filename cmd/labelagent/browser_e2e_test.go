package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/api/browser"
	"github.com/labelagent/labelagent/agent/apitype"
)

// TestBrowserEndToEnd runs the real binary with the browser API on HTTP and
// HTTPS: a page's origin pairs, `labelagent origins` lists and approves it,
// the page prints over HTTPS with the agent's certificate, revoking stops
// it, and `labelagent browser cert install` puts the certificate in an NSS
// database as it would for Chromium.
func TestBrowserEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	baddr, saddr, zaddr, zsaddr := freeAddr(t), freeAddr(t), freeAddr(t), freeAddr(t)
	e := newE2E(t, "browser:\n  listen: "+baddr+"\n  https_listen: "+saddr+"\n  browser_print: {enabled: true, listen: "+zaddr+", https_listen: "+zsaddr+"}\n")
	e.start()
	// The banner is written before the API answers, but it reaches the
	// buffer through a pipe: give it a moment.
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(e.proc.out.String(), "dashboard") && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(e.proc.out.String(), "dashboard") {
		t.Errorf("banner does not name the dashboard:\n%s", e.proc.out)
	}
	// The control API names it too: the tray's menu opens it from there.
	if h, err := e.cl.Health(t.Context()); err != nil || h.Dashboard != "http://"+baddr+"/dashboard/" {
		t.Errorf("health names the dashboard %q (%v), want http://%s/dashboard/", h.Dashboard, err, baddr)
	}
	const shop = "https://shop.example"
	call := func(base, method, path, token string, body []byte, cl *http.Client) (int, []byte) {
		t.Helper()
		r, _ := http.NewRequest(method, base+path, bytes.NewReader(body))
		r.Header.Set("Origin", shop)
		if body != nil {
			r.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := cl.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, data
	}
	code, data := call("http://"+baddr, "POST", "/v1/pair", "", []byte(`{"app":"Shop"}`), http.DefaultClient)
	var ps browser.PairStatus
	if json.Unmarshal(data, &ps); code != 202 || ps.Token == "" {
		t.Fatalf("pair: %d %s", code, data)
	}
	out, rc := e.cli("origins")
	if rc != 0 || !strings.Contains(out, shop) || !strings.Contains(out, ps.Code) {
		t.Fatalf("origins: %d %s", rc, out)
	}
	if out, rc := e.cli("origins", "approve", shop, "--scope", "shipping"); rc != 0 || !strings.Contains(out, shop) {
		t.Fatalf("approve: %d %s", rc, out)
	}
	out, _ = e.cli("--json", "origins", "list")
	var ol apitype.OriginList
	if err := json.Unmarshal([]byte(out), &ol); err != nil || len(ol.Origins) != 1 || ol.Origins[0].State != "approved" || strings.Join(ol.Origins[0].Scopes, ",") != "print,shipping" {
		t.Fatalf("origins --json: %v %s", err, out)
	}

	// HTTPS with the agent's own certificate, trusted explicitly.
	pem, err := os.ReadFile(browser.CertPath(filepath.Join(e.dir, "data")))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tlsClient := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	body, _ := json.Marshal(apitype.SubmitRequest{Payload: label(1)})
	code, data = call("https://localhost:"+strings.Split(saddr, ":")[1], "POST", "/v1/jobs", ps.Token, body, tlsClient)
	if code != 201 {
		t.Fatalf("print over HTTPS: %d %s", code, data)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		files, _ := filepath.Glob(filepath.Join(e.out, "*"))
		if len(files) >= 1 {
			got, _ := os.ReadFile(files[0])
			if !bytes.Contains(got, []byte("JOB-0001")) {
				t.Fatalf("printed %q", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("label not printed")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Browser Print's endpoints, over HTTPS as on port 9101.
	code, data = call("https://localhost:"+strings.Split(zsaddr, ":")[1], "GET", "/default?type=printer", "", nil, tlsClient)
	if code != 200 || !strings.Contains(string(data), `"uid"`) {
		t.Fatalf("Browser Print over HTTPS: %d %s", code, data)
	}
	code, _ = call("http://"+zaddr, "POST", "/write", "", []byte(`{"data":"^XA^FDbp^FS^XZ"}`), http.DefaultClient)
	if code != 200 {
		t.Fatalf("Browser Print write: %d", code)
	}

	if out, rc := e.cli("origins", "revoke", shop); rc != 0 {
		t.Fatalf("revoke: %d %s", rc, out)
	}
	if code, data := call("http://"+baddr, "POST", "/v1/jobs", ps.Token, body, http.DefaultClient); code != 401 {
		t.Fatalf("revoked token: %d %s", code, data)
	}

	// The certificate into an NSS database, as for Chromium.
	if _, err := exec.LookPath("certutil"); err != nil {
		t.Skip("certutil missing (Debian package libnss3-tools; `make test` installs it)")
	}
	db := filepath.Join(t.TempDir(), "nssdb")
	if out, rc := e.cli("browser", "cert", "install", "--nssdb", db); rc != 0 || !strings.Contains(out, db) {
		t.Fatalf("cert install: %d %s", rc, out)
	}
	// Twice (a renewed certificate) replaces it, not fails.
	if out, rc := e.cli("browser", "cert", "install", "--nssdb", db); rc != 0 {
		t.Fatalf("second cert install: %d %s", rc, out)
	}
	lst, err := exec.Command("certutil", "-L", "-d", "sql:"+db).CombinedOutput()
	if err != nil || strings.Count(string(lst), browser.CertName) != 1 || !strings.Contains(string(lst), "P,,") {
		t.Fatalf("certutil -L: %v\n%s", err, lst)
	}
	der, _ := exec.Command("certutil", "-L", "-d", "sql:"+db, "-n", browser.CertName, "-a").Output()
	if !bytes.Equal(bytes.TrimSpace(normalizePEM(der)), bytes.TrimSpace(normalizePEM(pem))) {
		t.Fatal("the installed certificate is not the agent's")
	}
}

func normalizePEM(b []byte) []byte {
	s := strings.ReplaceAll(string(b), "\r", "")
	lines := strings.Split(s, "\n")
	var keep []string
	for _, l := range lines {
		if l != "" && !strings.HasPrefix(l, "-----") {
			keep = append(keep, l)
		}
	}
	raw, _ := base64.StdEncoding.DecodeString(strings.Join(keep, ""))
	return raw
}

// TestBrowserListenNotLoopbackRefused: the agent does not start with a
// browser listener on the network.
func TestBrowserListenNotLoopbackRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	e := newE2E(t, "browser:\n  listen: 0.0.0.0:9181\n")
	out, err := exec.Command(e.bin, "run", "--config", e.cfgPath).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "browser.listen") || !strings.Contains(string(out), "loopback") {
		t.Fatalf("agent with browser.listen 0.0.0.0: %v\n%s", err, out)
	}
}

// TestBrowserPortTakenKeepsAgent: when the browser port is taken (another
// program, or Zebra's own Browser Print on 9100), the agent says so and
// keeps printing from every other source.
func TestBrowserPortTakenKeepsAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	e := newE2E(t, "browser:\n  listen: "+taken.Addr().String()+"\n")
	e.start()
	if _, err := e.cl.Submit(t.Context(), apitype.SubmitRequest{Payload: label(7)}); err != nil {
		t.Fatalf("the agent does not take jobs: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(e.proc.out.String(), "browser API is off: cannot listen") {
		if time.Now().After(deadline) {
			t.Fatalf("no word about the browser API:\n%s", e.proc.out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// No dashboard where the browser surface could not listen: the tray
	// offers none.
	if h, err := e.cl.Health(t.Context()); err != nil || h.Dashboard != "" {
		t.Errorf("health names a dashboard %q (%v) that does not listen", h.Dashboard, err)
	}
}
