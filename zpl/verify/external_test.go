package verify

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/labelagent/labelagent/zpl/render"
)

// The corpus read by decoders that share no code with the renderer or
// gozxing: zbarimg (zbar-tools: linear symbols and QR) and dmtxread
// (dmtx-utils: DataMatrix). The Makefile installs both for the tests.

type zbarOut struct {
	Sources []struct {
		Indexes []struct {
			Symbols []struct {
				Type      string `xml:"type,attr"`
				Modifiers string `xml:"modifiers,attr"`
				Data      struct {
					Format string `xml:"format,attr"`
					Text   string `xml:",chardata"`
				} `xml:"data"`
			} `xml:"symbol"`
		} `xml:"index"`
	} `xml:"source"`
}

var zbarNames = map[string]string{"CODE-128": "code128", "CODE-39": "code39", "EAN-13": "ean13", "I2/5": "itf", "QR-Code": "qr"}

func zbarRead(t *testing.T, file string) []want {
	out, err := exec.Command("zbarimg", "--xml", "-q", file).Output()
	if err != nil && len(out) == 0 {
		return nil // exit status 4: nothing found
	}
	var z zbarOut
	if err := xml.Unmarshal(out, &z); err != nil {
		t.Fatalf("zbarimg output: %v", err)
	}
	var got []want
	for _, s := range z.Sources {
		for _, i := range s.Indexes {
			for _, sym := range i.Symbols {
				data := []byte(sym.Data.Text)
				if sym.Data.Format == "base64" {
					d, err := base64.StdEncoding.DecodeString(strings.TrimSpace(sym.Data.Text))
					if err != nil {
						t.Fatalf("zbarimg data: %v", err)
					}
					data = d
				}
				got = append(got, want{zbarNames[sym.Type], string(data), strings.Contains(sym.Modifiers, "GS1"), false})
			}
		}
	}
	return got
}

func dmtxRead(t *testing.T, file string) []want {
	// -G29: FNC1 as GS; the codewords tell whether FNC1 comes first.
	out, _ := exec.Command("dmtxread", "-N1", "-m", "20000", "-G29", file).Output()
	if len(out) == 0 {
		return nil
	}
	cw, _ := exec.Command("dmtxread", "-N1", "-m", "20000", "-c", file).Output()
	gs1 := bytes.HasPrefix(cw, []byte("d:232\n"))
	text := string(out)
	if gs1 {
		text = strings.TrimPrefix(text, "\x1d")
	}
	return []want{{"datamatrix", text, gs1, false}}
}

func TestCorpusExternalDecoders(t *testing.T) {
	for _, tool := range []string{"zbarimg", "dmtxread"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (make deps-test installs zbar-tools and dmtx-utils): external decoder test skipped", tool)
		}
	}
	files := corpusFiles(t)
	dir := t.TempDir()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	total, good, noDecoder := 0, 0, 0
	for _, name := range names {
		exp := corpusWant[name]
		labels, err := render.Render(files[name], render.Options{Width: 812, Height: 1624})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var got []want
		for li, l := range labels {
			for bi, b := range l.Barcodes {
				if b.Clipped {
					continue
				}
				file := filepath.Join(dir, name+"-"+string(rune('a'+li))+"-"+string(rune('a'+bi))+".png")
				writeCrop(t, l, b.Bounds, 20, file)
				switch b.Symbology {
				case "datamatrix":
					got = append(got, dmtxRead(t, file)...)
				case "code128", "code39", "ean13", "itf", "qr":
					got = append(got, zbarRead(t, file)...)
				}
			}
		}
		for _, e := range exp {
			if e.clipped {
				continue
			}
			switch e.format {
			case "aztec", "pdf417", "maxicode":
				noDecoder++ // neither tool reads these
				continue
			}
			total++
			if i := indexOf(got, e); i >= 0 {
				good++
				got = append(got[:i], got[i+1:]...)
				continue
			}
			t.Errorf("%s: %s %q (GS1 %v) not read by zbarimg/dmtxread; read %+v", name, e.format, e.text, e.gs1, got)
		}
	}
	t.Logf("corpus, external decoders: %d of %d barcodes decode to the content the guide prescribes (%d of a symbology neither tool reads)", good, total, noDecoder)
}

// writeCrop writes the symbol at r as a PNG with a white quiet zone of
// margin dots (neighbouring fields left out).
func writeCrop(t *testing.T, l *render.Label, r image.Rectangle, margin int, file string) {
	t.Helper()
	g := image.NewGray(image.Rect(0, 0, r.Dx()+2*margin, r.Dy()+2*margin))
	for i := range g.Pix {
		g.Pix[i] = 255
	}
	for y := 0; y < r.Dy(); y++ {
		for x := 0; x < r.Dx(); x++ {
			if l.Image.Black(r.Min.X+x, r.Min.Y+y) {
				g.Pix[(y+margin)*g.Stride+x+margin] = 0
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, g); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}
