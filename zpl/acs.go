package zpl

import (
	"bytes"
	"encoding/binary"
	"math"
)

// acsLen is len(encodeACS(m)), counted without writing the text: the
// Z64 path compares ACS with deflate for every candidate split of a page,
// and writes ACS only when it wins. Runs of equal bytes are passed eight
// at a time.
func acsLen(m *Mono) int { return acsLenUpTo(m, math.MaxInt) }

// acsLenUpTo is acsLen(m) when that is below limit, else a number at
// least limit: counting stops there, as the choice between ACS and Z64
// needs no more.
func acsLenUpTo(m *Mono, limit int) int {
	n := 0
	var prev []byte
	for y := 0; y < m.H && n < limit; y++ {
		row := m.Pix[y*m.Stride : (y+1)*m.Stride]
		if prev != nil && bytes.Equal(row, prev) {
			n++ // ':'
			continue
		}
		prev = row
		n += acsRowLen(row)
	}
	return n
}

// acsRowLen is the length of one row in ACS (see encodeACS).
func acsRowLen(row []byte) int {
	nibs := 2 * len(row)
	// The row's tail of zeros becomes ',' and of ones '!'.
	end := lastNibbleNot(row, 0)
	n := 0
	if end < nibs {
		n++
	} else if end = lastNibbleNot(row, 0xF); end < nibs {
		n++
	}
	nib := func(k int) byte {
		if k&1 == 0 {
			return row[k>>1] >> 4
		}
		return row[k>>1] & 15
	}
	for i := 0; i < end; {
		c := nib(i)
		j := i + 1
		for j < end {
			// Whole bytes of the run's nibble, eight at a time.
			if j&1 == 0 {
				rep := uint64(c*0x11) * 0x0101010101010101
				for j+16 <= end && binary.LittleEndian.Uint64(row[j>>1:]) == rep {
					j += 16
				}
			}
			if j >= end || nib(j) != c {
				break
			}
			j++
		}
		n += acsRunLen(j - i)
		i = j
	}
	return n
}

// lastNibbleNot is the number of nibbles of row up to and including the
// last one that is not v (0 when all are v).
func lastNibbleNot(row []byte, v byte) int {
	full := v * 0x11
	for i := len(row) - 1; i >= 0; i-- {
		b := row[i]
		if b == full {
			continue
		}
		if b&15 != v {
			return 2*i + 2
		}
		return 2*i + 1
	}
	return 0
}

// acsRunLen is len(appendRun(nil, n, c)).
func acsRunLen(n int) int {
	if n <= 2 {
		return n
	}
	k := n/400 + 1
	if n %= 400; n >= 20 {
		k++
		n %= 20
	}
	if n > 0 {
		k++
	}
	return k
}
