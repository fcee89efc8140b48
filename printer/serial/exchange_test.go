package serial_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/labelagent/labelagent/printer/zplstatus"
)

// TestExchange: a command's answer comes back whole over the line (what
// Browser Print pages read after writing ~HS or ~HI).
func TestExchange(t *testing.T) {
	e, p := setup(t, nil)
	defer p.Close()
	e.SetHeadOpen(true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := p.Exchange(ctx, []byte("~HS"), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := zplstatus.ParseHS(got)
	if err != nil || !hs.HeadOpen {
		t.Fatalf("~HS answer %q: %+v %v", got, hs, err)
	}
	got, err = p.Exchange(ctx, []byte("~HI"), 2*time.Second)
	if err != nil || !bytes.HasPrefix(got, []byte("\x02")) || !bytes.Contains(got, []byte("ZT410")) {
		t.Fatalf("~HI answer %q %v", got, err)
	}
	// A command without an answer: empty, no error, after the wait.
	t0 := time.Now()
	got, err = p.Exchange(ctx, []byte("^XA^XZ"), 300*time.Millisecond)
	if err != nil || len(got) != 0 || time.Since(t0) < 300*time.Millisecond {
		t.Fatalf("no answer: %q %v after %s", got, err, time.Since(t0))
	}
}
