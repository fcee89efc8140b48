package api_test

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
	"strings"
	"testing"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/zpl/render"
)

// previewSetup starts an agent with a 203 dpi default printer and a 300 dpi
// 4x6in printer.
func previewSetup(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	cfg, err := config.Load("", func(c *config.Config) {
		c.DataDir = dir
		c.Jobs.MaxPayload = 64 << 10
		c.Printers = []printer.Config{
			{Name: "desk", Transport: "file"},
			{Name: "big", Transport: "file", Profile: printer.ProfileConfig{DPI: 300, Label: "4x6in"}},
		}
		c.DefaultPrinter = "desk"
	})
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, cfg, nil)
}

// A label laid out at 203 dpi without ^PW/^LL: on the 300 dpi printer the
// preview is the profile's 4x6in at 300 dpi, as the printer gets it.
const gs1Label = "^XA^FO50,50^BY2^BCN,100,Y,N,N,D^FD(00)340434161094042557^FS" +
	"^FO50,250^BXN,4,200,,,,_^FD_142098028_19205590303196500000000^FS^XZ"

func TestJobPreviewIsThePrinterProfilesLabel(t *testing.T) {
	f := previewSetup(t)
	ctx := context.Background()
	sub, err := f.cl.Submit(ctx, apitype.SubmitRequest{Printer: "big", Kind: apitype.KindZPL, Payload: []byte(gs1Label)})
	if err != nil {
		t.Fatal(err)
	}
	img, err := f.cl.JobPreview(ctx, sub.Job.ID, client.PreviewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := png.Decode(bytes.NewReader(img.PNG))
	if err != nil {
		t.Fatal(err)
	}
	if b := m.Bounds(); b.Dx() != 1200 || b.Dy() != 1800 {
		t.Errorf("preview %dx%d, want 1200x1800 (4x6in at 300 dpi)", b.Dx(), b.Dy())
	}
	if img.Labels != 1 || img.Undrawn != 0 {
		t.Errorf("labels %d undrawn %d", img.Labels, img.Undrawn)
	}
	info, err := f.cl.JobPreviewInfo(ctx, sub.Job.ID, client.PreviewOptions{Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if info.Verified == nil || !*info.Verified || info.DPI != 300 || info.Job != sub.Job.ID || info.Printer != "big" || len(info.Labels) != 1 {
		t.Fatalf("info %+v", info)
	}
	want := map[string]apitype.PreviewBarcode{
		"code128":    {Symbology: "code128", Data: "00340434161094042557", GS1: true},
		"datamatrix": {Symbology: "datamatrix", Data: "42098028\x1d9205590303196500000000", GS1: true},
	}
	for _, b := range info.Labels[0].Barcodes {
		w := want[b.Symbology]
		if b.Data != w.Data || b.GS1 != w.GS1 || b.Width == 0 {
			t.Errorf("barcode %+v, want %+v", b, w)
		}
		delete(want, b.Symbology)
	}
	if len(want) > 0 {
		t.Errorf("not in the preview: %v", want)
	}
}

func TestPayloadPreviewAndRefusals(t *testing.T) {
	f := previewSetup(t)
	ctx := context.Background()
	// A barcode the renderer cannot draw: shown as not drawn, fails the check.
	undrawn := []byte("^XA^FO50,50^B1N,N,100,Y,N^FD0123-4^FS^XZ")
	img, err := f.cl.PayloadPreview(ctx, "", "", undrawn, client.PreviewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if img.Undrawn != 1 || img.Warnings == 0 {
		t.Errorf("undrawn %d warnings %d", img.Undrawn, img.Warnings)
	}
	info, err := f.cl.PayloadPreviewInfo(ctx, "desk", apitype.KindZPL, undrawn, client.PreviewOptions{Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if info.Verified == nil || *info.Verified || len(info.Labels[0].Undrawn) != 1 || len(info.Labels[0].Problems) != 1 {
		t.Errorf("a label with an undrawn barcode: %+v", info)
	}
	// The default printer: 910-300-600 at 203 dpi.
	if l := info.Labels[0]; l.WidthDots != 823 || l.HeightDots != 1590 {
		t.Errorf("default printer preview %dx%d", l.WidthDots, l.HeightDots)
	}
	// Several labels: one PNG each.
	two := []byte("^XA^FO10,10^A0N,30,30^FDone^FS^XZ^XA^FO10,10^A0N,30,30^FDtwo^FS^XZ")
	if img, err := f.cl.PayloadPreview(ctx, "desk", "", two, client.PreviewOptions{Label: 2}); err != nil || img.Labels != 2 {
		t.Errorf("second label: %+v %v", img.Labels, err)
	}
	auth := map[string]string{apitype.HeaderAPIKey: key}
	de := map[string]string{apitype.HeaderAPIKey: key, "Accept-Language": "de"}
	sub, err := f.cl.Submit(ctx, apitype.SubmitRequest{Kind: apitype.KindZPL, Payload: []byte(gs1Label)})
	if err != nil {
		t.Fatal(err)
	}
	jobPath := "/api/v1/jobs/" + sub.Job.ID + "/preview"
	for _, tc := range []struct {
		name, method, path, body string
		hdr                      map[string]string
		status                   int
		code, msg                string
	}{
		{"no key", "GET", jobPath, "", nil, 401, apitype.CodeUnauthorized, ""},
		{"label beyond the last", "GET", jobPath + "?label=2", "", auth, 404, apitype.CodeNotFound, "label 2 does not exist"},
		{"label not a number", "GET", jobPath + "?label=x", "", auth, 400, apitype.CodeBadRequest, "label"},
		{"bad format", "GET", jobPath + "?format=xml", "", auth, 400, apitype.CodeBadRequest, "png or json"},
		{"bad verify", "GET", jobPath + "?verify=maybe", "", auth, 400, apitype.CodeBadRequest, "true or false"},
		{"unknown parameter", "GET", jobPath + "?dpi=300", "", auth, 400, apitype.CodeBadRequest, "dpi"},
		{"unknown job", "GET", "/api/v1/jobs/999999/preview", "", auth, 404, apitype.CodeNotFound, ""},
		{"unknown printer", "POST", "/api/v1/preview?printer=zebra9", gs1Label, auth, 404, apitype.CodeUnknownPrinter, "zebra9"},
		{"empty payload", "POST", "/api/v1/preview", "", auth, 400, apitype.CodeBadRequest, "empty payload"},
		{"not a label", "POST", "/api/v1/preview?kind=raw", "\x1b@hello", auth, 422, apitype.CodeBadRequest, "no preview"},
		{"broken PDF", "POST", "/api/v1/preview?kind=pdf", "%PDF-1.4 broken", auth, 422, apitype.CodeBadRequest, "no preview"},
		{"German", "GET", jobPath + "?label=3", "", de, 404, apitype.CodeNotFound, "Etikett 3 gibt es nicht"},
		{"too large", "POST", "/api/v1/preview", strings.Repeat("^FX", 30<<10), auth, 413, apitype.CodeTooLarge, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, e, _ := f.do(t, tc.method, tc.path, tc.body, tc.hdr)
			if status != tc.status || e.Code != tc.code || !strings.Contains(e.Message, tc.msg) {
				t.Errorf("%d %+v, want %d %s %q", status, e, tc.status, tc.code, tc.msg)
			}
		})
	}
	// The PNG answer's headers.
	req, _ := http.NewRequest("GET", "http://"+f.addr+jobPath, nil)
	req.Header.Set(apitype.HeaderAPIKey, key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != "image/png" || resp.Header.Get(apitype.HeaderPreviewLabels) != "1" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v", resp.Header)
	}
}

// Every note the renderer makes has words in every language.
func TestEveryRendererNoteIsInTheCatalog(t *testing.T) {
	for _, code := range render.NoteCodes() {
		for _, lang := range i18n.Langs() {
			if !i18n.Default().Has(lang, "preview.note."+code) {
				t.Errorf("preview.note.%s missing in %s", code, lang)
			}
		}
	}
	// And the API words them in the reader's language.
	f := previewSetup(t)
	status, _, body := f.do(t, "POST", "/api/v1/preview?format=json", "^XA^FO10,10^B1N,N,50^FD0123-4^FS^XZ", map[string]string{apitype.HeaderAPIKey: key, "Accept-Language": "de"})
	if status != 200 || !strings.Contains(string(body), "wird nicht gezeichnet") {
		t.Errorf("%d %s", status, body)
	}
}
