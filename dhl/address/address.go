// Package address holds what the DHL APIs share about addresses and input
// checking: field errors that name the field, length and pattern checks from
// the contracts, ISO 3166 alpha-3 countries, and a German street splitter
// (street and house number) for the APIs that want them apart.
package address

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"unicode/utf8"
)

// FieldError is one problem with one input field. Code and Args let a
// program that has a message catalog word it in the reader's language
// (the agent: catalog id "dhlcheck."+Code); Message is the English text,
// for logs and for code that reads Error().
type FieldError struct {
	Field   string // JSON path as DHL names it, e.g. shipments[0].consignee.postalCode
	Code    string // stable problem code, e.g. "too_long"
	Args    []any  // key/value pairs the wording uses, e.g. "length", 51, "max", 50
	Message string // English
}

func (e FieldError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// Errors is a list of field errors; it is an error when not empty.
type Errors []FieldError

func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Err returns es as an error, or nil when empty.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// Words are the English wordings of a package's problem codes: text/template
// texts over the problem's arguments ("is {{.length}} characters long").
// Built once at start-up and only read after that.
type Words struct {
	texts map[string]string
	tmpls map[string]*template.Template
}

// NewWords parses the English wordings of problem codes. A broken template
// is a programming error found by every test run, so it panics.
func NewWords(texts map[string]string) Words {
	w := Words{texts: texts, tmpls: make(map[string]*template.Template, len(texts))}
	for code, t := range texts {
		w.tmpls[code] = template.Must(template.New(code).Option("missingkey=error").Parse(t))
	}
	return w
}

// Codes lists the problem codes, sorted.
func (w Words) Codes() []string { return slices.Sorted(maps.Keys(w.texts)) }

// English returns the English wording template of code.
func (w Words) English(code string) (string, bool) {
	t, ok := w.texts[code]
	return t, ok
}

// Render words code with the key/value pairs kv in English; ok is false
// for an unknown code or arguments the wording does not get.
func (w Words) Render(code string, kv ...any) (string, bool) {
	t, ok := w.tmpls[code]
	if !ok {
		return "", false
	}
	data := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		data[fmt.Sprint(kv[i])] = kv[i+1]
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", false
	}
	return b.String(), true
}

// Nested is a list of problems inside another problem's wording (why an
// address fits none of the shapes); in English they are joined by commas.
type Nested []FieldError

func (n Nested) String() string {
	parts := make([]string, len(n))
	for i, e := range n {
		parts[i] = e.Error()
	}
	return strings.Join(parts, ", ")
}

// Common are the problems every DHL API's input shares (lengths, required
// fields, countries, postal codes).
func Common() Words { return common }

var common = NewWords(map[string]string{
	"required":               "is required",
	"too_short":              `"{{.value}}" is too short (at least {{.min}} characters)`,
	"too_long":               "is {{.length}} characters long, at most {{.max}} are allowed",
	"country_required":       "is required (ISO 3166 alpha-3, e.g. DEU)",
	"not_country":            `"{{.value}}" is not an ISO 3166 alpha-3 country code such as DEU, AUT, GBR`,
	"not_country_two_letter": `"{{.value}}" is not an ISO 3166 alpha-3 country code such as DEU, AUT, GBR; two-letter codes are not accepted`,
	"postal_code_pattern":    `"{{.value}}" may hold only letters and digits, separated by single spaces or hyphens`,
	"not_german_postal_code": `"{{.value}}" is not a German postal code (five digits)`,
})

// Checker collects field errors under a path prefix.
type Checker struct {
	Prefix string
	Errs   *Errors
	words  Words // the package's own problem codes, besides Common
}

// NewChecker starts an empty list under prefix, for problems of words and
// the common ones.
func NewChecker(prefix string, words Words) Checker {
	return Checker{Prefix: prefix, Errs: &Errors{}, words: words}
}

// At returns a checker for a nested field.
func (c Checker) At(field string) Checker {
	return Checker{Prefix: join(c.Prefix, field), Errs: c.Errs, words: c.words}
}

func join(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	case strings.HasPrefix(field, "["):
		return prefix + field
	}
	return prefix + "." + field
}

// Add records problem code with field; kv are the key/value pairs its
// wording uses. An unknown code, or arguments its wording does not get,
// still records the problem, worded by its code and arguments (the
// packages' tests check every code they use).
func (c Checker) Add(field, code string, kv ...any) {
	msg, ok := c.words.Render(code, kv...)
	if !ok {
		msg, ok = common.Render(code, kv...)
	}
	if !ok {
		msg = code + fmt.Sprint(kv...)
	}
	*c.Errs = append(*c.Errs, FieldError{Field: join(c.Prefix, field), Code: code, Args: kv, Message: msg})
}

// OK reports whether nothing was recorded.
func (c Checker) OK() bool { return len(*c.Errs) == 0 }

// Text checks a trimmed string against required/min/max length (in
// characters, as the contract counts them); max 0 means no limit.
func (c Checker) Text(field, v string, required bool, min, max int) {
	n := utf8.RuneCountInString(v)
	switch {
	case v == "" && required:
		c.Add(field, "required")
	case v == "":
	case n < min:
		c.Add(field, "too_short", "value", v, "min", min)
	case max > 0 && n > max:
		c.Add(field, "too_long", "length", n, "max", max)
	}
}

// Match checks a non-empty value against a pattern; code is the problem
// recorded when it does not match (its wording gets the value).
func (c Checker) Match(field, v string, re *regexp.Regexp, code string) {
	if v != "" && !re.MatchString(v) {
		c.Add(field, code, "value", v)
	}
}

// Country checks an ISO 3166 alpha-3 code.
func (c Checker) Country(field, v string, required bool) {
	switch {
	case v == "" && required:
		c.Add(field, "country_required")
	case v == "":
	case !IsCountry(v) && len(v) == 2:
		c.Add(field, "not_country_two_letter", "value", v)
	case !IsCountry(v):
		c.Add(field, "not_country", "value", v)
	}
}

// PostalCodePattern is the contract's pattern for postal codes.
var PostalCodePattern = regexp.MustCompile(`^[0-9A-Za-z]+([ -]?[0-9A-Za-z]+)*$`)

// PostalCode checks a postal code (3–10 characters, the contract's pattern;
// five digits for Germany).
func (c Checker) PostalCode(field, v, country string, required bool) {
	c.Text(field, v, required, 3, 10)
	if v == "" || utf8.RuneCountInString(v) < 3 || utf8.RuneCountInString(v) > 10 {
		return
	}
	if !PostalCodePattern.MatchString(v) {
		c.Add(field, "postal_code_pattern", "value", v)
		return
	}
	if country == "DEU" && !germanPostalCode.MatchString(v) {
		c.Add(field, "not_german_postal_code", "value", v)
	}
}

var germanPostalCode = regexp.MustCompile(`^[0-9]{5}$`)

var countries = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields(alpha3) {
		m[c] = true
	}
	return m
}()

// IsCountry reports whether code is an ISO 3166 alpha-3 code the contract accepts.
func IsCountry(code string) bool { return countries[code] }

// euCustomsUnion are the countries parcels reach from Germany without a
// customs declaration.
var euCustomsUnion = map[string]bool{
	"AUT": true, "BEL": true, "BGR": true, "HRV": true, "CYP": true, "CZE": true, "DNK": true, "EST": true,
	"FIN": true, "FRA": true, "DEU": true, "GRC": true, "HUN": true, "IRL": true, "ITA": true, "LVA": true,
	"LTU": true, "LUX": true, "MLT": true, "NLD": true, "POL": true, "PRT": true, "ROU": true, "SVK": true,
	"SVN": true, "ESP": true, "SWE": true, "MCO": true,
}

// InEUCustomsUnion reports whether a parcel to country needs no customs declaration.
func InEUCustomsUnion(country string) bool { return euCustomsUnion[country] }

// Trim trims white space from each string pointed to.
func Trim(fields ...*string) {
	for _, f := range fields {
		*f = strings.TrimSpace(*f)
	}
}
