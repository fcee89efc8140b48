package config

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/printer"
)

// Problem is one thing wrong with a configuration, located as precisely as
// the configuration allows: the file and line, the key, or the environment
// variable or flag the value came from.
type Problem struct {
	File string // "" for the embedded defaults
	Line int    // 1-based; 0 when the value is not in the file
	Key  string // dotted path, e.g. "printers[1].tcp.address"; "" for the file as a whole
	Env  string // the environment variable the value came from
	Flag string // the command-line flag the value came from
	Err  error  // what is wrong; an *i18n.Error (or i18n.Localizable) where the words are ours
}

// Error is the problem in English, as logs show it.
func (p *Problem) Error() string { return p.Localize(i18n.For(i18n.English)) }

func (p *Problem) Unwrap() error { return p.Err }

// Localize words the problem in l's language: "FILE:LINE: KEY: what".
func (p *Problem) Localize(l *i18n.Localizer) string {
	var b strings.Builder
	if p.File != "" && p.Env == "" && p.Flag == "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			b.WriteString(":" + strconv.Itoa(p.Line))
		}
		b.WriteString(": ")
	}
	switch {
	case p.Env != "":
		b.WriteString(l.T("config.from_env", "key", p.Key, "env", p.Env) + ": ")
	case p.Flag != "":
		b.WriteString(l.T("config.from_flag", "key", p.Key, "flag", p.Flag) + ": ")
	case p.Key != "":
		b.WriteString(p.Key + ": ")
	}
	msg := p.Message(l)
	if p.Key != "" {
		// Carrier packages begin their words with the key; say it once.
		msg = strings.TrimPrefix(msg, p.Key+" ")
	}
	b.WriteString(msg)
	return b.String()
}

// Message is what is wrong, without the location.
func (p *Problem) Message(l *i18n.Localizer) string {
	var pp *printer.ConfigProblem
	if errors.As(p.Err, &pp) && pp.ID != "" && i18n.Default().Has(l.Lang(), pp.ID) {
		return l.T(pp.ID, pp.Args...)
	}
	return l.Err(p.Err)
}

// Error lists every problem of a configuration.
type Error struct {
	File     string
	Problems []error // *Problem after Locate
}

func (e *Error) Error() string { return e.Localize(i18n.For(i18n.English)) }

// Localize words the whole list in l's language.
func (e *Error) Localize(l *i18n.Localizer) string {
	var b strings.Builder
	b.WriteString(l.N("config.has_problems", len(e.Problems), "file", e.File))
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(l.Err(p))
	}
	return b.String()
}

// problem is a problem found after parsing: the key it is about and what
// is wrong, in catalog words. Locate adds the file, line and origin.
func problem(key, id string, kv ...any) *Problem {
	return &Problem{Key: key, Err: i18n.E(id, kv...)}
}

// index remembers where each key of the file is.
type index struct {
	keyLine  map[string]int // "printers[1].tcp.address" → line of the key
	lineKeys map[int]string // line → the innermost key or value on it
}

func newIndex(root *yaml.Node) *index {
	ix := &index{keyLine: map[string]int{}, lineKeys: map[int]string{}}
	if root != nil {
		ix.walk(root, "")
	}
	return ix
}

func (ix *index) walk(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			ix.walk(c, path)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			if _, ok := ix.keyLine[p]; !ok {
				ix.keyLine[p] = k.Line
			}
			ix.lineKeys[k.Line] = p
			ix.walk(v, p)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			if _, ok := ix.keyLine[p]; !ok {
				ix.keyLine[p] = c.Line
			}
			if _, ok := ix.lineKeys[c.Line]; !ok || c.Kind == yaml.ScalarNode {
				ix.lineKeys[c.Line] = p
			}
			ix.walk(c, p)
		}
	}
}

// line finds the line of key, else of the nearest enclosing key present.
func (ix *index) line(key string) int {
	for key != "" {
		if l, ok := ix.keyLine[key]; ok {
			return l
		}
		i := strings.LastIndexAny(key, ".[")
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return 0
}

var (
	reLine      = regexp.MustCompile(`^line (\d+): (.*)$`)
	reUnknown   = regexp.MustCompile(`^field (\S+) not found in type (\S+?)(?:; known: (.*))?$`)
	reWrongType = regexp.MustCompile("^cannot unmarshal !!(\\w+) `(.*)` into (\\S+)$")
)

// yamlProblems turns the decoder's messages into located problems.
func (ix *index) yamlProblems(file string, msgs []string) []error {
	var out []error
	for _, m := range msgs {
		p := &Problem{File: file}
		rest := m
		if sm := reLine.FindStringSubmatch(m); sm != nil {
			p.Line, _ = strconv.Atoi(sm[1])
			rest = sm[2]
			p.Key = ix.lineKeys[p.Line]
		}
		switch sm := reUnknown.FindStringSubmatch(rest); {
		case sm != nil:
			var known []string
			if sm[3] != "" {
				known = strings.Split(sm[3], ", ")
			}
			p.Err = i18n.E("config.unknown_key", "name", sm[1], "allowed", strings.Join(known, ", "))
			if near := nearest(sm[1], known); near != "" {
				p.Err = i18n.E("config.unknown_key_near", "name", sm[1], "near", near)
			}
			if known == nil {
				p.Err = i18n.E("config.unknown_key_bare", "name", sm[1])
			}
		default:
			if wm := reWrongType.FindStringSubmatch(rest); wm != nil {
				p.Err = i18n.E("config.wrong_type", "value", wm[2], "want", typeWords(wm[3]))
			} else {
				p.Err = errors.New(rest)
			}
		}
		out = append(out, p)
	}
	return out
}

// typeWords says what a Go type expects, for "cannot unmarshal … into T".
func typeWords(goType string) i18n.Message {
	switch goType {
	case "int", "int64", "int32", "uint", "uint16", "uint32", "uint64":
		return i18n.Message{ID: "config.type_int"}
	case "float64", "float32":
		return i18n.Message{ID: "config.type_number"}
	case "config.Size":
		return i18n.Message{ID: "config.type_size"}
	case "time.Duration":
		return i18n.Message{ID: "config.type_duration"}
	case "bool":
		return i18n.Message{ID: "config.type_bool"}
	case "string":
		return i18n.Message{ID: "config.type_text"}
	}
	if strings.HasPrefix(goType, "[]") {
		return i18n.Message{ID: "config.type_list"}
	}
	if strings.HasPrefix(goType, "map[") || !strings.Contains(goType, ".") || strings.Contains(goType, "Config") {
		return i18n.Message{ID: "config.type_section"}
	}
	return i18n.Message{ID: "config.type_other", Args: []any{"type", goType}}
}

// Locate gives every problem its file, line and origin and returns them as
// one *Error, ordered by line (problems outside the file last); nil when
// errs is empty.
func (c *Config) Locate(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	ix := c.ix
	if ix == nil {
		ix = newIndex(nil)
	}
	out := make([]error, 0, len(errs))
	seen := map[string]bool{}
	for _, e := range errs {
		var p *Problem
		var pp *printer.ConfigProblem
		switch {
		case errors.As(e, &p):
			cp := *p
			p = &cp
		case errors.As(e, &pp):
			p = &Problem{Key: c.printerKey(pp.Printer) + "." + pp.Key, Err: e}
			if pp.Key == "name" {
				p.Key = c.printerKey(pp.Printer) + ".name"
			}
		default:
			p = &Problem{Err: e}
		}
		if p.File == "" {
			p.File = c.source
		}
		if p.Env == "" && p.Flag == "" {
			if o, ok := c.origin[p.Key]; ok {
				if strings.HasPrefix(o, "-") {
					p.Flag = o
				} else {
					p.Env = o
				}
			}
		}
		if p.Line == 0 && p.Env == "" && p.Flag == "" && p.Key != "" {
			p.Line = ix.line(p.Key)
		}
		// Two checks may find the same fault (the printer entry and its
		// label profile); the reader needs it once.
		if k := p.Error(); !seen[k] {
			seen[k] = true
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		li, lj := out[i].(*Problem).Line, out[j].(*Problem).Line
		if (li == 0) != (lj == 0) {
			return lj == 0
		}
		return li < lj
	})
	return &Error{File: c.Source(), Problems: out}
}

// printerKey is "printers[i]" for the printer named name.
func (c *Config) printerKey(name string) string {
	for i, p := range c.Printers {
		if p.Name == name {
			return fmt.Sprintf("printers[%d]", i)
		}
	}
	return "printers"
}

// PrinterProblem locates a problem of printer name's entry at its key
// (e.g. "profile.label").
func (c *Config) PrinterProblem(name, key string, err error) *Problem {
	return &Problem{Key: c.printerKey(name) + "." + key, Err: err}
}

// SectionProblems turns the errors of decoding a section the carrier
// packages own (internetmarke:, dhl:) into located problems.
func (c *Config) SectionProblems(section string, err error) []error {
	if err == nil {
		return nil
	}
	ix := c.ix
	if ix == nil {
		ix = newIndex(nil)
	}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return ix.yamlProblems(c.source, te.Errors)
	}
	return []error{&Problem{Key: section, Err: err}}
}

// nearest is the known key a typo most likely meant: at most two edits
// away (adress → address, retention_days → none).
func nearest(key string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(key, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
