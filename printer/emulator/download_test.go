package emulator

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"net"
	"reflect"
	"testing"
	"time"

	"github.com/labelagent/labelagent/zpl"
	"github.com/labelagent/labelagent/zpl/render"
)

// A ~DY download's binary data is taken by its byte count, prefixes and
// all, as the ZPL II guide says; ASCII data ends at the next prefix; and a
// download inside a format stays part of it. Read whole or in pieces of
// any size, the result is the same.
func TestSplitterDownloads(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		downloads []string
		formats   []string
		cmds      []string
	}{
		{"binary with prefixes in it", "~DYR:A,B,P,9,,^XA~HS^XZ^XA^IMR:A.PNG^FS^XZ",
			[]string{"~DYR:A,B,P,9,,^XA~HS^XZ"}, []string{"^XA^IMR:A.PNG^FS^XZ"}, nil},
		{"lower case, format C", "~dyr:a,c,g,3,1,~JA^XA^XZ", []string{"~dyr:a,c,g,3,1,~JA"}, []string{"^XA^XZ"}, nil},
		{"ASCII ends at the next prefix", "~DYR:A,P,P,2,,0A0B~HS^XA^XZ", []string{"~DYR:A,P,P,2,,0A0B"}, []string{"^XA^XZ"}, []string{"HS"}},
		{"size zero", "~DYR:A,B,P,0,,^XA^XZ", []string{"~DYR:A,B,P,0,,"}, []string{"^XA^XZ"}, nil},
		{"broken header", "~DYR:A,B^XA^XZ", []string{"~DYR:A,B"}, []string{"^XA^XZ"}, nil},
		{"inside a format", "^XA~DYR:A,B,G,3,1,^XZ^FO1,1^XZ", nil, []string{"^XA~DYR:A,B,G,3,1,^XZ^FO1,1^XZ"}, nil},
		{"two in a row", "~DYR:A,B,P,1,,^~DYR:B,B,P,2,,~~", []string{"~DYR:A,B,P,1,,^", "~DYR:B,B,P,2,,~~"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, step := range []int{len(tt.in), 1, 2, 5} {
				var sp splitter
				var dls, formats, cmds []string
				for i := 0; i < len(tt.in); i += step {
					for _, ev := range sp.feed([]byte(tt.in[i:min(i+step, len(tt.in))])) {
						switch ev.kind {
						case evDownload:
							dls = append(dls, string(ev.data))
						case evFormat:
							formats = append(formats, string(ev.data))
						case evControl:
							cmds = append(cmds, ev.cmd)
						}
					}
				}
				if !reflect.DeepEqual(dls, tt.downloads) || !reflect.DeepEqual(formats, tt.formats) || !reflect.DeepEqual(cmds, tt.cmds) {
					t.Errorf("step %d: downloads %q formats %q commands %q, want %q %q %q", step, dls, formats, cmds, tt.downloads, tt.formats, tt.cmds)
				}
			}
		})
	}
}

// A label sent as a binary PNG object prints from the stored object, is
// drawn from Label.ZPL, and a PNG a Zebra would not take (not monochrome)
// is refused; RAM objects are gone after a power cycle.
func TestDownloadedPNGPrints(t *testing.T) {
	m, err := zpl.NewMono(64, 16)
	if err != nil {
		t.Fatal(err)
	}
	for x := 8; x < 56; x++ {
		for y := 2; y < 14; y += 1 + x%3 {
			m.Set(x, y, true)
		}
	}
	// Bytes that read as ZPL in the data: the printer must not act on them.
	pngData := zpl.EncodePNG(m, zpl.PNGLevel)
	var gray bytes.Buffer
	if err := png.Encode(&gray, image.NewGray(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	e, addr := start(t, Options{})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	job := fmt.Appendf(nil, "~DYR:BAD,B,P,%d,,%s", gray.Len(), gray.Bytes())
	job = fmt.Appendf(job, "~DYR:LOGO,B,P,%d,,%s^XA^PW100^LL40^FO10,20^IMR:LOGO.PNG^FS^XZ", len(pngData), pngData)
	job = fmt.Appendf(job, "~DYE:KEEP,B,P,%d,,%s", len(pngData), pngData)
	if _, err := c.Write(job); err != nil {
		t.Fatal(err)
	}
	labels, err := e.WaitLabels(ctx(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	l := labels[0]
	if !bytes.HasPrefix(l.ZPL(), []byte("~DYR:LOGO,B,P,")) || string(l.Data) != "^XA^PW100^LL40^FO10,20^IMR:LOGO.PNG^FS^XZ" {
		t.Fatalf("label %q, downloads %d bytes", l.Data, len(l.Downloads))
	}
	drawn, err := render.Render(l.ZPL(), render.Options{})
	if err != nil || len(drawn) != 1 || len(drawn[0].Warnings) > 0 {
		t.Fatalf("%v %+v", err, drawn)
	}
	if got := drawn[0].Image.Crop(image.Rect(10, 20, 74, 36)); !got.Equal(m) || drawn[0].Image.BlackCount() != m.BlackCount() {
		t.Error("the printed label is not the downloaded PNG at ^FO10,20")
	}
	waitFor(t, func() bool { return len(e.Objects()) == 2 })
	if got := e.Objects(); !reflect.DeepEqual(got, []string{"E:KEEP.PNG", "R:LOGO.PNG"}) || e.RefusedDownloads() != 1 {
		t.Fatalf("objects %v, %d refused", got, e.RefusedDownloads())
	}
	e.PowerCycle()
	if got := e.Objects(); !reflect.DeepEqual(got, []string{"E:KEEP.PNG"}) {
		t.Fatalf("after a power cycle: %v", got)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
