package address

import (
	"regexp"
	"strings"
)

// Street splitting. German addresses put the house number after the street,
// but streets may themselves contain numbers ("Straße des 17. Juni",
// "1. Mai-Straße", Berlin's "Straße 101", Mannheim's squares "C 3"), house
// numbers may carry letters, ranges and fractions ("12a-13c", "4/1",
// "1 1/3"), and people forget the space ("Musterstraße12").

// A house number: digits with an optional letter, then ranges or slashes of
// more of them, then an optional fraction ("1 1/3").
const houseNo = `\d{1,5}\s?[a-zA-Z]?(?:\s?[-/+]\s?\d{0,5}\s?[a-zA-Z]?)*(?:\s+\d{1,3}/\d{1,3})?`

var (
	// Mannheim's squares: a letter and a number name the block, then the
	// house number ("C 3 54", "C3, 54", "Q 7 1a").
	mannheimSquare = regexp.MustCompile(`^([A-Ua-u])\s?([1-7])(?:\s*,\s*|\s+)(` + houseNo + `)$`)
	// Numbered streets without a name (Berlin "Straße 101"), with or
	// without a house number after them.
	numberedStreet = regexp.MustCompile(`^((?i:stra(?:ß|ss)e|str\.|weg|allee|platz)\s+\d{1,4}[a-z]?)(?:\s+(` + houseNo + `))?$`)
	// The common shape: the street ends in a letter or a dot, the number follows.
	trailingNumber = regexp.MustCompile(`^(.*?[^\d\s,])[\s,]*(` + houseNo + `)$`)
	// International style with the number first ("10 Downing Street").
	leadingNumber = regexp.MustCompile(`^(\d{1,5}[a-zA-Z]?(?:-\d{1,5}[a-zA-Z]?)?),?\s+(\p{L}.*)$`)
	spaces        = regexp.MustCompile(`\s+`)
)

// SplitStreet splits a street line into street name and house number. ok is
// false when no house number was found; street is then the whole line
// (trimmed), which is right for streets without numbers.
func SplitStreet(line string) (street, house string, ok bool) {
	line = strings.TrimSpace(spaces.ReplaceAllString(line, " "))
	line = strings.TrimRight(line, ",;")
	if line == "" {
		return "", "", false
	}
	if m := mannheimSquare.FindStringSubmatch(line); m != nil {
		return strings.ToUpper(m[1]) + " " + m[2], strings.TrimSpace(m[3]), true
	}
	if m := numberedStreet.FindStringSubmatch(line); m != nil {
		if m[2] == "" {
			return m[1], "", false
		}
		return m[1], strings.TrimSpace(m[2]), true
	}
	if m := trailingNumber.FindStringSubmatch(line); m != nil {
		street := strings.TrimSpace(strings.TrimRight(strings.TrimSpace(m[1]), ","))
		if street != "" && !isOnlyNumberWord(street) {
			return street, normaliseHouse(m[2]), true
		}
	}
	if m := leadingNumber.FindStringSubmatch(line); m != nil && !strings.ContainsAny(m[2], "0123456789") {
		return strings.TrimSpace(m[2]), m[1], true
	}
	return line, "", false
}

// isOnlyNumberWord rejects a "street" that is just an ordinal ("1.").
func isOnlyNumberWord(s string) bool {
	return strings.Trim(s, "0123456789. ") == ""
}

// normaliseHouse removes spaces around range and slash separators
// ("12 - 14" → "12-14") but keeps the space of a fraction ("1 1/3").
func normaliseHouse(h string) string {
	h = strings.TrimSpace(h)
	for _, sep := range []string{"-", "/", "+"} {
		h = strings.ReplaceAll(h, " "+sep+" ", sep)
		h = strings.ReplaceAll(h, " "+sep, sep)
		h = strings.ReplaceAll(h, sep+" ", sep)
	}
	return h
}
