package render

import (
	"strings"
)

// Code 128 as the ZPL II Programming Guide defines ^BC: invocation codes
// in mode N (">9"/">:"/">;" start A/B/C, ">5"/">6"/">7" switch to C/B/A,
// ">8" FNC1, "><" "^", ">0" ">", ">=" "~"), subsets A and C read as digit
// pairs, subset B as ASCII (the default without a start code), mode U
// (UCC case: 19 digits and a mod-10 check digit after FNC1), mode D
// (UCC/EAN: FNC1 first, parentheses and spaces only for people) and mode
// A (automatic subset selection over ASCII data).

// Code 128 symbol values with a meaning of their own.
const (
	c128FNC3   = 96
	c128FNC2   = 97
	c128Shift  = 98
	c128CodeC  = 99
	c128CodeB  = 100 // in subsets A and C; FNC4 in B
	c128CodeA  = 101 // in subsets B and C; FNC4 in A
	c128FNC1   = 102
	c128StartA = 103
	c128StartB = 104
	c128StartC = 105
	c128Stop   = 106
)

// c128Patterns are the bar/space widths in modules of each symbol value
// (ISO/IEC 15417); the stop pattern has the final bar.
var c128Patterns = [107]string{
	"212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213",
	"221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132",
	"221231", "213212", "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211",
	"212123", "212321", "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313",
	"231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121", "313121", "211331",
	"231131", "213113", "213311", "213131", "311123", "311321", "331121", "312113", "312311", "332111",
	"314111", "221411", "431111", "111224", "111422", "121124", "121421", "141122", "141221", "112214",
	"112412", "122114", "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",
	"111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
	"214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311", "113141",
	"114131", "311141", "411131", "211412", "211214", "211232", "2331112",
}

// code128Symbol is what a ^BC field encodes.
type code128Symbol struct {
	values  []int  // start code, data values, without check and stop
	human   string // the interpretation line
	scanned string // what a scanner reports (GS for FNC1 after the first position)
	gs1     bool   // FNC1 right after the start code
	dropped int    // characters the subsets could not carry (ignored, as the printer does)
}

// modules returns the symbol as dark/light modules, with check and stop.
func (s code128Symbol) modules() []bool {
	sum := s.values[0]
	for i, v := range s.values[1:] {
		sum += v * (i + 1)
	}
	all := append(append([]int{}, s.values...), sum%103, c128Stop)
	var out []bool
	for _, v := range all {
		dark := true
		for _, w := range c128Patterns[v] {
			for range int(w - '0') {
				out = append(out, dark)
			}
			dark = !dark
		}
	}
	return out
}

// c128Out collects values and what they mean.
type c128Out struct {
	sym    code128Symbol
	human  strings.Builder
	scan   strings.Builder
	subset byte // 'A', 'B' or 'C'
	data   int  // data characters so far (for FNC1 position)
}

func (o *c128Out) fnc1() {
	o.sym.values = append(o.sym.values, c128FNC1)
	if o.data == 0 {
		o.sym.gs1 = true
	} else {
		o.scan.WriteByte(0x1d)
	}
	o.data++
}

// char adds a character in the current subset A or B.
func (o *c128Out) char(c byte) bool {
	switch {
	case o.subset == 'B' && c >= 32 && c < 128:
		o.sym.values = append(o.sym.values, int(c)-32)
	case o.subset == 'A' && c >= 32 && c < 96:
		o.sym.values = append(o.sym.values, int(c)-32)
	case o.subset == 'A' && c < 32:
		o.sym.values = append(o.sym.values, int(c)+64)
	default:
		return false
	}
	o.human.WriteByte(c)
	o.scan.WriteByte(c)
	o.data++
	return true
}

// value adds a raw symbol value (subset A digit pairs, invocation codes).
func (o *c128Out) value(v int) {
	o.sym.values = append(o.sym.values, v)
	if v < 96 || (o.subset == 'C' && v < 100) {
		var c byte
		switch o.subset {
		case 'A':
			if v < 64 {
				c = byte(v + 32)
			} else {
				c = byte(v - 64)
			}
		case 'B':
			c = byte(v + 32)
		}
		if o.subset == 'C' {
			// In subset C every value below 100 is a digit pair.
			pair := []byte{byte('0' + v/10), byte('0' + v%10)}
			o.human.Write(pair)
			o.scan.Write(pair)
		} else {
			if c >= 32 {
				o.human.WriteByte(c)
			}
			o.scan.WriteByte(c)
		}
		o.data++
	}
}

func (o *c128Out) pair(a, b byte) {
	o.sym.values = append(o.sym.values, int(a-'0')*10+int(b-'0'))
	o.human.WriteByte(a)
	o.human.WriteByte(b)
	o.scan.WriteByte(a)
	o.scan.WriteByte(b)
	o.data++
}

func (o *c128Out) switchTo(s byte) {
	if o.subset == s {
		return
	}
	switch s {
	case 'A':
		o.sym.values = append(o.sym.values, c128CodeA)
	case 'B':
		o.sym.values = append(o.sym.values, c128CodeB)
	case 'C':
		o.sym.values = append(o.sym.values, c128CodeC)
	}
	o.subset = s
}

func (o *c128Out) done() code128Symbol {
	o.sym.human = o.human.String()
	o.sym.scanned = o.scan.String()
	return o.sym
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// code128ModeN reads ^BC mode N data with its invocation codes.
func code128ModeN(s string) code128Symbol {
	o := &c128Out{subset: 'B'}
	start := c128StartB
	if len(s) >= 2 && s[0] == '>' {
		switch s[1] {
		case '9':
			o.subset, start, s = 'A', c128StartA, s[2:]
		case ':':
			s = s[2:]
		case ';':
			o.subset, start, s = 'C', c128StartC, s[2:]
		}
	}
	o.sym.values = []int{start}
	shift := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '>' && i+1 < len(s) {
			shift = false
			i++
			switch s[i] {
			case '<':
				o.value(62)
			case '0':
				o.value(30)
			case '=':
				o.value(94)
			case '1':
				o.value(95)
			case '2', '3', '4':
				// FNC3, FNC2, SHIFT in subsets A and B; the pairs 96-98
				// in subset C (Zebra's table).
				v := map[byte]int{'2': c128FNC3, '3': c128FNC2, '4': c128Shift}[s[i]]
				if o.subset == 'C' {
					o.value(v)
				} else {
					o.sym.values = append(o.sym.values, v)
					shift = v == c128Shift
				}
			case '5':
				o.switchTo('C')
			case '6':
				o.switchTo('B')
			case '7':
				o.switchTo('A')
			case '8':
				o.fnc1()
			case '9', ':', ';':
				// A start code inside the data: the printer switches.
				o.switchTo(map[byte]byte{'9': 'A', ':': 'B', ';': 'C'}[s[i]])
			default:
				o.sym.dropped++
			}
			continue
		}
		if shift {
			// SHIFT: the one next character is of the other subset.
			shift = false
			cur := o.subset
			o.subset = map[byte]byte{'A': 'B', 'B': 'A'}[cur]
			if !o.char(c) {
				o.sym.dropped++
			}
			o.subset = cur
			continue
		}
		if o.subset == 'B' {
			if !o.char(c) {
				o.sym.dropped++
			}
			continue
		}
		// Subsets A and C take pairs of digits: a non-digit first of a
		// pair is ignored, a non-digit second drops the pair, a lone digit
		// before a code change or the end is ignored.
		if !isDigit(c) {
			o.sym.dropped++
			continue
		}
		if i+1 >= len(s) || s[i+1] == '>' {
			o.sym.dropped++
			continue
		}
		d := s[i+1]
		i++
		if !isDigit(d) {
			o.sym.dropped += 2
			continue
		}
		if o.subset == 'C' {
			o.pair(c, d)
		} else {
			o.value(int(c-'0')*10 + int(d-'0'))
		}
	}
	return o.done()
}

// code128Auto encodes ASCII data (and FNC1 marks) choosing subsets as a
// printer does in modes A and D: subset C for runs of four or more digits.
// fnc1 holds the positions in data before which FNC1 goes.
func code128Auto(data string, fnc1 map[int]bool, leadingFNC1 bool) code128Symbol {
	o := &c128Out{}
	digitsAt := func(i int) int {
		n := 0
		for i+n < len(data) && isDigit(data[i+n]) && (n == 0 || !fnc1[i+n]) {
			n++
		}
		return n
	}
	pick := func(i int) byte {
		for j := i; j < len(data); j++ {
			if data[j] < 32 {
				return 'A'
			}
			if data[j] >= 96 {
				return 'B'
			}
		}
		return 'B'
	}
	// Start code.
	n := digitsAt(0)
	switch {
	case leadingFNC1 && n >= 2, n >= 4 || (n == len(data) && n >= 2 && n%2 == 0):
		o.subset = 'C'
		o.sym.values = []int{c128StartC}
	default:
		o.subset = pick(0)
		if o.subset == 'A' {
			o.sym.values = []int{c128StartA}
		} else {
			o.sym.values = []int{c128StartB}
		}
	}
	if leadingFNC1 {
		o.fnc1()
	}
	for i := 0; i < len(data); {
		if fnc1[i] && i > 0 {
			o.fnc1()
		}
		n := digitsAt(i)
		if o.subset == 'C' {
			if n >= 2 {
				o.pair(data[i], data[i+1])
				i += 2
				continue
			}
			o.switchTo(pick(i))
		} else if n >= 4 || (n >= 2 && n%2 == 0 && i+n == len(data) && n >= 4) {
			if n%2 == 1 {
				// An odd run: one digit here, the rest as pairs.
				o.char(data[i])
				i++
			}
			o.switchTo('C')
			continue
		}
		c := data[i]
		if !o.char(c) {
			other := byte('A')
			if o.subset == 'A' {
				other = 'B'
			}
			o.switchTo(other)
			if !o.char(c) {
				o.sym.dropped++
			}
		}
		i++
	}
	return o.done()
}

// mod10 is the GS1 check digit of a digit string.
func mod10(digits string) byte {
	sum := 0
	for i := range len(digits) {
		d := int(digits[len(digits)-1-i] - '0')
		if i%2 == 0 {
			d *= 3
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

func allDigits(s string) bool {
	for i := range len(s) {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// code128ModeU is UCC case mode: exactly 19 digits (cut or padded with
// zeros on the right) and their mod-10 check digit, after FNC1 in subset C.
func code128ModeU(s string) code128Symbol {
	var d []byte
	for i := range len(s) {
		if isDigit(s[i]) {
			d = append(d, s[i])
		}
	}
	for len(d) < 19 {
		d = append(d, '0')
	}
	digits := string(d[:19])
	digits += string(mod10(digits))
	sym := code128Auto(digits, nil, true)
	return sym
}

// gs1Fixed are GS1 application identifiers of fixed length (by their first
// two digits, as the GS1 General Specifications list them): no FNC1
// separator follows their data.
var gs1Fixed = map[string]bool{
	"00": true, "01": true, "02": true, "03": true, "04": true, "11": true, "12": true, "13": true,
	"14": true, "15": true, "16": true, "17": true, "18": true, "19": true, "20": true, "31": true,
	"32": true, "33": true, "34": true, "35": true, "36": true, "41": true,
}

// gs1CheckLen are AIs whose data ends in a mod-10 check digit the printer
// computes itself in mode D (the data holds a placeholder for it).
var gs1CheckLen = map[string]int{"00": 18, "01": 14, "02": 14}

// code128ModeD is UCC/EAN mode: FNC1 first; "(AI)" groups and spaces are
// for the interpretation line only; after a variable-length AI followed by
// another, FNC1 separates them; the check digit of SSCC and GTIN data is
// computed by the printer.
func code128ModeD(s string) code128Symbol {
	fnc1 := map[int]bool{}
	var data strings.Builder
	if !strings.Contains(s, "(") {
		for i := 0; i < len(s); i++ {
			switch {
			case s[i] == ' ':
			case s[i] == '>' && i+1 < len(s) && s[i+1] == '8':
				fnc1[data.Len()] = true
				i++
			default:
				data.WriteByte(s[i])
			}
		}
	} else {
		rest := s
		prevVar := false
		for {
			i := strings.IndexByte(rest, '(')
			j := strings.IndexByte(rest, ')')
			if i < 0 || j < i {
				break
			}
			ai := strings.ReplaceAll(rest[i+1:j], " ", "")
			rest = rest[j+1:]
			val := rest
			if k := strings.IndexByte(rest, '('); k >= 0 {
				val, rest = rest[:k], rest[k:]
			} else {
				rest = ""
			}
			val = strings.ReplaceAll(strings.ReplaceAll(val, " ", ""), ">8", "")
			if n, ok := gs1CheckLen[ai]; ok && len(val) == n && allDigits(val) {
				val = val[:n-1] + string(mod10(val[:n-1]))
			}
			if prevVar {
				fnc1[data.Len()] = true
			}
			data.WriteString(ai + val)
			prevVar = !gs1Fixed[ai[:min(2, len(ai))]]
		}
	}
	sym := code128Auto(data.String(), fnc1, true)
	if strings.Contains(s, "(") {
		sym.human = strings.ReplaceAll(s, ">8", "")
	}
	return sym
}
