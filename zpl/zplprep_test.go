package zpl

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/labelagent/labelagent/printer"
)

// dhlStyleZPL looks like DHL's 203 dpi ZPL: no ^PW/^LL/^MN, font 0 text,
// a ^GFA name bitmap, Code 128 in mode D, a PDF417 and boxes.
const dhlStyleZPL = "^XA\n^CI28\n^FO20,20^GB783,1550,3^FS\n^FO40,40^A0N,40,40^FDDHL PAKET^FS\n" +
	"^FO40,100^ADN,18,10^FDVon: Beispiel GmbH^FS\n" +
	"^FO40,140^GFA,16,16,2,FFFF8001800180018001800180018001FFFF^FS\n" +
	"^FO60,400^BY2,3,120^BCN,120,Y,N,N,D^FD(00)340434161094042557^FS\n" +
	"^FO60,700^BY2^B7N,6,3,10,20,N^FDDHL 00340434161094042557^FS\n" +
	"^FO500,100^FB250,3,4,L,0^A0N,24,24^FH^FDM_c3_bcller_0AStra_c3_9fe 1^FS\n" +
	"^XZ\n"

func TestTokenize(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // Code + "|" + Args
	}{
		{"basic", "^XA^FO10,20^FDHi^FS^XZ", []string{"^XA|", "^FO|10,20", "^FD|Hi", "^FS|", "^XZ|"}},
		{"font command", "^A0N,30,20^ADN", []string{"^A|0N,30,20", "^A|DN"}},
		{"newlines dropped", "^XA\r\n^FO1\n0,2^FS\n", []string{"^XA|", "^FO|10,2", "^FS|"}},
		{"lower case", "^xa^fo1,2^xz", []string{"^XA|", "^FO|1,2", "^XZ|"}},
		{"tilde", "~SD20^XA~JA^XZ", []string{"~SD|20", "^XA|", "~JA|", "^XZ|"}},
		{"caret change", "^XA^CC+^FO1,2+FO3,4+FDx+XZ", []string{"^XA|", "^CC|+", "^FO|3,4", "^FD|x", "^XZ|"}},
		{"tilde change", "^CT#~X#JA", []string{"^CT|#", "~JA|"}},
		{"delimiter change", "^CD;^FO1;2", []string{"^CD|;", "^FO|1;2"}},
		{"binary graphic", "^GFB,2,2,1,^^^FS", []string{"^GF|B,2,2,1,", "^FS|"}},
		{"text before first command", "hello^XA", []string{"^XA|"}},
		{"truncated", "^XA^F", []string{"^XA|", "^F|"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmds, err := Tokenize([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range cmds {
				got = append(got, c.Code()+"|"+c.Args)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Fatalf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
	cmds, _ := Tokenize([]byte("^GFB,2,2,1,^^^FS"))
	if string(cmds[0].Data) != "^^" {
		t.Fatalf("binary data = %q", cmds[0].Data)
	}
	if cmds, _ := Tokenize([]byte("^CD;^FO1;2")); cmds[1].IntParam(1, 0) != 2 {
		t.Fatal("changed delimiter not used for parameters")
	}
}

func TestFieldText(t *testing.T) {
	tests := []struct {
		data string
		hex  byte
		ci   int
		want string
	}{
		{"M_c3_bcller", '_', 28, "Müller"},
		{"M_FCller", '_', 0, "Müller"},
		{"_80 5", '_', 27, "€ 5"},
		{"a_zz_", '_', 28, "a_zz_"},
		{"no hex", 0, 28, "no hex"},
		{"Stra\xdfe", 0, 0, "Straße"},
	}
	for _, tt := range tests {
		if got := FieldText(tt.data, tt.hex, tt.ci); got != tt.want {
			t.Errorf("FieldText(%q, %q, %d) = %q, want %q", tt.data, tt.hex, tt.ci, got, tt.want)
		}
	}
}

func TestPrepareZPLCompletesLabels(t *testing.T) {
	p, _ := ProfileFrom(printer.ProfileConfig{})
	out, err := PrepareZPL([]byte(dhlStyleZPL+dhlStyleZPL), p, 0)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(out, []byte("^XA\n^PW823^LL1590^MNY^CI28")); n != 2 {
		t.Fatalf("^PW/^LL/^MN added %d times, want 2:\n%s", n, out)
	}
	// Present values are kept, missing ones added.
	out, _ = PrepareZPL([]byte("^XA^PW823^FO1,1^FDx^FS^XZ"), p, 0)
	if string(out) != "^XA^LL1590^MNY^PW823^FO1,1^FDx^FS^XZ" {
		t.Fatalf("got %s", out)
	}
	// Darkness from the profile, unless the job sets its own.
	dark, _ := ProfileFrom(printer.ProfileConfig{Darkness: 25})
	if out, _ := PrepareZPL([]byte("^XA^FDx^FS^XZ"), dark, 0); !bytes.HasPrefix(out, []byte("~SD25^XA")) {
		t.Errorf("darkness not set: %s", out)
	}
	if out, _ := PrepareZPL([]byte("^XA^MD5^FDx^FS^XZ"), dark, 0); bytes.Contains(out, []byte("~SD")) {
		t.Errorf("darkness overrides the job's ^MD: %s", out)
	}
	golden(t, "dhl-203.zpl", mustPrepare(t, dhlStyleZPL, 203))
	golden(t, "dhl-600.zpl", mustPrepare(t, dhlStyleZPL, 600))
}

func mustPrepare(t *testing.T, src string, dpi int) []byte {
	t.Helper()
	p, err := ProfileFrom(printer.ProfileConfig{DPI: dpi})
	if err != nil {
		t.Fatal(err)
	}
	out, err := PrepareZPL([]byte(src), p, 0)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestConvertDPI(t *testing.T) {
	out, err := ConvertDPI([]byte(dhlStyleZPL), 203, 600, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"^FO59,59^GB2314,4581,9^FS", // box: coordinates, size and line width
		"^A0N,118,118",              // scalable font
		"^A0N,53,30",                // bitmap font D 18x10 becomes font 0 at 3x
		"^BY6,3,355",                // module 2 -> 6 (2.96 exact, 1.5% off), height scaled
		"^BCN,355,Y,N,N,D",          // mode D kept
		"^B7N,18,3,10,20,N",         // PDF417 row height
		"^FB739,3,12,L,0",           // field block width and spacing
		"^FDM_c3_bcller_0AStra_c3_9fe 1^FS",
	} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("600 dpi output lacks %q", want)
		}
	}
	// The bitmap is three times larger and still a frame.
	cmds, _ := Tokenize(out)
	for _, c := range cmds {
		if c.Name == "GF" {
			m, err := decodeGFCommand(c)
			if err != nil {
				t.Fatal(err)
			}
			tr, _ := m.Trim()
			if tr.W < 46 || tr.W > 48 || tr.H < 23 || tr.H > 25 || !m.Black(tr.W/2, 0) || m.Black(tr.W/2, tr.H/2) {
				t.Errorf("scaled 16x8 frame is %dx%d, want a 47x24 frame", tr.W, tr.H)
			}
		}
	}

	// 203 -> 300: a 2-dot module becomes 3 (1.5% off): fine; 3 dots would be
	// 4.43 and is refused rather than printed at the wrong size.
	if _, err := ConvertDPI([]byte("^XA^BY2^BCN,100^FD123^FS^XZ"), 203, 300, true); err != nil {
		t.Errorf("module 2 at 300 dpi: %v", err)
	}
	_, err = ConvertDPI([]byte("^XA^BY3^BCN,100^FD123^FS^XZ"), 203, 300, true)
	if !errors.Is(err, ErrInexactDPI) {
		t.Fatalf("module 3 at 300 dpi: err = %v, want ErrInexactDPI", err)
	}
	t.Log(err)
	for _, bad := range []string{"^XA^MUm^FO1,1^XZ", "^XA^FO1,1^XGR:LOGO.GRF,1,1^FS^XZ", "^XA^QQ5^XZ", "^XA^BXN,,200^FDx^FS^XZ"} {
		if _, err := ConvertDPI([]byte(bad), 203, 300, true); !errors.Is(err, ErrInexactDPI) {
			t.Errorf("%s: err = %v, want ErrInexactDPI", bad, err)
		}
	}
	// A graphic downloaded in the same job is scaled with its ^XG.
	dg := "~DGR:LOGO.GRF,4,2,FFFF8001^XA^FO1,1^XGR:LOGO.GRF,1,1^FS^XZ"
	if out, err := ConvertDPI([]byte(dg), 203, 600, true); err != nil || !bytes.Contains(out, []byte("~DGR:LOGO.GRF,")) {
		t.Fatalf("~DG: %v\n%s", err, out)
	}
}
