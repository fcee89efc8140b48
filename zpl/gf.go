package zpl

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	kzlib "github.com/klauspost/compress/zlib"
)

// Encoding is a way to write ^GF graphic data.
type Encoding int

// The ^GFA data encodings. EncodingAuto picks the smallest allowed one.
const (
	EncodingAuto Encoding = iota
	EncodingHex           // plain ASCII hex, two characters per byte
	EncodingACS           // Zebra's alternative compression scheme (run lengths in hex)
	EncodingZ64           // :Z64: zlib + base64 + CRC-16
)

func (e Encoding) String() string {
	switch e {
	case EncodingHex:
		return "hex"
	case EncodingACS:
		return "acs"
	case EncodingZ64:
		return "z64"
	}
	return "auto"
}

// GraphicField returns a complete "^GFA,b,c,d,data" command (without ^FS)
// for m. With EncodingAuto it picks the smallest of ACS and Z64, or ACS
// alone when z64 is false (a printer that cannot decode Z64).
func GraphicField(m *Mono, enc Encoding, z64 bool) []byte {
	return new(deflater).graphicField(m, enc, z64)
}

// deflater keeps one zlib writer per level for the graphics of a label:
// a klauspost writer allocates about a megabyte, and a page's split is
// estimated and encoded with a dozen of them.
type deflater struct {
	w     [10]*kzlib.Writer
	buf   bytes.Buffer
	level int // of the :Z64: data; 0 is Z64Level
}

// deflate compresses pix at level into out (which may be a counter).
func (d *deflater) deflate(out io.Writer, pix []byte, level int) {
	zw := d.w[level]
	if zw == nil {
		var err error
		if zw, err = kzlib.NewWriterLevel(out, level); err != nil {
			panic(err) // only an invalid level fails; the levels used are valid
		}
		d.w[level] = zw
	} else {
		zw.Reset(out)
	}
	_, _ = zw.Write(pix)
	_ = zw.Close()
}

func (d *deflater) graphicField(m *Mono, enc Encoding, z64 bool) []byte {
	m.clearPadding()
	var data []byte
	switch enc {
	case EncodingHex:
		data = encodeHex(m)
	case EncodingACS:
		data = encodeACS(m)
	case EncodingZ64:
		data = d.z64(m.Pix, d.z64Level())
	default:
		// ACS costs a fraction of a millisecond even for a whole page and
		// wins only on tiny or nearly blank graphics; Z64 is encoded once.
		// ACS is counted, only as far as the choice needs, and written
		// only when it is kept.
		if z64 && acsLenUpTo(m, acsOnlyBelow+1) > acsOnlyBelow {
			if z := d.z64(m.Pix, d.z64Level()); acsLenUpTo(m, len(z)+1) > len(z) {
				data = z
			}
		}
		if data == nil {
			data = encodeACS(m)
		}
	}
	total := len(m.Pix)
	out := make([]byte, 0, len(data)+32)
	out = fmt.Appendf(out, "^GFA,%d,%d,%d,", total, total, m.Stride)
	return append(out, data...)
}

const hexDigits = "0123456789ABCDEF"

func encodeHex(m *Mono) []byte {
	out := make([]byte, 0, len(m.Pix)*2+m.H)
	for y := 0; y < m.H; y++ {
		for _, b := range m.Pix[y*m.Stride : (y+1)*m.Stride] {
			out = append(out, hexDigits[b>>4], hexDigits[b&15])
		}
		out = append(out, '\n')
	}
	return out
}

// appendRun writes n repeats of the hex digit c in ACS notation: lowercase
// g..z count 20..400, uppercase G..Y count 1..19, and the counts add up.
func appendRun(out []byte, n int, c byte) []byte {
	if n <= 2 {
		for range n {
			out = append(out, c)
		}
		return out
	}
	for n >= 400 {
		out = append(out, 'z')
		n -= 400
	}
	if n >= 20 {
		out = append(out, byte('g'+n/20-1))
		n %= 20
	}
	if n > 0 {
		out = append(out, byte('G'+n-1))
	}
	return append(out, c)
}

func encodeACS(m *Mono) []byte {
	var out []byte
	nib := make([]byte, m.Stride*2)
	var prev []byte
	for y := 0; y < m.H; y++ {
		row := m.Pix[y*m.Stride : (y+1)*m.Stride]
		if prev != nil && bytes.Equal(row, prev) {
			out = append(out, ':')
			continue
		}
		prev = row
		for i, b := range row {
			nib[2*i], nib[2*i+1] = hexDigits[b>>4], hexDigits[b&15]
		}
		// The row's tail of zeros becomes ',' and of ones '!'.
		end := len(nib)
		for end > 0 && nib[end-1] == '0' {
			end--
		}
		tail := byte(0)
		if end < len(nib) {
			tail = ','
		} else {
			for end > 0 && nib[end-1] == 'F' {
				end--
			}
			if end < len(nib) {
				tail = '!'
			}
		}
		for i := 0; i < end; {
			j := i + 1
			for j < end && nib[j] == nib[i] {
				j++
			}
			out = appendRun(out, j-i, nib[i])
			i = j
		}
		if tail != 0 {
			out = append(out, tail)
		}
	}
	return out
}

// acsOnlyBelow is the ACS size under which Z64 is not tried: zlib's
// header, checksum, base64 and the CRC alone take more than 20 bytes.
const acsOnlyBelow = 24

func (d *deflater) z64Level() int {
	if d.level == 0 {
		return Z64Level
	}
	return d.level
}

// Z64Level is the deflate level of :Z64: graphics (klauspost/compress),
// chosen by measurement on the real carrier labels (BenchmarkZ64Levels,
// docs/benchmarks.md): levels 5 to 8 take 2-6 ms a page, level 9 about
// 25 ms; level 8 gives 2.6 % fewer bytes than 6 and 3.6 % more than 9.
// Level 9's saving is worth its time only on a serial line, where the
// converter uses it (Profile.z64Level).
const Z64Level = 8

// estimateGraphic is about the size of "^FOx,y" + GraphicField(m, enc,
// z64) + "^FS", found cheaply: Z64 is estimated by deflate's fastest level,
// which on label graphics comes out 3-8 % larger than Z64Level.
func (d *deflater) estimateGraphic(m *Mono, enc Encoding, z64 bool) int {
	const header = 32 // ^FOx,y^GFA,n,n,s, … ^FS
	m.clearPadding()
	switch enc {
	case EncodingHex:
		return header + len(m.Pix)*2 + m.H
	case EncodingZ64:
		return header + d.size(m.Pix, 1)*4/3 + 10
	}
	if !z64 {
		return header + acsLen(m)
	}
	// ACS is counted only as far as it could be the smaller.
	if n := acsLenUpTo(m, acsOnlyBelow+1); n <= acsOnlyBelow {
		return header + n
	}
	z := d.size(m.Pix, 1)*4/3 + 10
	return header + min(acsLenUpTo(m, z), z)
}

// size is the length of pix deflated at level.
func (d *deflater) size(pix []byte, level int) int {
	var c countWriter
	d.deflate(&c, pix, level)
	return int(c)
}

type countWriter int

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

func encodeZ64Level(pix []byte, level int) []byte {
	return new(deflater).z64(pix, level)
}

// z64 is pix as ":Z64:" data: deflated at level, base64, CRC.
func (d *deflater) z64(pix []byte, level int) []byte {
	d.buf.Reset()
	d.deflate(&d.buf, pix, level)
	out := make([]byte, 0, 5+base64.StdEncoding.EncodedLen(d.buf.Len())+5)
	out = append(out, ":Z64:"...)
	out = base64.StdEncoding.AppendEncode(out, d.buf.Bytes())
	return fmt.Appendf(out, ":%04X", crc16(out[5:]))
}

// crc16 is the CRC-16/XMODEM (polynomial 0x1021, initial 0) Zebra puts after
// :Z64: and :B64: data, computed over the base64 text a byte at a time.
func crc16(data []byte) uint16 {
	var crc uint16
	for _, b := range data {
		crc = crc<<8 ^ crc16Table[byte(crc>>8)^b]
	}
	return crc
}

// crc16Table is crc16's remainder of each byte value, computed a bit at a
// time once.
var crc16Table = func() (t [256]uint16) {
	for i := range t {
		crc := uint16(i) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
		t[i] = crc
	}
	return t
}()

// ErrGraphicTooLarge is returned for a graphic beyond MaxGraphicBytes or
// MaxDots, declared or after decompression.
var ErrGraphicTooLarge = errors.New("graphic too large")

// DecodeGraphic decodes the data of a ^GF command: format 'A' (hex, ACS or
// :Z64:/:B64:) or 'B' (binary), the declared total byte count and bytes per
// row. The result is bpr*8 dots wide.
func DecodeGraphic(format byte, total, bpr int, data []byte) (*Mono, error) {
	if bpr <= 0 || total <= 0 {
		return nil, fmt.Errorf("graphic: byte count %d and bytes per row %d must be positive", total, bpr)
	}
	if total > MaxGraphicBytes || bpr*8 > MaxDots || (total+bpr-1)/bpr > MaxDots {
		return nil, fmt.Errorf("graphic of %d bytes, %d bytes per row: %w (limit %d bytes, %d dots per side)", total, bpr, ErrGraphicTooLarge, MaxGraphicBytes, MaxDots)
	}
	m, err := NewMono(bpr*8, (total+bpr-1)/bpr)
	if err != nil {
		return nil, fmt.Errorf("graphic: %w: %w", ErrGraphicTooLarge, err)
	}
	switch format {
	case 'A', 'a':
		d := bytes.TrimSpace(data)
		switch {
		case bytes.HasPrefix(d, []byte(":Z64:")), bytes.HasPrefix(d, []byte(":B64:")):
			raw, err := decodeB64Data(d, total)
			if err != nil {
				return nil, err
			}
			copy(m.Pix, raw)
		default:
			if err := decodeACS(m, d); err != nil {
				return nil, err
			}
		}
	case 'B', 'b':
		copy(m.Pix, data)
	default:
		return nil, fmt.Errorf("graphic format %q is not supported (use A or B)", format)
	}
	return m, nil
}

func decodeB64Data(d []byte, total int) ([]byte, error) {
	kind := string(d[1:4])
	body := d[5:]
	var crcText []byte
	if i := bytes.LastIndexByte(body, ':'); i >= 0 {
		body, crcText = body[:i], body[i+1:]
	}
	body = bytes.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, body)
	if len(crcText) > 0 {
		want, err := strconv.ParseUint(strings.TrimSpace(string(crcText)), 16, 16)
		if err != nil {
			return nil, fmt.Errorf("graphic %s: CRC %q is not hex", kind, crcText)
		}
		if got := crc16(body); uint16(want) != got {
			return nil, fmt.Errorf("graphic %s: CRC mismatch (data says %04X, computed %04X): the data is damaged", kind, want, got)
		}
	}
	if base64.StdEncoding.DecodedLen(len(body)) > 2*MaxGraphicBytes {
		return nil, fmt.Errorf("graphic %s: %w", kind, ErrGraphicTooLarge)
	}
	raw, err := base64.StdEncoding.DecodeString(string(body))
	if err != nil {
		raw, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(string(body), "="))
		if err != nil {
			return nil, fmt.Errorf("graphic %s: bad base64: %w", kind, err)
		}
	}
	if kind == "B64" {
		if len(raw) > total {
			return nil, fmt.Errorf("graphic B64: %d bytes but %d declared", len(raw), total)
		}
		return raw, nil
	}
	zr, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("graphic Z64: bad zlib data: %w", err)
	}
	defer zr.Close()
	// Read at most one byte more than declared: a bomb stops here.
	out, err := io.ReadAll(io.LimitReader(zr, int64(total)+1))
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("graphic Z64: bad zlib data: %w", err)
	}
	if len(out) > total {
		return nil, fmt.Errorf("graphic Z64 inflates beyond its declared %d bytes: %w", total, ErrGraphicTooLarge)
	}
	return out, nil
}

func acsCount(c byte) (int, bool) {
	switch {
	case c >= 'G' && c <= 'Y':
		return int(c-'G') + 1, true
	case c >= 'g' && c <= 'z':
		return (int(c-'g') + 1) * 20, true
	}
	return 0, false
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// decodeACS reads plain hex and the alternative compression scheme.
func decodeACS(m *Mono, d []byte) error {
	rowNibs := m.Stride * 2
	row, pos, count := 0, 0, 0
	put := func(v byte) {
		i := row*m.Stride + pos/2
		if pos%2 == 0 {
			m.Pix[i] = v << 4
		} else {
			m.Pix[i] |= v
		}
		pos++
		if pos == rowNibs {
			row, pos = row+1, 0
		}
	}
	fill := func(v byte) {
		for pos != 0 || row < m.H {
			put(v)
			if pos == 0 {
				break
			}
		}
	}
	for _, c := range d {
		if row >= m.H {
			break
		}
		if n, ok := acsCount(c); ok {
			count += n
			if count > len(m.Pix)*2 {
				count = len(m.Pix) * 2
			}
			continue
		}
		if v, ok := hexVal(c); ok {
			n := max(count, 1)
			count = 0
			for range n {
				if row >= m.H {
					break
				}
				put(v)
			}
			continue
		}
		count = 0
		switch c {
		case ',':
			fill(0)
		case '!':
			fill(15)
		case ':':
			if pos != 0 {
				fill(0)
			}
			if row >= m.H {
				break
			}
			if row > 0 {
				copy(m.Pix[row*m.Stride:(row+1)*m.Stride], m.Pix[(row-1)*m.Stride:row*m.Stride])
			}
			row++
		case ' ', '\n', '\r', '\t':
		default:
			return fmt.Errorf("graphic data: unexpected character %q", c)
		}
	}
	return nil
}
