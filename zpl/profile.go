package zpl

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/labelagent/labelagent/printer"
)

// Media says how the printer finds the start of the next label.
type Media string

// Media types, as in the printer profile configuration.
const (
	MediaGap        Media = "gap"        // die-cut labels with gaps (^MNY)
	MediaMark       Media = "mark"       // black mark on the back (^MNM)
	MediaContinuous Media = "continuous" // endless media, cut or torn (^MNN)
)

// DefaultDPI is the resolution carrier ZPL is laid out for (8 dots/mm).
const DefaultDPI = 203

// Profile is everything the converters need to know about a printer: its
// resolution, the media in it and how dark to print. Sizes are in dots.
type Profile struct {
	DPI        int    // 152, 203, 300 or 600
	Label      string // the size's name, for messages; "" for a custom size
	WidthDots  int    // print width (^PW)
	HeightDots int    // label length (^LL); 0 on continuous media without a set length
	Media      Media
	Darkness   int  // 1..30 for ~SD; 0 leaves the printer's setting alone
	NoZ64      bool // the printer cannot decode :Z64: graphics
	Raw        bool // the printer takes payloads unchanged (profile language "raw")
	// Graphics is how converted pages travel: ASCII ^GF (the default) or
	// binary ~DY PNG objects.
	Graphics Graphics
	// PageArea is the part of every PDF page printed 1:1 as the label (mm
	// from the page's top left); zero finds the label on a sheet itself.
	PageArea MMRect
	// LineBaud is the rate of the serial line the printer is on; 0 for a
	// fast link (USB, TCP, spooler, file).
	LineBaud int
}

// slowLineBaud is the fastest serial line on which deflate's best level
// pays for itself. On the corpus pages level 9 makes a Z64 label 252-1,196
// bytes (2-6 %) smaller than Z64Level for 4-18 ms more CPU a page
// (BenchmarkSerialLineZ64, docs/benchmarks.md): at 115200 baud the label is
// at the printer 18-91 ms sooner, at 230400 still 6-39 ms, at 460800 it
// is about even.
const slowLineBaud = 230400

// slowLine reports a serial line on which deflate's best level pays.
func (p Profile) slowLine() bool { return p.LineBaud > 0 && p.LineBaud <= slowLineBaud }

// z64Level is the deflate level of this printer's :Z64: graphics.
func (p Profile) z64Level() int {
	if p.slowLine() {
		return 9
	}
	return Z64Level
}

// ParsePageArea reads "X,Y,W,H" (mm from the page's top left; a decimal
// point or comma-free numbers) as a page area.
func ParsePageArea(s string) (MMRect, error) {
	parts := strings.Split(strings.ReplaceAll(s, " ", ""), ",")
	if len(parts) != 4 {
		return MMRect{}, fmt.Errorf("page area %q: write X,Y,W,H in mm from the page's top left, e.g. 172,5,105,200", s)
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil || math.IsNaN(f) || f < 0 || f > 2000 {
			return MMRect{}, fmt.Errorf("page area %q: %q is not a size in mm (0 to 2000)", s, p)
		}
		v[i] = f
	}
	if v[2] < 5 || v[3] < 5 {
		return MMRect{}, fmt.Errorf("page area %q: width and height must be at least 5 mm", s)
	}
	return MMRect{X: v[0], Y: v[1], W: v[2], H: v[3]}, nil
}

// DotsPerMM is the profile's resolution in dots per millimetre.
func (p Profile) DotsPerMM() float64 { return float64(p.DPI) / 25.4 }

// MMToDots converts millimetres to whole dots at the profile's resolution.
func (p Profile) MMToDots(mm float64) int { return MMToDots(mm, p.DPI) }

// MMToDots converts millimetres to whole dots at dpi.
func MMToDots(mm float64, dpi int) int { return int(math.Round(mm * float64(dpi) / 25.4)) }

// String describes the profile for logs and error messages.
func (p Profile) String() string {
	name := p.Label
	if name == "" {
		name = "custom"
	}
	return fmt.Sprintf("%s %dx%d dots at %d dpi, %s media", name, p.WidthDots, p.HeightDots, p.DPI, p.Media)
}

// Validate reports a profile the converters cannot work with.
func (p Profile) Validate() error {
	switch p.DPI {
	case 152, 203, 300, 600:
	default:
		return fmt.Errorf("printer resolution %d dpi is not supported (use 203, 300 or 600)", p.DPI)
	}
	if p.WidthDots <= 0 || p.WidthDots > MaxDots {
		return fmt.Errorf("print width %d dots is outside 1..%d", p.WidthDots, MaxDots)
	}
	if p.HeightDots < 0 || p.HeightDots > MaxDots {
		return fmt.Errorf("label length %d dots is outside 0..%d", p.HeightDots, MaxDots)
	}
	if p.HeightDots == 0 && p.Media != MediaContinuous {
		return fmt.Errorf("label length is missing for %s media", p.Media)
	}
	switch p.Media {
	case MediaGap, MediaMark, MediaContinuous:
	default:
		return fmt.Errorf("media %q: use gap, mark or continuous", p.Media)
	}
	if p.Darkness < 0 || p.Darkness > 30 {
		return fmt.Errorf("darkness %d is outside 0..30", p.Darkness)
	}
	return nil
}

// MaxDots bounds any label dimension (ZPL's ^PW/^LL maximum is 32000).
const MaxDots = 32000

// LabelSize is a named media size. HeightMM is 0 for continuous media.
type LabelSize struct {
	Name       string
	WidthMM    float64
	HeightMM   float64
	Continuous bool
	Note       string
}

// The sizes known by name. DHL print formats from the Parcel DE Shipping v2
// documentation; INTERNETMARKE label-printer formats from the catalog's page
// formats (check ids against the live catalog: they change).
var labelSizes = []LabelSize{
	{Name: "910-300-600", WidthMM: 103, HeightMM: 199, Note: "DHL thermal label"},
	{Name: "910-300-610", WidthMM: 103, HeightMM: 199, Note: "DHL thermal label"},
	{Name: "910-300-400", WidthMM: 103, HeightMM: 150, Note: "DHL thermal label"},
	{Name: "910-300-410", WidthMM: 103, HeightMM: 150, Note: "DHL thermal label"},
	{Name: "910-300-700", WidthMM: 105, HeightMM: 205, Note: "DHL laser sheet label"},
	{Name: "910-300-700-oz", WidthMM: 105, HeightMM: 205, Note: "DHL laser sheet label, no additional labels"},
	{Name: "910-300-710", WidthMM: 105, HeightMM: 208, Note: "DHL laser label"},
	{Name: "910-300-300", WidthMM: 105, HeightMM: 148, Note: "DHL laser label"},
	{Name: "910-300-300-oz", WidthMM: 105, HeightMM: 148, Note: "DHL laser label, no additional labels"},
	{Name: "100x70mm", WidthMM: 100, HeightMM: 70, Note: "DHL label 100 x 70 mm"},
	{Name: "62x100mm", WidthMM: 62, HeightMM: 100, Note: "INTERNETMARKE label printer (format 29, Brother DK-11202)"},
	{Name: "62mm", WidthMM: 62, Continuous: true, Note: "INTERNETMARKE 62 mm continuous (format 25)"},
	{Name: "internetmarke-29", WidthMM: 62, HeightMM: 100, Note: "INTERNETMARKE format 29 with address"},
	{Name: "internetmarke-25", WidthMM: 62, Continuous: true, Note: "INTERNETMARKE format 25, 62 mm continuous with address"},
	{Name: "stamp-35x42mm", WidthMM: 35, HeightMM: 42, Note: "INTERNETMARKE stamp only, small"},
	{Name: "stamp-90x38mm", WidthMM: 90, HeightMM: 38, Note: "INTERNETMARKE stamp only, wide"},
	{Name: "4x6in", WidthMM: 101.6, HeightMM: 152.4, Note: "4 x 6 inch shipping label"},
	{Name: "4x8in", WidthMM: 101.6, HeightMM: 203.2, Note: "4 x 8 inch shipping label"},
	{Name: "a6", WidthMM: 105, HeightMM: 148, Note: "A6"},
}

// LabelSizes lists the sizes known by name.
func LabelSizes() []LabelSize { return slices.Clone(labelSizes) }

// Custom sizes take a decimal point or, as a German reader writes it, a
// decimal comma: 101.6x152.4mm or 101,6x152,4mm.
var customSize = regexp.MustCompile(`^(\d+(?:[.,]\d+)?)\s*[xX×]\s*(\d+(?:[.,]\d+)?)\s*(mm|in)$`)
var customWidth = regexp.MustCompile(`^(\d+(?:[.,]\d+)?)\s*(mm|in)$`)

// decimal reads a number matched by customSize or customWidth.
func decimal(s string) float64 {
	f, _ := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
	return f
}

// LookupSize finds a size by name, or parses a custom "WxHmm", "WxHin" or a
// continuous "Wmm".
func LookupSize(name string) (LabelSize, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for _, s := range labelSizes {
		if s.Name == n {
			return s, nil
		}
	}
	unit := func(u string) float64 {
		if u == "in" {
			return 25.4
		}
		return 1
	}
	if m := customSize.FindStringSubmatch(n); m != nil {
		w, h := decimal(m[1]), decimal(m[2])
		s := LabelSize{Name: n, WidthMM: w * unit(m[3]), HeightMM: h * unit(m[3])}
		if err := s.check(); err != nil {
			return LabelSize{}, err
		}
		return s, nil
	}
	if m := customWidth.FindStringSubmatch(n); m != nil {
		w := decimal(m[1])
		s := LabelSize{Name: n, WidthMM: w * unit(m[2]), Continuous: true}
		if err := s.check(); err != nil {
			return LabelSize{}, err
		}
		return s, nil
	}
	return LabelSize{}, fmt.Errorf("unknown label size %q (use a name such as 910-300-600, 62x100mm, 4x6in, or a custom WIDTHxHEIGHTmm)", name)
}

func (s LabelSize) check() error {
	if s.WidthMM < 5 || s.WidthMM > 250 {
		return fmt.Errorf("label width %.1f mm is outside 5..250 mm", s.WidthMM)
	}
	if !s.Continuous && (s.HeightMM < 5 || s.HeightMM > 1000) {
		return fmt.Errorf("label height %.1f mm is outside 5..1000 mm", s.HeightMM)
	}
	return nil
}

// NewProfile builds a profile for a size at a resolution with default media
// (gap, or continuous for continuous sizes).
func NewProfile(size LabelSize, dpi int) (Profile, error) {
	p := Profile{
		DPI:       dpi,
		Label:     size.Name,
		WidthDots: MMToDots(size.WidthMM, dpi),
		Media:     MediaGap,
	}
	if size.Continuous {
		p.Media = MediaContinuous
	} else {
		p.HeightDots = MMToDots(size.HeightMM, dpi)
	}
	return p, p.Validate()
}

// ProfileFrom turns a printer's configured profile into a Profile. Missing
// values default to 203 dpi, the DHL 910-300-600 label and gap media.
func ProfileFrom(c printer.ProfileConfig) (Profile, error) {
	dpi := c.DPI
	if dpi == 0 {
		dpi = DefaultDPI
	}
	var size LabelSize
	switch {
	case c.WidthMM > 0:
		size = LabelSize{WidthMM: c.WidthMM, HeightMM: c.HeightMM, Continuous: c.HeightMM == 0}
		if err := size.check(); err != nil {
			return Profile{}, fmt.Errorf("printer profile: %w", err)
		}
	case c.Label != "":
		s, err := LookupSize(c.Label)
		if err != nil {
			return Profile{}, fmt.Errorf("printer profile: %w", err)
		}
		size = s
	default:
		size, _ = LookupSize("910-300-600")
	}
	p, err := NewProfile(size, dpi)
	if err != nil {
		return Profile{}, fmt.Errorf("printer profile: %w", err)
	}
	switch strings.ToLower(c.Media) {
	case "":
	case "gap", "web":
		p.Media = MediaGap
	case "mark", "blackmark", "black-mark":
		p.Media = MediaMark
	case "continuous", "endless":
		p.Media = MediaContinuous
	default:
		return Profile{}, fmt.Errorf("printer profile: media %q: use gap, mark or continuous", c.Media)
	}
	p.Darkness = c.Darkness
	p.NoZ64 = c.NoZ64
	p.LineBaud = c.LineBaud
	if p.Graphics, err = ParseGraphics(c.Graphics); err != nil {
		return Profile{}, fmt.Errorf("printer profile: %w", err)
	}
	if p.Graphics == GraphicsPNG && p.NoZ64 {
		return Profile{}, errors.New("printer profile: graphics png needs a Zebra that reads PNG objects; no_z64 says this printer is not one")
	}
	if c.PageArea != "" {
		a, err := ParsePageArea(c.PageArea)
		if err != nil {
			return Profile{}, fmt.Errorf("printer profile: %w", err)
		}
		p.PageArea = a
	}
	switch strings.ToLower(c.Language) {
	case "", "zpl":
	case "raw":
		p.Raw = true
	default:
		return Profile{}, fmt.Errorf("printer profile: language %q: use zpl or raw", c.Language)
	}
	if err := p.Validate(); err != nil {
		return Profile{}, fmt.Errorf("printer profile: %w", err)
	}
	return p, nil
}
