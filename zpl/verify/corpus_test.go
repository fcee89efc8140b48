package verify

import (
	"context"
	"errors"
	"image"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/labelagent/labelagent/zpl/render"
)

// corpusDir is the shared sample of real labels, beside the repository as
// in CI.
const corpusDir = "../../../shared/corpus/zpl"

// want is a barcode the ZPL II Programming Guide says the printer encodes:
// its symbology, its content as a scanner reports it (GS = FNC1 separator)
// and whether it is GS1 (FNC1 in first position).
type want struct {
	format  string
	text    string
	gs1     bool
	clipped bool // off the label on the printer: must be reported cut, cannot decode
}

const gsSep = "\x1d"

// corpusWant lists every barcode of every corpus label with the content the
// guide prescribes. Where the reference renderer disagrees (README of the
// corpus), the guide decides: mode D/U and >8 are FNC1 (GS1), ^BE recomputes
// the check digit from 12 digits, mode U keeps 19 digits plus a mod-10 check.
var corpusWant = map[string][]want{
	"amazon": {
		{"code39", "1AAAAAAA", false, false},
		// ^BC…,Y,N: the UCC mod-10 digit applies to numeric data only. Mode N
		// without a start code is subset B: 765 dots from x=145 run off the
		// 812-dot label.
		{"code128", "AMZNCC00000010000000", false, true},
	},
	"aztec_ec": {
		{"aztec", "Part:123;Warehouse:BYZA;Position:12-12-1", false, false},
		// ^LL320: the other three start at y=250, 450 and 700.
		{"aztec", "Part:123;Warehouse:BYZA;Position:12-12-1", false, true},
		{"aztec", "Part:123;Warehouse:BYZA;Position:12-12-1", false, true},
		{"aztec", "Part:123;Warehouse:BYZA;Position:12-12-1", false, true},
	},
	// Mode A reads the data as ASCII: ">;" is two characters there.
	"barcode128_mode_a": {{"code128", ">;9632080400200044387502171053828143", false, false}},
	"barcode128_mode_d": {{"code128", "9632080400200044387502171053828143", true, false}},
	"barcode128_mode_u": {{"code128", "96320804002000443874", true, false}},
	"dhlpaket": {
		{"code128", "40327660015+99000942000000", true, false},
		{"code128", "222200000000000000", true, false},
	},
	"ean13": {
		{"ean13", "1234567890128", false, false}, {"ean13", "1234567890128", false, false}, {"ean13", "1234567890128", false, false},
		{"ean13", "5901234123457", false, false}, {"ean13", "5901234123457", false, false}, {"ean13", "5901234123457", false, false},
		{"ean13", "9780201379341", false, false}, {"ean13", "9780201379341", false, false}, {"ean13", "9780201379341", false, false},
		{"ean13", "5901234123983", false, false}, {"ean13", "5901234123983", false, false}, {"ean13", "5901234123983", false, false},
	},
	"fedex": {
		{"code128", "9632080400200044387500271053820000", false, false},
		{"pdf417", "[)>\x1e01\x1d0211111\x1d840\x1d804\x1d271053820000\x1dFDEG\x1d200044387\x1d047\x1d\x1d1/1\x1d0.23LB\x1dN\x1d5000 S 160th St\x1dDes Moines\x1dWA\x1dTest Receiver\x1e06\x1d10ZGH007\x1d12Z13602284998\x1d20Z\x1c\x1d31Z9632080400200044387500271053820000\x1d9K23414445\x1d\x1e\x04", false, false},
	},
	"glsdk_return": {
		{"itf", "063070246563", false, false},
		{"datamatrix", "ADK0063DK00262080000075208a15e1qVYOD3VO5SBBd         1   218S2500   0001000100106307024656                                 ", false, false},
		{"datamatrix", "A|Ingrid Tester|Per frediks allee 21|Copenhagen||||                                                              ", false, false},
	},
	"jcpenney": {
		{"code128", "42077082", true, false},
		{"code128", "00000280280000000680", true, false},
	},
	"return_qrcode": {{"qr", "https://system.com/#0000000000:test@ingrid.com:merchant?languageCode=no", false, false}},
	"ups": {
		{"code128", "4210405000", false, false},
		{"code128", "1Z680RA4DL08720000", false, false},
		{"maxicode", "", false, false},
	},
	"usps": {
		{"code128", "42098028" + gsSep + "9205590303190000000000", true, false},
		{"datamatrix", "42098028" + gsSep + "9205590303196500000000", true, false},
		{"datamatrix", "42098028" + gsSep + "9205590303196500000000", true, false},
	},
}

// corpusScanned are barcodes drawn with boxes rather than a barcode
// command: they are found by scanning the part of the label they are on.
var corpusScanned = map[string][]want{
	"dhlparceluk": {{"code128", "AGL55655500001868043001", false, false}},
}

// corpusScanArea is where on the label the scanned barcodes are (the whole
// label works too, but costs a second of scanning).
var corpusScanArea = map[string]image.Rectangle{"dhlparceluk": image.Rect(0, 170, 260, 1040)}

func corpusFiles(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(corpusDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".zpl") {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[strings.TrimSuffix(filepath.Base(p), ".zpl")] = b
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("the shared label corpus is absent (%s): golden corpus tests skipped", corpusDir)
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// readSymbol decodes one drawn barcode with gozxing, GS1-aware.
func readSymbol(img image.Image, bounds image.Rectangle, format string) (text string, gs1 bool, ok bool) {
	bmp, err := bitmap(gray(img, bounds.Inset(-4), 20))
	if err != nil {
		return "", false, false
	}
	for _, r := range readersFor(format) {
		res, err := decode(r.r, bmp)
		if err != nil {
			continue
		}
		s := symbol(res, bounds)
		return s.Text, s.GS1, true
	}
	return "", false, false
}

// TestCorpusBarcodesDecodeAsPrescribed renders every corpus label and reads
// each barcode back: it must carry what the guide says the printer
// encodes, GS1 structure included.
func TestCorpusBarcodesDecodeAsPrescribed(t *testing.T) {
	files := corpusFiles(t)
	total, good, offLabel, drawnOnly := 0, 0, 0, 0
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		exp, ok := corpusWant[name]
		scanned := corpusScanned[name]
		if !ok && len(scanned) == 0 {
			t.Errorf("%s: corpus label without expectations in corpusWant", name)
			continue
		}
		labels, err := render.Render(files[name], render.Options{Width: 812, Height: 1624})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			total += len(exp)
			continue
		}
		var got []want
		clipped := 0
		for _, l := range labels {
			if len(scanned) > 0 {
				found, err := Scan(context.Background(), l.Image.Crop(corpusScanArea[name]))
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range found {
					got = append(got, want{f.Format, f.Text, false, false})
				}
				exp = scanned
			}
			for _, b := range l.Barcodes {
				if b.Clipped {
					got = append(got, want{b.Symbology, b.Data, b.GS1, true})
					clipped++
					continue
				}
				if unreadable[b.Symbology] {
					got = append(got, want{b.Symbology, "", false, false})
					continue
				}
				var text string
				var gs1, ok bool
				if b.Symbology == "pdf417" {
					t, err := readPDF417(l.Image, b)
					text, ok = t, err == nil
				} else {
					text, gs1, ok = readSymbol(l.Image, b.Bounds, b.Symbology)
				}
				if !ok {
					t.Logf("%s: %s %q drawn at %v does not decode", name, b.Symbology, b.Data, b.Bounds)
					continue
				}
				got = append(got, want{b.Symbology, text, gs1, false})
			}
		}
		for _, e := range exp {
			total++
			if e.clipped {
				offLabel++
			}
			i := indexOf(got, e)
			if i < 0 {
				t.Errorf("%s: %s %q (GS1 %v) not read from the preview; read: %+v", name, e.format, e.text, e.gs1, got)
				continue
			}
			switch {
			case e.clipped:
			case unreadable[e.format]:
				drawnOnly++
			default:
				good++
			}
			got = append(got[:i], got[i+1:]...)
		}
		if len(got) > 0 {
			t.Errorf("%s: barcodes nobody asked for: %+v", name, got)
		}
	}
	t.Logf("corpus: of %d barcodes, %d decode (gozxing; PDF417 module by module) to the content the guide prescribes, %d are drawn that no reader here reads (MaxiCode), %d are off the label as on the printer and reported cut", total, good, drawnOnly, offLabel)
}

func indexOf(got []want, e want) int {
	for i, g := range got {
		if g == e {
			return i
		}
	}
	return -1
}
