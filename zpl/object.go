package zpl

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image/png"
	"io"
	"strconv"
	"strings"

	kzlib "github.com/klauspost/compress/zlib"
)

// Graphics says how a converted page's dots travel to the printer.
type Graphics int

// Graphics modes. GraphicsZ64 (the default) is ASCII (^GFA with :Z64: or
// ACS), which every link and every ZPL printer takes; GraphicsPNG downloads
// each page as a 1-bit PNG in binary with ~DY and prints it with ^IM: a
// quarter fewer bytes than base64 text, for links that carry binary (USB,
// TCP 9100, a raw spooler queue) to printers whose firmware reads PNG
// objects (Zebra firmware X.10 and later), set per printer.
const (
	GraphicsZ64 Graphics = iota
	GraphicsPNG
)

// ParseGraphics reads a profile's graphics setting: "z64" (or "") or "png".
func ParseGraphics(s string) (Graphics, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "z64":
		return GraphicsZ64, nil
	case "png":
		return GraphicsPNG, nil
	}
	return 0, fmt.Errorf("graphics %q: use z64 or png", s)
}

// PNGLevel is the deflate level (klauspost/compress's zlib) of ~DY PNG
// graphics on fast links (USB, TCP, a spooler), chosen by measurement on
// the corpus pages at 203 and 300 dpi (BenchmarkPageDeflate,
// docs/benchmarks.md): 13,966 B a page in 1.35 ms, against the standard
// library's level 7 at 13,747 B in 3.1 ms. On a fast link the 1.6 % more
// bytes take a fraction of the 1.75 ms saved (219 B are 0.2 ms even on USB
// full speed), so the label is at the printer sooner. Slow serial lines
// get level 9 (Profile.slowLine).
const PNGLevel = 8

// pageObject names the stored graphic of a label's page: R: (printer RAM,
// lost at power-off), the same names in every job so printer memory holds
// at most one object per page of the longest job.
func pageObject(page int) string { return fmt.Sprintf("LAPG%04d", page%10000) }

// downloadPNG is the ~DY command that stores png as R:NAME.PNG, the data in
// binary: "~DYR:NAME,B,P,size,,<size bytes>". The printer takes exactly size
// bytes as data, prefixes and flow-control characters included.
func downloadPNG(name string, png []byte) []byte {
	out := make([]byte, 0, len(png)+40)
	out = fmt.Appendf(out, "~DYR:%s,B,P,%d,,", name, len(png))
	return append(out, png...)
}

// EncodePNG writes m as a 1-bit PNG with a two-colour palette, index 0
// white and 1 black (the bitmap's own bits, as in a GRF), at deflate level:
// the smallest form of a label bitmap a Zebra reads through ~DY. Every row
// has filter "none". With greyscale (black is 0) white areas were runs of
// 0xFF broken by each row's filter byte 0; with the palette a white area is
// one run of zeros, which deflate codes in a few bits: 1.5 % fewer bytes on
// the corpus pages at the same level, and no inverting (docs/benchmarks.md).
func EncodePNG(m *Mono, level int) []byte {
	return encodePNG(m, func(w io.Writer) io.WriteCloser {
		zw, err := kzlib.NewWriterLevel(w, level)
		if err != nil {
			panic(err) // only an invalid level fails
		}
		return zw
	})
}

// encodePNG is EncodePNG with the zlib writer compress makes.
func encodePNG(m *Mono, compress func(io.Writer) io.WriteCloser) []byte {
	m.clearPadding()
	rows := make([]byte, (m.Stride+1)*m.H)
	for y := 0; y < m.H; y++ {
		copy(rows[y*(m.Stride+1)+1:], m.Pix[y*m.Stride:(y+1)*m.Stride])
	}
	var idat bytes.Buffer
	idat.Grow(len(rows) / 8)
	zw := compress(&idat)
	_, _ = zw.Write(rows)
	_ = zw.Close()
	out := make([]byte, 0, idat.Len()+72)
	out = append(out, "\x89PNG\r\n\x1a\n"...)
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(m.W))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(m.H))
	ihdr[8], ihdr[9] = 1, 3 // bit depth 1, palette
	out = pngChunk(out, "IHDR", ihdr[:])
	out = pngChunk(out, "PLTE", []byte{0xff, 0xff, 0xff, 0, 0, 0})
	out = pngChunk(out, "IDAT", idat.Bytes())
	return pngChunk(out, "IEND", nil)
}

func pngChunk(out []byte, typ string, data []byte) []byte {
	out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
	start := len(out)
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[start:]))
}

// Object is a file downloaded to the printer with ~DY.
type Object struct {
	Device string // "R:", "E:", …
	Name   string // upper case, without extension
	Ext    string // "PNG", "GRF", "TTF", …
	Data   []byte // the file's bytes (decoded from hex or base64)
	BPR    int    // .GRF: bytes per row
}

// Key is how ^IM and ^XG name the object: "NAME.EXT", the device left out
// (the printer searches its devices).
func (o Object) Key() string { return o.Name + "." + o.Ext }

// ErrObject marks a ~DY command the printer would not store.
var ErrObject = errors.New("~DY")

var dyExt = map[string]string{
	"B": "BMP", "E": "TTE", "G": "GRF", "P": "PNG", "T": "TTF", "X": "PCX",
	"NRD": "NRD", "PAC": "PAC", "C": "WML", "F": "HTM", "H": "GET",
}

// ParseDownload reads a ~DY command ("d:f,b,x,t,w,data") as the ZPL II
// guide defines it: b is the data's format (A: ASCII hex or :B64:/:Z64:,
// B: binary, C: AR-compressed (Zebra's BAR-ONE only), P: PNG as ASCII hex
// or :B64:/:Z64:), x the stored file's extension (G .GRF, P .PNG, …; any
// other value stores .GRF), t the file's size in bytes, w .GRF's bytes per
// row (ignored for PNG). Binary data is c.Data (Tokenize reads exactly t
// bytes); ASCII data ends the command's arguments.
func ParseDownload(c Command) (Object, error) {
	ps := strings.SplitN(c.Args, string(c.Delim), 6)
	if len(ps) < 5 {
		return Object{}, fmt.Errorf("%w: %d parameters, want d:f,b,x,t,w,data", ErrObject, len(ps))
	}
	var o Object
	name := strings.ToUpper(strings.TrimSpace(ps[0]))
	o.Device = "R:"
	if i := strings.IndexByte(name, ':'); i >= 0 {
		o.Device, name = name[:i+1], name[i+1:]
	}
	if i := strings.IndexByte(name, '.'); i >= 0 {
		name = name[:i] // an extension in the name: x decides it
	}
	if name == "" {
		name = "UNKNOWN"
	}
	if len(name) > 16 {
		return Object{}, fmt.Errorf("%w: name %q is longer than 16 characters", ErrObject, name)
	}
	o.Name = name
	format := strings.ToUpper(strings.TrimSpace(ps[1]))
	ext, ok := dyExt[strings.ToUpper(strings.TrimSpace(ps[2]))]
	if !ok {
		ext = "GRF"
	}
	o.Ext = ext
	total, err := strconv.Atoi(strings.TrimSpace(ps[3]))
	if err != nil || total <= 0 {
		return Object{}, fmt.Errorf("%w %s: size %q is not a positive number", ErrObject, o.Key(), ps[3])
	}
	if total > MaxGraphicBytes {
		return Object{}, fmt.Errorf("%w %s: %d bytes: %w", ErrObject, o.Key(), total, ErrGraphicTooLarge)
	}
	o.BPR, _ = strconv.Atoi(strings.TrimSpace(ps[4]))
	var data []byte
	if len(ps) == 6 {
		data = []byte(ps[5])
	}
	switch format {
	case "B":
		if c.Data == nil && len(data) > 0 {
			data = []byte(ps[5])
		} else {
			data = c.Data
		}
		if len(data) != total {
			return Object{}, fmt.Errorf("%w %s: %d of %d bytes arrived", ErrObject, o.Key(), len(data), total)
		}
		o.Data = data
	case "A", "P":
		d := bytes.TrimSpace(data)
		if bytes.HasPrefix(d, []byte(":Z64:")) || bytes.HasPrefix(d, []byte(":B64:")) {
			raw, err := decodeB64Data(d, total)
			if err != nil {
				return Object{}, fmt.Errorf("%w %s: %w", ErrObject, o.Key(), err)
			}
			o.Data = raw
		} else {
			raw := make([]byte, 0, total)
			for i := 0; i+1 < len(d) && len(raw) < total; i += 2 {
				h, ok1 := hexVal(d[i])
				l, ok2 := hexVal(d[i+1])
				if !ok1 || !ok2 {
					return Object{}, fmt.Errorf("%w %s: %q is not hex data", ErrObject, o.Key(), d[i:i+2])
				}
				raw = append(raw, h<<4|l)
			}
			o.Data = raw
		}
		if len(o.Data) != total {
			return Object{}, fmt.Errorf("%w %s: %d of %d bytes in the data", ErrObject, o.Key(), len(o.Data), total)
		}
	case "C":
		return Object{}, fmt.Errorf("%w %s: AR-compressed data (format C) is only for Zebra's BAR-ONE and not read here", ErrObject, o.Key())
	default:
		return Object{}, fmt.Errorf("%w %s: data format %q: use A, B, C or P", ErrObject, o.Key(), format)
	}
	return o, nil
}

// Graphic decodes a stored .GRF or .PNG object as the printer prints it.
// A PNG must be monochrome (bit depth 1, greyscale or a two-colour
// palette), as the ZPL II guide requires of ~DY graphics; its dark
// pixels print.
func (o Object) Graphic() (*Mono, error) {
	switch o.Ext {
	case "GRF":
		if o.BPR <= 0 {
			return nil, fmt.Errorf("%s: bytes per row %d", o.Key(), o.BPR)
		}
		return DecodeGraphic('B', len(o.Data), o.BPR, o.Data)
	case "PNG":
		if err := checkMonoPNG(o.Data); err != nil {
			return nil, fmt.Errorf("%s: %w", o.Key(), err)
		}
		img, err := png.Decode(bytes.NewReader(o.Data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.Key(), err)
		}
		return ToMono(img, 128, false)
	}
	return nil, fmt.Errorf("%s: not a graphic this printer draws", o.Key())
}

// checkMonoPNG reads the IHDR: a monochrome image within MaxImagePixels.
func checkMonoPNG(data []byte) error {
	if len(data) < 33 || string(data[:8]) != "\x89PNG\r\n\x1a\n" || string(data[12:16]) != "IHDR" {
		return errors.New("not a PNG file")
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("PNG: %w", err)
	}
	if cfg.Width > MaxDots || cfg.Height > MaxDots || int64(cfg.Width)*int64(cfg.Height) > MaxImagePixels {
		return fmt.Errorf("PNG of %dx%d pixels: %w", cfg.Width, cfg.Height, ErrGraphicTooLarge)
	}
	depth, ctype := data[24], data[25]
	if depth != 1 || (ctype != 0 && ctype != 3) {
		return fmt.Errorf("PNG with %d-bit colour type %d: the printer takes monochrome (1-bit) PNG graphics only", depth, ctype)
	}
	return nil
}

// pngGraphic is what a page becomes in GraphicsPNG mode: the download to
// send before the label, and the field that prints it.
func pngGraphic(m *Mono, x, y, page int, p Profile) (download, field []byte) {
	name := pageObject(page)
	level := PNGLevel
	if p.slowLine() {
		// klauspost's best level: 4.5 % fewer bytes than PNGLevel, worth
		// its time only where every byte takes long (BenchmarkPageDeflate).
		level = 9
	}
	download = downloadPNG(name, EncodePNG(m, level))
	field = fmt.Appendf(nil, "^FO%d,%d^IMR:%s.PNG^FS", x, y, name)
	return download, field
}
