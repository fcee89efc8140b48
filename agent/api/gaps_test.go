package api_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"net/http"
	"strings"
	"testing"

	"github.com/labelagent/labelagent/agent"
	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/printer"
)

// pngHeader is a PNG that is only its header: enough for the submission
// check, which must refuse it without decoding a pixel.
func pngHeader(w, h uint32, depth, colorType byte) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		c := append([]byte(typ), data...)
		b.Write(c)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(c))
	}
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, depth, colorType, 0, 0, 0)
	chunk("IHDR", ihdr)
	chunk("IEND", nil)
	return b.Bytes()
}

// pdfWithPages is a valid PDF of n empty A6 pages.
func pdfWithPages(n int) []byte {
	var b bytes.Buffer
	var offs []int
	obj := func(s string) {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offs), s)
	}
	b.WriteString("%PDF-1.4\n")
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	kids := make([]string, n)
	for i := range kids {
		kids[i] = fmt.Sprintf("%d 0 R", i+3)
	}
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n))
	for range n {
		obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 298 420] >>")
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	return b.Bytes()
}

func setupBig(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	cfg, err := config.Load("", func(c *config.Config) {
		c.DataDir = dir
		c.Printers = []printer.Config{{Name: "desk", Transport: "file"}, {Name: "shelf", Transport: "file"}}
	})
	if err != nil {
		t.Fatal(err)
	}
	f := serve(t, cfg, nil)
	f.a.PausePrinter("desk") // nothing prints; the test looks at what was queued
	f.a.PausePrinter("shelf")
	return f
}

func submitJSON(t *testing.T, f *fixture, req apitype.SubmitRequest) (int, apitype.Error, []byte) {
	t.Helper()
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return f.do(t, "POST", "/api/v1/jobs", string(body), map[string]string{apitype.HeaderAPIKey: key, "Content-Type": "application/json"})
}

// Every payload the converter would refuse, and every text a terminal would
// take for a command, is refused at submission with its status code, and
// nothing is queued.
func TestInputGapsAreRefusedAtSubmission(t *testing.T) {
	f := setupBig(t)
	label := []byte("^XA^FO20,20^A0N,30,30^FDok^FS^XZ")
	cases := []struct {
		name   string
		req    apitype.SubmitRequest
		status int
		code   string
		msg    string
	}{
		{"PNG beyond the pixel limit", apitype.SubmitRequest{Kind: "png", Payload: pngHeader(8192, 8192, 8, 0)}, 400, apitype.CodeBadRequest, "8192x8192 pixels"},
		{"16-bit colour PNG beyond the decode memory", apitype.SubmitRequest{Kind: "png", Payload: pngHeader(4000, 4000, 16, 6)}, 400, apitype.CodeBadRequest, "MiB to decode"},
		{"PNG that is not one", apitype.SubmitRequest{Kind: "png", Payload: []byte("\x89PNG\r\n\x1a\nnonsense")}, 400, apitype.CodeBadRequest, "PNG"},
		{"PDF beyond the page limit", apitype.SubmitRequest{Kind: "pdf", Payload: pdfWithPages(51)}, 400, apitype.CodeBadRequest, "51 pages"},
		{"%PDF- prefix and nothing else", apitype.SubmitRequest{Kind: "pdf", Payload: []byte("%PDF-1.7 not really")}, 400, apitype.CodeBadRequest, "PDF"},
		{"ZPL without ^XZ", apitype.SubmitRequest{Kind: "zpl", Payload: []byte("^XA^FO10,10^FDno end")}, 400, apitype.CodeBadRequest, "^XZ"},
		{"ZPL whose second label has no ^XZ", apitype.SubmitRequest{Kind: "zpl", Payload: append(bytes.Clone(label), "^XA^FDcut"...)}, 400, apitype.CodeBadRequest, "does not end"},
		{"name with NUL", apitype.SubmitRequest{Payload: label, Name: "order\x001"}, 400, apitype.CodeBadRequest, "U+0000"},
		{"name with a terminal escape", apitype.SubmitRequest{Payload: label, Name: "\x1b[2J\x1b[31mPAID"}, 400, apitype.CodeBadRequest, "U+001B"},
		{"name with a C1 control", apitype.SubmitRequest{Payload: label, Name: "order \u009b31m"}, 400, apitype.CodeBadRequest, "U+009B"},
		{"name with a bidi override", apitype.SubmitRequest{Payload: label, Name: "order \u202egpj.exe"}, 400, apitype.CodeBadRequest, "U+202E"},
		{"source with a line break", apitype.SubmitRequest{Payload: label, Source: "shop\nFAKE LOG LINE"}, 400, apitype.CodeBadRequest, "source"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, e, raw := submitJSON(t, f, c.req)
			if code != c.status || e.Code != c.code || !strings.Contains(e.Message, c.msg) {
				t.Fatalf("got %d %.300s, want %d %s mentioning %q", code, raw, c.status, c.code, c.msg)
			}
		})
	}
	// JSON cannot carry bytes that are not UTF-8; the raw form can.
	if code, e, raw := f.do(t, "POST", "/api/v1/jobs?kind=zpl&name=ord%FFer", string(label), map[string]string{apitype.HeaderAPIKey: key}); code != 400 || !strings.Contains(e.Message, "UTF-8") {
		t.Errorf("name not UTF-8: %d %s", code, raw)
	}
	if code, e, raw := f.do(t, "POST", "/api/v1/jobs?kind=zpl&source=hot%1Bfolder", string(label), map[string]string{apitype.HeaderAPIKey: key}); code != 400 || !strings.Contains(e.Message, "U+001B") {
		t.Errorf("source with ESC: %d %s", code, raw)
	}
	if jobs, err := f.a.Jobs(agent.JobFilter{}); err != nil || len(jobs) != 0 {
		t.Fatalf("refused submissions queued %d jobs (%v)", len(jobs), err)
	}

	// What the limits allow still goes in: an umlaut name, a 4000x4000
	// 8-bit grey PNG header, a PDF at the page limit.
	for _, req := range []apitype.SubmitRequest{
		{Payload: label, Name: "Bestellung Müller 4711"},
		{Kind: "png", Payload: pngHeader(4000, 4000, 8, 0)},
		{Kind: "pdf", Payload: pdfWithPages(50)},
	} {
		if code, _, raw := submitJSON(t, f, req); code != http.StatusCreated {
			t.Errorf("%s within the limits refused: %d %.300s", req.Kind, code, raw)
		}
	}
}

// An idempotency key is a promise that the request is the same: reused for
// a different payload, printer, kind or copies it is refused, naming the
// difference, and the first job stays the only one.
func TestIdempotencyKeyReusedForADifferentJobIsRefused(t *testing.T) {
	f := setupBig(t)
	first := apitype.SubmitRequest{Kind: "zpl", Payload: []byte("^XA^FDone^FS^XZ"), Copies: 2, IdempotencyKey: "order-4711", Printer: "desk"}
	code, _, raw := submitJSON(t, f, first)
	if code != http.StatusCreated {
		t.Fatalf("first submission: %d %s", code, raw)
	}
	var r apitype.SubmitResponse
	json.Unmarshal(raw, &r)

	change := func(fn func(*apitype.SubmitRequest)) apitype.SubmitRequest {
		req := first
		fn(&req)
		return req
	}
	cases := []struct {
		name string
		req  apitype.SubmitRequest
		msg  string
	}{
		{"other payload", change(func(q *apitype.SubmitRequest) { q.Payload = []byte("^XA^FDtwo^FS^XZ") }), "different payload"},
		{"other printer", change(func(q *apitype.SubmitRequest) { q.Printer = "shelf" }), `printer ("desk", now "shelf")`},
		{"other kind", change(func(q *apitype.SubmitRequest) { q.Kind = "raw" }), "kind (zpl, now raw)"},
		{"other copies", change(func(q *apitype.SubmitRequest) { q.Copies = 3 }), "copies (2, now 3)"},
		{"default copies", change(func(q *apitype.SubmitRequest) { q.Copies = 0 }), "copies (2, now 1)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, e, raw := submitJSON(t, f, c.req)
			if code != http.StatusUnprocessableEntity || e.Code != apitype.CodeKeyReused || !strings.Contains(e.Message, c.msg) || !strings.Contains(e.Message, r.Job.ID) {
				t.Fatalf("got %d %s, want 422 %s naming %q and job %s", code, raw, apitype.CodeKeyReused, c.msg, r.Job.ID)
			}
		})
	}
	// The same request again is a retry: the first job, not a new one.
	code, _, raw = submitJSON(t, f, first)
	var again apitype.SubmitResponse
	if err := json.Unmarshal(raw, &again); err != nil || code != http.StatusOK || !again.Existing || again.Job.ID != r.Job.ID {
		t.Fatalf("same request again: %d %s", code, raw)
	}
	// Through the Go client the refusal is a typed error with the code.
	_, err := f.cl.Submit(context.Background(), change(func(q *apitype.SubmitRequest) { q.Copies = 5 }))
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusUnprocessableEntity || ae.Code != apitype.CodeKeyReused {
		t.Fatalf("client error %v", err)
	}
	if jobs, _ := f.a.Jobs(agent.JobFilter{}); len(jobs) != 1 {
		t.Fatalf("%d jobs, want only the first", len(jobs))
	}
}
