package verify

import (
	"errors"
	"math/big"
	"strings"
)

// pdf417Message decodes the data codewords of a PDF417 symbol (length
// descriptor first) as ISO/IEC 15438 says: text, byte and numeric
// compaction, with the text sub-mode kept across a byte shift (913).
// zpl/internal/pdf417 restarts text compaction in upper case after a byte
// shift, which misreads carrier messages such as FedEx's (GS separators
// between mixed-case fields); the renderer's encoder keeps the sub-mode, as
// the standard and printers do.
func pdf417Message(cw []int) (string, error) {
	if len(cw) == 0 || cw[0] < 1 || cw[0] > len(cw) {
		return "", errors.New("pdf417: bad length descriptor")
	}
	cw = cw[1:cw[0]]
	var out strings.Builder
	t := &textState{sub: subUpper, prev: -1}
	mode := 900
	for i := 0; i < len(cw); {
		c := cw[i]
		switch {
		case c == 900:
			mode, t.sub, t.prev = 900, subUpper, -1
			i++
			continue
		case c == 901 || c == 924 || c == 902:
			mode = c
			i++
			continue
		case c == 913:
			if i+1 >= len(cw) {
				return "", errors.New("pdf417: byte shift at the end")
			}
			out.WriteByte(byte(cw[i+1]))
			i += 2
			continue
		case c >= 900:
			return "", errors.New("pdf417: unsupported codeword")
		}
		j := i
		for j < len(cw) && cw[j] < 900 {
			j++
		}
		seg := cw[i:j]
		i = j
		switch mode {
		case 900:
			for _, v := range seg {
				t.value(v/30, &out)
				t.value(v%30, &out)
			}
			if t.prev >= 0 {
				// A shift left pending at the end of a segment is the
				// padding of its last codeword.
				t.sub, t.prev = t.prev, -1
			}
		case 901, 924:
			groups := len(seg) / 5
			if mode == 901 && len(seg)%5 == 0 && len(seg) > 0 {
				// 901: a whole number of groups still ends in single bytes
				// unless 924 was used.
				groups--
			}
			for g := 0; g < groups; g++ {
				var v uint64
				for _, x := range seg[g*5 : g*5+5] {
					v = v*900 + uint64(x)
				}
				for k := 5; k >= 0; k-- {
					out.WriteByte(byte(v >> (8 * k)))
				}
			}
			for _, x := range seg[groups*5:] {
				if x > 255 {
					return "", errors.New("pdf417: byte codeword out of range")
				}
				out.WriteByte(byte(x))
			}
		case 902:
			for len(seg) > 0 {
				n := min(15, len(seg))
				v := new(big.Int)
				for _, x := range seg[:n] {
					v.Mul(v, big.NewInt(900))
					v.Add(v, big.NewInt(int64(x)))
				}
				s := v.String()
				if len(s) < 2 || s[0] != '1' {
					return "", errors.New("pdf417: bad numeric group")
				}
				out.WriteString(s[1:])
				seg = seg[n:]
			}
		}
	}
	return out.String(), nil
}

const (
	subUpper = iota
	subLower
	subMixed
	subPunct
)

const pdfMixed = "0123456789&\r\t,:#-.$/+%*=^"
const pdfPunct = ";<>@[\\]_`~!\r\t,:\n-.$/\"|*()?{}'"

// textState is text compaction's sub-mode, with the one to return to after
// a one-character shift.
type textState struct {
	sub, prev int
}

func (t *textState) value(v int, out *strings.Builder) {
	shifted := t.prev >= 0
	switch t.sub {
	case subUpper, subLower:
		switch {
		case v < 26:
			base := byte('A')
			if t.sub == subLower {
				base = 'a'
			}
			out.WriteByte(base + byte(v))
		case v == 26:
			out.WriteByte(' ')
		case v == 27 && t.sub == subUpper:
			t.sub = subLower
		case v == 27:
			t.prev, t.sub = t.sub, subUpper // AS: one upper-case letter
			return
		case v == 28:
			t.sub = subMixed
		case v == 29:
			t.prev, t.sub = t.sub, subPunct // PS
			return
		}
	case subMixed:
		switch {
		case v < 25:
			out.WriteByte(pdfMixed[v])
		case v == 25:
			t.sub = subPunct
		case v == 26:
			out.WriteByte(' ')
		case v == 27:
			t.sub = subLower
		case v == 28:
			t.sub = subUpper
		case v == 29:
			t.prev, t.sub = t.sub, subPunct
			return
		}
	case subPunct:
		switch {
		case v < 29:
			out.WriteByte(pdfPunct[v])
		case v == 29 && !shifted:
			t.sub = subUpper
		}
	}
	if shifted {
		t.sub, t.prev = t.prev, -1
	}
}
