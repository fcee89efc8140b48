package agent_test

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/zpl/render"
	"github.com/labelagent/labelagent/zpl/verify"
)

// A real DHL PDF printed through the agent goes to the TCP printer as a
// binary ~DY PNG object (profile.graphics auto) and to the serial printer
// as ASCII Z64; the emulators store and draw both, the labels carry the
// same dots and the DHL barcodes read on each.
func TestPDFGraphicsFollowTheLink(t *testing.T) {
	pdf, err := os.ReadFile("../../shared/corpus/pdf/dhl_parcel_de_8a9d39e6.pdf")
	if os.IsNotExist(err) {
		t.Skipf("the real-label corpus is absent (../shared beside the repository, as in CI): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	r := e2eStart(t, 0, func(c *printer.Config) { c.Profile = printer.ProfileConfig{DPI: 203, Label: "910-300-600"} })
	var drawn []*render.Label
	for _, name := range r.printers {
		j, _, err := r.a.Submit(context.Background(), apitype.SubmitRequest{Printer: name, Kind: apitype.KindPDF, Payload: pdf})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
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
