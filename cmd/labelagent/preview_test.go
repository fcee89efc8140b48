package main

import (
	"context"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labelagent/labelagent/agent/apitype"
)

func pngSize(t *testing.T, file string) (int, int) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	return c.Width, c.Height
}

// The real binary: offline previews on the label size asked for (with and
// without --dpi), --json, --verify failing over a barcode that is not drawn,
// and a job's preview fetched from the running agent.
func TestPreviewCommand(t *testing.T) {
	e := newE2E(t, "")
	dir := t.TempDir()
	in := filepath.Join(dir, "label.zpl")
	const lbl = "^XA^FO50,50^BY2^BCN,100,Y,N,N,D^FD(00)340434161094042557^FS^XZ"
	if err := os.WriteFile(in, []byte(lbl), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "p.png")
	for _, tc := range []struct {
		args []string
		w, h int
	}{
		{[]string{"--label", "4x6in"}, 812, 1218},
		{[]string{"--label", "4x6in", "--dpi", "300"}, 1200, 1800},
		{nil, 823, 1590}, // the default profile: 910-300-600 at 203 dpi
	} {
		msg, code := e.cli(append([]string{"preview", in, "-o", out, "--verify"}, tc.args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.args, code, msg)
		}
		if w, h := pngSize(t, out); w != tc.w || h != tc.h {
			t.Errorf("%v: %dx%d, want %dx%d", tc.args, w, h, tc.w, tc.h)
		}
		if !strings.Contains(msg, `scanned code128 "00340434161094042557" (GS1)`) {
			t.Errorf("%v: %s", tc.args, msg)
		}
	}
	msg, code := e.cli("preview", in, "-o", out, "--json", "--label", "4x6in")
	var d apitype.Preview
	if err := json.Unmarshal([]byte(msg), &d); err != nil || code != 0 {
		t.Fatalf("--json: %v %d %s", err, code, msg)
	}
	if len(d.Labels) != 1 || d.Labels[0].File != out || d.Labels[0].WidthDots != 812 || len(d.Labels[0].Barcodes) != 1 || !d.Labels[0].Barcodes[0].GS1 {
		t.Errorf("--json %+v", d)
	}
	// A barcode the renderer cannot draw fails --verify.
	bad := filepath.Join(dir, "bad.zpl")
	if err := os.WriteFile(bad, []byte("^XA^FO50,50^B1N,N,100^FD0123-4^FS^XZ"), 0o600); err != nil {
		t.Fatal(err)
	}
	msg, code = e.cli("preview", bad, "-o", out, "--verify")
	if code == 0 || !strings.Contains(msg, "NOT DRAWN: ^B1") || !strings.Contains(msg, "1 of 1 labels") {
		t.Errorf("undrawn barcode verified: exit %d %s", code, msg)
	}
	// A job's preview from the agent, on its printer's profile.
	e.start()
	sub, err := e.cl.Submit(context.Background(), apitype.SubmitRequest{Kind: apitype.KindZPL, Payload: []byte(lbl)})
	if err != nil {
		t.Fatal(err)
	}
	jobOut := filepath.Join(dir, "job.png")
	msg, code = e.cli("preview", "--job", sub.Job.ID, "-o", jobOut, "--verify", "--lang", "de")
	if code != 0 || !strings.Contains(msg, "Etikett 1, 823×1590 Punkte") {
		t.Fatalf("--job: exit %d %s", code, msg)
	}
	if w, h := pngSize(t, jobOut); w != 823 || h != 1590 {
		t.Errorf("job preview %dx%d", w, h)
	}
}
