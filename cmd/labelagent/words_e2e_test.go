package main

// End-to-end tests of what people read: why a held job waits, as the
// printer's faults change, and config check against run.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/printer/emulator"
)

// TestHeldJobReasonFollowsThePrinter holds a job on an emulated printer that
// goes from paper out to head open to ready: jobs show and print --wait
// (human, then JSON Lines) say each reason as it comes, and the job prints.
func TestHeldJobReasonFollowsThePrinter(t *testing.T) {
	for _, lang := range []string{"en", "de"} {
		t.Run(lang, func(t *testing.T) { heldJobReasons(t, lang) })
	}
}

func heldJobReasons(t *testing.T, lang string) {
	words := map[string][3]string{
		"en": {"zebra has no paper", "the print head of zebra is open", "label.zpl: job 1 printed"},
		"de": {"zebra hat kein Papier mehr", "zebra: Druckkopf ist offen", "label.zpl: Auftrag 1 gedruckt"},
	}[lang]
	em := emulator.New(emulator.Options{})
	t.Cleanup(func() { em.Close() })
	addr, err := em.ListenTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	em.SetPaperOut(true)
	e := newE2E(t, fmt.Sprintf("  - name: zebra\n    transport: tcp\n    status_interval: 50ms\n    tcp: {address: %q}\n", addr.String()))
	e.start()
	f := filepath.Join(e.dir, "label.zpl")
	if err := os.WriteFile(f, label(1), 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// The agent has seen the paper out before the job is sent.
	waitFor("the printer status", func() bool {
		p, err := e.cl.Printer(context.Background(), "zebra")
		return err == nil && p.Status.State == "paper_out"
	})

	cmd := exec.Command(e.bin, "--addr", e.addr, "--data-dir", filepath.Join(e.dir, "data"), "--lang", lang,
		"print", "--printer", "zebra", "--wait", f)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func(want string) {
		t.Helper()
		select {
		case l, ok := <-lines:
			if !ok || !strings.Contains(l, want) {
				t.Fatalf("print --wait said %q (ended: %v), want a line with %q", l, !ok, want)
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("print --wait said nothing; want %q", want)
		}
	}
	show := func(want string) {
		t.Helper()
		out, code := e.cli("--lang", lang, "jobs", "show", "1")
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("jobs show: exit %d\n%s\nwant %q", code, out, want)
		}
	}
	next(words[0]) // submitted: queued, waiting for paper
	show(words[0])

	em.SetHeadOpen(true)
	em.SetPaperOut(false)
	next(words[1])
	show(words[1])
	out, _ := e.cli("jobs", "show", "1", "--json")
	var j apitype.Job
	if err := json.Unmarshal([]byte(out), &j); err != nil || j.Wait == nil || j.Wait.Code != apitype.WaitHeadOpen || j.Wait.Printer != "zebra" {
		t.Fatalf("jobs show --json: %v %s", err, out)
	}

	em.SetHeadOpen(false)
	var rest []string
	for l := range lines {
		rest = append(rest, l)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("print --wait: %v\n%s", err, strings.Join(rest, "\n"))
	}
	if len(rest) == 0 || !strings.Contains(rest[len(rest)-1], words[2]) {
		t.Fatalf("print --wait ended with %q, want %q", rest, words[2])
	}
	for _, l := range rest {
		if strings.Contains(l, words[1]) || strings.Contains(l, words[0]) {
			t.Errorf("a reason was reported twice: %q", rest)
		}
	}
	if _, err := em.WaitLabels(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
}

// TestPrintWaitJSONLines: print --wait --json is one JSON object per line,
// the reason's code in the machine-readable shape.
func TestPrintWaitJSONLines(t *testing.T) {
	em := emulator.New(emulator.Options{})
	t.Cleanup(func() { em.Close() })
	addr, err := em.ListenTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	em.SetRibbonOut(true)
	e := newE2E(t, fmt.Sprintf("  - name: zebra\n    transport: tcp\n    status_interval: 50ms\n    tcp: {address: %q}\n", addr.String()))
	e.start()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, err := e.cl.Printer(context.Background(), "zebra")
		if err == nil && p.Status.State == "ribbon_out" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the agent did not see the ribbon out")
		}
		time.Sleep(20 * time.Millisecond)
	}
	f := filepath.Join(e.dir, "label.zpl")
	os.WriteFile(f, label(1), 0o600)
	cmd := exec.Command(e.bin, "--addr", e.addr, "--data-dir", filepath.Join(e.dir, "data"),
		"print", "--printer", "zebra", "--wait", "--json", f)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	var got []string
	for sc.Scan() {
		got = append(got, sc.Text())
		if len(got) == 1 {
			em.SetRibbonOut(false) // the job is in: now let it print
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("print --wait --json: %v\n%s", err, strings.Join(got, "\n"))
	}
	out := strings.Join(got, "\n")
	var events []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var pl PrintLine
		if err := json.Unmarshal([]byte(l), &pl); err != nil {
			t.Fatalf("not one JSON object per line: %q: %v", l, err)
		}
		ev := pl.Event
		if pl.Job.Wait != nil {
			ev += ":" + pl.Job.Wait.Code
		}
		events = append(events, ev)
	}
	seq := strings.Join(events, " ")
	if !strings.HasPrefix(seq, "submitted:ribbon_out") || !strings.HasSuffix(seq, "finished") {
		t.Errorf("events %q, want submitted:ribbon_out … finished", seq)
	}
}

// TestBannerCommandsWorkAsPrinted runs the commands run's banner suggests,
// exactly as printed, in a shell: each succeeds, and the label prints.
func TestBannerCommandsWorkAsPrinted(t *testing.T) {
	e := newE2E(t, "")
	e.start()
	var cmds []string
	deadline := time.Now().Add(5 * time.Second)
	for len(cmds) < 3 && time.Now().Before(deadline) {
		cmds = nil
		after := false
		for _, l := range strings.Split(e.proc.out.String(), "\n") {
			switch {
			case strings.HasPrefix(l, "From another terminal:"):
				after = true
			case after && strings.HasPrefix(l, "  "):
				cmds = append(cmds, strings.TrimSpace(l))
			case after:
				after = false
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(cmds) < 3 {
		t.Fatalf("the banner suggests no commands:\n%s", e.proc.out)
	}
	if out := e.proc.out.String(); strings.Contains(out, `"browser API listening"`) && !strings.Contains(out, "/dashboard/") {
		t.Errorf("the browser API listens, but the banner names no dashboard:\n%s", out)
	}
	for _, c := range cmds {
		sh := exec.Command("sh", "-c", c)
		sh.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
		out, err := sh.CombinedOutput()
		if err != nil {
			t.Errorf("%s: %v\n%s", c, err, out)
		}
		if strings.Contains(c, "print --wait") && !strings.Contains(string(out), "printed") {
			t.Errorf("%s: %s", c, out)
		}
	}
}
