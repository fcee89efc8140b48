package zpl

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"image/png"
)

// Input limits: the one set the agent checks at submission (CheckInput) and
// the converter enforces again when it converts, so a job that is accepted
// can be converted. A label never needs more: a 600 dpi 4 x 8 inch page is
// 2400 x 4800 = 11.5 million pixels.
const (
	// MaxInputBytes bounds a ZPL, PDF or PNG job.
	MaxInputBytes = 32 << 20
	// MaxImagePixels bounds a PNG's pixels and a rendered PDF page,
	// checked from the PNG header before decoding.
	MaxImagePixels = 16_000_000
	// MaxDecodedBytes bounds the memory a PNG takes once decoded (pixels
	// times bytes per pixel: 1 for grey or palette, 2 for 16-bit grey, 4
	// for colour, 8 for 16-bit colour), so one conversion's memory stays
	// bounded whatever the bit depth.
	MaxDecodedBytes = 32 << 20
	// MaxPDFPages bounds the pages converted from one PDF.
	MaxPDFPages = 50
)

// ErrInputTooLarge is returned for input beyond the fixed limits.
var ErrInputTooLarge = errors.New("input too large")

// ErrUnterminated marks ZPL whose last label format has no ^XZ: the data
// was probably cut off, and a printer would wait for the rest forever.
var ErrUnterminated = errors.New("ZPL label format without ^XZ")

// CheckInput refuses a job the converter would refuse, cheaply and before
// anything is queued: kind is "zpl", "pdf", "png" or "raw" (raw is not
// converted and has no limits here). PDFs are parsed (page count), PNGs
// only read to their header.
func CheckInput(kind string, data []byte) error {
	if kind != KindRaw && len(data) > MaxInputBytes {
		return fmt.Errorf("%s of %d bytes: %w (limit %d)", kind, len(data), ErrInputTooLarge, MaxInputBytes)
	}
	switch kind {
	case KindPNG:
		return checkPNG(data)
	case KindPDF:
		_, err := PDFPages(data)
		return err
	case KindZPL:
		return CheckTerminated(data)
	}
	return nil
}

// checkPNG reads a PNG's header and refuses it when decoding it would take
// more memory than the limits allow.
func checkPNG(data []byte) error {
	if len(data) > MaxInputBytes {
		return fmt.Errorf("PNG of %d bytes: %w (limit %d)", len(data), ErrInputTooLarge, MaxInputBytes)
	}
	if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		return errors.New("not a PNG image (the file does not start with the PNG signature)")
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("not a PNG image (its header cannot be read: %w)", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxDots || cfg.Height > MaxDots ||
		int64(cfg.Width)*int64(cfg.Height) > MaxImagePixels {
		return fmt.Errorf("PNG of %dx%d pixels: %w (limit %d pixels, %d per side)", cfg.Width, cfg.Height, ErrInputTooLarge, MaxImagePixels, MaxDots)
	}
	bpp := decodedBytesPerPixel(cfg.ColorModel)
	if need := int64(cfg.Width) * int64(cfg.Height) * bpp; need > MaxDecodedBytes {
		return fmt.Errorf("PNG of %dx%d pixels at %d bytes per pixel needs %d MiB to decode: %w (limit %d MiB; send it with 8 bits per channel, in grey, or smaller)",
			cfg.Width, cfg.Height, bpp, need>>20, ErrInputTooLarge, MaxDecodedBytes>>20)
	}
	return nil
}

// decodedBytesPerPixel is what image/png allocates per pixel for a colour
// model.
func decodedBytesPerPixel(m color.Model) int64 {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 4
}

// CheckTerminated refuses ZPL whose last ^XA has no ^XZ after it. Control
// commands (~) and data after the last ^XZ are fine.
func CheckTerminated(data []byte) error {
	last := lastCommand(data, "XA")
	if last < 0 {
		return nil
	}
	if lastCommand(data[last:], "XZ") < 0 {
		return fmt.Errorf("%w: the label that starts at byte %d does not end (the data may be cut off); add ^XZ or send the whole label", ErrUnterminated, last)
	}
	return nil
}

// lastCommand finds the last ^cmd (either case) in data, or -1.
// Binary data (~DY, ^GFB) is skipped, so it is read from the front.
func lastCommand(data []byte, cmd string) int {
	last := -1
	for i := indexCommand(data, 0, cmd); i >= 0; i = indexCommand(data, i+3, cmd) {
		last = i
	}
	return last
}

func upperASCII(b byte) byte {
	if b >= 'a' && b <= 'z' {
		return b - 'a' + 'A'
	}
	return b
}
