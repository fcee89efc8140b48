package i18n

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// berlin is the packing station's time zone for dates people read; when the
// zone database is missing, local time is used.
func (l *Localizer) format(v any) any {
	switch x := v.(type) {
	case time.Time:
		return l.Time(x)
	case float64:
		return l.Number(x, -1)
	case float32:
		return l.Number(float64(x), -1)
	case Message:
		return l.message(x)
	case []Message:
		parts := make([]string, len(x))
		for i, m := range x {
			parts[i] = l.message(m)
		}
		return strings.Join(parts, "; ")
	case []string:
		return l.Or(x) // allowed values: "a, b or c"
	case error:
		return l.Err(x) // a catalog error in the reader's words, others as they are
	case Texts:
		return x.In(l)
	}
	return v
}

// Number formats f with the language's decimal separator; decimals < 0 keeps
// as many as needed.
func (l *Localizer) Number(f float64, decimals int) string {
	s := strconv.FormatFloat(f, 'f', decimals, 64)
	if l.Lang() == German {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// Money formats an amount in euro cents: "12,34 €" in German, "€12.34" in
// English.
func (l *Localizer) Money(cents int64) string {
	neg := cents < 0
	if neg {
		cents = -cents
	}
	whole, frac := cents/100, cents%100
	sep, group := ".", ","
	if l.Lang() == German {
		sep, group = ",", "."
	}
	ws := strconv.FormatInt(whole, 10)
	var b strings.Builder
	for i, r := range ws {
		if i > 0 && (len(ws)-i)%3 == 0 {
			b.WriteString(group)
		}
		b.WriteRune(r)
	}
	num := fmt.Sprintf("%s%s%02d", b.String(), sep, frac)
	sign := ""
	if neg {
		sign = "-"
	}
	if l.Lang() == German {
		return sign + num + " €"
	}
	return sign + "€" + num
}

// Time formats a moment as people at a packing station read it, in local
// time: "24.11.2026 14:05" in German, "2026-11-24 14:05" in English.
func (l *Localizer) Time(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	t = t.Local()
	if l.Lang() == German {
		return t.Format("02.01.2006 15:04")
	}
	return t.Format("2006-01-02 15:04")
}

// Date formats a day: "24.11.2026" or "2026-11-24".
func (l *Localizer) Date(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	if l.Lang() == German {
		return t.Format("02.01.2006")
	}
	return t.Format("2006-01-02")
}

var grouped = regexp.MustCompile(`^[-+]?\d{1,3}(?:(?:\.\d{3})+,\d+|(?:,\d{3})+\.\d+)$`)

// ErrNotANumber is returned by ParseDecimal for text that is no number.
var ErrNotANumber = errors.New("not a number")

// ParseDecimal reads a number as a German or an English reader types it:
// "1,5", "1.5", "1.234,5", "1,234.5". A lone separator followed by exactly
// three digits ("1.500", "1,500") is ambiguous and refused.
func ParseDecimal(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, ErrNotANumber
	}
	comma, dot := strings.Count(s, ","), strings.Count(s, ".")
	switch {
	case comma > 0 && dot > 0:
		// The later separator is the decimal one; the other groups thousands.
		if !grouped.MatchString(s) {
			return 0, ErrNotANumber
		}
		if strings.LastIndex(s, ",") > strings.LastIndex(s, ".") {
			s = strings.ReplaceAll(s, ".", "")
			s = strings.Replace(s, ",", ".", 1)
		} else {
			s = strings.ReplaceAll(s, ",", "")
		}
		if strings.Count(s, ".") > 1 {
			return 0, ErrNotANumber
		}
	case comma == 1:
		s = strings.Replace(s, ",", ".", 1)
	case comma > 1:
		return 0, ErrNotANumber
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, ErrNotANumber
	}
	return f, nil
}

// Or lists alternatives as the reader writes them: "a, b or c" /
// "a, b oder c". Used wherever a refused value is answered with the allowed
// ones.
func (l *Localizer) Or(items []string) string { return l.list(items, "common.or") }

// And lists items: "a, b and c" / "a, b und c".
func (l *Localizer) And(items []string) string { return l.list(items, "common.and") }

func (l *Localizer) list(items []string, word string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + l.T(word) + " " + items[len(items)-1]
}

// Bytes formats a size for people: "1,5 KiB" / "1.5 KiB", "312 B".
func (l *Localizer) Bytes(n int64) string {
	switch {
	case n >= 1<<20:
		return l.Number(float64(n)/(1<<20), 1) + " MiB"
	case n >= 1<<10:
		return l.Number(float64(n)/(1<<10), 1) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " B"
}
