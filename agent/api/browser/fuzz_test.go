package browser_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzSubmit sends arbitrary bodies and content types to the job endpoint
// of a paired origin: the answer is a clear refusal or a job, never a
// server error or a panic.
func FuzzSubmit(f *testing.F) {
	fx := setup(f, fixtureOpts{maxBody: 4 << 10})
	tok := fx.pair(f, shop)
	f.Add([]byte(`{"payload":"XlhBXlha"}`), "application/json")
	f.Add([]byte("--b\r\nContent-Disposition: form-data; name=\"payload\"; filename=\"a\"\r\n\r\n^XA^XZ\r\n--b--\r\n"), "multipart/form-data; boundary=b")
	f.Add([]byte(`{"payload":"","copies":-1,"kind":"pdf"}`), "application/json; charset=utf-8")
	f.Add([]byte("--x\r\nContent-Disposition: form-data; name=\"copies\"\r\n\r\nzz\r\n--x--"), "multipart/form-data; boundary=x")
	local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9181}
	f.Fuzz(func(t *testing.T, body []byte, ctype string) {
		r := httptest.NewRequest("POST", "/v1/jobs", bytes.NewReader(body))
		r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, local))
		r.Host = "127.0.0.1:9181"
		r.Header.Set("Origin", shop)
		r.Header.Set("Authorization", "Bearer "+tok)
		r.Header.Set("Content-Type", ctype)
		w := httptest.NewRecorder()
		fx.h.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%d %s for %q (%s)", w.Code, w.Body, body, ctype)
		}
	})
}

// FuzzBrowserPrintWrite sends arbitrary bodies to Browser Print's /write
// and /read from an accepted origin: never a server error or a panic.
func FuzzBrowserPrintWrite(f *testing.F) {
	fx := setup(f, fixtureOpts{maxBody: 4 << 10})
	fx.reg.Approve(wms, nil)
	f.Add([]byte(`{"device":{"uid":"labelagent:desk"},"data":"^XA^FDx^FS^XZ"}`), "text/plain;charset=UTF-8", "/write")
	f.Add([]byte(`{"device":{"name":"desk"},"data":"~HS"}`), "text/plain", "/write")
	f.Add([]byte(`device=%7B%7D&data=%5EXA`), "application/x-www-form-urlencoded", "/write")
	f.Add([]byte(`{"device":{"uid":"nope"}}`), "text/plain", "/read")
	local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9100}
	f.Fuzz(func(t *testing.T, body []byte, ctype, path string) {
		if path != "/write" && path != "/read" {
			path = "/write"
		}
		r := httptest.NewRequest("POST", path, bytes.NewReader(body))
		r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, local))
		r.Host = "127.0.0.1:9100"
		r.Header.Set("Origin", wms)
		r.Header.Set("Content-Type", ctype)
		w := httptest.NewRecorder()
		fx.zh.ServeHTTP(w, r)
		if w.Code >= 500 && w.Code != http.StatusBadGateway { // 502: the printer cannot answer a query
			t.Fatalf("%d %s for %q (%s)", w.Code, w.Body, body, ctype)
		}
	})
}
