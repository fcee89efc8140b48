package zpl

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Command is one ZPL command as written in the source.
type Command struct {
	Tilde  bool   // written with the control prefix (~) rather than the format prefix (^)
	Name   string // upper case: "XA", "FO", "GF", and "A" for the font command ^A
	Args   string // everything after the name up to the next command, CR/LF removed
	Data   []byte // ^GFB and ~DY binary data, which may hold prefix characters
	Offset int    // byte offset of the prefix in the source
	End    int    // byte offset just past the command in the source
	Delim  byte   // parameter delimiter in effect (',' unless changed by ^CD)
	Prefix byte   // the prefix character as written (^ or ~ unless changed)
}

// Params splits Args at the delimiter. ^FD, ^FV and ^FX data are not
// split: use Args for them.
func (c Command) Params() []string {
	if c.Args == "" {
		return nil
	}
	return strings.Split(c.Args, string(c.Delim))
}

// Code is the command as it is usually written, e.g. "^FO", "~DG".
func (c Command) Code() string {
	if c.Tilde {
		return "~" + c.Name
	}
	return "^" + c.Name
}

// IntParam returns parameter i as an integer, or def when absent or not a
// number.
func (c Command) IntParam(i, def int) int {
	ps := c.Params()
	if i >= len(ps) {
		return def
	}
	v, err := strconv.Atoi(strings.TrimSpace(ps[i]))
	if err != nil {
		return def
	}
	return v
}

// Param returns parameter i trimmed, or "".
func (c Command) Param(i int) string {
	ps := c.Params()
	if i >= len(ps) {
		return ""
	}
	return strings.TrimSpace(ps[i])
}

// MaxCommands bounds the commands read from one job.
const MaxCommands = 200_000

// Tokenize splits ZPL into commands. It follows prefix and delimiter
// changes (^CC/~CC, ^CT/~CT, ^CD/~CD), reads ^GFB and ~DY binary data by
// its byte count, and drops CR/LF as the printer does. Text outside commands is
// ignored, as the printer ignores it; it never fails on odd input.
func Tokenize(src []byte) ([]Command, error) {
	caret, tilde, delim := byte('^'), byte('~'), byte(',')
	var cmds []Command
	i := 0
	for i < len(src) {
		c := src[i]
		if c != caret && c != tilde {
			i++
			continue
		}
		if len(cmds) >= MaxCommands {
			return cmds, fmt.Errorf("more than %d commands: %w", MaxCommands, ErrInputTooLarge)
		}
		start := i
		i++
		name, ok := readName(src, &i)
		if !ok {
			continue
		}
		cmd := Command{Tilde: c == tilde, Name: name, Offset: start, Delim: delim, Prefix: c}
		argStart := i
		if (name == "GF" && c == caret) || (name == "DY" && c == tilde) {
			if data, end, ok := binaryData(name, src, i, caret, tilde, delim); ok {
				cmd.Args = cleanArgs(src[argStart : end-len(data)])
				cmd.Data = data
				cmd.End = end
				i = end
				cmds = append(cmds, cmd)
				continue
			}
		}
		for i < len(src) && src[i] != caret && src[i] != tilde {
			i++
		}
		cmd.Args = cleanArgs(src[argStart:i])
		cmd.End = i
		if (name == "CC" || name == "CT" || name == "CD") && argStart < len(src) {
			// The new character is the one right after the name; it may
			// be the old prefix itself.
			nc := src[argStart]
			switch name {
			case "CC":
				caret = nc
			case "CT":
				tilde = nc
			case "CD":
				delim = nc
			}
			cmd.Args = string(nc)
			cmd.End = argStart + 1
			i = argStart + 1
		}
		cmds = append(cmds, cmd)
	}
	return cmds, nil
}

func readName(src []byte, i *int) (string, bool) {
	skipNL := func() {
		for *i < len(src) && (src[*i] == '\r' || src[*i] == '\n') {
			*i++
		}
	}
	skipNL()
	if *i >= len(src) {
		return "", false
	}
	a := upper(src[*i])
	*i++
	if a == 'A' {
		// ^A is the font command; the next character is the font name.
		return "A", true
	}
	skipNL()
	if *i >= len(src) {
		return string(a), true
	}
	b := upper(src[*i])
	*i++
	return string([]byte{a, b}), true
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

func cleanArgs(b []byte) string {
	if bytes.IndexByte(b, '\n') < 0 && bytes.IndexByte(b, '\r') < 0 {
		return string(b)
	}
	return string(bytes.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, b))
}

// binaryData reads the binary data of ^GFB ("B,total,count,bpr," and
// count bytes) and of ~DY in format B or C ("d:f,B,x,size,w," and size
// bytes), in which prefix characters are data.
func binaryData(name string, src []byte, i int, caret, tilde, delim byte) (data []byte, end int, ok bool) {
	format, count, fields := 0, 2, 4 // ^GF
	if name == "DY" {
		format, count, fields = 1, 3, 5
	}
	j := i
	commas := 0
	for j < len(src) && commas < fields {
		if src[j] == caret || src[j] == tilde {
			return nil, 0, false
		}
		if src[j] == delim {
			commas++
		}
		j++
	}
	if commas < fields {
		return nil, 0, false
	}
	parts := strings.Split(cleanArgs(src[i:j-1]), string(delim))
	f := strings.ToUpper(strings.TrimSpace(parts[format]))
	if f != "B" && (name == "GF" || f != "C") {
		return nil, 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(parts[count]))
	if err != nil || n < 0 || n > MaxGraphicBytes {
		return nil, 0, false
	}
	end = min(j+n, len(src))
	return src[j:end], end, true
}

// FieldText decodes field data: with ^FH active, the indicator (default
// '_') followed by two hex digits is a byte. The bytes are then read in the
// ^CI character set (UTF-8 for ^CI28, Latin-1 for the others).
func FieldText(data string, hexIndicator byte, ci int) string {
	return DecodeText(FieldBytes(data, hexIndicator), ci)
}

// FieldBytes is field data as the printer holds it: with ^FH active, the
// indicator followed by two hex digits is one byte. Barcodes encode these
// bytes; text is drawn from them in the ^CI character set (DecodeText).
func FieldBytes(data string, hexIndicator byte) []byte {
	b := []byte(data)
	if hexIndicator == 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == hexIndicator && i+2 < len(b) {
			h, ok1 := hexVal(b[i+1])
			l, ok2 := hexVal(b[i+2])
			if ok1 && ok2 {
				out = append(out, h<<4|l)
				i += 2
				continue
			}
		}
		out = append(out, b[i])
	}
	return out
}

// DecodeText reads field bytes in the ^CI character set: UTF-8 for ^CI28
// to 30, else Latin-1 (^CI27: Windows-1252).
func DecodeText(b []byte, ci int) string {
	switch ci {
	case 28, 29, 30:
		return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
	default:
		// ^CI0 (the default) is the printer's US set, ^CI27 Zebra
		// code page 1252; both are Latin-1 compatible for the letters labels use.
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
			if ci == 27 && c >= 0x80 && c < 0xA0 {
				r[i] = cp1252[c-0x80]
			}
		}
		return string(r)
	}
}

var cp1252 = [32]rune{
	'€', '\u0081', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u008d', 'Ž', '\u008f',
	'\u0090', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u009d', 'ž', 'Ÿ',
}

// Label is one ^XA … ^XZ format.
type Label struct {
	Commands []Command // from ^XA to ^XZ inclusive
}

// SplitLabels groups commands into labels; commands outside ^XA…^XZ
// (~ commands, downloads) are returned separately in order.
func SplitLabels(cmds []Command) (labels []Label, outside []Command) {
	var cur *Label
	for _, c := range cmds {
		switch {
		case !c.Tilde && c.Name == "XA":
			if cur != nil {
				labels = append(labels, *cur)
			}
			cur = &Label{Commands: []Command{c}}
		case !c.Tilde && c.Name == "XZ":
			if cur != nil {
				cur.Commands = append(cur.Commands, c)
				labels = append(labels, *cur)
				cur = nil
			} else {
				outside = append(outside, c)
			}
		case cur != nil:
			cur.Commands = append(cur.Commands, c)
		default:
			outside = append(outside, c)
		}
	}
	if cur != nil {
		labels = append(labels, *cur)
	}
	return labels, outside
}
