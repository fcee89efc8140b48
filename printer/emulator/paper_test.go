package emulator

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/printer/zplstatus"
)

func ask(t *testing.T, c net.Conn, q string, complete func([]byte) (int, bool)) []byte {
	t.Helper()
	if _, err := c.Write([]byte(q)); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var buf []byte
	b := make([]byte, 512)
	for {
		n, err := c.Read(b)
		buf = append(buf, b[:n]...)
		if m, ok := complete(buf); ok {
			return buf[:m]
		}
		if err != nil {
			t.Fatalf("reading the answer to %q: %v (got %q)", q, err, buf)
		}
	}
}

// A printer that takes time per label keeps formats in its buffer (~HS
// says how many, and how many labels are left), stops a batch on paper
// out, loses the buffer in a power cycle and keeps its label counter.
func TestBufferCountersAndPowerCycle(t *testing.T) {
	e := New(Options{PrintDelay: 20 * time.Millisecond})
	defer e.Close()
	addr, err := e.ListenTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	e.SetPaperOut(true)
	c.Write([]byte("^XA^FDa^FS^PQ5^XZ^XA^FDb^FS^XZ"))
	hs, err := zplstatus.ParseHS(ask(t, c, "~HS", zplstatus.HSComplete))
	if err != nil || hs.FormatsInBuffer != 2 || hs.LabelsRemaining != 6 || !hs.PaperOut {
		t.Fatalf("~HS during paper out: %+v %v, want 2 formats, 6 labels", hs, err)
	}
	e.SetPaperOut(false)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for e.LabelsPrinted() < 2 {
		if ctx.Err() != nil {
			t.Fatal("nothing printed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.PowerCycle()
	if got := e.LabelsPrinted(); got >= 6 {
		t.Fatalf("the batch finished before the power cycle (%d labels): make PrintDelay longer", got)
	}
	if e.Pending() != 0 {
		t.Fatal("the buffer survived the power cycle")
	}
	printed := e.LabelsPrinted()
	time.Sleep(60 * time.Millisecond)
	if e.LabelsPrinted() != printed {
		t.Fatal("labels came out after the power cycle")
	}
	// The connection is gone; a new one finds the counter where it was.
	if _, err := c.Write([]byte("~HS")); err == nil {
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, err := c.Read(make([]byte, 10)); err == nil {
			t.Fatal("the connection survived the power cycle")
		}
	}
	c2, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	n, ok, err := zplstatus.ParseCounter(ask(t, c2, zplstatus.GetVar(zplstatus.OdometerVar), zplstatus.SGDComplete))
	if err != nil || !ok || n != int64(printed) {
		t.Fatalf("odometer %d %v %v, want %d", n, ok, err, printed)
	}
	if got := string(ask(t, c2, "! U1 getvar \"device.unknown\"\r\n", zplstatus.SGDComplete)); got != `"?"` {
		t.Fatalf("unknown variable answered %q", got)
	}
	if !strings.Contains(e.Summary(), "1 power cycles") {
		t.Errorf("summary %q", e.Summary())
	}
}

// ~JA drops a format half received, and a stored format prints nothing.
func TestCancelAllDropsThePartialFormatAndStoredFormatsDoNotPrint(t *testing.T) {
	e := New(Options{NoOdometer: true})
	defer e.Close()
	addr, _ := e.ListenTCP("127.0.0.1:0")
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("^XA^FDcut off"))
	hs, _ := zplstatus.ParseHS(ask(t, c, "~HS", zplstatus.HSComplete))
	if !hs.PartialFormat {
		t.Fatal("no partial format reported")
	}
	hs, _ = zplstatus.ParseHS(ask(t, c, "~JA~HS", zplstatus.HSComplete))
	if hs.PartialFormat {
		t.Fatal("~JA left the partial format")
	}
	c.Write([]byte("^FS^XZ^XA^DFR:T.ZPL^FS^XZ"))
	ask(t, c, "~HS", zplstatus.HSComplete)
	if n := e.LabelsPrinted(); n != 0 {
		t.Fatalf("%d labels printed from a cancelled and a stored format", n)
	}
	if _, ok, _ := zplstatus.ParseCounter(ask(t, c, zplstatus.GetVar(zplstatus.OdometerVar), zplstatus.SGDComplete)); ok {
		t.Fatal("a printer without a label counter answered one")
	}
}
