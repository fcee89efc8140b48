package agent_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent"
	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/printer"
)

// waitFor polls until job id waits for want ("": for nothing).
func waitFor(t *testing.T, a *agent.Agent, id, want string) apitype.Job {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		j, err := a.Job(id)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if j.Wait != nil {
			got = j.Wait.Code
		}
		if got == want {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s (%s) waits for %q (%+v), want %q", id, j.State, got, j.Wait, want)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// eventWait reads job events until one for id carries the wait code want.
func eventWait(t *testing.T, sub *agent.Subscription, id, want string) apitype.WaitReason {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e, ok := <-sub.C():
			if !ok {
				t.Fatal("event stream ended")
			}
			if e.Type == apitype.EventJob && e.Job.ID == id && e.Job.Wait != nil && e.Job.Wait.Code == want {
				return *e.Job.Wait
			}
		case <-timeout:
			t.Fatalf("no job event for %s waiting for %q", id, want)
		}
	}
}

func TestHeldJobsSayWhyTheyWaitAndAnnounceIt(t *testing.T) {
	sp := newScript()
	a := start(t, testConfig(t, t.TempDir()), map[string]*scriptPrinter{"zebra": sp})
	sub := a.Subscribe(1024)
	defer sub.Close()

	if _, err := a.PausePrinter("zebra"); err != nil {
		t.Fatal(err)
	}
	j1 := submit(t, a, apitype.SubmitRequest{Payload: zplLabel(1), Name: "order 1"})
	j2 := submit(t, a, apitype.SubmitRequest{Payload: zplLabel(2), Name: "order 2"})
	if w := waitFor(t, a, j1.ID, apitype.WaitPaused).Wait; w.Printer != "zebra" || w.Since.IsZero() {
		t.Errorf("paused wait %+v", w)
	}
	waitFor(t, a, j2.ID, apitype.WaitPaused)
	if list, err := a.Jobs(agent.JobFilter{}); err != nil || len(list) != 2 || list[0].Wait == nil || list[0].Wait.Code != apitype.WaitPaused {
		t.Fatalf("list does not carry the wait reason: %+v %v", list, err)
	}

	// Each fault the printer reports is the reason, in the printer's words,
	// and every waiting job hears about it on the bus.
	faults := []struct {
		st   printer.State
		code string
	}{
		{printer.StatePaperOut, apitype.WaitPaperOut},
		{printer.StateHeadOpen, apitype.WaitHeadOpen},
		{printer.StateRibbonOut, apitype.WaitRibbonOut},
		{printer.StateBufferFull, apitype.WaitPrinterError},
	}
	// Out of paper before the pause ends, so nothing prints meanwhile.
	sp.set(func(p *scriptPrinter) {
		p.status = printer.Status{State: printer.StatePaperOut, Problems: []printer.State{printer.StatePaperOut}, Detail: "the printer says paper_out"}
	})
	time.Sleep(50 * time.Millisecond) // a few status polls
	if _, err := a.ResumePrinter("zebra"); err != nil {
		t.Fatal(err)
	}
	for _, f := range faults {
		sp.set(func(p *scriptPrinter) {
			p.status = printer.Status{State: f.st, Problems: []printer.State{f.st}, Detail: "the printer says " + string(f.st)}
		})
		w := eventWait(t, sub, j2.ID, f.code)
		if w.Detail != "the printer says "+string(f.st) || w.Printer != "zebra" {
			t.Errorf("%s: wait %+v", f.st, w)
		}
		waitFor(t, a, j1.ID, f.code)
	}
	sp.set(func(p *scriptPrinter) { p.statusErr = errors.New("dial tcp 10.0.0.9:9100: connect: no route to host") })
	if w := eventWait(t, sub, j1.ID, apitype.WaitUnreachable); !strings.Contains(w.Detail, "no route to host") {
		t.Errorf("unreachable wait %+v", w)
	}
	if got := len(sp.got()); got != 0 {
		t.Fatalf("%d jobs printed while the printer could not print", got)
	}

	// Ready again, the second job waits behind the first while it prints.
	sp.set(func(p *scriptPrinter) {
		p.statusErr, p.status = nil, printer.Status{State: printer.StateReady}
		p.block = make(chan struct{})
	})
	<-sp.started
	if w := waitFor(t, a, j2.ID, apitype.WaitBehind).Wait; w.Ahead != j1.ID {
		t.Errorf("behind wait %+v, want ahead %s", w, j1.ID)
	}
	if j, _ := a.Job(j1.ID); j.Wait != nil {
		t.Errorf("the printing job waits for %+v", j.Wait)
	}
	// A failed write makes the job wait for its next attempt with the error.
	sp.set(func(p *scriptPrinter) { p.failNext, p.failErr = 1, errors.New("write tcp: connection reset by peer") })
	close(sp.block)
	done := waitState(t, a, j2.ID, apitype.StateDone)
	if done.Wait != nil {
		t.Errorf("done job waits: %+v", done.Wait)
	}
	if j, _ := a.Job(j1.ID); j.State != apitype.StateDone || j.Attempts != 2 {
		t.Errorf("job 1: %s after %d attempts", j.State, j.Attempts)
	}
}

func TestFailedWriteIsTheWaitReasonUntilTheNextAttempt(t *testing.T) {
	sp := newScript()
	cfg := testConfig(t, t.TempDir())
	cfg.Jobs.RetryInitial = 2 * time.Second
	cfg.Jobs.RetryMax = 2 * time.Second
	sp.failNext, sp.failErr = 1, errors.New("write tcp 127.0.0.1:9100: connection reset by peer")
	a := start(t, cfg, map[string]*scriptPrinter{"zebra": sp})
	sub := a.Subscribe(256)
	defer sub.Close()
	j := submit(t, a, apitype.SubmitRequest{Payload: zplLabel(1)})
	w := eventWait(t, sub, j.ID, apitype.WaitUnreachable)
	if !strings.Contains(w.Detail, "connection reset") || w.Printer != "zebra" {
		t.Errorf("wait %+v", w)
	}
	got := waitFor(t, a, j.ID, apitype.WaitUnreachable)
	if got.State != apitype.StateQueued {
		t.Errorf("state %s", got.State)
	}
	waitState(t, a, j.ID, apitype.StateDone)
}

// slowRenderer is a preparer whose PDF renderer has not started yet: it
// converts once released.
type slowRenderer struct {
	release chan struct{}
}

func (s *slowRenderer) RendererStarted() bool { return false }

func (s *slowRenderer) Prepare(ctx context.Context, _ apitype.Kind, _ []byte, _ printer.ProfileConfig) ([]byte, error) {
	select {
	case <-s.release:
		return zplLabel(1), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func TestFirstPDFWaitsForTheRendererAndSaysSo(t *testing.T) {
	sp := newScript()
	r := &slowRenderer{release: make(chan struct{})}
	a := start(t, testConfig(t, t.TempDir()), map[string]*scriptPrinter{"zebra": sp}, func(o *agent.Options) { o.Preparer = r })
	j := submit(t, a, apitype.SubmitRequest{Kind: apitype.KindPDF, Payload: minimalPDF})
	w := waitFor(t, a, j.ID, apitype.WaitPreparingRenderer).Wait
	if w.Printer != "zebra" || !strings.Contains(w.Detail, "renderer is starting") {
		t.Errorf("wait %+v", w)
	}
	// The agent's words, in the reader's language.
	held, _ := a.Job(j.ID)
	if de := agent.JobIn(held, i18n.For(i18n.German)).Wait; w.DetailID != "queuewords.renderer_starting" || de == nil ||
		de.Detail != i18n.For(i18n.German).T("queuewords.renderer_starting") || held.Wait == nil || held.Wait.Detail != w.Detail {
		t.Errorf("wait detail in German: %+v (kept %+v)", de, w)
	}
	close(r.release)
	done := waitState(t, a, j.ID, apitype.StateDone)
	if !historySays(done, "the PDF renderer is ready") {
		t.Errorf("history %+v", done.History)
	}
}

// minimalPDF is a one-page PDF pdfcpu reads (the submission check parses it).
var minimalPDF = []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" +
	"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n" +
	"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 298 420] >>\nendobj\n" +
	"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n0000000115 00000 n \n" +
	"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n186\n%%EOF\n")
