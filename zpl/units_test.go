package zpl

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func TestSplitFormatsCountsWhatThePrinterPrints(t *testing.T) {
	cases := []struct {
		name   string
		in     string
		labels []int
		data   []string
	}{
		{"one", "^XA^FDa^FS^XZ", []int{1}, []string{"^XA^FDa^FS^XZ"}},
		{"quantity", "^XA^FDa^FS^PQ3^XZ", []int{3}, []string{"^XA^FDa^FS^PQ3^XZ"}},
		{"lower case, params", "^xa^fda^fs^pq2,0,1,Y^xz", []int{2}, []string{"^xa^fda^fs^pq2,0,1,Y^xz"}},
		{"two with a download between", "^XA^FD1^XZ~DGR:A.GRF,2,1,FF^XA^XGR:A.GRF^XZ\r\n", []int{1, 1}, []string{"^XA^FD1^XZ", "~DGR:A.GRF,2,1,FF^XA^XGR:A.GRF^XZ\r\n"}},
		{"stored format and its use", "^XA^DFR:T.ZPL^FS^FN1^XZ^XA^XFR:T.ZPL^FN1^FDx^FS^XZ", []int{0, 1}, nil},
		{"no format", "~JA", []int{0}, []string{"~JA"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := SplitFormats([]byte(c.in))
			if len(fs) != len(c.labels) {
				t.Fatalf("%d formats, want %d: %+v", len(fs), len(c.labels), fs)
			}
			var joined []byte
			for i, f := range fs {
				if f.Labels != c.labels[i] {
					t.Errorf("format %d prints %d labels, want %d", i, f.Labels, c.labels[i])
				}
				if c.data != nil && string(f.Data) != c.data[i] {
					t.Errorf("format %d is %q, want %q", i, f.Data, c.data[i])
				}
				joined = append(joined, f.Data...)
			}
			if !bytes.Equal(joined, []byte(c.in)) {
				t.Errorf("formats join to %q, not the input", joined)
			}
		})
	}
}

func TestWithQuantity(t *testing.T) {
	cases := []struct{ in, want string }{
		{"^XA^FDa^FS^XZ", "^XA^FDa^FS^PQ5^XZ"},
		{"^XA^FDa^FS^PQ2^XZ", "^XA^FDa^FS^PQ5^XZ"},
		{"^XA^FDa^FS^PQ2,0,1,Y^XZ", "^XA^FDa^FS^PQ5,0,1,Y^XZ"},
		{"^XA^FDa^FS^PQ,0,1^XZ", "^XA^FDa^FS^PQ5,0,1^XZ"},
		{"^XA^DFR:X.ZPL^XZ", "^XA^DFR:X.ZPL^XZ"},
	}
	for _, c := range cases {
		if got := string(WithQuantity([]byte(c.in), 5)); got != c.want {
			t.Errorf("WithQuantity(%q, 5) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestRemainingSendsOnlyUnprintedLabels(t *testing.T) {
	fs := SplitFormats([]byte("^XA^DFR:T.ZPL^FS^XZ^XA^FD1^PQ3^XZ^XA^FD2^XZ^XA^FD3^PQ2^XZ"))
	if Labels(fs) != 6 {
		t.Fatalf("labels %d, want 6", Labels(fs))
	}
	cases := []struct {
		printed int
		want    string
	}{
		{0, "^XA^DFR:T.ZPL^FS^XZ^XA^FD1^PQ3^XZ^XA^FD2^XZ^XA^FD3^PQ2^XZ"},
		{2, "^XA^DFR:T.ZPL^FS^XZ^XA^FD1^PQ1^XZ^XA^FD2^XZ^XA^FD3^PQ2^XZ"},
		{3, "^XA^DFR:T.ZPL^FS^XZ^XA^FD2^XZ^XA^FD3^PQ2^XZ"},
		{5, "^XA^DFR:T.ZPL^FS^XZ^XA^FD3^PQ1^XZ"},
		{6, ""},
		{9, ""},
	}
	for _, c := range cases {
		r := Remaining(fs, c.printed)
		if got := string(Join(r)); got != c.want {
			t.Errorf("after %d printed: %q, want %q", c.printed, got, c.want)
		}
		if want := max(0, 6-c.printed); Labels(r) != want {
			t.Errorf("after %d printed: %d labels left, want %d", c.printed, Labels(r), want)
		}
	}
}

func FuzzSplitFormatsKeepsEveryByte(f *testing.F) {
	f.Add([]byte("^XA^FDa^PQ3^XZ~HS^XA^XZ"))
	f.Add([]byte("^XA^PQ99999999999^XZ"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fs := SplitFormats(b)
		if !bytes.Equal(Join(fs), b) {
			t.Fatalf("formats of %q join to %q", b, Join(fs))
		}
		for _, f := range fs {
			if f.Labels < 0 {
				t.Fatalf("negative labels in %q", b)
			}
			if q := WithQuantity(f.Data, 7); f.Labels > 0 && lastCommand(f.Data, "XZ") >= 0 && quantity(q) != 7 {
				t.Fatalf("WithQuantity(%q, 7) = %q prints %d", f.Data, q, quantity(q))
			}
		}
	})
}

// A binary ~DY download (a PNG may hold any bytes) is part of the format
// after it and never read for commands: "^XZ", "^XA", "^PQ" or "^DF" in
// its data neither split the job, nor count labels, nor get rewritten.
func TestFormatsSkipBinaryDownloads(t *testing.T) {
	png := []byte("\x89PNG^XZ^xa^PQ9^DF~HS^GFB,1,1,1,")
	dl := func(name string) string { return fmt.Sprintf("~DYR:%s,B,P,%d,,%s", name, len(png), png) }
	job := dl("P1") + "^XA^FO0,0^IMR:P1.PNG^FS^XZ\n" + dl("P2") + "^XA^FO0,0^IMR:P2.PNG^FS^PQ2^XZ\n"
	fs := SplitFormats([]byte(job))
	if len(fs) != 2 || Labels(fs) != 3 {
		t.Fatalf("%d formats, %d labels: %+v", len(fs), Labels(fs), fs)
	}
	if !strings.HasPrefix(string(fs[1].Data), "\n"+dl("P2")) {
		t.Errorf("the second format does not carry its download: %q", fs[1].Data)
	}
	rest := Remaining(fs, 2) // the first label and one copy of the second printed
	if len(rest) != 1 || rest[0].Labels != 1 || string(rest[0].Data) != "\n"+dl("P2")+"^XA^FO0,0^IMR:P2.PNG^FS^PQ1^XZ\n" {
		t.Errorf("remaining %+v", rest)
	}
	if err := CheckTerminated([]byte(dl("P3"))); err != nil {
		t.Errorf("a download alone: %v", err)
	}
	if err := CheckTerminated([]byte(job + dl("P3") + "^XA^FO0,0")); err == nil {
		t.Error("an unterminated format after a download was accepted")
	}
}

// A job cut off inside its binary download and sent again after the
// filler prints whole: the filler completes the cut download, the resent
// one replaces it, and the label recalls the resent PNG.
func TestResyncFillerCompletesACutDownload(t *testing.T) {
	m, err := NewMono(40, 12)
	if err != nil {
		t.Fatal(err)
	}
	for x := 0; x < 40; x += 3 {
		m.Set(x, x%12, true)
	}
	png := EncodePNG(m, PNGLevel)
	job := append(downloadPNG("LAPG0001", png), "^XA^FO0,0^IMR:LAPG0001.PNG^FS^XZ\n"...)
	if ResyncFiller([]byte("^XA^FDno binary^FS^XZ")) != nil {
		t.Error("filler for a job without binary data")
	}
	filler := ResyncFiller(job)
	if len(filler) < len(png) {
		t.Fatalf("filler of %d bytes for a %d byte PNG", len(filler), len(png))
	}
	for _, cut := range []int{3, 20, 40, len(job) / 2, len(job) - 40} {
		stream := append(append(append([]byte(nil), job[:cut]...), filler...), job...)
		cmds, err := Tokenize(stream)
		if err != nil {
			t.Fatal(err)
		}
		var last Object
		im := 0
		for _, c := range cmds {
			if c.Tilde && c.Name == "DY" {
				if o, err := ParseDownload(c); err == nil {
					last = o
				}
			}
			if !c.Tilde && c.Name == "IM" {
				im++
			}
		}
		g, err := last.Graphic()
		if err != nil || !g.Equal(m) || im != 1 {
			t.Errorf("cut at %d: the label recalls %v (%v), %d ^IM", cut, last.Key(), err, im)
		}
	}
}
