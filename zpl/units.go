package zpl

import (
	"bytes"
	"strconv"
)

// Format is one label format of a job as the printer will count it: the
// bytes from ^XA to ^XZ (with any commands between the previous format and
// this one, e.g. a graphic download, in front), and how many labels it
// prints (its ^PQ quantity; 0 for a format that stores itself with ^DF).
type Format struct {
	Data   []byte
	Labels int
}

// SplitFormats cuts prepared ZPL into its formats, in order. Bytes after
// the last ^XZ stay with the last format; input without a whole format is
// one Format of 0 labels. Field data cannot hide a ^XA or ^XZ from this
// scan, as it cannot from a printer (the caret always starts a command).
func SplitFormats(data []byte) []Format {
	var out []Format
	start, i := 0, 0
	for {
		a := indexCommand(data, i, "XA")
		if a < 0 {
			break
		}
		z := indexCommand(data, a+3, "XZ")
		if z < 0 {
			break
		}
		end := z + 3
		out = append(out, Format{Data: data[start:end], Labels: quantity(data[a:end])})
		start, i = end, end
	}
	if start < len(data) {
		if len(out) == 0 {
			return []Format{{Data: data}}
		}
		last := &out[len(out)-1]
		last.Data = data[start-len(last.Data):]
	}
	return out
}

// indexCommand finds ^cmd (either case) at or after from, or -1. The
// binary data of ~DY (formats B and C) and ^GFB is skipped, as the printer
// skips it: a PNG may hold the bytes "^XZ".
func indexCommand(data []byte, from int, cmd string) int {
	for i := from; i+2 < len(data); i++ {
		if data[i] != '^' && data[i] != '~' {
			continue
		}
		if end := binaryEnd(data, i); end > 0 {
			i = end - 1
			continue
		}
		if data[i] == '^' && upperASCII(data[i+1]) == cmd[0] && upperASCII(data[i+2]) == cmd[1] {
			return i
		}
	}
	return -1
}

// binaryEnd is the end of the binary data of the command at i (~DY in
// format B or C, ^GFB), or -1 when that command carries none.
func binaryEnd(data []byte, i int) int {
	if i+3 > len(data) {
		return -1
	}
	name := string([]byte{upperASCII(data[i+1]), upperASCII(data[i+2])})
	if (data[i] == '~' && name == "DY") || (data[i] == '^' && name == "GF") {
		if _, end, ok := binaryData(name, data, i+3, '^', '~', ','); ok {
			return end
		}
	}
	return -1
}

// quantity is how many labels a format prints: ^PQ's first parameter
// (1 when absent or empty), 0 for a stored format (^DF).
func quantity(format []byte) int {
	if indexCommand(format, 0, "DF") >= 0 {
		return 0
	}
	q := 1
	if p := indexCommand(format, 0, "PQ"); p >= 0 {
		n, ok := leadingInt(format[p+3:])
		if ok && n > 0 {
			q = n
		}
	}
	return q
}

func leadingInt(b []byte) (int, bool) {
	n, digits := 0, 0
	for _, c := range b {
		if c < '0' || c > '9' || digits >= 8 {
			break
		}
		n = n*10 + int(c-'0')
		digits++
	}
	return n, digits > 0
}

// WithQuantity returns the format printing q labels: its ^PQ's quantity
// replaced (pause, replicate and override parameters kept), or ^PQq added
// before ^XZ. The printer then counts the copies itself (and reports those
// still to print), instead of receiving the label q times.
func WithQuantity(format []byte, q int) []byte {
	z := lastCommand(format, "XZ")
	if z < 0 || quantity(format) == 0 {
		return format
	}
	out := make([]byte, 0, len(format)+12)
	if p := indexCommand(format, 0, "PQ"); p >= 0 && p < z {
		rest := format[p+3:]
		n := 0
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		out = append(out, format[:p+3]...)
		out = strconv.AppendInt(out, int64(q), 10)
		return append(out, rest[n:]...)
	}
	out = append(out, format[:z]...)
	out = append(out, "^PQ"...)
	out = strconv.AppendInt(out, int64(q), 10)
	return append(out, format[z:]...)
}

// Labels counts the labels formats print.
func Labels(fs []Format) int {
	n := 0
	for _, f := range fs {
		n += f.Labels
	}
	return n
}

// Remaining returns what is left of fs once printed labels came out, in
// order: whole formats are dropped, the one cut short prints only its
// remaining labels. Formats that print nothing (^DF) are kept while a
// later format still needs them.
func Remaining(fs []Format, printed int) []Format {
	var out []Format
	for _, f := range fs {
		switch {
		case printed <= 0:
			out = append(out, f)
		case f.Labels == 0:
			out = append(out, f) // a stored format a later label may use
		case printed >= f.Labels:
			printed -= f.Labels
		default:
			out = append(out, Format{Data: WithQuantity(f.Data, f.Labels-printed), Labels: f.Labels - printed})
			printed = 0
		}
	}
	if Labels(out) == 0 {
		return nil
	}
	return out
}

// Join concatenates formats for one write.
func Join(fs []Format) []byte {
	var b bytes.Buffer
	for _, f := range fs {
		b.Write(f.Data)
	}
	return b.Bytes()
}

// ResyncFiller is what to send before a job is sent again after an attempt
// was cut off. A printer cut off inside the binary data of a ~DY or ^GFB
// takes the next bytes as the rest of that data, whatever they are (the
// ZPL II guide: prefixes and flow-control characters are data until the
// declared count has arrived), so the resent job's first bytes would be
// lost into it. As many spaces as the job's largest binary data complete
// any such download (into a damaged object that the resent job's own
// download then replaces); a printer that was not inside one ignores
// spaces between formats. nil when data carries no binary data.
func ResyncFiller(data []byte) []byte {
	longest := 0
	for i := 0; i+2 < len(data); i++ {
		if data[i] != '^' && data[i] != '~' {
			continue
		}
		if end := binaryEnd(data, i); end > 0 {
			longest = max(longest, end-i)
			i = end - 1
		}
	}
	if longest == 0 {
		return nil
	}
	return bytes.Repeat([]byte{' '}, longest)
}
