package serial

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	bug "go.bug.st/serial"
)

type ctsPort struct {
	Port
	mu  sync.Mutex
	cts bool
}

func (p *ctsPort) GetModemStatusBits() (*bug.ModemStatusBits, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return &bug.ModemStatusBits{CTS: p.cts}, nil
}

// The agent's own flow control (Windows): XOFF from the printer holds
// writes until XON, and the bytes never reach the status reader.
func TestGateXonXoff(t *testing.T) {
	g := newGate()
	if got := string(g.filter([]byte("a\x13b"))); got != "ab" {
		t.Fatalf("filter kept %q", got)
	}
	done := make(chan error, 1)
	go func() { done <- g.wait(context.Background(), nil, "xonxoff") }()
	select {
	case <-done:
		t.Fatal("wait returned while the printer sent XOFF")
	case <-time.After(50 * time.Millisecond):
	}
	g.filter([]byte{xon})
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	g.filter([]byte{xoff})
	g.abort()
	if err := g.wait(context.Background(), nil, "xonxoff"); !errors.Is(err, errGateClosed) {
		t.Fatalf("%v", err)
	}
}

func TestGateCTS(t *testing.T) {
	g := newGate()
	port := &ctsPort{}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := g.wait(ctx, port, "rtscts"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("CTS low: %v", err)
	}
	port.mu.Lock()
	port.cts = true
	port.mu.Unlock()
	if err := g.wait(context.Background(), port, "rtscts"); err != nil {
		t.Fatal(err)
	}
}
