package verify

import (
	"errors"
	"image"
	"testing"

	"github.com/labelagent/labelagent/zpl/render"
)

// One test per preview defect of issue 20, from the ZPL II Programming
// Guide's own examples where it has one. Each barcode is read back with
// gozxing and must carry exactly what the guide says the printer encodes.

func renderOne(t *testing.T, zplText string) *render.Label {
	t.Helper()
	labels, err := render.Render([]byte(zplText), render.Options{Width: 812, Height: 1218})
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) != 1 {
		t.Fatalf("%d labels, want 1", len(labels))
	}
	return labels[0]
}

// readAll decodes every barcode the renderer drew, in drawing order.
func readAll(t *testing.T, l *render.Label) []Symbol {
	t.Helper()
	var out []Symbol
	for _, b := range l.Barcodes {
		var text string
		var gs1, ok bool
		if b.Symbology == "pdf417" {
			t, err := readPDF417(l.Image, b)
			text, ok = t, err == nil
		} else {
			text, gs1, ok = readSymbol(l.Image, b.Bounds, b.Symbology)
		}
		if !ok {
			t.Errorf("%s %q at %v does not decode", b.Symbology, b.Data, b.Bounds)
			continue
		}
		out = append(out, Symbol{Format: b.Symbology, Text: text, GS1: gs1, Bounds: b.Bounds})
	}
	return out
}

func TestGuideBarcodes(t *testing.T) {
	cases := []struct {
		name, zpl string
		format    string
		text      string
		gs1       bool
	}{
		// ^BX with escape character _: _1 first is FNC1 (GS1 DataMatrix),
		// later ones are GS1 separators (USPS IMpb).
		{"GS1 DataMatrix", "^XA^FO50,50^BXN,6,200,,,,_^FD_142098028_19205590303196500000000^FS^XZ",
			"datamatrix", "42098028\x1d9205590303196500000000", true},
		{"DataMatrix without escape keeps _1", "^XA^FO50,50^BXN,6,200^FDA_1B^FS^XZ", "datamatrix", "A_1B", false},
		{"DataMatrix _d escape", "^XA^FO50,50^BXN,6,200,,,,_^FDA_d066C__^FS^XZ", "datamatrix", "ABC_", false},
		// Mode D: FNC1 first; parentheses and spaces for people only; the
		// printer computes the SSCC check digit (the guide's example ends in
		// a placeholder 0).
		{"Code 128 mode D (guide)", "^XA^FO50,200^BCN,150,Y,N,,D^FD(00)10084423 7449200940^FS^XZ",
			"code128", "00100844237449200941", true},
		{"Code 128 mode D, AI 420 then AI 92 separated", "^XA^FO50,200^BCN,150,N,N,,D^FD(420)98028(92)05590303190000000000^FS^XZ",
			"code128", "42098028\x1d9205590303190000000000", true},
		// Mode N with >8: FNC1 first and as separator. In subset C the
		// 19th digit has no partner and is ignored (the guide's example
		// sets e=Y so that the check digit completes the pair, below).
		{"Code 128 >8 (guide, AI 00)", "^XA^FO90,200^BY4^BCN,256,Y,N,N,N^FD>;>80012345123451234512^FS^XZ",
			"code128", "001234512345123451", true},
		{"Code 128 >8 separator", "^XA^FO55,200^BY3^BCN,170,N^FD>;>842098028>89205590303190000000000^FS^XZ",
			"code128", "42098028\x1d9205590303190000000000", true},
		// e=Y: the UCC mod-10 check digit is added (the guide's 20th character).
		{"Code 128 UCC check digit (guide)", "^XA^FO50,200^BY3^BCN,150,Y,N,Y^FD>;>80012345123451234512^FS^XZ",
			"code128", "00123451234512345120", true},
		// Mode U: 19 digits (longer data cut, shorter padded) + mod 10.
		{"Code 128 mode U (guide)", "^XA^FO90,200^BY4^BC,256,Y,N,,U^FD0012345123451234512^FS^XZ",
			"code128", "00123451234512345120", true},
		{"Code 128 mode U cuts to 19", "^XA^FO75,200^BY2^BCN,200,N,N,N,U^FD9632080400200044387502171053828143^FS^XZ",
			"code128", "96320804002000443874", true},
		{"Code 128 mode U pads to 19", "^XA^FO75,200^BY2^BCN,200,N,N,N,U^FD12345^FS^XZ",
			"code128", "12345000000000000007", true},
		// Subsets: the guide's example, C to B to A, A as digit pairs.
		{"Code 128 subsets C, B, A (guide)", "^XA^FO50,50^BY3^BCN,100,Y,N,N^FD>;382436>6CODE128>752375152^FS^XZ",
			"code128", "382436CODE128TEST", false},
		{"Code 128 subset A (guide)", "^XA^FO100,75^BY3^BCN,100,Y,N,N^FD>935473637171824^FS^XZ",
			"code128", "CODE128", false},
		{"Code 128 subset C ignores a letter (guide)", "^XA^FO100,75^BY3^BCN,100,Y,N,N^FD>;38D2436^FS^XZ",
			"code128", "382436", false},
		{"Code 128 subset B default (guide)", "^XA^FO100,75^BCN,100,Y,N,N^FDCODE128^FS^XZ", "code128", "CODE128", false},
		{"Code 128 special characters", "^XA^FO100,75^BCN,100,Y,N,N^FDa><b>0c>=^FS^XZ", "code128", "a^b>c~", false},
		{"Code 128 mode A", "^XA^FO66,792^BY3^BCN,208,N,N,N,A^FD1Z680RA4DL08720000^FS^XZ", "code128", "1Z680RA4DL08720000", false},
		// ^BE: 12 digits; a 13th is replaced by the computed check digit.
		{"EAN-13 with 13 digits", "^XA^FO50,50^BEN,100,Y,N^FD5901234123450^FS^XZ", "ean13", "5901234123457", false},
		{"EAN-13 with 12 digits", "^XA^FO50,50^BEN,100,Y,N^FD590123412345^FS^XZ", "ean13", "5901234123457", false},
		// ^B2 with a Code 128 invocation code in the data (a GLS label).
		{"ITF with >;", "^XA^FO50,50^BY3,2.0,240^B2N,75,N,N,N^FD>;063070246563^FS^XZ", "itf", "063070246563", false},
		{"ITF odd digits get a leading zero", "^XA^FO50,50^BY3^B2N,75,N,N,N^FD12345^FS^XZ", "itf", "012345", false},
		{"EAN-8", "^XA^FO50,50^B8N,100,Y,N^FD1234567^FS^XZ", "ean8", "12345670", false},
		{"UPC-A", "^XA^FO50,50^BUN,100,Y,N,Y^FD07000002198^FS^XZ", "upca", "070000021985", false},
		{"Code 93", "^XA^FO50,50^BY2^BAN,100,Y,N,N^FDCODE93-1^FS^XZ", "code93", "CODE93-1", false},
		{"Code 93 full ASCII", "^XA^FO50,50^BY2^BAN,100,Y,N,N^FDLabel a1^FS^XZ", "code93", "Label a1", false},
		{"Code 39 with check", "^XA^FO50,50^BY2,2.5^B3N,Y,100,N,N^FDCODE39^FS^XZ", "code39", "CODE39W", false},
		// PDF417 read module by module; text sub-modes kept across byte
		// shifts (GS), as on FedEx labels.
		{"PDF417 with GS separators", "^XA^FO50,50^BY2^B7N,8,5^FH^FD5000 S 160th St_1DDes Moines_1D12Z1_1E_04^FS^XZ", "pdf417", "5000 S 160th St\x1dDes Moines\x1d12Z1\x1e\x04", false},
		{"PDF417 turned", "^XA^FO50,50^BY2^B7R,8,5^FDLabel 123 abc^FS^XZ", "pdf417", "Label 123 abc", false},
		{"Aztec", "^XA^FO65,70^BON,5,,23^FDPart:123;Warehouse:BYZA;Position:12-12-1^FS^XZ", "aztec", "Part:123;Warehouse:BYZA;Position:12-12-1", false},
		{"Aztec compact 3 layers", "^XA^FO65,70^BON,5,,103^FDABC^FS^XZ", "aztec", "ABC", false},
		{"Aztec full range 5 layers", "^XA^FO65,70^BON,4,,205^FDABC^FS^XZ", "aztec", "ABC", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := renderOne(t, tc.zpl)
			if len(l.Undrawn) > 0 {
				t.Fatalf("not drawn: %+v", l.Undrawn)
			}
			got := readAll(t, l)
			if len(got) != 1 {
				t.Fatalf("read %+v, want one %s", got, tc.format)
			}
			if got[0].Format != tc.format || got[0].Text != tc.text || got[0].GS1 != tc.gs1 {
				t.Errorf("read %s %q GS1=%v, want %s %q GS1=%v", got[0].Format, got[0].Text, got[0].GS1, tc.format, tc.text, tc.gs1)
			}
			// What the renderer says it drew is what the scanner reads.
			if b := l.Barcodes[0]; b.Data != tc.text || b.GS1 != tc.gs1 {
				t.Errorf("renderer reports %q GS1=%v", b.Data, b.GS1)
			}
			rep, err := CheckLabel(t.Context(), l, nil)
			if err != nil || !rep.OK() {
				t.Errorf("CheckLabel: %v %v", err, rep.Err())
			}
		})
	}
}

// ^BY's ratio sets the wide elements of ITF and Code 39.
func TestByRatioWidensITFAndCode39(t *testing.T) {
	width := func(zplText string) int {
		l := renderOne(t, zplText)
		readAll(t, l)
		return l.Barcodes[0].Bounds.Dx()
	}
	// ITF, 12 digits, narrow 3: start 4n, per digit 2 wide + 3 narrow, stop w+2n.
	for _, tc := range []struct {
		ratio string
		want  int
	}{{"2.0", 4*3 + 12*(2*6+3*3) + 6 + 3 + 3}, {"3.0", 4*3 + 12*(2*9+3*3) + 9 + 3 + 3}, {"2.5", 4*3 + 12*(2*7+3*3) + 7 + 3 + 3}} {
		if got := width("^XA^FO50,50^BY3," + tc.ratio + "^B2N,75,N,N,N^FD063070246563^FS^XZ"); got != tc.want {
			t.Errorf("ITF at ratio %s: %d dots wide, want %d", tc.ratio, got, tc.want)
		}
	}
	// Code 39 "*A*": 3 characters of 3 wide + 6 narrow, 2 gaps.
	for _, tc := range []struct {
		ratio string
		want  int
	}{{"2.0", 3*(3*4+6*2) + 2*2}, {"3.0", 3*(3*6+6*2) + 2*2}} {
		if got := width("^XA^FO50,50^BY2," + tc.ratio + "^B3N,N,100,N,N^FDA^FS^XZ"); got != tc.want {
			t.Errorf("Code 39 at ratio %s: %d dots wide, want %d", tc.ratio, got, tc.want)
		}
	}
}

// A ^FT origin is fixed to the field: the bottom left of the bars, the
// field turning around it (R, I, B), unlike ^FO, the top left of the turned
// field.
func TestFieldTypesetRotation(t *testing.T) {
	const h = 80
	for _, tc := range []struct {
		orient byte
		want   func(w int) image.Rectangle
	}{
		{'N', func(w int) image.Rectangle { return image.Rect(300, 400-h, 300+w, 400) }},
		{'R', func(w int) image.Rectangle { return image.Rect(300, 400, 300+h, 400+w) }},
		{'I', func(w int) image.Rectangle { return image.Rect(300-w, 400, 300, 400+h) }},
		{'B', func(w int) image.Rectangle { return image.Rect(300-h, 400-w, 300, 400) }},
	} {
		t.Run(string(tc.orient), func(t *testing.T) {
			l := renderOne(t, "^XA^FT300,400^BY2^BC"+string(tc.orient)+",80,N,N^FDJJD00123^FS^XZ")
			got := readAll(t, l)
			if len(got) != 1 || got[0].Text != "JJD00123" {
				t.Fatalf("read %+v", got)
			}
			b := l.Barcodes[0].Bounds
			w := max(b.Dx(), b.Dy())
			if want := tc.want(w); b != want {
				t.Errorf("^FT300,400 %c: drawn at %v, want %v", tc.orient, b, want)
			}
		})
	}
	// ^FO: the turned field's top left, whatever the rotation.
	for _, o := range "NRIB" {
		l := renderOne(t, "^XA^FO300,400^BY2^BC"+string(o)+",80,N,N^FDJJD00123^FS^XZ")
		if b := l.Barcodes[0].Bounds; b.Min != image.Pt(300, 400) {
			t.Errorf("^FO300,400 %c: drawn at %v, want its top left at 300,400", o, b)
		}
	}
}

// Text with ^FT turns around the start of its baseline.
func TestFieldTypesetRotatedText(t *testing.T) {
	l := renderOne(t, "^XA^FT400,400^A0R,40,40^FDHELLO^FS^XZ")
	// R: letters go down from the origin, their tops to the right of it.
	ink := func(r image.Rectangle) int {
		n := 0
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if l.Image.Black(x, y) {
					n++
				}
			}
		}
		return n
	}
	if ink(image.Rect(400, 400, 440, 520)) < 200 {
		t.Error("no text right of and below the ^FT origin for R")
	}
	if ink(image.Rect(340, 300, 400, 400)) > 0 || ink(image.Rect(400, 300, 460, 398)) > 0 {
		t.Error("text drawn above or left of the ^FT origin for R")
	}
}

func TestMaxiCodeIsDrawn(t *testing.T) {
	l := renderOne(t, "^XA^FO20,431^CVY^BD3^FH_^FD4030405000  [)>_1E01_1D961Z08720000_1DUPSN_1D680RA4_1D051_1D_1D1/1_1D1_1DN_1D_1DHALLEIN_1D_1E_04^FS^XZ")
	if len(l.Undrawn) > 0 || len(l.Barcodes) != 1 || l.Barcodes[0].Symbology != "maxicode" {
		t.Fatalf("barcodes %+v, undrawn %+v", l.Barcodes, l.Undrawn)
	}
	b := l.Barcodes[0].Bounds
	// 28.14 mm x 26.91 mm at 8 dots/mm.
	if b.Dx() < 215 || b.Dx() > 235 || b.Dy() < 205 || b.Dy() > 225 {
		t.Errorf("MaxiCode is %dx%d dots, want about 225x215", b.Dx(), b.Dy())
	}
	black := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if l.Image.Black(x, y) {
				black++
			}
		}
	}
	if black < b.Dx()*b.Dy()/5 {
		t.Errorf("only %d dark dots in the MaxiCode", black)
	}
	rep, err := CheckLabel(t.Context(), l, nil)
	if err != nil || !rep.OK() || len(rep.Unverified) != 1 {
		t.Errorf("MaxiCode: %v %v, unverified %v", err, rep.Err(), rep.Unverified)
	}
	// A mode 3 message without the primary message cannot be drawn.
	l = renderOne(t, "^XA^FO20,20^BD3^FDno header^FS^XZ")
	if len(l.Undrawn) != 1 {
		t.Errorf("undrawn %+v", l.Undrawn)
	}
}

// ^DF stores a format in the printer's memory instead of printing it, ^XF
// recalls it, and the recalling format's ^FN fields fill its fields.
func TestStoredFormats(t *testing.T) {
	job := "^XA^DFR:SHIP.ZPL^FS^PW600^LL400" +
		"^FO20,20^BY2^BCN,80,N,N^FN1^FS" +
		"^FO20,150^A0N,30,30^FN2^FDdefault^FS" +
		"^FO20,250^BXN,5,200^FN3^FS^XZ" +
		"^XA^XFR:SHIP.ZPL^FS^FN1^FDJJD0001^FS^FN3^FDDM-3^FS^XZ" +
		"^XA^XFSHIP^FS^FN1^FDJJD0002^FS^FN2^FDsecond^FS^XZ"
	labels, err := render.Render([]byte(job), render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) != 2 {
		t.Fatalf("%d labels, want 2 (the ^DF format does not print)", len(labels))
	}
	for i, want := range [][]string{{"JJD0001", "DM-3"}, {"JJD0002"}} {
		l := labels[i]
		if l.Image.W != 600 || l.Image.H != 400 {
			t.Errorf("label %d is %dx%d, want the format's 600x400", i+1, l.Image.W, l.Image.H)
		}
		got := readAll(t, l)
		if len(got) != len(want) {
			t.Fatalf("label %d: read %+v, want %q", i+1, got, want)
		}
		for j := range want {
			if got[j].Text != want[j] {
				t.Errorf("label %d: %q, want %q", i+1, got[j].Text, want[j])
			}
		}
		if len(l.Warnings) > 0 {
			t.Errorf("label %d warnings: %q", i+1, l.Warnings)
		}
	}
	// The stored text field: its default, or the recalled value.
	if inkIn(labels[0].Image, image.Rect(20, 150, 300, 185)) == 0 || inkIn(labels[1].Image, image.Rect(20, 150, 300, 185)) == 0 {
		t.Error("^FN2 text not drawn")
	}
	// A format stored on the printer, not in the job: cannot be checked.
	l := renderOne(t, "^XA^XFE:OTHER.ZPL^FS^FN1^FDx^FS^XZ")
	rep, err := CheckLabel(t.Context(), l, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || !errors.Is(rep.Err(), ErrNotDrawn) {
		t.Errorf("recall of an absent format verified: %v", rep.Err())
	}
}

func inkIn(m interface{ Black(x, y int) bool }, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if m.Black(x, y) {
				n++
			}
		}
	}
	return n
}

// A barcode command the preview cannot draw fails verification.
func TestUndrawnBarcodeFailsVerify(t *testing.T) {
	l := renderOne(t, "^XA^FO50,50^B1N,N,100,Y,N^FD0123-4^FS^FO50,300^BCN,80^FDOK^FS^XZ")
	if len(l.Undrawn) != 1 || l.Undrawn[0].Command != "^B1" {
		t.Fatalf("undrawn %+v", l.Undrawn)
	}
	if len(l.Warnings) == 0 {
		t.Error("no warning for the undrawn barcode")
	}
	rep, err := CheckLabel(t.Context(), l, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || !errors.Is(rep.Err(), ErrNotDrawn) {
		t.Errorf("a label with an undrawn barcode verified: %v", rep.Err())
	}
}

// ^SN: the first label carries the starting value.
func TestSerializedBarcode(t *testing.T) {
	l := renderOne(t, "^XA^FO50,50^BY2^BCN,80,N^SN000123,1,Y^FS^XZ")
	got := readAll(t, l)
	if len(got) != 1 || got[0].Text != "000123" {
		t.Errorf("read %+v", got)
	}
}
