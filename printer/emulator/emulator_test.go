package emulator

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/printer/zplstatus"
)

func TestSplitter(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		formats []string
		cmds    []string
	}{
		{"one", "^XA^FDhi^FS^XZ", []string{"^XA^FDhi^FS^XZ"}, nil},
		{"two with noise", "\r\n^XA^FO1,1^XZ\n^XA^PQ2^XZ", []string{"^XA^FO1,1^XZ", "^XA^PQ2^XZ"}, nil},
		{"lower case", "^xa^fdx^xz", []string{"^xa^fdx^xz"}, nil},
		{"status outside", "~HS^XA^XZ~HQES~hi", []string{"^XA^XZ"}, []string{"HS", "HI", "HQES"}},
		{"status query inside a format acts at once", "^XA^FD~HS^XZ", []string{"^XA^FD^XZ"}, []string{"HS"}},
		{"other tilde commands inside a format are data", "^XA~DGR:X.GRF,1,1,FF^XZ", []string{"^XA~DGR:X.GRF,1,1,FF^XZ"}, nil},
		{"new ^XA restarts an unfinished format", "^XA^FDcut of^XA^FDwhole^XZ", []string{"^XA^FDwhole^XZ"}, nil},
		{"~HQ split", "~HQ", nil, nil},
		{"unfinished", "^XA^FDno end", nil, nil},
		{"pause resume cancel", "~PP~PS~JA", nil, []string{"PP", "PS", "JA"}},
		{"caret caret", "^XA^^XZ", []string{"^XA^^XZ"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Feed whole, and one byte at a time: same result.
			for _, step := range []int{len(tt.in), 1, 2, 3} {
				var sp splitter
				var formats, cmds []string
				for i := 0; i < len(tt.in); i += step {
					for _, ev := range sp.feed([]byte(tt.in[i:min(i+step, len(tt.in))])) {
						switch ev.kind {
						case evFormat:
							formats = append(formats, string(ev.data))
						case evControl:
							cmds = append(cmds, ev.cmd)
						}
					}
				}
				if !reflect.DeepEqual(formats, tt.formats) {
					t.Errorf("step %d: formats %q, want %q", step, formats, tt.formats)
				}
				if strings.Join(sortCopy(cmds), ",") != strings.Join(sortCopy(tt.cmds), ",") {
					t.Errorf("step %d: commands %q, want %q", step, cmds, tt.cmds)
				}
			}
		})
	}
}

func sortCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func FuzzSplitter(f *testing.F) {
	f.Add([]byte("^XA^FDx^XZ~HS~HQES^XA"), 3)
	f.Add([]byte("~DYR:A,B,P,6,,^XZ~HS^XA^IMR:A.PNG^FS^XZ"), 2)
	f.Add([]byte("~DYR:A,P,P,2,,0A0B^XA^XGR:A.PNG^XZ~DYR:B,B,"), 1)
	f.Add([]byte("^XA~DYR:A,B,G,3,1,^XZ^FS^XZ"), 4)
	f.Fuzz(func(t *testing.T, in []byte, step int) {
		if step <= 0 || step > len(in) {
			step = max(len(in), 1)
		}
		var whole, pieces splitter
		a := whole.feed(in)
		var b []event
		for i := 0; i < len(in); i += step {
			b = append(b, pieces.feed(in[i:min(i+step, len(in))])...)
		}
		var fa, fb [][]byte
		for _, ev := range a {
			if ev.kind == evDownload {
				fa = append(fa, ev.data)
			}
			if ev.kind == evFormat {
				fa = append(fa, ev.data)
				if !bytes.HasSuffix(bytes.ToUpper(ev.data), []byte("^XZ")) {
					t.Fatalf("format %q does not end in ^XZ", ev.data)
				}
			}
		}
		for _, ev := range b {
			if ev.kind == evFormat || ev.kind == evDownload {
				fb = append(fb, ev.data)
			}
		}
		if !reflect.DeepEqual(fa, fb) {
			t.Fatalf("split depends on read size: %q vs %q", fa, fb)
		}
	})
}

func start(t *testing.T, opts Options) (*Emulator, string) {
	t.Helper()
	e := New(opts)
	addr, err := e.ListenTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e, addr.String()
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func hs(t *testing.T, c net.Conn) zplstatus.HostStatus {
	t.Helper()
	if _, err := c.Write([]byte("~HS")); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var buf []byte
	tmp := make([]byte, 256)
	for {
		n, err := c.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if _, ok := zplstatus.HSComplete(buf); ok {
			break
		}
		if err != nil {
			t.Fatalf("read ~HS reply: %v (have %q)", err, buf)
		}
	}
	got, err := zplstatus.ParseHS(buf)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestTCPPrintsAndStoresLabels(t *testing.T) {
	dir := t.TempDir()
	e, addr := start(t, Options{Dir: dir})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("^XA^FDone^XZ^XA^FDtwo^PQ3^XZ"))
	labels, err := e.WaitLabels(ctx(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	if string(labels[0].Data) != "^XA^FDone^XZ" || labels[1].Copies != 3 || labels[1].Via != "tcp" {
		t.Fatalf("%+v", labels)
	}
	if e.LabelsPrinted() != 4 {
		t.Fatalf("printed %d", e.LabelsPrinted())
	}
	b, err := os.ReadFile(filepath.Join(dir, "000002.zpl"))
	if err != nil || string(b) != "^XA^FDtwo^PQ3^XZ" {
		t.Fatalf("stored %q %v", b, err)
	}
}

func TestPaperOutBuffersAndPrintsWhenCleared(t *testing.T) {
	e, addr := start(t, Options{})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	e.SetPaperOut(true)
	c.Write([]byte("^XA^FDheld^XZ"))
	for e.Pending() == 0 {
		time.Sleep(time.Millisecond)
	}
	got := hs(t, c)
	if !got.PaperOut || got.FormatsInBuffer != 1 || got.LabelsRemaining != 1 {
		t.Fatalf("~HS during paper out: %+v", got)
	}
	if st := got.Status(time.Now()); st.State != printer.StatePaperOut {
		t.Fatalf("state %s", st.State)
	}
	if n := len(e.Labels()); n != 0 {
		t.Fatalf("%d labels printed while paper out", n)
	}
	e.SetPaperOut(false)
	if _, err := e.WaitLabels(ctx(t), 1); err != nil {
		t.Fatal(err)
	}
	if got := hs(t, c); got.PaperOut || got.FormatsInBuffer != 0 {
		t.Fatalf("~HS after clearing: %+v", got)
	}
}

func TestStatusAnswersEveryFault(t *testing.T) {
	e, addr := start(t, Options{})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, f := range []Faults{{}, {PaperOut: true}, {HeadOpen: true}, {RibbonOut: true}, {Paused: true},
		{PaperOut: true, HeadOpen: true, RibbonOut: true, Paused: true}} {
		e.SetFaults(f)
		got := hs(t, c)
		if got.PaperOut != f.PaperOut || got.HeadOpen != f.HeadOpen || got.RibbonOut != f.RibbonOut || got.Paused != f.Paused {
			t.Errorf("faults %+v: ~HS %+v", f, got)
		}
		c.Write([]byte("~HQES"))
		buf := readUntil(t, c, zplstatus.HQESComplete)
		es, err := zplstatus.ParseHQES(buf)
		if err != nil {
			t.Fatal(err)
		}
		if (es.Errors&zplstatus.ErrMediaOut != 0) != f.PaperOut || (es.Errors&zplstatus.ErrHeadOpen != 0) != f.HeadOpen ||
			(es.Errors&zplstatus.ErrRibbonOut != 0) != f.RibbonOut || (es.Errors&zplstatus.ErrPaused != 0) != f.Paused {
			t.Errorf("faults %+v: ~HQES %+v", f, es)
		}
	}
	// ~PP and ~PS work like the pause button.
	c.Write([]byte("~PP"))
	if !hs(t, c).Paused {
		t.Fatal("~PP did not pause")
	}
	c.Write([]byte("~PS"))
	if hs(t, c).Paused {
		t.Fatal("~PS did not resume")
	}
}

func readUntil(t *testing.T, c net.Conn, done func([]byte) (int, bool)) []byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var buf []byte
	tmp := make([]byte, 256)
	for {
		n, err := c.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if _, ok := done(buf); ok {
			return buf
		}
		if err != nil {
			t.Fatalf("read: %v (have %q)", err, buf)
		}
	}
}

func TestDisconnectMidJob(t *testing.T) {
	e, addr := start(t, Options{})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	e.DisconnectAfter(10)
	c.Write([]byte("^XA^FDlost in the middle^XZ"))
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection still open")
	}
	if e.Received() != 10 || len(e.Labels()) != 0 {
		t.Fatalf("received %d, labels %d", e.Received(), len(e.Labels()))
	}
	// The printer takes the next connection and prints.
	c2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c2.Write([]byte("^XA^FDagain^XZ"))
	if _, err := e.WaitLabels(ctx(t), 1); err != nil {
		t.Fatal(err)
	}
}

func TestStopReadingBlocksTheSender(t *testing.T) {
	e, addr := start(t, Options{})
	e.SetStopReading(true)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetWriteDeadline(time.Now().Add(300 * time.Millisecond))
	_, err = c.Write(make([]byte, 64<<20))
	if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Fatalf("write to a printer that does not read: %v", err)
	}
	if e.Received() != 0 {
		t.Fatalf("received %d bytes while not reading", e.Received())
	}
	e.SetStopReading(false)
	if err := e.WaitReceived(ctx(t), 1); err != nil {
		t.Fatal(err)
	}
}

func TestThrottle(t *testing.T) {
	e, addr := start(t, Options{})
	e.SetBaud(115200, 10)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const n = 11520 / 4 // a quarter second of line time
	t0 := time.Now()
	go c.Write(bytes.Repeat([]byte("x"), n))
	if err := e.WaitReceived(ctx(t), n); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d < 200*time.Millisecond || d > 2*time.Second {
		t.Fatalf("%d bytes at 11520 bytes/s took %v, want about 250ms", n, d)
	}
}

func TestPTY(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("no pseudo-terminals")
	}
	e := New(Options{})
	defer e.Close()
	link := filepath.Join(t.TempDir(), "ttyZebra")
	path, err := e.OpenPTY(link)
	if err != nil {
		t.Fatal(err)
	}
	if path != link {
		t.Fatalf("path %s", path)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("^XA^FDserial\n\r^XZ~HS"))
	if _, err := e.WaitLabels(ctx(t), 1); err != nil {
		t.Fatal(err)
	}
	if got := e.Labels()[0]; string(got.Data) != "^XA^FDserial\n\r^XZ" || got.Via != "serial" {
		t.Fatalf("label %q via %s: bytes were translated", got.Data, got.Via)
	}
	buf := make([]byte, 0, 128)
	tmp := make([]byte, 128)
	for {
		n, err := f.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if _, ok := zplstatus.HSComplete(buf); ok {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	// A dropped cable: the old device fails, the link leads to a new one.
	e.DisconnectAfter(3)
	f.Write([]byte("^XA^FDcut^XZ"))
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := f.Write([]byte("x"))
		if err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("old line still works")
		}
		time.Sleep(10 * time.Millisecond)
	}
	f.Close()
	var f2 *os.File
	for f2 == nil && time.Now().Before(deadline) {
		if f2, err = os.OpenFile(path, os.O_RDWR, 0); err != nil {
			f2 = nil
			time.Sleep(10 * time.Millisecond)
		}
	}
	if f2 == nil {
		t.Fatal("link does not lead to a new line")
	}
	defer f2.Close()
	f2.Write([]byte("^XA^FDback^XZ"))
	labels, err := e.WaitLabels(ctx(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	if string(labels[1].Data) != "^XA^FDback^XZ" {
		t.Fatalf("%q", labels[1].Data)
	}
}

func TestControl(t *testing.T) {
	e, _ := start(t, Options{})
	tests := []struct {
		cmd, want string
		check     func() bool
	}{
		{"paper-out on", "paper_out (paper out)", func() bool { return e.Faults().PaperOut }},
		{"HEAD-OPEN on", "head_open", func() bool { return e.Faults().HeadOpen }},
		{"clear", "ready (ready)", func() bool { return e.Faults() == Faults{} }},
		{"ribbon-out 1", "ribbon_out", func() bool { return e.Faults().RibbonOut }},
		{"pause yes", "paused", func() bool { return e.Faults().Paused }},
		{"stop-reading on", "not reading", func() bool { return e.Faults().StopReading }},
		{"baud 9600", "960 bytes/s", nil},
		{"baud 9600 11", "872 bytes/s", nil},
		{"rate 0", "unlimited", nil},
		{"disconnect-after 5", "0 bytes received", nil},
		{"help", "commands", nil},
		{"pause maybe", "error: pause: \"maybe\" is not on or off", nil},
		{"baud", "error: baud needs a number", nil},
		{"fly", "error: unknown command \"fly\"", nil},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.ServeControl(ln)
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, tt := range tests {
		io.WriteString(c, tt.cmd+"\n")
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		var line []byte
		one := make([]byte, 1)
		for {
			if _, err := c.Read(one); err != nil {
				t.Fatal(err)
			}
			if one[0] == '\n' && !strings.HasPrefix(string(line), "commands") || (strings.HasPrefix(string(line), "commands") && strings.HasSuffix(string(line), "help")) {
				break
			}
			line = append(line, one[0])
		}
		if !strings.Contains(string(line), tt.want) {
			t.Errorf("%q -> %q, want %q", tt.cmd, line, tt.want)
		}
		if tt.check != nil && !tt.check() {
			t.Errorf("%q had no effect", tt.cmd)
		}
	}
}

func TestKeepLabels(t *testing.T) {
	e, addr := start(t, Options{KeepLabels: 3})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := 0; i < 5; i++ {
		c.Write([]byte("^XA^FD" + strings.Repeat("x", i) + "^XZ"))
	}
	labels, err := e.WaitLabels(ctx(t), 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) != 3 || labels[0].Seq != 3 || e.FormatsPrinted() != 5 {
		t.Fatalf("%d kept, first %d, printed %d", len(labels), labels[0].Seq, e.FormatsPrinted())
	}
}
