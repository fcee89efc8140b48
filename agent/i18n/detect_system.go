package i18n

import "strconv"

// FromSystem picks the language from what the operating system lists as
// the user's UI languages, most preferred first: the first one the catalog
// speaks wins. Windows gives locale names ("de-DE", "en-US", "de-CH") from
// GetUserPreferredUILanguages, or a LANGID as four hex digits ("0407") from
// GetUserDefaultUILanguage when that fails. ok is false when none is ours
// (a French Windows without German or English among its languages).
//
// It is plain string work, so its table test runs on every system; the
// calls that fetch the list live in detect_windows.go.
func FromSystem(names []string) (Lang, bool) {
	for _, n := range names {
		if l, ok := fromLANGID(n); ok {
			return l, true
		}
		if l, ok := ParseLang(n); ok {
			return l, true
		}
	}
	return "", false
}

// Windows primary language ids (the low 10 bits of a LANGID).
const (
	langGerman  = 0x07
	langEnglish = 0x09
)

// fromLANGID reads a LANGID written as four hex digits, as Windows writes
// them (MUI_LANGUAGE_ID): 0x0407 German (Germany), 0x0c07 German
// (Austria), 0x0409 English (US). Sub-languages do not matter to us.
func fromLANGID(s string) (Lang, bool) {
	if len(s) != 4 {
		return "", false
	}
	id, err := strconv.ParseUint(s, 16, 16)
	if err != nil {
		return "", false
	}
	switch id & 0x3ff {
	case langGerman:
		return German, true
	case langEnglish:
		return English, true
	}
	return "", false
}
