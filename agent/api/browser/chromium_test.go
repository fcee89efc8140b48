package browser_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/labelagent/labelagent/agent/apitype"
)

// These tests drive a real headless Chromium (Debian package "chromium",
// installed by `make test`) with chromedp. They skip where it is absent.

var updateScreenshots = flag.Bool("update-screenshots", false, "write the dashboard screenshot to docs/screenshots/")

func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium not installed (Debian package chromium; `make test` installs it): skipping the real-browser tests")
	return ""
}

// browserCtx starts Chromium with the flags this build machine needs and a
// fresh profile, and returns a context for its first tab.
func browserCtx(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("real-browser test skipped in -short mode")
	}
	path := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	opts = append(opts, extra...)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelB(); cancelA() })
	// The first call starts the browser; it lives as long as ctx, so ctx
	// cannot carry a deadline: startWithin bounds the start instead. Each
	// step below has its own timeout.
	if err := startWithin(ctx, cancelB, 60*time.Second); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// startWithin runs chromedp's first call on ctx (starting the browser or
// opening the tab, which then live as long as ctx) and cancels ctx when
// that takes longer than d, so a browser that never answers fails the test
// instead of hanging it.
func startWithin(ctx context.Context, cancel context.CancelFunc, d time.Duration) error {
	timer := time.AfterFunc(d, cancel)
	err := chromedp.Do(ctx)
	if !timer.Stop() {
		return fmt.Errorf("no answer within %v: %w", d, err)
	}
	return err
}

// do runs steps on tab with a deadline.
func do(tab context.Context, steps ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(tab, 30*time.Second)
	defer cancel()
	return chromedp.Do(ctx, steps...)
}

// eval evaluates expr on tab (awaiting a promise) and returns its value.
func eval[T any](tab context.Context, expr string) (T, error) {
	ctx, cancel := context.WithTimeout(tab, 30*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// newTab opens another tab in the same browser.
func newTab(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	if err := startWithin(tab, cancel, 30*time.Second); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return tab
}

// servePage serves html on a loopback port; pages are opened as
// http://NAME.localhost:PORT/, which Chromium resolves to loopback, so each
// name is its own origin and site.
func servePage(t *testing.T, name, html string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, html)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return "http://" + name + ".localhost:" + port
}

// shopPage is a web shop's page using the agent's JS client.
func shopPage(agentURL string) string {
	return `<!doctype html><html><head><title>Test shop</title></head><body>
<p>Code: <span id="code"></span></p><p id="state">idle</p><p id="error"></p><img id="preview" alt="">
<script type="module">
import { Labelagent, NotPairedError, DeniedError } from "` + agentURL + `/labelagent.js";
const la = new Labelagent({ url: "` + agentURL + `", app: "Test shop", storage: null });
const state = (s) => { document.getElementById("state").textContent = s; };
window.pairAndPrint = async () => {
  try {
    state("pairing");
    await la.pair({ onCode: (c) => { document.getElementById("code").textContent = c; }, pollMs: 200 });
    state("printing");
    const job = await la.print("^XA^FO50,50^A0N,60,60^FDOrder 4711^FS^FO50,150^BY3^BCN,120,Y,N,N^FD4711^FS^XZ", { name: "order 4711", idempotencyKey: "4711" });
    state("job " + job.id + " " + job.state);
    const done = await la.waitForJob(job.id);
    const img = document.getElementById("preview");
    img.src = await la.previewURL(done.id);
    await img.decode();
    state("done " + done.id + " " + img.naturalWidth + "x" + img.naturalHeight);
  } catch (e) {
    document.getElementById("error").textContent = e.name + ": " + e.message;
    state("error " + e.name);
  }
};
window.shipOrder = async () => {
  const res = await la.ship({ order_ref: "4711", order: { product: "V01PAK",
    consignee: { name1: "Erika Mustermann", addressStreet: "Kurfürstendamm 1", postalCode: "10719", city: "Berlin", country: "DEU" },
    details: { weight: { uom: "kg", value: 1.2 } } } }, { idempotencyKey: "ship-4711" });
  return res.shipment.shipment_no;
};
window.printUnpaired = async () => {
  try {
    await la.print("^XA^FDx^FS^XZ");
    state("printed");
  } catch (e) {
    state("error " + e.name + (e instanceof NotPairedError ? " not-paired" : "") + (e instanceof DeniedError ? " denied" : ""));
  }
};
window.tryDeadAgent = async (url) => {
  try { await new Labelagent({ url, storage: null, token: "la1_x" }).printers(); return "answered"; }
  catch (e) { return e.name; }
};
window.ready = true;
</script></body></html>`
}

// waitText waits until the element's text starts with prefix (and is not
// empty) and returns it.
func waitText(tab context.Context, sel, prefix string) (string, error) {
	ctx, cancel := context.WithTimeout(tab, 30*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Poll[string](fmt.Sprintf(`(() => { const e = document.querySelector(%q); return e && e.textContent !== "" && e.textContent.startsWith(%q) ? e.textContent : false; })()`, sel, prefix), chromedp.WithPollingInterval(50*time.Millisecond)))
}

// clickNow clicks the element sel finds at the moment of the click,
// waiting until there is one.
func clickNow(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[bool](fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) return false; e.click(); return true; })()`, sel))(ctx, t)
		return err
	})
}

func waitReady(tab context.Context, url string) error {
	return do(tab, chromedp.Navigate(url), chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[bool](`window.ready === true`)(ctx, t)
		return err
	}))
}

// TestChromiumPairApprovePrint: a page from a test origin pairs, the
// operator approves it in the dashboard, the page prints a ZPL label to the
// printer emulator, watches the job finish and shows its preview.
func TestChromiumPairApprovePrint(t *testing.T) {
	ctx := browserCtx(t)
	dhlSrv, dhl := dhlSim(t)
	_, im := imSim(t, 2350)
	f := setup(t, fixtureOpts{dhl: dhl, im: im})
	agentURL := "http://" + f.addr
	shopURL := servePage(t, "shop", shopPage(agentURL))

	if err := waitReady(ctx, shopURL); err != nil {
		t.Fatal(err)
	}
	if _, err := eval[bool](ctx, `window.pairAndPrint(); true`); err != nil {
		t.Fatal(err)
	}
	code, err := waitText(ctx, "#code", "")
	if err != nil {
		t.Fatal(err)
	}

	// The operator's dashboard, in another tab: the request shows the same
	// code; approve it.
	dash := newTab(t, ctx)
	reqSel := fmt.Sprintf(`.request[data-origin=%q]`, shopURL)
	if err := do(dash, chromedp.Navigate(agentURL+"/dashboard/"), chromedp.WaitVisible(chromedp.CSS(reqSel+" .code"))); err != nil {
		t.Fatal(err)
	}
	shown, err := waitText(dash, reqSel+" .code", "")
	if err != nil || shown != code {
		t.Fatalf("dashboard shows code %q, the page %q (%v)", shown, code, err)
	}
	// Shipping labels cost money: granted with its own check box.
	if err := do(dash, chromedp.Click(chromedp.CSS(reqSel+` input[data-scope="shipping"]`)),
		chromedp.Click(chromedp.CSS(reqSel+` button[data-action="approve"]`))); err != nil {
		t.Fatal(err)
	}

	state, err := waitText(ctx, "#state", "done")
	if err != nil {
		msg, _ := eval[string](ctx, `document.getElementById("error").textContent`)
		t.Fatalf("page: %v (%s)", err, msg)
	}
	var w, h int
	if _, err := fmt.Sscanf(state, "done 1 %dx%d", &w, &h); err != nil || w < 100 || h < 100 {
		t.Fatalf("page state %q: want job 1 done and a preview drawn", state)
	}
	labels := f.emu.Labels()
	if len(labels) != 1 || !strings.Contains(string(labels[0].Data), "Order 4711") {
		t.Fatalf("emulator printed %d labels", len(labels))
	}
	o, _ := f.reg.Get(shopURL)
	if o.State != apitype.OriginApproved || !o.Paired || strings.Join(o.Scopes, ",") != "print,shipping" {
		t.Fatalf("origin after approval: %+v", o)
	}
	// With the shipping scope the page creates a DHL shipment for an order.
	shipNo, err := eval[string](ctx, `window.shipOrder()`)
	if err != nil || shipNo == "" || len(dhlSrv.Shipments()) != 1 {
		t.Fatalf("ship: %q %v (DHL has %d)", shipNo, err, len(dhlSrv.Shipments()))
	}

	// The dashboard got the job through its event stream; show its preview
	// and keep a screenshot.
	if err := do(dash,
		chromedp.WaitVisible(chromedp.CSS(`#jobs tr[data-job="1"] td[data-state="done"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#shipments td[data-state="created"]`)),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Poll[bool](`document.getElementById("balance").dataset.cents === "2350"`)(ctx, t)
			return err
		}),
		// A row whose job changes state gets another button (cancel
		// becomes reprint), so a node found for a mouse click can be gone
		// when the click comes ("Could not find node with given id" under
		// load): click the button the page shows now, in one step.
		clickNow(`#jobs tr[data-job="1"] button[data-action="preview"]`),
		chromedp.WaitVisible(chromedp.CSS(`#preview-panel`)),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Poll[bool](`document.getElementById("preview-img").naturalWidth > 0`)(ctx, t)
			return err
		}),
	); err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(dash, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "dashboard.png")
	if *updateScreenshots {
		out = filepath.Join("..", "..", "..", "docs", "screenshots", "dashboard.png")
		os.MkdirAll(filepath.Dir(out), 0o755)
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("dashboard screenshot: %s (%d bytes)", out, len(png))
}

// TestChromiumPairingKeepsTickedScopes: the operator ticks "shipping" on
// one request and another page asks to pair before approve is pressed. The
// dashboard redraws on that event; the tick and the focus must survive, so
// the approval grants shipping. Likewise a job event must not replace the
// buttons of the other jobs' rows under the operator's cursor.
func TestChromiumPairingKeepsTickedScopes(t *testing.T) {
	ctx := browserCtx(t)
	f := setup(t, fixtureOpts{})
	agentURL := "http://" + f.addr
	shop1 := servePage(t, "shop", shopPage(agentURL))
	shop2 := servePage(t, "other", shopPage(agentURL))
	req1 := fmt.Sprintf(`.request[data-origin=%q]`, shop1)
	req2 := fmt.Sprintf(`.request[data-origin=%q]`, shop2)
	box1 := req1 + ` input[data-scope="shipping"]`

	if err := waitReady(ctx, shop1); err != nil {
		t.Fatal(err)
	}
	if _, err := eval[bool](ctx, `window.pairAndPrint(); true`); err != nil {
		t.Fatal(err)
	}
	dash := newTab(t, ctx)
	if err := do(dash, chromedp.Navigate(agentURL+"/dashboard/"), chromedp.WaitVisible(chromedp.CSS(req1+" .code")),
		chromedp.Click(chromedp.CSS(box1))); err != nil {
		t.Fatal(err)
	}
	if ok, err := eval[bool](dash, fmt.Sprintf(`document.querySelector(%q).checked`, box1)); err != nil || !ok {
		t.Fatalf("shipping box not ticked after the click: %v %v", ok, err)
	}

	// Another page asks to pair: an "origins" event redraws the requests.
	other := newTab(t, ctx)
	if err := waitReady(other, shop2); err != nil {
		t.Fatal(err)
	}
	if _, err := eval[bool](other, `window.pairAndPrint(); true`); err != nil {
		t.Fatal(err)
	}
	if err := do(dash, chromedp.WaitVisible(chromedp.CSS(req2+" .code"))); err != nil {
		t.Fatal(err)
	}
	kept, err := eval[string](dash, fmt.Sprintf(`(() => { const b = document.querySelector(%q); return b.checked + " " + (document.activeElement === b); })()`, box1))
	if err != nil || kept != "true true" {
		t.Errorf("after another request: shipping box checked, focused = %q (%v), want both", kept, err)
	}

	// Approve the first: it gets what the operator ticked.
	if err := do(dash, clickNow(req1+` button[data-action="approve"]`)); err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(ctx, "#state", "done"); err != nil {
		msg, _ := eval[string](ctx, `document.getElementById("error").textContent`)
		t.Fatalf("first page: %v (%s)", err, msg)
	}
	if o, _ := f.reg.Get(shop1); o.State != apitype.OriginApproved || strings.Join(o.Scopes, ",") != "print,shipping" {
		t.Fatalf("first origin after approval: state %s, scopes %v; the operator ticked shipping", o.State, o.Scopes)
	}

	// The first page's job is done; keep its row's preview button, then let
	// the second page print: the button must still be the one on the page.
	if err := do(dash, chromedp.WaitVisible(chromedp.CSS(`#jobs tr[data-job="1"] td[data-state="done"]`))); err != nil {
		t.Fatal(err)
	}
	if _, err := eval[bool](dash, `(window.kept = document.querySelector('#jobs tr[data-job="1"] button[data-action="preview"]')) !== null`); err != nil {
		t.Fatal(err)
	}
	if err := do(dash, clickNow(req2+` button[data-action="approve"]`)); err != nil {
		t.Fatal(err)
	}
	st, err := waitText(other, "#state", "done")
	if err != nil {
		t.Fatalf("second page: %v", err)
	}
	var id, w, h int
	if _, err := fmt.Sscanf(st, "done %d %dx%d", &id, &w, &h); err != nil || id == 1 {
		t.Fatalf("second page state %q: want a job of its own", st)
	}
	if err := do(dash, chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#jobs tr[data-job="%d"] td[data-state="done"]`, id)))); err != nil {
		t.Fatal(err)
	}
	if ok, err := eval[bool](dash, `window.kept.isConnected`); err != nil || !ok {
		t.Errorf("job 1's preview button was replaced by job %d's events (%v)", id, err)
	}
	if o, _ := f.reg.Get(shop2); strings.Join(o.Scopes, ",") != "print" {
		t.Errorf("second origin, nothing ticked: scopes %v, want print", o.Scopes)
	}
}

// TestChromiumUnapprovedOriginFails: a page whose origin nobody approved
// cannot print, and a denied one is told so.
func TestChromiumUnapprovedOriginFails(t *testing.T) {
	ctx := browserCtx(t)
	f := setup(t, fixtureOpts{})
	agentURL := "http://" + f.addr
	evilURL := servePage(t, "evil", shopPage(agentURL))
	if err := waitReady(ctx, evilURL); err != nil {
		t.Fatal(err)
	}
	if _, err := eval[bool](ctx, `window.printUnpaired(); true`); err != nil {
		t.Fatal(err)
	}
	if st, err := waitText(ctx, "#state", "error"); err != nil || st != "error NotPairedError not-paired" {
		t.Fatalf("unpaired print: %q %v", st, err)
	}
	// Nothing listening at the address: the client says the agent is not running.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	if name, err := eval[string](ctx, fmt.Sprintf(`window.tryDeadAgent(%q)`, dead)); err != nil || name != "NotRunningError" {
		t.Fatalf("agent not running: %q %v", name, err)
	}
	// It asks to pair; the operator denies it in the dashboard.
	if _, err := eval[bool](ctx, `window.pairAndPrint(); true`); err != nil {
		t.Fatal(err)
	}
	dash := newTab(t, ctx)
	reqSel := fmt.Sprintf(`.request[data-origin=%q]`, evilURL)
	if err := do(dash, chromedp.Navigate(agentURL+"/dashboard/"), chromedp.WaitVisible(chromedp.CSS(reqSel)),
		chromedp.Click(chromedp.CSS(reqSel+` button[data-action="deny"]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#origins tr[data-origin=%q] td[data-state="denied"]`, evilURL)))); err != nil {
		t.Fatal(err)
	}
	if st, err := waitText(ctx, "#state", "error"); err != nil || st != "error DeniedError" {
		t.Fatalf("denied page: %q %v", st, err)
	}
	if n := f.jobs(t); n != 0 || len(f.emu.Labels()) != 0 {
		t.Fatalf("%d jobs, %d labels from an unapproved origin", n, len(f.emu.Labels()))
	}
}

// browserPrintPage is written against Zebra Browser Print's protocol, as
// BrowserPrint.js speaks it: XHR, JSON sent as text/plain (no preflight).
func browserPrintPage(bpURL string) string {
	return `<!doctype html><html><body><pre id="out"></pre><script>
const BP = "` + bpURL + `";
function xhr(method, path, body) {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open(method, BP + path, true);
    if (body !== undefined) x.setRequestHeader("Content-Type", "text/plain;charset=UTF-8");
    x.onreadystatechange = () => {
      if (x.readyState !== 4) return;
      if (x.status === 200) resolve(x.responseText); else reject(new Error("HTTP " + x.status));
    };
    x.send(body === undefined ? null : JSON.stringify(body));
  });
}
window.run = async () => {
  const out = {};
  try {
    out.available = JSON.parse(await xhr("GET", "/available")).printer.map((d) => d.name + "|" + d.uid + "|" + d.connection);
    const dev = JSON.parse(await xhr("GET", "/default?type=printer"));
    out.default = dev.name;
    await xhr("POST", "/write", { device: dev, data: "^XA^FO40,40^A0N,40,40^FDBrowser Print page^FS^XZ" });
    await xhr("POST", "/write", { device: dev, data: "~HS" });
    out.read = await xhr("POST", "/read", { device: dev });
  } catch (e) { out.error = e.message; }
  return JSON.stringify(out);
};
</script></body></html>`
}

// TestChromiumBrowserPrintPage: a page written for Zebra Browser Print
// prints through the compatibility endpoints once its origin is accepted.
func TestChromiumBrowserPrintPage(t *testing.T) {
	ctx := browserCtx(t)
	f := setup(t, fixtureOpts{})
	page := servePage(t, "wms", browserPrintPage("http://"+f.zaddr))
	run := func() map[string]any {
		res, err := eval[string](ctx, `window.run()`)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := jsonUnmarshal(res, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if err := do(ctx, chromedp.Navigate(page)); err != nil {
		t.Fatal(err)
	}
	// Not accepted yet: the browser gets nothing, the operator a request.
	if m := run(); m["error"] == nil || len(f.emu.Labels()) != 0 {
		t.Fatalf("unaccepted page: %v", m)
	}
	o, ok := f.reg.Get(page)
	if !ok || o.State != apitype.OriginPending {
		t.Fatalf("no request for %s: %+v", page, o)
	}
	if _, err := f.reg.Approve(page, nil); err != nil {
		t.Fatal(err)
	}
	m := run()
	if m["error"] != nil || m["default"] != "zebra" {
		t.Fatalf("accepted page: %v", m)
	}
	if avail := fmt.Sprint(m["available"]); !strings.Contains(avail, "zebra|"+f.emuAddr(t)+"|network") || !strings.Contains(avail, "desk|labelagent:desk|driver") {
		t.Fatalf("available: %s", avail)
	}
	if read, _ := m["read"].(string); !strings.HasPrefix(read, "\x02") || !strings.Contains(read, "\x03") {
		t.Fatalf("read after ~HS: %q", read)
	}
	lctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	labels, err := f.emu.WaitLabels(lctx, 1)
	if err != nil || !strings.Contains(string(labels[0].Data), "Browser Print page") {
		t.Fatalf("printed: %v %v", labels, err)
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
