package render

import "errors"

// Data Matrix ECC 200 (ISO/IEC 16022) with the symbol size chosen as the
// printer chooses it: ^BX's columns and rows when the data fits them,
// else the smallest square (or, with aspect ratio 2, rectangular) symbol
// that holds it. ASCII encodation: digit pairs, FNC1 (GS1), upper shift.

// dmSize is one ECC 200 symbol size.
type dmSize struct {
	rows, cols       int // the whole symbol, finder patterns included
	regRows, regCols int // one data region
	data, ecc        int // codewords
	blocks           int // interleaved Reed-Solomon blocks
}

func (s dmSize) vRegions() int { return (s.rows) / (s.regRows + 2) }
func (s dmSize) hRegions() int { return (s.cols) / (s.regCols + 2) }

var dmSquare = []dmSize{
	{10, 10, 8, 8, 3, 5, 1}, {12, 12, 10, 10, 5, 7, 1}, {14, 14, 12, 12, 8, 10, 1}, {16, 16, 14, 14, 12, 12, 1},
	{18, 18, 16, 16, 18, 14, 1}, {20, 20, 18, 18, 22, 18, 1}, {22, 22, 20, 20, 30, 20, 1}, {24, 24, 22, 22, 36, 24, 1},
	{26, 26, 24, 24, 44, 28, 1}, {32, 32, 14, 14, 62, 36, 1}, {36, 36, 16, 16, 86, 42, 1}, {40, 40, 18, 18, 114, 48, 1},
	{44, 44, 20, 20, 144, 56, 1}, {48, 48, 22, 22, 174, 68, 1}, {52, 52, 24, 24, 204, 84, 2}, {64, 64, 14, 14, 280, 112, 2},
	{72, 72, 16, 16, 368, 144, 4}, {80, 80, 18, 18, 456, 192, 4}, {88, 88, 20, 20, 576, 224, 4}, {96, 96, 22, 22, 696, 272, 4},
	{104, 104, 24, 24, 816, 336, 6}, {120, 120, 18, 18, 1050, 408, 6}, {132, 132, 20, 20, 1304, 496, 8},
}

var dmRect = []dmSize{
	{8, 18, 6, 16, 5, 7, 1}, {8, 32, 6, 14, 10, 11, 1}, {12, 26, 10, 24, 16, 14, 1},
	{12, 36, 10, 16, 22, 18, 1}, {16, 36, 14, 16, 32, 24, 1}, {16, 48, 14, 22, 49, 28, 1},
}

// dmFNC1 marks FNC1 in encoder input (it is no character of the data).
const dmFNC1 = 232

// dmCodewords encodes data in ASCII encodation; fnc1 holds the positions
// of FNC1 marks (byte 232 there is FNC1, elsewhere a character).
func dmCodewords(data []byte, fnc1 map[int]bool) []byte {
	var cw []byte
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case fnc1[i]:
			cw = append(cw, dmFNC1)
		case isDigit(c) && i+1 < len(data) && isDigit(data[i+1]) && !fnc1[i+1]:
			cw = append(cw, 130+(c-'0')*10+(data[i+1]-'0'))
			i++
		case c >= 128:
			cw = append(cw, 235, c-127)
		default:
			cw = append(cw, c+1)
		}
	}
	return cw
}

// dmPickSize chooses the symbol: cols x rows when given and large enough,
// else the smallest of the shape asked for.
func dmPickSize(n, cols, rows int, rect bool) (dmSize, error) {
	if cols > 0 && rows > 0 {
		for _, s := range append(append([]dmSize{}, dmSquare...), dmRect...) {
			if s.cols == cols && s.rows == rows && s.data >= n {
				return s, nil
			}
		}
	}
	list := dmSquare
	if rect {
		list = append(append([]dmSize{}, dmRect...), dmSquare...)
	}
	for _, s := range list {
		if s.data >= n {
			return s, nil
		}
	}
	return dmSize{}, errors.New("too much data for a Data Matrix symbol")
}

// dmEncode returns the module grid (true = dark), [row][col].
func dmEncode(data []byte, fnc1 map[int]bool, cols, rows int, rect bool) ([][]bool, error) {
	cw := dmCodewords(data, fnc1)
	s, err := dmPickSize(len(cw), cols, rows, rect)
	if err != nil {
		return nil, err
	}
	// Padding: 129, then pseudo-random pads by position.
	if len(cw) < s.data {
		cw = append(cw, 129)
	}
	for len(cw) < s.data {
		r := (149*(len(cw)+1))%253 + 1
		p := 129 + r
		if p > 254 {
			p -= 254
		}
		cw = append(cw, byte(p))
	}
	all := dmECC(cw, s)
	nrow, ncol := s.regRows*s.vRegions(), s.regCols*s.hRegions()
	mapping := dmPlace(nrow, ncol, all)
	grid := make([][]bool, s.rows)
	for r := range grid {
		grid[r] = make([]bool, s.cols)
	}
	// Finder patterns: every region has a solid left and bottom edge, and
	// alternating top and right edges.
	for vr := 0; vr < s.vRegions(); vr++ {
		for hr := 0; hr < s.hRegions(); hr++ {
			top, left := vr*(s.regRows+2), hr*(s.regCols+2)
			h, w := s.regRows+2, s.regCols+2
			for c := 0; c < w; c++ {
				grid[top+h-1][left+c] = true
				grid[top][left+c] = c%2 == 0
			}
			for r := 0; r < h; r++ {
				grid[top+r][left] = true
				grid[top+r][left+w-1] = (h-1-r)%2 == 0
			}
		}
	}
	for r := 0; r < nrow; r++ {
		for c := 0; c < ncol; c++ {
			sr := (r/s.regRows)*(s.regRows+2) + 1 + r%s.regRows
			sc := (c/s.regCols)*(s.regCols+2) + 1 + c%s.regCols
			grid[sr][sc] = mapping[r][c] == 1
		}
	}
	return grid, nil
}

// dmECC appends the Reed-Solomon codewords, interleaved over the blocks.
func dmECC(data []byte, s dmSize) []byte {
	out := make([]byte, s.data+s.ecc)
	copy(out, data)
	per := s.ecc / s.blocks
	gen := rsGenerator(per)
	for b := 0; b < s.blocks; b++ {
		var block []byte
		for i := b; i < s.data; i += s.blocks {
			block = append(block, data[i])
		}
		ecc := rsRemainder(block, gen)
		for j, e := range ecc {
			out[s.data+j*s.blocks+b] = e
		}
	}
	return out
}

// GF(256) with the Data Matrix polynomial x^8+x^5+x^3+x^2+1 (301).
func gfTables() (exp [512]byte, log [256]int) {
	x := 1
	for i := 0; i < 255; i++ {
		exp[i] = byte(x)
		log[x] = i
		x <<= 1
		if x >= 256 {
			x ^= 301
		}
	}
	for i := 255; i < 512; i++ {
		exp[i] = exp[i-255]
	}
	return exp, log
}

func gfMul(a, b byte, exp *[512]byte, log *[256]int) byte {
	if a == 0 || b == 0 {
		return 0
	}
	return exp[log[a]+log[b]]
}

// rsGenerator is the product of (x - 2^i) for i = 1..n, highest power
// first, leading 1 left out.
func rsGenerator(n int) []byte {
	exp, log := gfTables()
	g := []byte{1}
	for i := 1; i <= n; i++ {
		next := make([]byte, len(g)+1)
		for j, c := range g {
			next[j] ^= c
			next[j+1] ^= gfMul(c, exp[i], &exp, &log)
		}
		g = next
	}
	return g[1:]
}

func rsRemainder(data, gen []byte) []byte {
	exp, log := gfTables()
	rem := make([]byte, len(gen))
	for _, d := range data {
		f := d ^ rem[0]
		copy(rem, rem[1:])
		rem[len(rem)-1] = 0
		for j, g := range gen {
			rem[j] ^= gfMul(f, g, &exp, &log)
		}
	}
	return rem
}

// dmPlace lays the codewords into the mapping matrix (ISO/IEC 16022
// annex F): 1 dark, 0 light.
func dmPlace(nrow, ncol int, cw []byte) [][]int8 {
	m := make([][]int8, nrow)
	for r := range m {
		m[r] = make([]int8, ncol)
		for c := range m[r] {
			m[r][c] = -1
		}
	}
	module := func(row, col, pos, bit int) {
		if row < 0 {
			row += nrow
			col += 4 - ((nrow + 4) % 8)
		}
		if col < 0 {
			col += ncol
			row += 4 - ((ncol + 4) % 8)
		}
		v := int8(0)
		if pos < len(cw) && cw[pos]>>(8-bit)&1 == 1 {
			v = 1
		}
		m[row][col] = v
	}
	utah := func(row, col, pos int) {
		module(row-2, col-2, pos, 1)
		module(row-2, col-1, pos, 2)
		module(row-1, col-2, pos, 3)
		module(row-1, col-1, pos, 4)
		module(row-1, col, pos, 5)
		module(row, col-2, pos, 6)
		module(row, col-1, pos, 7)
		module(row, col, pos, 8)
	}
	corner := func(pos int, cells [8][2]int) {
		for i, rc := range cells {
			module(rc[0], rc[1], pos, i+1)
		}
	}
	pos, row, col := 0, 4, 0
	for {
		if row == nrow && col == 0 {
			corner(pos, [8][2]int{{nrow - 1, 0}, {nrow - 1, 1}, {nrow - 1, 2}, {0, ncol - 2}, {0, ncol - 1}, {1, ncol - 1}, {2, ncol - 1}, {3, ncol - 1}})
			pos++
		}
		if row == nrow-2 && col == 0 && ncol%4 != 0 {
			corner(pos, [8][2]int{{nrow - 3, 0}, {nrow - 2, 0}, {nrow - 1, 0}, {0, ncol - 4}, {0, ncol - 3}, {0, ncol - 2}, {0, ncol - 1}, {1, ncol - 1}})
			pos++
		}
		if row == nrow-2 && col == 0 && ncol%8 == 4 {
			corner(pos, [8][2]int{{nrow - 3, 0}, {nrow - 2, 0}, {nrow - 1, 0}, {0, ncol - 2}, {0, ncol - 1}, {1, ncol - 1}, {2, ncol - 1}, {3, ncol - 1}})
			pos++
		}
		if row == nrow+4 && col == 2 && ncol%8 == 0 {
			corner(pos, [8][2]int{{nrow - 1, 0}, {nrow - 1, ncol - 1}, {0, ncol - 3}, {0, ncol - 2}, {0, ncol - 1}, {1, ncol - 3}, {1, ncol - 2}, {1, ncol - 1}})
			pos++
		}
		for {
			if row < nrow && col >= 0 && m[row][col] == -1 {
				utah(row, col, pos)
				pos++
			}
			row -= 2
			col += 2
			if row < 0 || col >= ncol {
				break
			}
		}
		row++
		col += 3
		for {
			if row >= 0 && col < ncol && m[row][col] == -1 {
				utah(row, col, pos)
				pos++
			}
			row += 2
			col -= 2
			if row >= nrow || col < 0 {
				break
			}
		}
		row += 3
		col++
		if row >= nrow && col >= ncol {
			break
		}
	}
	if m[nrow-1][ncol-1] == -1 {
		m[nrow-1][ncol-1], m[nrow-2][ncol-2] = 1, 1
		m[nrow-1][ncol-2], m[nrow-2][ncol-1] = 0, 0
	}
	return m
}
