package browser_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent"
	"github.com/labelagent/labelagent/agent/api"
	"github.com/labelagent/labelagent/agent/api/browser"
	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/agent/pairing"
	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/printer/emulator"
	"gopkg.in/yaml.v3"
)

const (
	apiKey = "test-key-0123456789"
	shop   = "https://shop.example"
	label  = "^XA^FO50,50^A0N,50,50^FDHello^FS^XZ"
)

// fixture is a started agent with a TCP printer emulator ("zebra", the
// default) and a file printer ("desk"), its control API, the browser API
// and the Browser Print endpoints, all on ephemeral loopback ports.
type fixture struct {
	h       http.Handler // the browser surface's handler
	zh      http.Handler // the Browser Print handler
	a       *agent.Agent
	reg     *pairing.Registry
	emu     *emulator.Emulator
	addr    string // browser API
	zaddr   string // Browser Print
	control string // control API
}

type fixtureOpts struct {
	dhl     *yaml.Node // a dhl: section (the DHL simulator's)
	im      *yaml.Node // an internetmarke: section (the INTERNETMARKE simulator's)
	rate    float64
	burst   int
	maxBody config.Size
}

func setup(t testing.TB, o fixtureOpts) *fixture {
	t.Helper()
	dir := t.TempDir()
	emu := emulator.New(emulator.Options{})
	t.Cleanup(func() { emu.Close() })
	eaddr, err := emu.ListenTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load("", func(c *config.Config) {
		c.DataDir = dir
		c.Listen = "127.0.0.1:0"
		if o.maxBody != 0 {
			c.Jobs.MaxPayload = o.maxBody
		}
		c.Jobs.RetryInitial, c.Jobs.RetryMax = 20*time.Millisecond, 200*time.Millisecond
		c.Printers = []printer.Config{
			{Name: "zebra", Transport: "tcp", TCP: printer.TCPConfig{Address: eaddr.String()}},
			{Name: "desk", Transport: "file"},
		}
		c.DefaultPrinter = "zebra"
		c.Browser.Listen = "127.0.0.1:0"
		if o.dhl != nil {
			c.DHL = *o.dhl
		}
		if o.im != nil {
			c.Internetmarke = *o.im
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := agent.New(agent.Options{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), HoldPoll: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	reg, err := pairing.Open(a.Store().DB(), cfg.Browser.PairingTimeout, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctl := api.New(a, apiKey, nil)
	if p := a.Postage(); p != nil {
		ctl.MountStamps(&api.StampService{IM: p.Client, Journal: p.Journal, Profile: p.Profile})
	} else {
		ctl.MountStamps(nil)
	}
	browser.MountOrigins(ctl, reg)
	rate, burst := o.rate, o.burst
	if rate == 0 {
		rate, burst = 1e6, 1e6 // tests that do not test the limit
	}
	bs := browser.New(browser.Options{Agent: a, Origins: reg, Control: ctl.Handler(), Key: apiKey, Rate: rate, Burst: burst})
	serve := func(h http.Handler) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: h}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
		return ln.Addr().String()
	}
	f := &fixture{h: bs.Handler(), zh: bs.ZebraHandler(), a: a, reg: reg, emu: emu, addr: serve(bs.Handler()), zaddr: serve(bs.ZebraHandler()), control: serve(ctl.Handler())}
	t.Cleanup(func() { stopAgent(t, a) })
	return f
}

// stopGrace bounds how long a test's agent may take to stop. Stop lets the
// job being written finish; with a printer that holds it (a fault set by
// the test while the job was still being confirmed) that is forever, and a
// test without this bound hangs until go test's 10-minute alarm.
const stopGrace = 15 * time.Second

// stopAgent stops a, and fails the test when a job was still held after
// stopGrace: the test left the printer unable to finish it.
func stopAgent(t testing.TB, a *agent.Agent) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), stopGrace)
	defer cancel()
	start := time.Now()
	a.Stop(ctx)
	if ctx.Err() != nil {
		t.Errorf("the agent took %v to stop (grace %v): a job was still being written or confirmed by its printer when the test ended", time.Since(start).Round(time.Millisecond), stopGrace)
	}
}

// httpClient is the tests' client: no request waits longer than this.
var httpClient = &http.Client{Timeout: 30 * time.Second}

// waitJobState waits until job id reaches state.
func (f *fixture) waitJobState(t testing.TB, id string, state apitype.JobState) apitype.Job {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		j, err := f.a.Job(id)
		if err == nil && j.State == state {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s: %q after 15s, want %q (%v)", id, j.State, state, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// req sends a request to the browser API; hdr "Host" sets the Host header.
func (f *fixture) req(t testing.TB, method, base, path, ctype string, body io.Reader, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	r, err := http.NewRequest(method, "http://"+base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	for k, v := range hdr {
		if k == "Host" {
			r.Host = v
			continue
		}
		r.Header.Set(k, v)
	}
	resp, err := httpClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, data
}

// pair asks to pair as origin, approves with scopes and returns the token.
func (f *fixture) pair(t testing.TB, origin string, scopes ...string) string {
	t.Helper()
	resp, data := f.req(t, "POST", f.addr, "/v1/pair", "application/json", strings.NewReader(`{"app":"test"}`), map[string]string{"Origin": origin})
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("pair: %d %s", resp.StatusCode, data)
	}
	var ps browser.PairStatus
	json.Unmarshal(data, &ps)
	if _, err := f.reg.Approve(origin, scopes); err != nil {
		t.Fatal(err)
	}
	return ps.Token
}

func (f *fixture) jobs(t testing.TB) int {
	t.Helper()
	js, err := f.a.Jobs(agent.JobFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return len(js)
}

func submitJSON(payload string) string {
	b, _ := json.Marshal(apitype.SubmitRequest{Payload: []byte(payload), Name: "order 4711"})
	return string(b)
}

// TestSecurityTable: every probe is refused with its status, and nothing
// is queued.
func TestSecurityTable(t *testing.T) {
	f := setup(t, fixtureOpts{maxBody: 4 << 10})
	token := f.pair(t, shop)
	revokedTok := f.pair(t, "https://old.example")
	if err := f.reg.Revoke("https://old.example"); err != nil {
		t.Fatal(err)
	}
	deniedTok := f.pair(t, "https://denied.example")
	f.reg.Deny("https://denied.example")
	_, port, _ := net.SplitHostPort(f.addr)
	ok := map[string]string{"Origin": shop, "Authorization": "Bearer " + token}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range ok {
			m[k] = v
		}
		for k, v := range extra {
			if v == "-" {
				delete(m, k)
				continue
			}
			m[k] = v
		}
		return m
	}
	big := strings.Repeat("^FO1,1^FDx^FS", 1000) // > 4 KiB once in a label
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("printer", "zebra")
	fw, _ := mw.CreateFormFile("payload", "big.zpl")
	fw.Write([]byte("^XA" + big + "^XZ"))
	mw.Close()

	probes := []struct {
		name   string
		path   string
		ctype  string
		body   string
		hdr    map[string]string
		status int
		code   string
	}{
		{"foreign Host (DNS rebinding)", "/v1/jobs", "application/json", submitJSON(label), with(map[string]string{"Host": "evil.example:" + port}), 403, apitype.CodeForbidden},
		{"loopback Host, wrong port", "/v1/jobs", "application/json", submitJSON(label), with(map[string]string{"Host": "127.0.0.1:1"}), 403, apitype.CodeForbidden},
		{"Host without port", "/v1/jobs", "application/json", submitJSON(label), with(map[string]string{"Host": "localhost"}), 403, apitype.CodeForbidden},
		{"foreign Origin with a stolen token", "/v1/jobs", "application/json", submitJSON(label), with(map[string]string{"Origin": "https://evil.example"}), 401, apitype.CodeNotPaired},
		{"Origin null", "/v1/jobs", "application/json", submitJSON(label), with(map[string]string{"Origin": "null"}), 403, apitype.CodeForbidden},
		{"no Origin", "/v1/jobs", "application/json", submitJSON(label), with(map[string]string{"Origin": "-"}), 403, apitype.CodeForbidden},
		{"no token", "/v1/jobs", "application/json", submitJSON(label), with(map[string]string{"Authorization": "-"}), 401, apitype.CodeNotPaired},
		{"wrong token", "/v1/jobs", "application/json", submitJSON(label), with(map[string]string{"Authorization": "Bearer la1_wrong"}), 401, apitype.CodeNotPaired},
		{"revoked origin", "/v1/jobs", "application/json", submitJSON(label), with(map[string]string{"Origin": "https://old.example", "Authorization": "Bearer " + revokedTok}), 401, apitype.CodeNotPaired},
		{"denied origin", "/v1/jobs", "application/json", submitJSON(label), with(map[string]string{"Origin": "https://denied.example", "Authorization": "Bearer " + deniedTok}), 403, apitype.CodeDenied},
		{"scope not granted (stamps)", "/v1/postage/stamps", "application/json", `{"quantity":1}`, ok, 403, apitype.CodeScope},
		{"text/plain form post, no token", "/v1/jobs", "text/plain", submitJSON(label), with(map[string]string{"Authorization": "-", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors"}), 415, apitype.CodeBadRequest},
		{"text/plain with the token", "/v1/jobs", "text/plain", submitJSON(label), ok, 415, apitype.CodeBadRequest},
		{"urlencoded form", "/v1/jobs", "application/x-www-form-urlencoded", "payload=" + label, ok, 415, apitype.CodeBadRequest},
		{"cross-site navigation (form submit)", "/v1/jobs", "application/json", submitJSON(label), with(map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}), 403, apitype.CodeForbidden},
		{"cross-site no-cors", "/v1/jobs", "application/json", submitJSON(label), with(map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"}), 403, apitype.CodeForbidden},
		{"oversized JSON body", "/v1/jobs", "application/json", submitJSON("^XA" + big + big + big + "^XZ"), ok, 413, apitype.CodeTooLarge},
		{"oversized multipart body", "/v1/jobs", mw.FormDataContentType(), mp.String(), ok, 413, apitype.CodeTooLarge},
		{"pairing request as a text/plain form", "/v1/pair", "text/plain", `{"app":"x"}`, map[string]string{"Origin": "https://evil.example"}, 415, apitype.CodeBadRequest},
	}
	for _, p := range probes {
		t.Run(p.name, func(t *testing.T) {
			before := f.jobs(t)
			resp, data := f.req(t, "POST", f.addr, p.path, p.ctype, strings.NewReader(p.body), p.hdr)
			var e apitype.Error
			json.Unmarshal(data, &e)
			if resp.StatusCode != p.status || e.Code != p.code {
				t.Fatalf("got %d %q (%s), want %d %q", resp.StatusCode, e.Code, e.Message, p.status, p.code)
			}
			if e.Message == "" {
				t.Error("no message for the reader")
			}
			if acao := resp.Header.Get("Access-Control-Allow-Origin"); acao != "" && acao != shop && p.path != "/v1/pair" { // anyone may ask to pair
				t.Errorf("CORS allowed %q", acao)
			}
			if n := f.jobs(t); n != before {
				t.Fatalf("%d job(s) queued by a refused request", n-before)
			}
		})
	}
	// The same request with everything right prints: the probes failed for
	// their one reason.
	resp, data := f.req(t, "POST", f.addr, "/v1/jobs", "application/json", strings.NewReader(submitJSON(label)), ok)
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("Access-Control-Allow-Origin") != shop {
		t.Fatalf("good request: %d %s", resp.StatusCode, data)
	}
	if f.jobs(t) != 1 {
		t.Fatalf("jobs after the good request: %d", f.jobs(t))
	}
}

// TestNonLoopbackListenRefused: a browser listener on the network is a
// configuration error, found before anything starts.
func TestNonLoopbackListenRefused(t *testing.T) {
	for _, c := range []struct{ key, yaml string }{
		{"browser.listen", "browser: {listen: 0.0.0.0:9181}"},
		{"browser.https_listen", "browser: {https_listen: 192.168.1.5:9443}"},
		{"browser.browser_print.listen", "browser: {browser_print: {enabled: true, listen: '[::]:9100'}}"},
	} {
		path := t.TempDir() + "/c.yaml"
		if err := writeFile(path, c.yaml); err != nil {
			t.Fatal(err)
		}
		_, err := config.Load(path)
		if err == nil || !strings.Contains(err.Error(), c.key) || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("%s: %v", c.yaml, err)
		}
	}
}

func TestPreflightAndCORS(t *testing.T) {
	f := setup(t, fixtureOpts{})
	f.pair(t, shop)
	pre := func(origin, path string) *http.Response {
		resp, _ := f.req(t, "OPTIONS", f.addr, path, "", nil, map[string]string{
			"Origin": origin, "Access-Control-Request-Method": "POST",
			"Access-Control-Request-Headers": "authorization,content-type", "Access-Control-Request-Private-Network": "true"})
		return resp
	}
	r := pre(shop, "/v1/jobs")
	if r.StatusCode != 204 || r.Header.Get("Access-Control-Allow-Origin") != shop || r.Header.Get("Access-Control-Allow-Private-Network") != "true" ||
		!strings.Contains(r.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Fatalf("approved origin's preflight: %d %v", r.StatusCode, r.Header)
	}
	r = pre("https://evil.example", "/v1/jobs")
	if r.StatusCode != 403 || r.Header.Get("Access-Control-Allow-Origin") != "" || r.Header.Get("Access-Control-Allow-Private-Network") != "" {
		t.Fatalf("unapproved origin's preflight: %d %v", r.StatusCode, r.Header)
	}
	// Anyone may ask to pair; that is what the operator decides on.
	r = pre("https://new.example", "/v1/pair")
	if r.StatusCode != 204 || r.Header.Get("Access-Control-Allow-Origin") != "https://new.example" {
		t.Fatalf("pairing preflight: %d %v", r.StatusCode, r.Header)
	}
	// The client script is public.
	r, body := f.req(t, "GET", f.addr, "/labelagent.js", "", nil, map[string]string{"Origin": "https://any.example"})
	if r.StatusCode != 200 || r.Header.Get("Access-Control-Allow-Origin") != "*" || !bytes.Contains(body, []byte("export class Labelagent")) {
		t.Fatalf("labelagent.js: %d %v", r.StatusCode, r.Header)
	}
}

func TestRateLimitPerOrigin(t *testing.T) {
	f := setup(t, fixtureOpts{rate: 1, burst: 3})
	tok := f.pair(t, shop)
	other := f.pair(t, "https://other.example")
	codes := []int{}
	for range 5 {
		resp, _ := f.req(t, "GET", f.addr, "/v1/printers", "", nil, map[string]string{"Origin": shop, "Authorization": "Bearer " + tok})
		codes = append(codes, resp.StatusCode)
		if resp.StatusCode == 429 && resp.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	if codes[0] != 200 || codes[4] != 429 {
		t.Fatalf("statuses %v: want the burst served, then 429", codes)
	}
	// Another origin has its own budget (pairing above spent one request).
	resp, _ := f.req(t, "GET", f.addr, "/v1/printers", "", nil, map[string]string{"Origin": "https://other.example", "Authorization": "Bearer " + other})
	if resp.StatusCode != 200 {
		t.Fatalf("other origin: %d", resp.StatusCode)
	}
}

// TestPrintFlow: pair, print JSON and multipart, watch events, read the
// job and its preview; another origin cannot see the job.
func TestPrintFlow(t *testing.T) {
	f := setup(t, fixtureOpts{})
	tok := f.pair(t, shop)
	auth := map[string]string{"Origin": shop, "Authorization": "Bearer " + tok, "Idempotency-Key": "order-1"}

	// Events first, so the job's changes are seen.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	er, _ := http.NewRequestWithContext(ctx, "GET", "http://"+f.addr+"/v1/events", nil)
	er.Header.Set("Origin", shop)
	er.Header.Set("X-Labelagent-Token", tok)
	evResp, err := http.DefaultClient.Do(er)
	if err != nil || evResp.StatusCode != 200 {
		t.Fatalf("events: %v %v", err, evResp)
	}
	defer evResp.Body.Close()

	resp, data := f.req(t, "POST", f.addr, "/v1/jobs", "application/json", strings.NewReader(submitJSON(label)), auth)
	if resp.StatusCode != 201 {
		t.Fatalf("submit: %d %s", resp.StatusCode, data)
	}
	var sr apitype.SubmitResponse
	json.Unmarshal(data, &sr)
	if sr.Job.Source != "browser:"+shop || sr.Job.IdempotencyKey != "order-1" {
		t.Fatalf("job: %+v", sr.Job)
	}
	// The same key again: the same job, nothing new.
	resp, data = f.req(t, "POST", f.addr, "/v1/jobs", "application/json", strings.NewReader(submitJSON(label)), auth)
	var again apitype.SubmitResponse
	json.Unmarshal(data, &again)
	if resp.StatusCode != 200 || !again.Existing || again.Job.ID != sr.Job.ID {
		t.Fatalf("repeat: %d %s", resp.StatusCode, data)
	}
	// Watch it finish on the stream.
	done := make(chan apitype.Job, 1)
	go func() {
		dec := bufioLines(ctx, evResp.Body)
		for ev := range dec {
			if ev.Job != nil && ev.Job.ID == sr.Job.ID && ev.Job.State == apitype.StateDone {
				done <- *ev.Job
				return
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("no done event")
	}
	lctx, lcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer lcancel()
	labels, err := f.emu.WaitLabels(lctx, 1)
	if err != nil || !bytes.Contains(labels[0].Data, []byte("Hello")) {
		t.Fatalf("emulator: %v %v", labels, err)
	}
	// Preview: a PNG of the label.
	resp, png := f.req(t, "GET", f.addr, "/v1/jobs/"+sr.Job.ID+"/preview", "", nil, auth)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("preview: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// Multipart, to the file printer.
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("printer", "desk")
	mw.WriteField("name", "order 2")
	fw, _ := mw.CreateFormFile("payload", "label.zpl")
	fw.Write([]byte(label))
	mw.Close()
	resp, data = f.req(t, "POST", f.addr, "/v1/jobs", mw.FormDataContentType(), &mp, map[string]string{"Origin": shop, "Authorization": "Bearer " + tok})
	if resp.StatusCode != 201 || !strings.Contains(string(data), `"printer":"desk"`) {
		t.Fatalf("multipart: %d %s", resp.StatusCode, data)
	}
	// Another approved origin does not see this origin's job.
	other := f.pair(t, "https://other.example")
	resp, _ = f.req(t, "GET", f.addr, "/v1/jobs/"+sr.Job.ID, "", nil, map[string]string{"Origin": "https://other.example", "Authorization": "Bearer " + other})
	if resp.StatusCode != 404 {
		t.Fatalf("other origin reads the job: %d", resp.StatusCode)
	}
	// German answers for a German browser.
	resp, data = f.req(t, "GET", f.addr, "/v1/jobs/1", "", nil, map[string]string{"Origin": shop, "Accept-Language": "de-DE,de;q=0.9"})
	if resp.StatusCode != 401 || !strings.Contains(string(data), "nicht mit labelagent gekoppelt") {
		t.Fatalf("German error: %d %s", resp.StatusCode, data)
	}
}

// TestPairingStatus walks the pairing endpoint through its states.
func TestPairingStatus(t *testing.T) {
	f := setup(t, fixtureOpts{})
	resp, data := f.req(t, "POST", f.addr, "/v1/pair", "application/json", strings.NewReader(`{"app":"Shop"}`), map[string]string{"Origin": shop})
	var ps browser.PairStatus
	json.Unmarshal(data, &ps)
	if resp.StatusCode != 202 || ps.Token == "" || len(ps.Code) != 4 {
		t.Fatalf("request: %d %s", resp.StatusCode, data)
	}
	get := func() (int, browser.PairStatus) {
		resp, data := f.req(t, "GET", f.addr, "/v1/pair", "", nil, map[string]string{"Origin": shop, "Authorization": "Bearer " + ps.Token})
		var st browser.PairStatus
		json.Unmarshal(data, &st)
		return resp.StatusCode, st
	}
	if c, st := get(); c != 200 || st.State != "pending" || st.Code != ps.Code {
		t.Fatalf("pending: %d %+v", c, st)
	}
	// Until approved, the token prints nothing.
	resp, _ = f.req(t, "POST", f.addr, "/v1/jobs", "application/json", strings.NewReader(submitJSON(label)), map[string]string{"Origin": shop, "Authorization": "Bearer " + ps.Token})
	if resp.StatusCode != 403 || f.jobs(t) != 0 {
		t.Fatalf("pending token printed: %d", resp.StatusCode)
	}
	// Approval through the control API, as `labelagent origins approve` does.
	r, _ := http.NewRequest("POST", "http://"+f.control+"/api/v1/origins/approve", strings.NewReader(`{"origin":"https://SHOP.example:443","scopes":["shipping"]}`))
	r.Header.Set(apitype.HeaderAPIKey, apiKey)
	r.Header.Set("Content-Type", "application/json")
	cr, err := httpClient.Do(r)
	if err != nil || cr.StatusCode != 200 {
		t.Fatalf("approve via control API: %v %v", err, cr)
	}
	if c, st := get(); c != 200 || st.State != "approved" || strings.Join(st.Scopes, ",") != "print,shipping" {
		t.Fatalf("approved: %d %+v", c, st)
	}
	f.reg.Deny(shop)
	if c, _ := get(); c != 403 {
		t.Fatalf("denied: %d", c)
	}
}

// bufioLines decodes an event stream's events until r ends or ctx is done
// (a reader that stopped listening does not leave it blocked).
func bufioLines(ctx context.Context, r io.Reader) <-chan apitype.Event {
	out := make(chan apitype.Event)
	go func() {
		defer close(out)
		buf := make([]byte, 0, 64<<10)
		tmp := make([]byte, 4096)
		for {
			n, err := r.Read(tmp)
			buf = append(buf, tmp[:n]...)
			for {
				i := bytes.Index(buf, []byte("\n\n"))
				if i < 0 {
					break
				}
				block := string(buf[:i])
				buf = buf[i+2:]
				for _, line := range strings.Split(block, "\n") {
					if d, ok := strings.CutPrefix(line, "data: "); ok {
						var e apitype.Event
						if json.Unmarshal([]byte(d), &e) == nil {
							select {
							case out <- e:
							case <-ctx.Done():
								return
							}
						}
					}
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return out
}
