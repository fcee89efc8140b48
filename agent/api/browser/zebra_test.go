package browser_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent"
	"github.com/labelagent/labelagent/agent/api/browser"
	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/printer/zplstatus"
)

const wms = "https://wms.example"

func TestBrowserPrintCompat(t *testing.T) {
	f := setup(t, fixtureOpts{})
	hdr := map[string]string{"Origin": wms}

	// An origin nobody accepted: refused, and the operator sees a request.
	resp, data := f.req(t, "GET", f.zaddr, "/available", "", nil, hdr)
	if resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("unaccepted origin: %d %s", resp.StatusCode, data)
	}
	o, ok := f.reg.Get(wms)
	if !ok || o.State != apitype.OriginPending || o.Via != "browser_print" {
		t.Fatalf("no pairing request: %+v", o)
	}
	resp, _ = f.req(t, "POST", f.zaddr, "/write", "text/plain;charset=UTF-8", strings.NewReader(`{"data":"^XA^XZ"}`), hdr)
	if resp.StatusCode != 403 || f.jobs(t) != 0 {
		t.Fatalf("unaccepted write: %d, %d jobs", resp.StatusCode, f.jobs(t))
	}
	f.reg.Approve(wms, nil)

	// Discovery: Browser Print's shapes.
	resp, data = f.req(t, "GET", f.zaddr, "/available", "", nil, hdr)
	var avail map[string][]browser.Device
	if err := json.Unmarshal(data, &avail); err != nil || resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != wms {
		t.Fatalf("available: %d %s %v", resp.StatusCode, data, err)
	}
	if len(avail["printer"]) != 2 || len(avail["deviceList"]) != 2 {
		t.Fatalf("available: %s", data)
	}
	var raw []map[string]any
	json.Unmarshal(mustJSON(avail["printer"]), &raw)
	for _, k := range []string{"name", "uid", "connection", "deviceType", "version", "provider", "manufacturer"} {
		if _, ok := raw[0][k]; !ok {
			t.Errorf("device lacks %q: %v", k, raw[0])
		}
	}
	_, data = f.req(t, "GET", f.zaddr, "/default?type=printer", "", nil, hdr)
	var def browser.Device
	json.Unmarshal(data, &def)
	if def.Name != "zebra" || def.Connection != "network" || def.UID != f.emuAddr(t) || def.DeviceType != "printer" {
		t.Fatalf("default: %s", data)
	}
	// Stable uids: the same on every call, and the file printer has one too.
	_, data2 := f.req(t, "GET", f.zaddr, "/default?type=printer", "", nil, hdr)
	if !bytes.Equal(data, data2) {
		t.Fatal("default device changed between calls")
	}
	if _, data := f.req(t, "GET", f.zaddr, "/config", "", nil, hdr); !strings.Contains(string(data), `"application"`) {
		t.Fatalf("config: %s", data)
	}

	// Write as BrowserPrint.js does: JSON in a text/plain body. The label
	// goes through the queue.
	body, _ := json.Marshal(browser.ZebraBody{Device: &def, Data: label})
	resp, data = f.req(t, "POST", f.zaddr, "/write", "text/plain;charset=UTF-8", bytes.NewReader(body), hdr)
	if resp.StatusCode != 200 || resp.Header.Get("X-Labelagent-Job") == "" {
		t.Fatalf("write: %d %s", resp.StatusCode, data)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	labels, err := f.emu.WaitLabels(ctx, 1)
	if err != nil || !bytes.Contains(labels[0].Data, []byte("Hello")) {
		t.Fatalf("printed: %v %v", labels, err)
	}
	// Done means the printer confirmed it holds nothing of the label any
	// more; the paper-out below must not come while the worker still asks,
	// or the printer holds the job and the agent waits for paper.
	if j := f.waitJobState(t, resp.Header.Get("X-Labelagent-Job"), apitype.StateDone); j.Source != "browser:"+wms {
		t.Fatalf("job: %+v", j)
	}
	// A form-encoded write to the file printer, by its uid.
	deskUID := avail["printer"][0].UID
	form := url.Values{"device": {string(mustJSON(avail["printer"][0]))}, "data": {label}}
	resp, _ = f.req(t, "POST", f.zaddr, "/write", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), hdr)
	if resp.StatusCode != 200 {
		t.Fatalf("form write: %d", resp.StatusCode)
	}
	if j, _ := f.a.Job(resp.Header.Get("X-Labelagent-Job")); j.Printer != "desk" || deskUID != "labelagent:desk" {
		t.Fatalf("form write went to %q (uid %q)", j.Printer, deskUID)
	}

	// Status: ~HS is asked at once; /read returns the printer's answer.
	f.emu.SetPaperOut(true)
	q, _ := json.Marshal(browser.ZebraBody{Device: &def, Data: "~HS"})
	before := f.jobs(t)
	if resp, data := f.req(t, "POST", f.zaddr, "/write", "text/plain", bytes.NewReader(q), hdr); resp.StatusCode != 200 {
		t.Fatalf("write ~HS: %d %s", resp.StatusCode, data)
	}
	if f.jobs(t) != before {
		t.Fatal("a status query became a job")
	}
	rq, _ := json.Marshal(browser.ZebraBody{Device: &def})
	resp, data = f.req(t, "POST", f.zaddr, "/read", "text/plain", bytes.NewReader(rq), hdr)
	if resp.StatusCode != 200 || !bytes.HasPrefix(data, []byte{0x02}) {
		t.Fatalf("read: %d %q", resp.StatusCode, data)
	}
	hs, err := zplstatus.ParseHS(data)
	if err != nil || !hs.PaperOut {
		t.Fatalf("~HS answer %q: %+v %v", data, hs, err)
	}
	// Read again: nothing new.
	if _, data := f.req(t, "POST", f.zaddr, "/read", "text/plain", bytes.NewReader(rq), hdr); len(data) != 0 {
		t.Fatalf("second read: %q", data)
	}
	// Another origin does not read this origin's answers.
	f.reg.Approve("https://other.example", nil)
	f.req(t, "POST", f.zaddr, "/write", "text/plain", bytes.NewReader(q), hdr)
	if _, data := f.req(t, "POST", f.zaddr, "/read", "text/plain", bytes.NewReader(rq), map[string]string{"Origin": "https://other.example"}); len(data) != 0 {
		t.Fatalf("other origin read %q", data)
	}
	// The guard applies here too.
	for _, h := range []map[string]string{
		{"Origin": "null"},
		{"Origin": wms, "Host": "evil.example:9100"},
		{"Origin": wms, "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"},
		{},
	} {
		n := f.jobs(t)
		resp, _ := f.req(t, "POST", f.zaddr, "/write", "text/plain", bytes.NewReader(body), h)
		if resp.StatusCode != 403 || f.jobs(t) != n {
			t.Errorf("%v: %d, %d new jobs", h, resp.StatusCode, f.jobs(t)-n)
		}
	}
	// A file printer cannot answer queries: a clear error, not silence.
	dq, _ := json.Marshal(browser.ZebraBody{Device: &avail["printer"][0], Data: "~HS"})
	if resp, _ := f.req(t, "POST", f.zaddr, "/write", "text/plain", bytes.NewReader(dq), hdr); resp.StatusCode != 502 {
		t.Fatalf("query to the file printer: %d", resp.StatusCode)
	}
}

func (f *fixture) emuAddr(t *testing.T) string {
	pc, _ := f.a.Config().Printer("zebra")
	return pc.TCP.Address
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

func TestIsQuery(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"~HS", true}, {" ~hs\r\n", true}, {"~HQES", true}, {"~HS~HI", true}, {"^XA^HH^XZ", true},
		{"! U1 getvar \"device.languages\"\r\n", true},
		{"^XA^FDx^FS^XZ", false}, {"~HS^XA^FDx^XZ", false}, {"", false}, {"~JA", false}, {"~PP", false},
		{"! U1 setvar \"device.reset\" \"\"", false}, {"! U1 getvar \"x\"^XA^XZ", false},
	} {
		if got := browser.IsQuery([]byte(c.in)); got != c.want {
			t.Errorf("IsQuery(%q) = %v", c.in, got)
		}
	}
}

func FuzzParseZebraBody(f *testing.F) {
	f.Add([]byte(`{"device":{"uid":"x","name":"zebra"},"data":"^XA^XZ"}`), "text/plain;charset=UTF-8")
	f.Add([]byte(`device=%7B%22uid%22%3A%22x%22%7D&data=%5EXA`), "application/x-www-form-urlencoded")
	f.Add([]byte(``), "")
	f.Fuzz(func(t *testing.T, raw []byte, ct string) {
		b, err := browser.ParseZebraBody(raw, ct)
		if err != nil && (b.Device != nil || b.Data != "") {
			t.Fatalf("error with a result: %+v %v", b, err)
		}
		browser.IsQuery([]byte(b.Data))
	})
}

var _ = agent.ErrNotFound
var _ = http.StatusOK
