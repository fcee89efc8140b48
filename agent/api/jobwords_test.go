package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent"
	"github.com/labelagent/labelagent/agent/api"
	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/agent/store"
	"github.com/labelagent/labelagent/printer"
)

// serve starts an agent with cfg and its control API; before runs before
// the agent starts.
func serve(t *testing.T, cfg *config.Config, before func(*agent.Agent)) *fixture {
	t.Helper()
	a, err := agent.New(agent.Options{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if before != nil {
		before(a)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := api.New(a, key, nil).NewHTTPServer()
	go srv.Serve(ln)
	t.Cleanup(func() {
		srv.Close()
		a.Stop(context.Background())
	})
	return &fixture{a: a, addr: ln.Addr().String(), cl: &client.Client{Addr: ln.Addr().String(), Key: key}}
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestJobWordsInTheReadersLanguage: what a job keeps for people (its
// history notes and last error) is the catalog's, worded by the reader's
// Accept-Language: a job that failed on an unreachable printer, a job held
// after a restart because it may have printed, and a job recorded before
// the words had ids, whose English is shown as it is. Events on the bus
// are in the agent's configured language (German here).
func TestJobWordsInTheReadersLanguage(t *testing.T) {
	dir := t.TempDir()
	gone := closedPort(t)
	// What an earlier run left: a job half sent to a printer that cannot
	// count its labels, and a failed job from before the catalog words.
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	held, _, err := st.Submit(apitype.Job{Printer: "raw", Kind: apitype.KindRaw, Copies: 1, State: apitype.StateQueued}, []byte("\x1b@label"))
	if err != nil {
		t.Fatal(err)
	}
	held.State, held.Attempts = apitype.StatePrinting, 1
	held.Sending = &apitype.JobSending{Since: time.Now()}
	if err := st.Put(held); err != nil {
		t.Fatal(err)
	}
	old, _, err := st.Submit(apitype.Job{Printer: "raw", Kind: apitype.KindRaw, Copies: 1, State: apitype.StateQueued}, []byte("\x1b@old"))
	if err != nil {
		t.Fatal(err)
	}
	const oldErr = "gave up after 10 attempts: dial tcp 10.0.0.9:9100: i/o timeout"
	old.State, old.LastError = apitype.StateFailed, oldErr
	old.History = append(old.History, apitype.Change{At: time.Now(), State: apitype.StateFailed, Note: oldErr})
	if err := st.Put(old); err != nil {
		t.Fatal(err)
	}
	st.Close()

	cfg, err := config.Load("", func(c *config.Config) {
		c.DataDir = dir
		c.Language = "de"
		c.Jobs.MaxAttempts = 2
		c.Jobs.RetryInitial, c.Jobs.RetryMax = 10*time.Millisecond, 20*time.Millisecond
		c.Printers = []printer.Config{{Name: "raw", Transport: "tcp", TCP: printer.TCPConfig{Address: gone, ConnectTimeout: time.Second},
			Profile: printer.ProfileConfig{Language: "raw"}}}
	})
	if err != nil {
		t.Fatal(err)
	}
	var sub *agent.Subscription
	f := serve(t, cfg, func(a *agent.Agent) { sub = a.Subscribe(256) })
	defer sub.Close()
	a := f.a

	// A subscriber of /api/v1/events reads its own language.
	enCl := &client.Client{Addr: f.addr, Key: key, Lang: "en"}
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // a missed event fails, not hangs
	defer cancel()
	stream, err := enCl.Events(sctx)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	failed, _, err := a.Submit(context.Background(), apitype.SubmitRequest{Printer: "raw", Kind: apitype.KindRaw, Payload: []byte("\x1b@new")})
	if err != nil {
		t.Fatal(err)
	}
	// The bus speaks the agent's language (German), with the ids beside.
	deadline := time.After(20 * time.Second)
	for busSaid := ""; busSaid == ""; {
		select {
		case e := <-sub.C():
			if e.Job != nil && e.Job.ID == failed.ID && e.Job.State == apitype.StateFailed {
				busSaid = e.Job.LastError
				if e.Job.LastErrorID != "queuewords.gave_up" || !strings.HasPrefix(busSaid, "Nach 2 Versuchen aufgegeben: ") {
					t.Errorf("failed job on the bus: %q (%s), want the agent's German", busSaid, e.Job.LastErrorID)
				}
			}
		case <-deadline:
			t.Fatal("the job on the unreachable printer did not fail")
		}
	}

	for {
		e, err := stream.Next()
		if err != nil {
			t.Fatal(err)
		}
		if e.Job != nil && e.Job.ID == failed.ID && e.Job.State == apitype.StateFailed {
			if !strings.HasPrefix(e.Job.LastError, "gave up after 2 attempts: ") {
				t.Errorf("failed job on an English event stream: %q", e.Job.LastError)
			}
			break
		}
	}

	get := func(id, lang string) apitype.Job {
		t.Helper()
		hdr := map[string]string{"X-Labelagent-Key": key}
		if lang != "" {
			hdr["Accept-Language"] = lang
		}
		status, _, raw := f.do(t, "GET", "/api/v1/jobs/"+id, "", hdr)
		if status != 200 {
			t.Fatalf("GET job %s: %d %s", id, status, raw)
		}
		var j apitype.Job
		if err := json.Unmarshal(raw, &j); err != nil {
			t.Fatal(err)
		}
		return j
	}
	waitFailed := func(id string) {
		for end := time.Now().Add(20 * time.Second); get(id, "en").State != apitype.StateFailed; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("job %s did not fail", id)
			}
		}
	}
	waitFailed(held.ID)

	// The failed job: the printer's own words (the dial error) inside ours.
	en, de := get(failed.ID, "en-GB"), get(failed.ID, "de-DE,de;q=0.9")
	if !strings.HasPrefix(en.LastError, "gave up after 2 attempts: ") || !strings.HasPrefix(de.LastError, "Nach 2 Versuchen aufgegeben: ") {
		t.Errorf("last error en %q, de %q", en.LastError, de.LastError)
	}
	dial := strings.TrimPrefix(en.LastError, "gave up after 2 attempts: ")
	if !strings.Contains(dial, gone) || !strings.HasSuffix(de.LastError, dial) {
		t.Errorf("the printer's own words %q are not kept in both: en %q, de %q", dial, en.LastError, de.LastError)
	}
	if none := get(failed.ID, ""); none.LastError != de.LastError {
		t.Errorf("without Accept-Language: %q, want the agent's German %q", none.LastError, de.LastError)
	}
	sawRetry := false
	for i, c := range en.History {
		if i == 0 {
			continue // submitted: no note
		}
		d := de.History[i]
		if c.ID == "" || !strings.HasPrefix(c.ID, "queuewords.") || c.ID != d.ID {
			t.Errorf("step %d has no catalog id: %+v", i, c)
		}
		if c.Note == d.Note || c.Note == "" {
			t.Errorf("step %d (%s) the same in both languages: %q", i, c.ID, c.Note)
		}
		if c.ID == "queuewords.attempt_failed" {
			sawRetry = true
			if !strings.Contains(d.Note, "nächster Versuch in 0,0") || !strings.Contains(c.Note, "next try in 0.0") {
				t.Errorf("retry note: en %q, de %q, want the delay in each language's numbers", c.Note, d.Note)
			}
		}
	}
	if !sawRetry {
		t.Errorf("history without the failed attempt: %+v", en.History)
	}

	// The held job: what to do, in the reader's words.
	en, de = get(held.ID, "en"), get(held.ID, "de")
	if en.LastErrorID != "queuewords.may_have_printed" ||
		!strings.HasPrefix(en.LastError, "may have printed: the agent stopped while sending it, and printer \"raw\" cannot say what it printed") ||
		!strings.HasSuffix(en.LastError, "retry the job only if its label is missing") {
		t.Errorf("held job in English: %q (%s)", en.LastError, en.LastErrorID)
	}
	if !strings.HasPrefix(de.LastError, "Vielleicht schon gedruckt: ") || !strings.Contains(de.LastError, "Drucker „raw“ kann nicht sagen, was er gedruckt hat") ||
		!strings.Contains(de.LastError, "nur wiederholen, wenn das Etikett fehlt") {
		t.Errorf("held job in German: %q", de.LastError)
	}
	if n := de.History[len(de.History)-1]; n.Note != de.LastError {
		t.Errorf("held job's last step %q, want its reason", n.Note)
	}

	// The list says the same as the job.
	status, _, raw := f.do(t, "GET", "/api/v1/jobs?state=failed", "", map[string]string{"X-Labelagent-Key": key, "Accept-Language": "de"})
	var list apitype.JobList
	if status != 200 || json.Unmarshal(raw, &list) != nil {
		t.Fatalf("list: %d %s", status, raw)
	}
	for _, j := range list.Jobs {
		if j.ID == held.ID && j.LastError != de.LastError {
			t.Errorf("listed held job says %q, the job %q", j.LastError, de.LastError)
		}
	}

	// The old record: its English as it was, in every language.
	for _, lang := range []string{"en", "de"} {
		o := get(old.ID, lang)
		if o.LastError != oldErr || o.History[len(o.History)-1].Note != oldErr || o.LastErrorID != "" {
			t.Errorf("%s: old record %q / %q, want its stored words", lang, o.LastError, o.History[len(o.History)-1].Note)
		}
	}

	// Retried through the API: the answer and its note in the reader's words.
	status, _, raw = f.do(t, "POST", "/api/v1/jobs/"+held.ID+"/retry", "", map[string]string{"X-Labelagent-Key": key, "Accept-Language": "de"})
	var retried apitype.Job
	if status != 200 || json.Unmarshal(raw, &retried) != nil {
		t.Fatalf("retry: %d %s", status, raw)
	}
	if n := retried.History[len(retried.History)-1]; n.Note != i18n.For(i18n.German).T("queuewords.retried") || retried.LastError != "" {
		t.Errorf("retried job: note %q, last error %q", n.Note, retried.LastError)
	}
}

// TestSourceWordsInTheReadersLanguage: a hot folder's refusal is written
// beside the file in the agent's language (German here), and the
// source's last error is worded for each reader of /api/v1/sources.
func TestSourceWordsInTheReadersLanguage(t *testing.T) {
	dir, in := t.TempDir(), t.TempDir()
	cfg, err := config.Load("", func(c *config.Config) {
		c.DataDir = dir
		c.Language = "de"
		c.Printers = []printer.Config{{Name: "desk", Transport: "file"}}
		c.Sources.HotFolders = []config.HotFolderConfig{{Name: "shop", Dir: in, Poll: 100 * time.Millisecond, Settle: 100 * time.Millisecond}}
	})
	if err != nil {
		t.Fatal(err)
	}
	f := serve(t, cfg, nil)
	if err := os.WriteFile(filepath.Join(in, "leer.zpl"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	reasonFile := filepath.Join(in, "failed", "leer.zpl.reason.txt")
	var reason []byte
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if reason, err = os.ReadFile(reasonFile); err == nil && len(reason) > 0 {
			break
		}
		if time.Now().After(end) {
			t.Fatal("the empty file was not refused")
		}
	}
	if got := strings.TrimSpace(string(reason)); got != i18n.For(i18n.German).T("sources.reason.empty") {
		t.Errorf("reason file %q, want the agent's German", got)
	}
	said := map[string]string{}
	for _, lang := range []string{"en", "de"} {
		status, _, raw := f.do(t, "GET", "/api/v1/sources", "", map[string]string{"X-Labelagent-Key": key, "Accept-Language": lang})
		var list apitype.SourceList
		if status != 200 || json.Unmarshal(raw, &list) != nil || len(list.Sources) != 1 {
			t.Fatalf("%s: sources %d %s", lang, status, raw)
		}
		s := list.Sources[0]
		if s.LastErrorID != "queuewords.folder.file_refused" || !strings.HasPrefix(s.LastError, "leer.zpl: ") {
			t.Errorf("%s: last error %q (%s)", lang, s.LastError, s.LastErrorID)
		}
		said[lang] = s.LastError
	}
	if said["en"] != "leer.zpl: the file is empty" || said["de"] != "leer.zpl: "+i18n.For(i18n.German).T("sources.reason.empty") {
		t.Errorf("last error en %q, de %q", said["en"], said["de"])
	}
}
