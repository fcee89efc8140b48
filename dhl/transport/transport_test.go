package transport

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

func TestDecodeText(t *testing.T) {
	latin1 := []byte("Gr\xfc\xdfe aus K\xf6ln")
	tests := []struct {
		ct   string
		body []byte
		want string
	}{
		{"text/html; charset=iso-8859-1", latin1, "Grüße aus Köln"},
		{"text/html; charset=ISO-8859-1", latin1, "Grüße aus Köln"},
		{"text/plain; charset=windows-1252", []byte("Preis 5 \x80"), "Preis 5 €"},
		{"application/problem+json", []byte(`{"detail":"Grüße"}`), `{"detail":"Grüße"}`},
		{"application/json; charset=utf-8", []byte("ok \xff"), "ok \uFFFD"},
		{"text/html", latin1, "Grüße aus Köln"}, // undeclared and not UTF-8: read as Latin-1
		{"", []byte("plain"), "plain"},
		{"text/html; charset=nonsense", latin1, "Grüße aus Köln"},
	}
	for _, tt := range tests {
		if got := string(DecodeText(tt.ct, tt.body)); got != tt.want {
			t.Errorf("DecodeText(%q, %q) = %q, want %q", tt.ct, tt.body, got, tt.want)
		}
	}
}

func TestParseError(t *testing.T) {
	h := func(ct string) http.Header { return http.Header{"Content-Type": {ct}} }
	tests := []struct {
		name               string
		status             int
		header             http.Header
		body               string
		title, detail, msg string
	}{
		{"problem json", 401, h("application/problem+json"), `{"title":"Unauthorized","statusCode":401,"status":401,"detail":"Invalid credentials"}`,
			"Unauthorized", "Invalid credentials", "check the API key"},
		{"label data response", 400, h("application/problem+json"), `{"status":{"title":"Bad Request","statusCode":400,"detail":"JSON schema validation failed."},"items":[]}`,
			"Bad Request", "JSON schema validation failed.", "HTTP 400"},
		{"oauth error", 401, h("application/json"), `{"error":"invalid_grant","error_description":"Invalid user credentials"}`,
			"invalid_grant", "Invalid user credentials", "Invalid user credentials"},
		{"latin-1 html", 503, h("text/html; charset=iso-8859-1"), "<html><head><title>x</title><style>p{}</style></head><body><h1>Fehler</h1><p>Bitte sp\xe4ter &amp; erneut</p></body></html>",
			"", "x Fehler Bitte später & erneut", "später"},
	}
	for _, tt := range tests {
		e := ParseError("GET", "/p", tt.status, tt.header, []byte(tt.body))
		if e.Title != tt.title || e.Detail != tt.detail || !strings.Contains(e.Error(), tt.msg) {
			t.Errorf("%s: got title %q detail %q error %q", tt.name, e.Title, e.Detail, e.Error())
		}
	}
	hdr := http.Header{"Retry-After": {"3"}}
	if e := ParseError("GET", "/p", 429, hdr, nil); e.RetryAfter != 3*time.Second || !e.Temporary() {
		t.Errorf("Retry-After: %v", e.RetryAfter)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"": 0, "0": 0, "5": 5 * time.Second, "-3": 0, "abc": 0, "99999999999": 7 * 24 * time.Hour,
		"Sat, 21 Nov 2026 12:00:30 GMT": 30 * time.Second, "Sat, 21 Nov 2026 11:00:00 GMT": 0,
	} {
		if got := ParseRetryAfter(in, now); got != want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestConfig(t *testing.T) {
	c := Config{Sandbox: true, APIKey: "k"}.WithDefaults()
	if c.BaseURL != SandboxURL || c.Username != SandboxUser || c.Auth != AuthBasic || c.Profile != DefaultProfile {
		t.Fatalf("sandbox defaults: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{EnvAPISecret: "s3cret", EnvPassword: "pw"}
	c = Config{APIKey: "k", Username: "u", Auth: "oauth"}.WithEnv(func(k string) string { return env[k] }).WithDefaults()
	if c.APISecret != "s3cret" || c.Password != "pw" || c.Validate() != nil {
		t.Fatalf("env: %+v %v", c, c.Validate())
	}
	err := Config{BaseURL: "ftp://x", Auth: "kerberos"}.Validate()
	for _, want := range []string{"dhl.base_url", "dhl.api_key", "dhl.auth", "dhl.username"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate should name %s: %v", want, err)
		}
	}
}

func FuzzParseError(f *testing.F) {
	f.Add("application/problem+json", []byte(`{"title":"x","status":{"title":"y"}}`))
	f.Add("text/html; charset=iso-8859-1", []byte("<p>sp\xe4ter</p>"))
	f.Add("text/html; charset=utf-16", []byte{0xff, 0xfe, 'a', 0})
	f.Add("", []byte("<script>"))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		e := ParseError("GET", "/x", 500, http.Header{"Content-Type": {ct}}, body)
		msg := e.Error()
		if !utf8.ValidString(msg) {
			t.Fatalf("error text is not UTF-8: %q", msg)
		}
		if !utf8.Valid(e.Body) {
			t.Fatalf("decoded body is not UTF-8")
		}
	})
}

func TestDecodeConfigIsStrict(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("base_url: http://127.0.0.1:1\napi_key: k\nbilling_numbers:\n  V01PAK: \"33333333330102\"\nshipper:\n  name1: Shop\n"), &doc); err != nil {
		t.Fatal(err)
	}
	c, err := DecodeConfig(doc.Content[0])
	if err != nil || c.APIKey != "k" || c.BillingNumbers["V01PAK"] != "33333333330102" || c.Shipper.Name1 != "Shop" {
		t.Fatalf("%+v %v", c, err)
	}
	if err := yaml.Unmarshal([]byte("api_kee: k\n"), &doc); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeConfig(doc.Content[0]); err == nil || !strings.Contains(err.Error(), "api_kee") {
		t.Fatalf("a typo must be reported: %v", err)
	}
}

// TestErrorsKeepDHLsWords: every error answer keeps its HTTP status, title
// and detail, whatever shape DHL's gateways give it; a 429 is a rate limit
// unless the answer itself says a quota is used up.
func TestErrorsKeepDHLsWords(t *testing.T) {
	pj := http.Header{"Content-Type": {"application/problem+json"}}
	withRA := func(s string) http.Header {
		h := pj.Clone()
		h.Set("Retry-After", s)
		return h
	}
	tests := []struct {
		name          string
		status        int
		header        http.Header
		body          string
		title, detail string
		quota         bool
		words         string
	}{
		{"tracking 404", 404, pj, `{"title":"No result found","detail":"No shipment with given tracking number found.","status":404,"instance":"/shipment/8264715546"}`,
			"No result found", "No shipment with given tracking number found.", false, "HTTP 404 Not Found: No result found: No shipment with given tracking number found."},
		{"tracking 429 without Retry-After", 429, pj, `{"status":429,"title":"Too Many Requests","detail":"Too many requests within defined time period, please try again later."}`,
			"Too Many Requests", "Too many requests within defined time period, please try again later.", false, "rate limit; try again later"},
		{"429 with a short Retry-After", 429, withRA("2"), `{"status":429,"title":"Too Many Requests","detail":"Too many requests within defined time period, please try again later."}`,
			"Too Many Requests", "Too many requests within defined time period, please try again later.", false, "retry after 2s"},
		{"429 until tomorrow", 429, withRA("50000"), `{"status":429,"title":"Too Many Requests","detail":"Too many requests within defined time period, please try again later."}`,
			"Too Many Requests", "Too many requests within defined time period, please try again later.", true, "quota used up; retry after 13h53m20s"},
		{"429 saying the daily quota", 429, pj, `{"status":429,"title":"Too Many Requests","detail":"The daily quota of 250 calls is used up."}`,
			"Too Many Requests", "The daily quota of 250 calls is used up.", true, "quota used up"},
		{"gateway quota fault", 429, http.Header{"Content-Type": {"application/json"}}, `{"fault":{"faultstring":"Rate limit quota violation. Quota limit  exceeded. Identifier : _default","detail":{"errorcode":"policies.ratelimit.QuotaViolation"}}}`,
			"policies.ratelimit.QuotaViolation", "Rate limit quota violation. Quota limit  exceeded. Identifier : _default", true, "quota used up"},
		{"detail as an object", 500, pj, `{"title":"Internal Server Error","status":500,"detail":{"code":7}}`,
			"Internal Server Error", "", false, "HTTP 500"},
		{"cancel refused", 400, pj, `{"status":{"title":"Bad Request","statusCode":400,"detail":"0 of 1 shipment successfully canceled."},"items":[{"shipmentNo":"1","sstatus":{"title":"UnknownShipmentNumber","statusCode":204,"detail":"Unknown shipment number."}}]}`,
			"Bad Request", "0 of 1 shipment successfully canceled.", false, "HTTP 400: Bad Request: 0 of 1 shipment successfully canceled."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ParseError("GET", "/p", tt.status, tt.header, []byte(tt.body))
			if e.StatusCode != tt.status || e.Title != tt.title || e.Detail != tt.detail {
				t.Errorf("status %d title %q detail %q", e.StatusCode, e.Title, e.Detail)
			}
			if e.QuotaExhausted() != tt.quota {
				t.Errorf("quota used up: %v, want %v", e.QuotaExhausted(), tt.quota)
			}
			if !strings.Contains(e.Error(), tt.words) {
				t.Errorf("error %q lacks %q", e.Error(), tt.words)
			}
			if StatusOf(fmt.Errorf("wrapped: %w", e)) != tt.status {
				t.Error("StatusOf must find the status through wrapping")
			}
		})
	}
}
