package internetmarke

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestParseRetoureDate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"6102025-190339", time.Date(2025, 10, 6, 19, 3, 39, 0, time.UTC), true},
		{"16102025-000000", time.Date(2025, 10, 16, 0, 0, 0, 0, time.UTC), true},
		{"1012026-235959", time.Date(2026, 1, 1, 23, 59, 59, 0, time.UTC), true},
		{"32102025-000000", time.Time{}, false},
		{"6132025-000000", time.Time{}, false},
		{"6102025", time.Time{}, false},
		{"", time.Time{}, false},
		{"x102025-190339", time.Time{}, false},
	} {
		got, err := ParseRetoureDate(tc.in, nil)
		if (err == nil) != tc.ok || !got.Equal(tc.want) {
			t.Errorf("ParseRetoureDate(%q) = %v, %v", tc.in, got, err)
		}
		if tc.ok && FormatRetoureDate(got) != tc.in {
			t.Errorf("FormatRetoureDate(%v) = %q, want %q", got, FormatRetoureDate(got), tc.in)
		}
	}
}

func TestCents(t *testing.T) {
	for _, tc := range []struct {
		c    Cents
		want string
	}{{42, "0,42 €"}, {95, "0,95 €"}, {123456, "1.234,56 €"}, {-5, "-0,05 €"}, {100000000, "1.000.000,00 €"}} {
		if got := tc.c.String(); got != tc.want {
			t.Errorf("%d: %q, want %q", int(tc.c), got, tc.want)
		}
	}
	for _, tc := range []struct {
		in   string
		want Cents
		ok   bool
	}{{"12,50", 1250, true}, {"12.5", 1250, true}, {"20", 2000, true}, {"95ct", 95, true}, {"10 €", 1000, true},
		{"1,234", 0, false}, {"-3", 0, false}, {"abc", 0, false}, {"", 0, false}, {"99999999", 0, false}} {
		got, err := ParseCents(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseCents(%q) = %v, %v", tc.in, got, err)
		}
	}
}

func TestParseErrorBodies(t *testing.T) {
	for _, tc := range []struct {
		body          string
		title, detail string
	}{
		{`{"statusCode":"400","title":"invalidTotalAmount","detail":"d"}`, "invalidTotalAmount", "d"},
		{`{"statusCode":400,"title":"x","description":"desc"}`, "x", "desc"},
		{`{"status":500,"title":"y"}`, "y", ""},
		{`<html>gateway</html>`, "", "<html>gateway</html>"},
		{``, "", ""},
	} {
		e := parseError("op", 400, http.Header{}, []byte(tc.body))
		if e.Title != tc.title || e.Detail != tc.detail {
			t.Errorf("%s: %+v", tc.body, e)
		}
	}
}

func FuzzParseError(f *testing.F) {
	f.Add([]byte(`{"statusCode":400,"title":"x","description":"desc","instance":"PCF"}`))
	f.Add([]byte(`{"statusCode":"400"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e := parseError("op", 400, http.Header{"Retry-After": {string(b)}}, b)
		_ = e.Error()
		_ = e.Message("de")
	})
}

func FuzzParseRetoureDate(f *testing.F) {
	f.Add("6102025-190339")
	f.Add("31122025-235959")
	f.Fuzz(func(t *testing.T, s string) {
		if tm, err := ParseRetoureDate(s, nil); err == nil {
			if back, err := ParseRetoureDate(FormatRetoureDate(tm), nil); err != nil || !back.Equal(tm) {
				t.Fatalf("%q: round trip %v %v", s, back, err)
			}
		}
	})
}

func FuzzSplitStampFile(f *testing.F) {
	f.Add([]byte("%PDF-1.4"))
	f.Add([]byte("PK\x03\x04"))
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		kind, files, err := SplitStampFile(b)
		if err == nil && (kind == "" || len(files) == 0) {
			t.Fatal("success without files")
		}
	})
}

func FuzzParseCents(f *testing.F) {
	f.Add("12,50")
	f.Add("95ct")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCents(s)
		if err == nil && c < 0 {
			t.Fatalf("%q: negative %d", s, c)
		}
	})
}

func TestDecodeConfig(t *testing.T) {
	var doc yaml.Node
	src := `
enabled: true
base_url: http://127.0.0.1:9/post/de/shipping/im/v1
api_key: k
username: u
format: png
dpi: DPI203
layout: ADDRESS_ZONE
default_product: 1
catalog_refresh: 6h
products:
  - {code: 1, price: 95}
  - {code: 21, name: Großbrief, price: "1,80 €"}
`
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{EnvAPISecret: "s", EnvPassword: "p"}
	c, err := DecodeConfig(doc.Content[0], func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if !c.Enabled || c.APISecret != "s" || c.Password != "p" || c.CatalogRefresh != 6*time.Hour || c.Products[1].Price != 180 || c.Products[1].Name != "Großbrief" {
		t.Fatalf("%+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal([]byte("api_kee: x\n"), &doc); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeConfig(doc.Content[0], func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "api_kee") {
		t.Fatalf("unknown key: %v", err)
	}
}
