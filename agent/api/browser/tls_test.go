package browser_test

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/api/browser"
)

// TestHTTPSListener: the agent's certificate is made once, kept, renewed
// before it ends, and serves the browser API on localhost, 127.0.0.1 and
// ::1 to a client that trusts it (as browsers do after `browser cert install`).
func TestHTTPSListener(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	cert, renewed, err := browser.LoadOrCreateCert(dir, now)
	if err != nil || !renewed {
		t.Fatalf("first start: %v renewed=%v", err, renewed)
	}
	if st, _ := os.Stat(filepath.Join(dir, browser.KeyFile)); st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", st.Mode().Perm())
	}
	again, renewed, err := browser.LoadOrCreateCert(dir, now.Add(24*time.Hour))
	if err != nil || renewed || string(again.Certificate[0]) != string(cert.Certificate[0]) {
		t.Fatalf("second start made a new certificate: %v %v", err, renewed)
	}
	if _, renewed, _ := browser.LoadOrCreateCert(dir, now.Add(380*24*time.Hour)); !renewed {
		t.Fatal("a certificate ending within 30 days was kept")
	}
	// A certificate from the future (the clock was set back) is replaced.
	cert, renewed, _ = browser.LoadOrCreateCert(dir, now)
	if !renewed {
		t.Fatal("a certificate not valid yet was kept")
	}
	leaf, _, err := browser.ReadCert(dir)
	if err != nil || leaf.IsCA || leaf.BasicConstraintsValid && leaf.IsCA {
		t.Fatalf("certificate: %v CA=%v", err, leaf.IsCA)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok "+r.TLS.ServerName)
	})}
	go srv.Serve(tls.NewListener(ln, browser.TLSConfig(cert)))
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	cl := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	for _, host := range []string{"127.0.0.1", "localhost"} {
		resp, err := cl.Get("https://" + net.JoinHostPort(host, port) + "/")
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		resp.Body.Close()
	}
	if err := leaf.VerifyHostname("::1"); err != nil {
		t.Fatal(err)
	}
	if err := leaf.VerifyHostname("shop.example"); err == nil {
		t.Fatal("the certificate vouches for another host")
	}
	// An untrusting client is refused: nothing else vouches for it.
	if _, err := http.Get("https://127.0.0.1:" + port + "/"); err == nil {
		t.Fatal("a client without the certificate connected")
	}
}
