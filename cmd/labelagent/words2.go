package main

import (
	"fmt"
	"time"

	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/agent/i18n"
)

// codeWord says a machine code (a state, a page type) in the reader's
// words: the catalog message prefix+code, or the code itself when it is
// newer than this CLI's catalog.
func codeWord(l *i18n.Localizer, prefix, code string) string {
	if code != "" && i18n.Default().Has(l.Lang(), prefix+code) {
		return l.T(prefix + code)
	}
	return code
}

// yesNo is a yes/no column in the reader's language.
func yesNo(l *i18n.Localizer, b bool) string {
	if b {
		return l.T("common.yes")
	}
	return l.T("common.no")
}

// sizeMM is a page size in millimetres with the reader's decimal mark.
func sizeMM(l *i18n.Localizer, w, h float64) string {
	return fmt.Sprintf("%s × %s mm", l.Number(w, -1), l.Number(h, -1))
}

// wantsJSON reports whether a command line asks for --json, read without
// the flag parser (for a refusal of the parser itself). "--" ends flags.
func wantsJSON(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "--json", "--json=true", "--json=1":
			return true
		}
	}
	return false
}

// dayWord is a shipping day (YYYY-MM-DD on the wire) as the reader writes
// dates: 24.11.2026 in German.
func dayWord(l *i18n.Localizer, day string) string {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return day
	}
	return l.Date(t)
}

// docWord is a shipment document's kind (label, return_label, customs,
// cod, qr) in the reader's words.
func docWord(l *i18n.Localizer, kind string) string { return codeWord(l, "ship.document.", kind) }

// configSource names where the configuration came from: its file, or the
// built-in defaults in the reader's words.
func (app *cliApp) configSource(cfg *config.Config) string {
	if s := cfg.Source(); s != config.EmbeddedDefaults {
		return s
	}
	return app.T("cli.config_builtin")
}
