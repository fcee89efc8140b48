package browser_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// TestChromiumLocalNetworkAccess: a shop page on the internet (an https
// page Chromium is told is public) reaches the agent on loopback only with
// the user's Local Network Access permission; denied, the client says so
// with LocalNetworkBlockedError instead of "not running".
func TestChromiumLocalNetworkAccess(t *testing.T) {
	chromiumPath(t)
	f := setup(t, fixtureOpts{})
	agentURL := "http://" + f.addr
	client, err := os.ReadFile("static/labelagent.js")
	if err != nil {
		t.Fatal(err)
	}
	// The shop serves a copy of the client itself: with Local Network Access
	// denied, a page cannot even load it from the agent.
	shop := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/labelagent.js" {
			w.Header().Set("Content-Type", "text/javascript")
			w.Write(client)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html><body><script>
window.tryPrinters = async () => {
  try {
    const { Labelagent } = await import("/labelagent.js");
    await new Labelagent({ url: "`+agentURL+`", storage: null, token: "la1_x" }).printers();
    return "answered";
  } catch (e) { return e.name || String(e); }
};
</script></body></html>`)
	}))
	defer shop.Close()
	host := strings.TrimPrefix(shop.URL, "https://")
	ctx := browserCtx(t,
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.Flag("ip-address-space-overrides", host+"=public"))
	set := func(setting cdpbrowser.PermissionSetting) error {
		for _, name := range []string{"loopback-network", "local-network-access", "local-network"} {
			_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
				Permission: &cdpbrowser.PermissionDescriptor{Name: name}, Setting: setting, Origin: shop.URL})
			if err == nil {
				return nil
			}
			t.Logf("permission %s: %v", name, err)
		}
		return fmt.Errorf("no Local Network Access permission known to this Chromium")
	}
	if err := set(cdpbrowser.PermissionSettingDenied); err != nil {
		t.Skip(err)
	}
	if err := do(ctx, chromedp.Navigate(shop.URL)); err != nil {
		t.Fatal(err)
	}
	got, err := eval[string](ctx, `window.tryPrinters()`)
	if err != nil {
		t.Fatal(err)
	}
	if got != "LocalNetworkBlockedError" {
		t.Fatalf("with Local Network Access denied the page got %q", got)
	}
	// Allowed: the request reaches the agent, which refuses the unpaired
	// origin.
	if err := set(cdpbrowser.PermissionSettingGranted); err != nil {
		t.Fatal(err)
	}
	if got, err := eval[string](ctx, `window.tryPrinters()`); err != nil || got != "NotPairedError" {
		t.Fatalf("with Local Network Access allowed the page got %q %v", got, err)
	}
}
