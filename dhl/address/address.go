// Package address holds what the DHL APIs share about addresses and input
// checking: field errors that name the field, length and pattern checks from
// the contracts, ISO 3166 alpha-3 countries, and a German street splitter
// (street and house number) for the APIs that want them apart.
package address

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// FieldError is one problem with one input field.
type FieldError struct {
	Field   string // JSON path as DHL names it, e.g. shipments[0].consignee.postalCode
	Message string
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

// Checker collects field errors under a path prefix.
type Checker struct {
	Prefix string
	Errs   *Errors
}

// NewChecker starts an empty list under prefix.
func NewChecker(prefix string) Checker { return Checker{Prefix: prefix, Errs: &Errors{}} }

// At returns a checker for a nested field.
func (c Checker) At(field string) Checker {
	return Checker{Prefix: join(c.Prefix, field), Errs: c.Errs}
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

// Add records a problem with field.
func (c Checker) Add(field, format string, args ...any) {
	*c.Errs = append(*c.Errs, FieldError{Field: join(c.Prefix, field), Message: fmt.Sprintf(format, args...)})
}

// OK reports whether nothing was recorded.
func (c Checker) OK() bool { return len(*c.Errs) == 0 }

// Text checks a trimmed string against required/min/max length (in
// characters, as the contract counts them); max 0 means no limit.
func (c Checker) Text(field, v string, required bool, min, max int) {
	n := utf8.RuneCountInString(v)
	switch {
	case v == "" && required:
		c.Add(field, "is required")
	case v == "":
	case n < min:
		c.Add(field, "%q is too short (at least %d characters)", v, min)
	case max > 0 && n > max:
		c.Add(field, "is %d characters long, at most %d are allowed", n, max)
	}
}

// Match checks a non-empty value against a pattern.
func (c Checker) Match(field, v string, re *regexp.Regexp, want string) {
	if v != "" && !re.MatchString(v) {
		c.Add(field, "%q is not %s", v, want)
	}
}

// Country checks an ISO 3166 alpha-3 code.
func (c Checker) Country(field, v string, required bool) {
	switch {
	case v == "" && required:
		c.Add(field, "is required (ISO 3166 alpha-3, e.g. DEU)")
	case v == "":
	case !IsCountry(v):
		hint := ""
		if len(v) == 2 {
			hint = "; two-letter codes are not accepted"
		}
		c.Add(field, "%q is not an ISO 3166 alpha-3 country code such as DEU, AUT, GBR%s", v, hint)
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
		c.Add(field, "%q may hold only letters and digits, separated by single spaces or hyphens", v)
		return
	}
	if country == "DEU" && !germanPostalCode.MatchString(v) {
		c.Add(field, "%q is not a German postal code (five digits)", v)
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
