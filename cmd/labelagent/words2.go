package main

import (
	"fmt"

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
