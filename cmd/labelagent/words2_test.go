package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	// A string literal given straight to an error or an output call.
	reWordsCall = regexp.MustCompile(`(?:fmt\.Errorf|errors\.New|fmt\.Printf|fmt\.Println|fmt\.Print|fmt\.Fprintf\([^,()]+,|fmt\.Fprintln\([^,()]+,|fmt\.Fprint\([^,()]+,)\s*\(?\s*"((?:[^"\\]|\\.)*)"`)
	// Words a person reads: two words, or a table header.
	reWords = regexp.MustCompile(`[A-Za-z]{2,} [A-Za-z]{2,}|[A-Z]{2,}\\t[A-Z]{2,}`)
)

// TestNoNewHardCodedWords fails when the command line gains words a
// person reads that are not from the message catalog: an error, a line of
// output or a table header written as an English string literal. The
// allowance lists what is left, with why; it may only go down.
func TestNoNewHardCodedWords(t *testing.T) {
	allowed := map[string]int{
		// useradd/groupadd failures: the command and its own output.
		"service.go": 3,
		// The banner's commands, shown as they are typed.
		"run.go": 1,
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range files {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var found []string
		for _, m := range reWordsCall.FindAllStringSubmatch(string(src), -1) {
			if reWords.MatchString(m[1]) {
				found = append(found, m[1])
			}
		}
		if len(found) > allowed[p] {
			t.Errorf("%s writes %d texts outside the message catalog (allowed %d): use app.T / i18n.E with keys in agent/i18n/locales:\n  %s",
				p, len(found), allowed[p], strings.Join(found, "\n  "))
		}
	}
}
