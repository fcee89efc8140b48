package api_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/labelagent/labelagent/agent/api"
	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/zpl/render"
)

// TestEveryErrorAnswerIsTranslated sends requests that the control API
// refuses, in English and German: every answer names its catalog entry,
// the catalog has it in both languages, and the two messages differ (the
// words really are translated, not passed through).
func TestEveryErrorAnswerIsTranslated(t *testing.T) {
	f := setup(t)
	zplBody := "^XA^FDhi^FS^XZ"
	big := strings.Repeat("^XA^FDx^FS^XZ", 1000)
	cases := []struct {
		name, method, path, body string
		hdr                      map[string]string
		wantID                   string
	}{
		{"no endpoint", "GET", "/api/v2/nothing", "", nil, "api.no_endpoint"},
		{"foreign host", "GET", "/api/v1/jobs", "", map[string]string{"Host": "evil.example"}, "api.bad_host"},
		{"from a web page", "GET", "/api/v1/jobs", "", map[string]string{"Origin": "https://shop.example"}, "api.from_browser"},
		{"no key", "GET", "/api/v1/jobs", "", map[string]string{"X-Labelagent-Key": ""}, "api.bad_key"},
		{"not JSON", "POST", "/api/v1/jobs", "{}", map[string]string{"Content-Type": "application/json; x", "X-Test": "1"}, ""},
		{"empty JSON", "POST", "/api/v1/jobs", "", map[string]string{"Content-Type": "application/json"}, "api.empty_body"},
		{"broken JSON", "POST", "/api/v1/jobs", "{", map[string]string{"Content-Type": "application/json"}, "api.bad_json"},
		{"two JSON values", "POST", "/api/v1/jobs", `{"kind":"zpl","payload":"XlhBXlha"} {}`, map[string]string{"Content-Type": "application/json"}, "api.json_trailing"},
		{"unknown parameter", "POST", "/api/v1/jobs?colour=red", zplBody, nil, "api.unknown_param"},
		{"copies not a number", "POST", "/api/v1/jobs?copies=zwei", zplBody, nil, "api.copies_not_number"},
		{"payload too large", "POST", "/api/v1/jobs", big, nil, "api.payload_too_large"},
		{"bad limit", "GET", "/api/v1/jobs?limit=0", "", nil, "api.bad_limit"},
		{"unknown printer", "POST", "/api/v1/jobs?printer=nope", zplBody, nil, "job.unknown_printer"},
		{"bad kind", "POST", "/api/v1/jobs?kind=docx", zplBody, nil, "job.bad_kind"},
		{"empty payload", "POST", "/api/v1/jobs?kind=zpl", "", nil, "job.empty_payload"},
		{"too many copies", "POST", "/api/v1/jobs?copies=1000", zplBody, nil, "job.bad_copies"},
		{"not ZPL", "POST", "/api/v1/jobs?kind=zpl", "Dear customer", nil, "job.not_zpl"},
		{"not a PDF", "POST", "/api/v1/jobs?kind=pdf", "hello", nil, "job.bad_payload"},
		{"control character in name", "POST", "/api/v1/jobs?name=a%1Bb", zplBody, nil, "job.text_control"},
		{"no such job", "GET", "/api/v1/jobs/999", "", nil, "job.not_found"},
		{"bad state filter", "GET", "/api/v1/jobs?state=waiting", "", nil, "job.bad_state"},
		{"unknown printer filter", "GET", "/api/v1/jobs?printer=nope", "", nil, "job.unknown_printer"},
		{"pause unknown printer", "POST", "/api/v1/printers/nope/pause", "", nil, "job.unknown_printer"},
		{"shipments without dhl", "GET", "/api/v1/shipments", "", nil, "ship.api.not_configured"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msgs := map[string]string{}
			for _, lang := range []string{"en", "de-DE,de;q=0.9"} {
				hdr := map[string]string{"X-Labelagent-Key": key, "Accept-Language": lang}
				for k, v := range c.hdr {
					hdr[k] = v
				}
				if c.hdr != nil && c.hdr["X-Labelagent-Key"] == "" {
					if _, set := c.hdr["X-Labelagent-Key"]; set {
						delete(hdr, "X-Labelagent-Key")
					}
				}
				status, e, raw := f.do(t, c.method, c.path, c.body, hdr)
				if status < 400 {
					t.Fatalf("%s: status %d, want a refusal: %s", lang, status, raw)
				}
				if e.ID == "" || e.Code == "" || e.Message == "" {
					t.Fatalf("%s: answer without catalog id, code or message: %s", lang, raw)
				}
				if c.wantID != "" && e.ID != c.wantID {
					t.Errorf("%s: id %q, want %q (%s)", lang, e.ID, c.wantID, e.Message)
				}
				for _, l := range i18n.Langs() {
					if !i18n.Default().Has(l, e.ID) {
						t.Errorf("catalog id %q has no %s text", e.ID, l)
					}
				}
				if strings.Contains(e.Message, e.ID) {
					t.Errorf("%s: the message shows its id: %q", lang, e.Message)
				}
				msgs[lang[:2]] = e.Message
				if _, err := json.Marshal(e.Args); err != nil {
					t.Errorf("args do not serialise: %v", err)
				}
			}
			if msgs["en"] == msgs["de"] {
				t.Errorf("the same words in English and German: %q", msgs["en"])
			}
		})
	}
}

// TestNoUntranslatedAnswers fails when an error answer of the control API
// is built from words outside the catalog: answers use Refuse (or the
// agent's catalog errors); &Error{…} with words of its own is allowed only
// where the words come translated from elsewhere, listed here with why.
func TestNoUntranslatedAnswers(t *testing.T) {
	allowed := map[string]int{
		// INTERNETMARKE's own operator messages, chosen by Accept-Language.
		"stamps.go": 1,
	}
	literal := regexp.MustCompile(`&Error\{`)
	wordedError := regexp.MustCompile(`fmt\.Errorf\(|errors\.New\(`)
	files, _ := filepath.Glob("*.go")
	sub, _ := filepath.Glob("*/*.go")
	for _, p := range append(files, sub...) {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		n := len(literal.FindAll(src, -1))
		if n > allowed[filepath.Base(p)] {
			t.Errorf("%s builds %d error answers with words outside the message catalog (allowed %d): use api.Refuse(status, code, \"area.key\", args…) and add the words to agent/i18n/locales", p, n, allowed[filepath.Base(p)])
		}
		// The shipment answers' details are the journal's catalog errors
		// too: no words of their own in fmt.Errorf or errors.New.
		if filepath.Base(p) == "shipments.go" {
			if n := len(wordedError.FindAll(src, -1)); n > 0 {
				t.Errorf("%s builds %d errors with words outside the message catalog: use i18n.K(kind, \"area.key\", args…)", p, n)
			}
		}
	}
}

// TestAgentLanguageIsTheDefault: without Accept-Language the answer is in
// the configuration's language; a request's Accept-Language still wins.
func TestAgentLanguageIsTheDefault(t *testing.T) {
	dir := t.TempDir()
	cfg, err := config.Load("", func(c *config.Config) {
		c.DataDir = dir
		c.Language = "de"
		c.Printers = []printer.Config{{Name: "desk", Transport: "file"}}
	})
	if err != nil {
		t.Fatal(err)
	}
	f := serve(t, cfg, nil)
	_, e, _ := f.do(t, "GET", "/api/v1/jobs/77", "", map[string]string{"X-Labelagent-Key": key})
	if e.Message != "Einen Auftrag 77 gibt es nicht" {
		t.Errorf("without Accept-Language: %q, want the agent's German", e.Message)
	}
	_, e, _ = f.do(t, "GET", "/api/v1/jobs/77", "", map[string]string{"X-Labelagent-Key": key, "Accept-Language": "en-GB"})
	if e.Message != "there is no job 77" {
		t.Errorf("with Accept-Language en-GB: %q", e.Message)
	}
}

// TestNoteTextPlural: a renderer note with a count is worded in the
// plural form the count needs, in both languages.
func TestNoteTextPlural(t *testing.T) {
	for _, tc := range []struct {
		lang  i18n.Lang
		count string
		want  string
	}{
		{i18n.English, "1", "^B3: 1 character Code 39 cannot carry was left out"},
		{i18n.English, "4", "^B3: 4 characters Code 39 cannot carry were left out"},
		{i18n.German, "1", "^B3: 1 Zeichen, das Code 39 nicht darstellen kann, wurde weggelassen"},
		{i18n.German, "4", "^B3: 4 Zeichen, die Code 39 nicht darstellen kann, wurden weggelassen"},
	} {
		n := render.Note{Code: "dropped_code39", Args: map[string]string{"count": tc.count}}
		if got := api.NoteText(i18n.For(tc.lang), n, "english"); got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.lang, tc.count, got, tc.want)
		}
	}
}
