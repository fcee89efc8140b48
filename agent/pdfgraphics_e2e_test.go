package agent_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/zpl"
	"github.com/labelagent/labelagent/zpl/render"
	"github.com/labelagent/labelagent/zpl/verify"
)

// A real DHL PDF printed through the agent goes to the TCP printer set to
// profile.graphics png as a binary ~DY PNG object and to the serial
// printer (default) as ASCII Z64; the emulators store and draw both, the
// labels carry the same dots and the DHL barcodes read on each.
func TestPDFGraphicsPerPrinter(t *testing.T) {
	pdf, err := os.ReadFile("../../shared/corpus/pdf/dhl_parcel_de_8a9d39e6.pdf")
	if os.IsNotExist(err) {
		t.Skipf("the real-label corpus is absent (../shared beside the repository, as in CI): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	r := e2eStart(t, 0, func(c *printer.Config) {
		c.Profile = printer.ProfileConfig{DPI: 203, Label: "910-300-600"}
		if c.Transport == "tcp" {
			c.Profile.Graphics = "png"
		}
	})
	var drawn []*render.Label
	for _, name := range r.printers {
		j, _, err := r.a.Submit(context.Background(), apitype.SubmitRequest{Printer: name, Kind: apitype.KindPDF, Payload: pdf})
		if err != nil {
			t.Fatal(err)
		}
		// The first label waits for pdfium to compile into the agent's
		// fresh cache: 29 s of CPU under -race (issue 21), over a minute on
		// a loaded 2-core machine.
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
		labels, err := r.emu(name).WaitLabels(ctx, 1)
		cancel()
		if err != nil {
			t.Fatalf("%s: %v (job %+v)", name, err, e2eJob(t, r.a, j.ID))
		}
		l := labels[0]
		png := bytes.HasPrefix(l.Downloads, []byte("~DYR:LAPG0001,B,P,")) && bytes.Contains(l.Data, []byte("^IMR:LAPG0001.PNG"))
		if want := name == "zebra-tcp"; png != want || (!png && !bytes.Contains(l.Data, []byte(":Z64:"))) {
			t.Fatalf("%s: binary PNG %v, want %v: %.120q", name, png, want, l.ZPL())
		}
		ls, err := render.Render(l.ZPL(), render.Options{DPI: 203})
		if err != nil || len(ls) != 1 || len(ls[0].Warnings) > 0 {
			t.Fatalf("%s: %v %+v", name, err, ls)
		}
		found, err := verify.Scan(context.Background(), ls[0].Image)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := verify.CheckLabel(context.Background(), ls[0], nil)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, f := range append(found, rep.Found...) {
			got[f.Text] = true
		}
		for _, want := range []string{"40327610117+99000933000000", "60701001756402"} {
			if !got[want] {
				t.Errorf("%s: %s does not read on the printed label (read %v)", name, want, got)
			}
		}
		t.Logf("%s: %d bytes", name, len(l.ZPL()))
		drawn = append(drawn, ls[0])
	}
	if len(drawn) == 2 && !drawn[0].Image.Equal(drawn[1].Image) {
		t.Error("the TCP (PNG) and serial (Z64) labels differ")
	}
}

// A job cut off inside its binary ~DY download on a serial line (the
// printer's parser lives on, still counting the download's bytes) is sent
// again after spaces that complete the cut download: the resent download
// is stored whole and the label recalls it.
func TestCutBinaryDownloadIsResynced(t *testing.T) {
	r := e2eStart(t, 20*time.Millisecond, func(c *printer.Config) {
		c.TCP.WriteTimeout, c.Serial.WriteTimeout = 300*time.Millisecond, 300*time.Millisecond
	})
	if r.ser == nil {
		t.Skip("no pseudo-terminals")
	}
	e := r.ser
	m, err := zpl.NewMono(1600, 1000)
	if err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range m.Pix {
		m.Pix[i] = byte(rnd.Uint32())
	}
	png := zpl.EncodePNG(m, 1) // random dots: about 200 KB that deflate cannot shrink
	payload := fmt.Appendf(nil, "~DYR:CUT,B,P,%d,,%s^XA^FO0,0^IMR:CUT.PNG^FS^XZ", len(png), png)
	e.SetBytesPerSecond(100_000)
	j := e2eSubmit(t, r.a, "zebra-serial", payload)
	e2eWait(t, "the download half sent", func() bool { return e.Received() > int64(len(png))/3 })
	e.SetStopReading(true)
	e2eWait(t, "the stall to be reported", func() bool {
		return strings.Contains(e2eJob(t, r.a, j.ID).LastError, "printer stopped taking data")
	})
	e.SetBytesPerSecond(0)
	e.SetStopReading(false)
	e2eWait(t, "job done", func() bool { return e2eJob(t, r.a, j.ID).State == apitype.StateDone })
	labels := e.Labels()
	if len(labels) != 1 || string(labels[0].Data) != "^XA^FO0,0^IMR:CUT.PNG^FS^XZ" || !bytes.HasPrefix(labels[0].Downloads, []byte("~DYR:CUT,B,P,")) {
		t.Fatalf("%d labels: %+v", len(labels), labels)
	}
	// The cut download was completed with spaces (a damaged PNG, refused);
	// the resent one is the stored object.
	if e.RefusedDownloads() != 1 {
		t.Errorf("%d downloads refused, want the cut one", e.RefusedDownloads())
	}
	ls, err := render.Render(labels[0].ZPL(), render.Options{Width: 1600, Height: 1000})
	if err != nil || len(ls) != 1 || !ls[0].Image.Equal(m) {
		t.Errorf("the printed label is not the downloaded PNG (%v)", err)
	}
}
