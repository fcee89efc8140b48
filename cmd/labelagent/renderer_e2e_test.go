package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/labelagent/labelagent/zpl"
)

// The installed service's first start compiles the PDF renderer into its
// cache in the background, so the first PDF label after an install starts
// the renderer from the cache instead of compiling for seconds.
func TestServiceFirstStartPreparesPDFRenderer(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the PDF renderer")
	}
	pdf, err := os.ReadFile("../../../shared/corpus/pdf/dhl_parcel_de_8a9d39e6.pdf")
	if err != nil {
		t.Skip("../shared/corpus is not here: ", err)
	}
	e := newE2E(t, "")
	cmd := exec.Command(e.bin, "service", "run", "--config", e.cfgPath)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	e.proc = &agentProc{cmd: cmd, out: out, exited: exited}
	cache := filepath.Join(e.dir, "data", "cache")
	deadline := time.Now().Add(90 * time.Second)
	for !strings.Contains(out.String(), "PDF renderer prepared") {
		select {
		case <-exited:
			t.Fatalf("the service exited:\n%s", out)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the renderer was not prepared in the background:\n%s", out)
		}
	}
	if !zpl.PDFCacheReady(cache) {
		t.Fatalf("no compiled renderer in %s", cache)
	}
	f := filepath.Join(e.dir, "label.pdf")
	os.WriteFile(f, pdf, 0o600)
	start := time.Now()
	if res, code := e.cli("print", "--wait", "--printer", "desk", f); code != 0 {
		t.Fatalf("print the first PDF: %s\n%s", res, out)
	}
	t.Logf("first PDF label after the first start: %v from submission to done (renderer from its cache)", time.Since(start).Round(time.Millisecond))
	cmd.Process.Signal(syscall.SIGTERM)
	<-exited
	e.proc = nil
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, "PDF renderer") {
			t.Log(line)
		}
	}
	if strings.Count(out.String(), "PDF renderer started") != 2 {
		t.Errorf("want one start to prepare the cache and one for the label:\n%s", out)
	}
}
