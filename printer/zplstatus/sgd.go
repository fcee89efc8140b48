package zplstatus

import (
	"bytes"
	"fmt"
	"strconv"
)

// OdometerVar is the Set-Get-Do variable of Link-OS printers that counts
// every label printed in the printer's life (it survives power cycles).
const OdometerVar = "odometer.total_label_count"

// GetVar is the SGD command asking for a variable; printers answer with
// its value in double quotes, or "?" for one they do not know.
func GetVar(name string) string { return "! U1 getvar \"" + name + "\"\r\n" }

// SGDComplete reports whether buf holds a whole SGD answer (a quoted
// value) and how many bytes it spans.
func SGDComplete(buf []byte) (int, bool) {
	i := bytes.IndexByte(buf, '"')
	if i < 0 {
		return 0, false
	}
	j := bytes.IndexByte(buf[i+1:], '"')
	if j < 0 {
		return 0, false
	}
	return i + 1 + j + 1, true
}

// ParseCounter reads an SGD answer holding a count. ok is false when the
// printer does not know the variable ("?").
func ParseCounter(reply []byte) (n int64, ok bool, err error) {
	i := bytes.IndexByte(reply, '"')
	j := bytes.LastIndexByte(reply, '"')
	if i < 0 || j <= i {
		return 0, false, fmt.Errorf("%w: SGD answer %q is not quoted", ErrMalformed, reply)
	}
	v := bytes.TrimSpace(reply[i+1 : j])
	if string(v) == "?" || len(v) == 0 {
		return 0, false, nil
	}
	n, err = strconv.ParseInt(string(v), 10, 64)
	if err != nil || n < 0 {
		return 0, false, fmt.Errorf("%w: SGD counter %q is not a count", ErrMalformed, v)
	}
	return n, true, nil
}
