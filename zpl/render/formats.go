package render

import (
	"strings"

	"github.com/labelagent/labelagent/zpl"
)

// Stored formats as the printer keeps them: ^DF stores the rest of a
// format under a name instead of printing it; ^XF recalls it into another
// format, whose ^FN fields fill the stored ^FN fields by number.

// maxFormatCommands bounds a label after recalling stored formats.
const maxFormatCommands = zpl.MaxCommands

// formatName normalises "R:SHIP.ZPL", "SHIP" and "ship.zpl" to one key:
// the printer stores a format on a drive (R: unless given) with .ZPL
// unless another extension is given.
func formatName(n string) string {
	n = strings.ToUpper(strings.TrimSpace(n))
	if i := strings.IndexByte(n, ':'); i >= 0 {
		n = n[i+1:]
	}
	if !strings.Contains(n, ".") {
		n += ".ZPL"
	}
	return n
}

// storeFormat keeps the commands after a ^DF (its own ^FS dropped) up to
// ^XZ. It reports whether the label stored a format (such a label does
// not print).
func (s *session) storeFormat(cmds []zpl.Command) bool {
	for i, c := range cmds {
		if c.Tilde || c.Name != "DF" {
			continue
		}
		rest := cmds[i+1:]
		if len(rest) > 0 && !rest[0].Tilde && rest[0].Name == "FS" {
			rest = rest[1:]
		}
		if n := len(rest); n > 0 && !rest[n-1].Tilde && rest[n-1].Name == "XZ" {
			rest = rest[:n-1]
		}
		// Commands before ^DF (^XA, settings) take effect with the format.
		stored := append(append([]zpl.Command{}, cmds[1:i]...), rest...)
		s.formats[formatName(c.Param(0))] = stored
		return true
	}
	return false
}

// expandFormats replaces each ^XF (and the ^FS closing it) by the stored
// format. fromFormat marks the commands that came from one; missing lists
// formats not in the job.
func (s *session) expandFormats(cmds []zpl.Command) (out []zpl.Command, fromFormat []bool, missing []string) {
	has := false
	for _, c := range cmds {
		if !c.Tilde && c.Name == "XF" {
			has = true
			break
		}
	}
	if !has {
		return cmds, nil, nil
	}
	for i := 0; i < len(cmds); i++ {
		c := cmds[i]
		if c.Tilde || c.Name != "XF" {
			out = append(out, c)
			fromFormat = append(fromFormat, false)
			continue
		}
		if i+1 < len(cmds) && !cmds[i+1].Tilde && cmds[i+1].Name == "FS" {
			i++
		}
		f, ok := s.formats[formatName(c.Param(0))]
		if !ok {
			missing = append(missing, c.Param(0))
			continue
		}
		if len(out)+len(f) > maxFormatCommands {
			missing = append(missing, c.Param(0)+" (too many commands)")
			continue
		}
		for _, fc := range f {
			out = append(out, fc)
			fromFormat = append(fromFormat, true)
		}
	}
	if len(fromFormat) == 0 {
		// Only missing formats: still a recall label.
		fromFormat = make([]bool, len(out))
	}
	return out, fromFormat, missing
}

// fnValue is field data the recalling label gives a ^FN number.
type fnValue struct {
	data string
	hex  byte // ^FH indicator in that field, 0 when none
}

// fieldNumberValues collects the recalling label's own ^FNn … ^FD fields.
func fieldNumberValues(cmds []zpl.Command, fromFormat []bool) map[int]fnValue {
	vals := map[int]fnValue{}
	fn := 0
	var hex byte
	for i, c := range cmds {
		if c.Tilde || (i < len(fromFormat) && fromFormat[i]) {
			continue
		}
		switch c.Name {
		case "FN":
			fn = leadingInt(c.Args)
		case "FH":
			hex = '_'
			if c.Args != "" {
				hex = c.Args[0]
			}
		case "FD", "FV":
			if fn > 0 {
				vals[fn] = fnValue{data: c.Args, hex: hex}
			}
		case "FS":
			fn, hex = 0, 0
		}
	}
	return vals
}

// leadingInt reads the number at the start of s (^FN7"prompt" is 7).
func leadingInt(s string) int {
	n := 0
	for i := 0; i < len(s) && i < 4 && isDigit(s[i]); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
