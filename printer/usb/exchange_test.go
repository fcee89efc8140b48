package usb

import (
	"context"
	"testing"
	"time"

	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/printer/zplstatus"
)

// TestExchange: a command's answer comes back over bulk IN, in packets.
func TestExchange(t *testing.T) {
	bus := &fakeBus{devs: []DeviceInfo{mouse, zebra}, status: zplstatus.HostStatus{PaperOut: true}}
	p := newTest(t, bus, printer.USBConfig{Vendor: "0a5f"})
	got, err := p.Exchange(context.Background(), []byte("~HS"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := zplstatus.ParseHS(got)
	if err != nil || !hs.PaperOut || len(got) <= 64 {
		t.Fatalf("answer %q (%d bytes, over several packets): %+v %v", got, len(got), hs, err)
	}
	t0 := time.Now()
	got, err = p.Exchange(context.Background(), []byte("^XA^XZ"), 200*time.Millisecond)
	if err != nil || len(got) != 0 || time.Since(t0) < 200*time.Millisecond {
		t.Fatalf("no answer: %q %v", got, err)
	}
	bus.unplug()
	if _, err := p.Exchange(context.Background(), []byte("~HS"), time.Second); err == nil {
		t.Fatal("unplugged printer answered")
	}
}
