// Package pdf417 reads PDF417 symbols from a grid of modules taken from a
// clean, rendered page: it maps rows of bars to codewords and decodes the
// text, byte and numeric compaction modes. It does no error correction:
// callers confirm a result by encoding it again and comparing symbols.
package pdf417

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// Symbol is a read PDF417 symbol.
type Symbol struct {
	Columns, Rows int
	Codewords     []int // data region, row by row (length descriptor first)
	Text          string
}

var inverse [3]map[int]int

func init() {
	for c := range 3 {
		inverse[c] = make(map[int]int, len(codewords[c]))
		for i, v := range codewords[c] {
			inverse[c][v] = i
		}
	}
}

// bitsToInt reads n modules as bits, dark = 1, first module highest.
func bitsToInt(row []bool) int {
	v := 0
	for _, b := range row {
		v <<= 1
		if b {
			v |= 1
		}
	}
	return v
}

// ErrNotPDF417 is returned for grids that are not a readable symbol.
var ErrNotPDF417 = errors.New("not a PDF417 symbol")

// Decode reads a symbol from its rows of modules; each row has
// 17*(columns+4)+1 modules, start and stop patterns included.
func Decode(rows [][]bool) (Symbol, error) {
	if len(rows) < 3 || len(rows) > 90 {
		return Symbol{}, fmt.Errorf("%w: %d rows", ErrNotPDF417, len(rows))
	}
	n := len(rows[0])
	if (n-1)%17 != 0 || (n-1)/17 < 5 {
		return Symbol{}, fmt.Errorf("%w: %d modules a row", ErrNotPDF417, n)
	}
	cols := (n-1)/17 - 4
	if cols > 30 {
		return Symbol{}, fmt.Errorf("%w: %d columns", ErrNotPDF417, cols)
	}
	s := Symbol{Columns: cols, Rows: len(rows)}
	for r, row := range rows {
		if len(row) != n {
			return Symbol{}, fmt.Errorf("%w: rows of different widths", ErrNotPDF417)
		}
		if bitsToInt(row[:17]) != startWord || bitsToInt(row[n-18:]) != stopWord {
			return Symbol{}, fmt.Errorf("%w: no start or stop pattern in row %d", ErrNotPDF417, r)
		}
		cl := r % 3
		for c := 0; c < cols; c++ {
			off := 34 + 17*c
			v, ok := inverse[cl][bitsToInt(row[off:off+17])]
			if !ok {
				return Symbol{}, fmt.Errorf("%w: unknown codeword in row %d column %d", ErrNotPDF417, r, c)
			}
			s.Codewords = append(s.Codewords, v)
		}
	}
	count := s.Codewords[0]
	if count < 1 || count > len(s.Codewords) {
		return Symbol{}, fmt.Errorf("%w: length descriptor %d", ErrNotPDF417, count)
	}
	text, err := decodeHighLevel(s.Codewords[1:count])
	if err != nil {
		return Symbol{}, err
	}
	s.Text = text
	return s, nil
}

const (
	latchText       = 900
	latchBytePadded = 901
	latchNumeric    = 902
	shiftByte       = 913
	latchByte       = 924
)

var mixedChars = []rune{'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '&', '\r', '\t', ',', ':', '#', '-', '.', '$', '/', '+', '%', '*', '=', '^'}
var punctChars = []rune{';', '<', '>', '@', '[', '\\', ']', '_', '`', '~', '!', '\r', '\t', ',', ':', '\n', '-', '.', '$', '/', '"', '|', '*', '(', ')', '?', '{', '}', '\''}

const (
	subAlpha = iota
	subLower
	subMixed
	subPunct
)

func decodeHighLevel(cw []int) (string, error) {
	var out strings.Builder
	i := 0
	mode := latchText
	for i < len(cw) {
		switch c := cw[i]; {
		case c == latchText || c == latchBytePadded || c == latchNumeric || c == latchByte:
			mode = c
			i++
			continue
		case c == shiftByte:
			if i+1 >= len(cw) {
				return "", fmt.Errorf("%w: byte shift at the end", ErrNotPDF417)
			}
			out.WriteByte(byte(cw[i+1]))
			i += 2
			continue
		case c >= 900:
			return "", fmt.Errorf("%w: unsupported codeword %d", ErrNotPDF417, c)
		}
		j := i
		for j < len(cw) && cw[j] < 900 {
			j++
		}
		seg := cw[i:j]
		i = j
		switch mode {
		case latchText:
			decodeText(seg, &out)
		case latchNumeric:
			if err := decodeNumeric(seg, &out); err != nil {
				return "", err
			}
		case latchBytePadded, latchByte:
			// Five codewords carry six bytes; with 901 the last one to
			// five codewords are single bytes.
			groups := len(seg) / 5
			if mode == latchBytePadded {
				groups = max(0, (len(seg)-1)/5)
			}
			for g := range groups {
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
					return "", fmt.Errorf("%w: byte codeword %d", ErrNotPDF417, x)
				}
				out.WriteByte(byte(x))
			}
		}
	}
	return out.String(), nil
}

func decodeText(seg []int, out *strings.Builder) {
	vals := make([]int, 0, 2*len(seg))
	for _, c := range seg {
		vals = append(vals, c/30, c%30)
	}
	sub, prev := subAlpha, -1 // prev: submode to return to after a shift
	for _, v := range vals {
		switch sub {
		case subAlpha:
			switch {
			case v < 26:
				out.WriteByte(byte('A' + v))
			case v == 26:
				out.WriteByte(' ')
			case v == 27:
				sub = subLower
			case v == 28:
				sub = subMixed
			case v == 29:
				prev, sub = sub, subPunct
				continue
			}
		case subLower:
			switch {
			case v < 26:
				out.WriteByte(byte('a' + v))
			case v == 26:
				out.WriteByte(' ')
			case v == 27:
				prev, sub = sub, subAlpha
				continue
			case v == 28:
				sub = subMixed
			case v == 29:
				prev, sub = sub, subPunct
				continue
			}
		case subMixed:
			switch {
			case v < 25:
				out.WriteRune(mixedChars[v])
			case v == 25:
				sub = subPunct
			case v == 26:
				out.WriteByte(' ')
			case v == 27:
				sub = subLower
			case v == 28:
				sub = subAlpha
			case v == 29:
				prev, sub = sub, subPunct
				continue
			}
		case subPunct:
			switch {
			case v < 29:
				out.WriteRune(punctChars[v])
			case v == 29:
				if prev < 0 {
					sub = subAlpha
				}
			}
		}
		if prev >= 0 {
			sub, prev = prev, -1
		}
	}
}

func decodeNumeric(seg []int, out *strings.Builder) error {
	for len(seg) > 0 {
		n := min(15, len(seg))
		v := new(big.Int)
		for _, c := range seg[:n] {
			v.Mul(v, big.NewInt(900))
			v.Add(v, big.NewInt(int64(c)))
		}
		s := v.String()
		if len(s) < 2 || s[0] != '1' {
			return fmt.Errorf("%w: bad numeric group", ErrNotPDF417)
		}
		out.WriteString(s[1:])
		seg = seg[n:]
	}
	return nil
}
