package i18n

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestCatalogComplete fails when a message exists in one language only.
func TestCatalogComplete(t *testing.T) {
	c, err := load(localeFS)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range Langs() {
		for _, b := range Langs() {
			for _, id := range c.IDs(a) {
				if !c.Has(b, id) {
					t.Errorf("message %q is in %s but not in %s", id, a, b)
				}
			}
		}
	}
}

// usedIDs finds the catalog keys the code uses literally: T("…"), N("…"),
// E("…"), Wrap(x, "…") and, for code that names keys in tables, msg("…").
var usedIDs = regexp.MustCompile(`(?:\.T|\.N|\bE|\bmsgID|\bmsg|\.Msg|\bsay|\bnote|\bK\([^,()]*,)\(?\s*"([a-z0-9_]+(?:\.[a-z0-9_]+)+)"|\b(?:K?Wrap)\([^,()]*(?:\([^()]*\))?,(?:[^,()]*,)?\s*"([a-z0-9_]+(?:\.[a-z0-9_]+)+)"|\bRefuse\([^,]*,[^,]*,\s*"([a-z0-9_]+(?:\.[a-z0-9_]+)+)"|\bRefuseWrap\([^,]*,[^,]*,[^,]*,\s*"([a-z0-9_]+(?:\.[a-z0-9_]+)+)"|\bID:\s*"([a-z0-9_]+(?:\.[a-z0-9_]+)+)"|\badd\("[^"]*",\s*"([a-z0-9_]+(?:\.[a-z0-9_]+)+)"|\bproblem\("[^"]*",\s*"([a-z0-9_]+(?:\.[a-z0-9_]+)+)"`)

var commentLine = regexp.MustCompile(`(?m)^\s*//.*$`)

// TestEveryUsedKeyTranslated scans the module's Go files for message keys
// and fails for one the catalog lacks in any language.
func TestEveryUsedKeyTranslated(t *testing.T) {
	root := filepath.Join("..", "..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Skip("module root not found")
	}
	c := Default()
	n := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		// Examples in comments are not uses.
		code := commentLine.ReplaceAllString(string(src), "")
		for _, m := range usedIDs.FindAllStringSubmatch(code, -1) {
			id := strings.Join(m[1:], "")
			n++
			for _, l := range Langs() {
				if !c.Has(l, id) {
					t.Errorf("%s uses message %q, which has no %s text", p, id, l)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d uses of catalog keys checked", n)
}

func TestDetect(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	for _, tc := range []struct {
		name     string
		getenv   func(string) string
		explicit string
		want     Lang
	}{
		{"LANG de", env("LANG", "de_DE.UTF-8"), "", German},
		{"LANG en", env("LANG", "en_US.UTF-8"), "", English},
		{"LC_ALL wins", env("LC_ALL", "en_GB.UTF-8", "LANG", "de_DE.UTF-8"), "", English},
		{"LC_MESSAGES over LANG", env("LC_MESSAGES", "de_AT", "LANG", "en_US"), "", German},
		{"C is English", env("LANG", "C.UTF-8"), "", English},
		{"unknown language is English", env("LANG", "fr_FR.UTF-8"), "", English},
		{"flag wins", env("LANG", "en_US.UTF-8"), "de", German},
		{"bad flag ignored", env("LANG", "de_DE.UTF-8"), "xx", German},
	} {
		if got := Detect(tc.getenv, tc.explicit); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
}

// TestFromSystem: the Windows UI languages (locale names, or a LANGID in
// hex) map to the catalog's languages, the first one it speaks winning.
// Plain strings, so this runs on every system.
func TestFromSystem(t *testing.T) {
	for _, tc := range []struct {
		names []string
		want  Lang
		ok    bool
	}{
		{[]string{"de-DE"}, German, true},
		{[]string{"de-AT", "en-US"}, German, true},
		{[]string{"de-CH"}, German, true},
		{[]string{"en-US", "de-DE"}, English, true},
		{[]string{"en-GB"}, English, true},
		{[]string{"fr-FR", "de-DE"}, German, true},     // French first, but no French catalog
		{[]string{"fr-FR", "it-IT"}, "", false},        // nothing of ours
		{[]string{"qps-ploc", "en-US"}, English, true}, // pseudo-locale skipped
		{[]string{"0407"}, German, true},               // LANGID German (Germany)
		{[]string{"0c07"}, German, true},               // German (Austria)
		{[]string{"0807"}, German, true},               // German (Switzerland)
		{[]string{"0409"}, English, true},              // English (US)
		{[]string{"0809"}, English, true},              // English (UK)
		{[]string{"040c"}, "", false},                  // French
		{[]string{"zzzz"}, "", false},
		{nil, "", false},
		{[]string{""}, "", false},
	} {
		got, ok := FromSystem(tc.names)
		if got != tc.want || ok != tc.ok {
			t.Errorf("FromSystem(%q) = %q, %v; want %q, %v", tc.names, got, ok, tc.want, tc.ok)
		}
	}
}

func TestAcceptLanguage(t *testing.T) {
	for h, want := range map[string]Lang{
		"":                        English,
		"de-DE,de;q=0.9,en;q=0.8": German,
		"en-US,en;q=0.9,de;q=0.8": English,
		"fr-FR,fr;q=0.9":          English,
		"fr-FR,de;q=0.5":          German,
		"garbage;;;":              English,
	} {
		if got := FromAcceptLanguage(h, English); got != want {
			t.Errorf("%q: got %s, want %s", h, got, want)
		}
	}
}

func TestPluralAndArgs(t *testing.T) {
	de, en := For(German), For(English)
	for _, tc := range []struct{ got, want string }{
		{de.N("jobs.count", 1), "1 Auftrag"},
		{de.N("jobs.count", 3), "3 Aufträge"},
		{en.N("jobs.count", 1), "1 job"},
		{en.N("jobs.count", 0), "0 jobs"},
		{de.T("common.error", "message", "kaputt"), "Fehler: kaputt"},
		{en.T("no.such.key", "a", 1), "no.such.key a=1"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	var zero *Localizer
	if got := zero.T("common.yes"); got != "yes" {
		t.Errorf("nil localizer: %q", got)
	}
}

func TestMoneyTimeNumbers(t *testing.T) {
	de, en := For(German), For(English)
	for _, tc := range []struct{ got, want string }{
		{de.Money(1234), "12,34 €"},
		{en.Money(1234), "€12.34"},
		{de.Money(123456789), "1.234.567,89 €"},
		{en.Money(-5), "-€0.05"},
		{de.Number(1.5, 1), "1,5"},
		{en.Number(1.5, -1), "1.5"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	at := time.Date(2026, 11, 24, 14, 5, 0, 0, time.Local)
	if got := de.Time(at); got != "24.11.2026 14:05" {
		t.Errorf("de time %q", got)
	}
	if got := en.Time(at); got != "2026-11-24 14:05" {
		t.Errorf("en time %q", got)
	}
}

func TestParseDecimal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1,5", 1.5, true}, {"1.5", 1.5, true}, {" 2 ", 2, true},
		{"1.234,5", 1234.5, true}, {"1,234.5", 1234.5, true},
		{"", 0, false}, {"abc", 0, false}, {"1,2,3", 0, false}, {"1.2.3,4", 0, false},
	} {
		got, err := ParseDecimal(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("ParseDecimal(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestErrors(t *testing.T) {
	base := E("common.error", "message", "x")
	wrapped := fmt.Errorf("printing: %w", Wrap(errors.New("EOF"), "common.error", "message", "y"))
	if got := For(German).Err(wrapped); got != "printing: Fehler: y: EOF" {
		t.Errorf("German: %q", got)
	}
	if got := wrapped.Error(); got != "printing: error: y: EOF" {
		t.Errorf("English: %q", got)
	}
	if !errors.Is(wrapped, E("common.error")) {
		t.Error("errors.Is by id failed")
	}
	if errors.Is(base, E("common.yes")) {
		t.Error("errors.Is matched another id")
	}
	if Wrap(nil, "common.error") != nil {
		t.Error("Wrap(nil) is not nil")
	}
	if got := For(German).Err(errors.New("plain")); got != "plain" {
		t.Errorf("plain: %q", got)
	}
}
