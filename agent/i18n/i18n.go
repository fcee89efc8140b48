// Package i18n is labelagent's one message catalog: every word a person
// reads (CLI output and errors, API error messages, the tray, the dashboard)
// comes from here, in German and English.
//
// Messages live in locales/<area>.<lang>.toml, one file per area and
// language, so that parts of the program add their words without touching
// each other's files. The catalog is go-i18n (github.com/nicksnyder/go-i18n),
// which gives CLDR plural rules and templates; this package adds language
// detection, locale-correct numbers, money and dates, and translatable errors.
//
// Usage:
//
//	l := i18n.For(i18n.Detect(os.Getenv, ""))
//	fmt.Println(l.T("job.queued", "printer", "zebra"))
//	fmt.Println(l.N("jobs.count", 3))        // "3 jobs" / "3 Aufträge"
//	return i18n.E("printer.unknown", "name", name) // an error an operator reads
//
// Keys are dotted, lower-case: "area.what". Arguments are key/value pairs and
// are reachable in the message as {{.key}}; N adds {{.count}}.
package i18n

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed locales/*.toml
var localeFS embed.FS

// Lang is a language the catalog speaks.
type Lang string

// The languages of the catalog. English is the fallback.
const (
	English Lang = "en"
	German  Lang = "de"
)

// Langs lists every language, the fallback first.
func Langs() []Lang { return []Lang{English, German} }

// ParseLang reads a language name as people and systems write it ("de",
// "de_DE.UTF-8", "German", "en-GB"). ok is false for a language the catalog
// does not speak.
func ParseLang(s string) (Lang, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.IndexAny(s, ".@"); i >= 0 {
		s = s[:i]
	}
	s = strings.ReplaceAll(s, "_", "-")
	switch {
	case s == "de" || strings.HasPrefix(s, "de-") || s == "german" || s == "deutsch":
		return German, true
	case s == "en" || strings.HasPrefix(s, "en-") || s == "english" || s == "englisch" || s == "c" || s == "posix":
		return English, true
	}
	return "", false
}

// Detect picks the reader's language: an explicit choice (a flag or config
// key) first, then LC_ALL, LC_MESSAGES and LANG as POSIX orders them, then
// the Windows user's UI language. English when nothing matches.
func Detect(getenv func(string) string, explicit string) Lang {
	if l, ok := ParseLang(explicit); ok {
		return l
	}
	if getenv != nil {
		for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
			if s := getenv(v); s != "" {
				// The first one set decides, as in setlocale(3).
				if l, ok := ParseLang(s); ok {
					return l
				}
				return English
			}
		}
	}
	if l, ok := FromSystem(systemLanguages()); ok {
		return l
	}
	return English
}

// FromAcceptLanguage picks the language for an HTTP request's
// Accept-Language header, falling back to def.
func FromAcceptLanguage(header string, def Lang) Lang {
	if strings.TrimSpace(header) == "" {
		return def
	}
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return def
	}
	m := language.NewMatcher([]language.Tag{language.English, language.German})
	_, i, conf := m.Match(tags...)
	if conf == language.No {
		return def
	}
	return []Lang{English, German}[i]
}

// Catalog holds every message in every language. It is read-only once
// loaded and safe for concurrent use.
type Catalog struct {
	bundle *goi18n.Bundle
	ids    map[Lang]map[string]bool
	locs   map[Lang]*Localizer
}

var defaultCatalog = sync.OnceValues(func() (*Catalog, error) { return load(localeFS) })

// Default returns the catalog built into the binary. The embedded files are
// checked by the package's tests, so an error here means a broken build.
func Default() *Catalog {
	c, err := defaultCatalog()
	if err != nil {
		panic("i18n: the built-in message catalog is broken: " + err.Error())
	}
	return c
}

// For returns the built-in catalog's localizer for lang.
func For(lang Lang) *Localizer { return Default().For(lang) }

func load(fsys fs.FS) (*Catalog, error) {
	b := goi18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	c := &Catalog{bundle: b, ids: map[Lang]map[string]bool{}, locs: map[Lang]*Localizer{}}
	files, err := fs.Glob(fsys, "locales/*.toml")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		buf, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		mf, err := b.ParseMessageFileBytes(buf, path.Base(f))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		lang, ok := ParseLang(mf.Tag.String())
		if !ok {
			return nil, fmt.Errorf("%s: language %s is not one of the catalog's", f, mf.Tag)
		}
		if c.ids[lang] == nil {
			c.ids[lang] = map[string]bool{}
		}
		for _, m := range mf.Messages {
			if c.ids[lang][m.ID] {
				return nil, fmt.Errorf("%s: message %q is defined twice for %s", f, m.ID, lang)
			}
			c.ids[lang][m.ID] = true
		}
	}
	for _, l := range Langs() {
		c.locs[l] = &Localizer{lang: l, cat: c, loc: goi18n.NewLocalizer(b, string(l))}
	}
	return c, nil
}

// IDs returns the message ids defined for lang, sorted.
func (c *Catalog) IDs(lang Lang) []string {
	out := make([]string, 0, len(c.ids[lang]))
	for id := range c.ids[lang] {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// Has reports whether id is defined for lang.
func (c *Catalog) Has(lang Lang, id string) bool { return c.ids[lang][id] }

// For returns the localizer for lang (English for an unknown one).
func (c *Catalog) For(lang Lang) *Localizer {
	if l, ok := c.locs[lang]; ok {
		return l
	}
	return c.locs[English]
}

// Localizer speaks one language. Its zero value and a nil one speak English
// from the built-in catalog.
type Localizer struct {
	lang Lang
	cat  *Catalog
	loc  *goi18n.Localizer
}

func (l *Localizer) real() *Localizer {
	if l == nil || l.loc == nil {
		return Default().For(English)
	}
	return l
}

// Lang is the localizer's language.
func (l *Localizer) Lang() Lang { return l.real().lang }

// T returns message id filled with the key/value pairs kv.
func (l *Localizer) T(id string, kv ...any) string {
	return l.real().localize(id, nil, kv)
}

// N returns message id in the plural form for count; the message sees
// {{.count}} as well as kv.
func (l *Localizer) N(id string, count int, kv ...any) string {
	return l.real().localize(id, count, append([]any{"count", count}, kv...))
}

func (l *Localizer) localize(id string, count any, kv []any) string {
	data := pairs(kv)
	// Numbers and times in the reader's format, unless the message formats
	// them itself.
	for k, v := range data {
		data[k] = l.format(v)
	}
	s, err := l.loc.Localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: count})
	if err != nil && s == "" {
		// A message missing from the catalog is a bug the completeness test
		// catches; still show something a person can report.
		return missing(id, kv)
	}
	return s
}

func missing(id string, kv []any) string {
	var b strings.Builder
	b.WriteString(id)
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, " %v=%v", kv[i], kv[i+1])
	}
	return b.String()
}

func pairs(kv []any) map[string]any {
	m := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			k = fmt.Sprint(kv[i])
		}
		m[k] = kv[i+1]
	}
	return m
}

// Message is a catalog message used as the argument of another, e.g. the
// words for "a whole number" inside "… is not {{.want}}".
type Message struct {
	ID   string `json:"id"`
	Args []any  `json:"args,omitempty"`
}

// Localizable is an error that words itself (a list of configuration
// problems, an error from a package that cannot import the catalog but
// carries a message id). Localizer.Err uses it like a catalog *Error.
type Localizable interface {
	error
	Localize(l *Localizer) string
}

// Err returns what err says in l's language: every translatable *Error (or
// Localizable) in its chain is localized, the rest (a library's or the
// system's words) is kept as it is.
func (l *Localizer) Err(err error) string {
	if err == nil {
		return ""
	}
	l = l.real()
	var e *Error
	var lz Localizable
	hasE, hasL := errors.As(err, &e), errors.As(err, &lz)
	if hasL && hasE {
		// The outer one words the inner one.
		if errors.As(error(e), new(Localizable)) {
			hasL = false
		} else {
			hasE = false
		}
	}
	var own, msg string
	var lw languageWorded
	switch {
	case hasE:
		own, msg = e.Error(), l.message(Message{ID: e.ID, Args: e.Args})+l.causeSuffix(e.Err)
	case hasL:
		own, msg = lz.Error(), lz.Localize(l)
	case errors.As(err, &lw):
		return inLang(err, lw, l.lang) // a service's operator message in the reader's language
	default:
		return err.Error()
	}
	// Words outside this error (a wrapping fmt.Errorf) are kept before it.
	prefix, _, found := strings.Cut(err.Error(), own)
	if !found {
		prefix = ""
	}
	return prefix + msg
}

func (l *Localizer) causeSuffix(cause error) string {
	if cause == nil {
		return ""
	}
	return ": " + l.Err(cause)
}
