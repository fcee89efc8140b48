package render

import (
	"math"
	"strings"

	code93enc "github.com/boombuler/barcode/code93"
	"github.com/boombuler/barcode/ean"
)

// Linear symbols as runs of bars and spaces in dots, first a bar.

// wideDots is the wide element of a two-width symbology: ^BY's ratio
// times the narrow width, at least one dot wider than narrow.
func wideDots(narrow int, ratio float64) int {
	return max(narrow+1, int(math.Floor(float64(narrow)*ratio+1e-9)))
}

// code39Wide gives, for each character, which of its nine elements
// (bar, space, … bar) are wide.
var code39Wide = map[byte]string{
	'0': "000110100", '1': "100100001", '2': "001100001", '3': "101100000", '4': "000110001",
	'5': "100110000", '6': "001110000", '7': "000100101", '8': "100100100", '9': "001100100",
	'A': "100001001", 'B': "001001001", 'C': "101001000", 'D': "000011001", 'E': "100011000",
	'F': "001011000", 'G': "000001101", 'H': "100001100", 'I': "001001100", 'J': "000011100",
	'K': "100000011", 'L': "001000011", 'M': "101000010", 'N': "000010011", 'O': "100010010",
	'P': "001010010", 'Q': "000000111", 'R': "100000110", 'S': "001000110", 'T': "000010110",
	'U': "110000001", 'V': "011000001", 'W': "111000000", 'X': "010010001", 'Y': "110010000",
	'Z': "011010000", '-': "010000101", '.': "110000100", ' ': "011000100", '*': "010010100",
	'$': "010101000", '/': "010100010", '+': "010001010", '%': "000101010",
}

const code39Chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%"

// code39 returns the runs of a Code 39 symbol with start/stop, an optional
// mod-43 check character, and the text as encoded (with the check
// character, as a scanner transmits it, without the * start/stop);
// characters Code 39 cannot carry are dropped and counted.
func code39(data string, check bool, narrow int, ratio float64) (runs []int, text string, dropped int) {
	wide := wideDots(narrow, ratio)
	var b strings.Builder
	sum := 0
	for i := range len(data) {
		c := upper(data[i])
		k := strings.IndexByte(code39Chars, c)
		if k < 0 {
			dropped++
			continue
		}
		sum += k
		b.WriteByte(c)
	}
	text = b.String()
	if check && text != "" {
		text += string(code39Chars[sum%43])
	}
	full := "*" + text + "*"
	for i := range len(full) {
		if i > 0 {
			runs = append(runs, narrow) // inter-character gap
		}
		for _, w := range code39Wide[full[i]] {
			if w == '1' {
				runs = append(runs, wide)
			} else {
				runs = append(runs, narrow)
			}
		}
	}
	return runs, text, dropped
}

// itfPairs are the narrow/wide patterns of the digits in Interleaved 2 of 5.
var itfPatterns = [10]string{"00110", "10001", "01001", "11000", "00101", "10100", "01100", "00011", "10010", "01010"}

// itf returns the runs of an Interleaved 2 of 5 symbol. Only digits are
// encoded (invocation codes such as ">;" copied from Code 128 fields and
// other characters are ignored, as the printer does); an odd count gets a
// leading zero, after the optional mod-10 check digit.
func itf(data string, check bool, narrow int, ratio float64) (runs []int, text string, dropped int) {
	var d []byte
	for i := 0; i < len(data); i++ {
		if data[i] == '>' && i+1 < len(data) {
			i++
			continue
		}
		if isDigit(data[i]) {
			d = append(d, data[i])
		} else {
			dropped++
		}
	}
	if len(d) == 0 {
		return nil, "", dropped
	}
	if check {
		d = append(d, mod10(string(d)))
	}
	if len(d)%2 == 1 {
		d = append([]byte{'0'}, d...)
	}
	wide := wideDots(narrow, ratio)
	w := func(c byte) int {
		if c == '1' {
			return wide
		}
		return narrow
	}
	runs = []int{narrow, narrow, narrow, narrow}
	for i := 0; i < len(d); i += 2 {
		a, b := itfPatterns[d[i]-'0'], itfPatterns[d[i+1]-'0']
		for k := range 5 {
			runs = append(runs, w(a[k]), w(b[k]))
		}
	}
	runs = append(runs, wide, narrow, narrow)
	return runs, string(d), dropped
}

// ean13 returns the runs of an EAN-13 symbol. The printer takes 12 digits
// and computes the 13th itself: a 13th digit in the data is replaced,
// fewer than 12 are padded with zeros on the left.
func ean13(data string, narrow int) (runs []int, text string, err error) {
	return eanN(data, 12, narrow)
}

// ean8 is EAN-8 (^B8): 7 digits and the computed check digit.
func ean8(data string, narrow int) (runs []int, text string, err error) {
	return eanN(data, 7, narrow)
}

// upcA is UPC-A (^BU): 11 digits and the computed check digit, drawn as
// the EAN-13 symbol with a leading zero that it is; text is the 12 digits.
func upcA(data string, narrow int) (runs []int, text string, err error) {
	runs, text, err = eanN("0"+digitsOf(data, 11), 12, narrow)
	return runs, strings.TrimPrefix(text, "0"), err
}

func digitsOf(data string, n int) string {
	var d []byte
	for i := range len(data) {
		if isDigit(data[i]) {
			d = append(d, data[i])
		}
	}
	if len(d) > n {
		d = d[:n]
	}
	for len(d) < n {
		d = append([]byte{'0'}, d...)
	}
	return string(d)
}

func eanN(data string, n, narrow int) (runs []int, text string, err error) {
	d := digitsOf(data, n)
	full := d + string(mod10(d))
	bc, err := ean.Encode(full)
	if err != nil {
		return nil, "", err
	}
	b := bc.Bounds()
	mods := make([]bool, b.Dx())
	for x := range mods {
		mods[x] = dark(bc, b.Min.X+x, b.Min.Y)
	}
	return modulesToRuns(mods, narrow), full, nil
}

// code93 returns the runs of a Code 93 symbol (^BA) with its two check
// characters; data outside Code 93's own 47 characters uses its full
// ASCII shifts.
func code93(data string, narrow int) (runs []int, err error) {
	full := false
	for i := range len(data) {
		if !strings.ContainsRune(code39Chars, rune(data[i])) {
			full = true
		}
	}
	bc, err := code93enc.Encode(data, true, full)
	if err != nil {
		return nil, err
	}
	b := bc.Bounds()
	mods := make([]bool, b.Dx())
	for x := range mods {
		mods[x] = dark(bc, b.Min.X+x, b.Min.Y)
	}
	return modulesToRuns(mods, narrow), nil
}

// modulesToRuns turns dark/light modules into runs of width narrow each,
// starting with a bar.
func modulesToRuns(mods []bool, narrow int) []int {
	var runs []int
	i := 0
	for i < len(mods) && !mods[i] {
		i++
	}
	cur, n := true, 0
	for ; i < len(mods); i++ {
		if mods[i] == cur {
			n++
			continue
		}
		runs = append(runs, n*narrow)
		cur, n = mods[i], 1
	}
	if cur && n > 0 {
		runs = append(runs, n*narrow)
	}
	return runs
}
