package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/printer"
)

// TestUnreachablePrinterInTheReadersLanguage: what the TCP transport says
// about a printer it cannot reach ("cannot connect: <the system's words>")
// reads German with Accept-Language: de and English otherwise, in the
// printer's status and in the wait reason of a job held for it; the
// system's own words stay inside.
func TestUnreachablePrinterInTheReadersLanguage(t *testing.T) {
	cfg, err := config.Load("", func(c *config.Config) {
		c.DataDir = t.TempDir()
		c.Printers = []printer.Config{{Name: "zebra", Transport: "tcp", TCP: printer.TCPConfig{Address: closedPort(t), ConnectTimeout: time.Second}}}
	})
	if err != nil {
		t.Fatal(err)
	}
	f := serve(t, cfg, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	clients := map[string]*client.Client{}
	for _, lang := range []string{"de", "en", "", "fr-FR"} {
		clients[lang] = &client.Client{Addr: f.addr, Key: key, Lang: lang}
	}
	en := clients["en"]
	var st printer.Status
	for st.DetailID == "" {
		if ps, err := en.Printers(ctx); err == nil && len(ps) == 1 {
			st = ps[0].Status
		}
		if ctx.Err() != nil {
			t.Fatalf("no status detail from the transport: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st.DetailID != "printerwords.cannot_connect" || st.State != printer.StateOffline {
		t.Fatalf("status %+v, want offline, printerwords.cannot_connect", st)
	}
	_, reason, _ := strings.Cut(st.Detail, ": ")
	if !strings.Contains(reason, "refused") {
		t.Errorf("the system's words %q should say the connection was refused", reason)
	}
	job, _, err := f.a.Submit(ctx, apitype.SubmitRequest{Printer: "zebra", Kind: apitype.KindZPL, Payload: []byte("^XA^FDx^FS^XZ")})
	if err != nil {
		t.Fatal(err)
	}
	for lang, cl := range clients {
		want := "cannot connect: " + reason
		if lang == "de" {
			want = "keine Verbindung zum Drucker: " + reason
		}
		ps, err := cl.Printers(ctx)
		if err != nil || len(ps) != 1 || ps[0].Status.Detail != want {
			t.Errorf("%q: printers %+v %v, want detail %q", lang, ps, err, want)
		}
		p, err := cl.Printer(ctx, "zebra")
		if err != nil || p.Status.Detail != want {
			t.Errorf("%q: printer %+v %v, want detail %q", lang, p.Status, err, want)
		}
		j, err := cl.Job(ctx, job.ID)
		if err != nil || j.Wait == nil || j.Wait.Detail != want || j.Wait.DetailID != "printerwords.cannot_connect" {
			t.Errorf("%q: job waits %+v %v, want detail %q", lang, j.Wait, err, want)
		}
	}
}
