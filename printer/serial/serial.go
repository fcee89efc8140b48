// Package serial prints to RS-232 and USB-serial printers with
// go.bug.st/serial: line settings and flow control from the config, status
// by ~HS over the same line, and a write timeout that tells a stalled
// printer (no byte moves for the timeout) from a slow one (a big job at
// 9600 baud takes minutes and is fine).
package serial

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	bug "go.bug.st/serial"

	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/printer/internal/link"
)

// Defaults for what a config leaves out: a factory-set Zebra.
const (
	DefaultBaud         = 9600
	DefaultWriteTimeout = 30 * time.Second
)

// Port is the part of go.bug.st/serial's Port the printer uses.
type Port interface {
	Read(p []byte) (int, error)
	Write(p []byte) (int, error)
	ResetOutputBuffer() error
	GetModemStatusBits() (*bug.ModemStatusBits, error)
	Close() error
}

// Printer is one serial printer.
type Printer struct {
	name, device string
	mode         bug.Mode
	flow         string // none, rtscts, xonxoff
	writeTimeout time.Duration
	confirm      bool
	log          *slog.Logger

	lock  link.Lock
	port  Port
	out   *os.File // non-blocking writer on the same device (unix), or nil
	in    *link.Inbox
	gate  *gate // software flow control, when the OS does not do it
	query link.Querier
	done  chan struct{} // closed when the reader of port ends
}

var _ printer.Printer = (*Printer)(nil)

// New returns the printer for cfg.Serial without opening the port.
func New(cfg printer.Config, log *slog.Logger) (*Printer, error) {
	s := cfg.Serial
	if s.Device == "" {
		return nil, fmt.Errorf("printer %q: serial.device is empty", cfg.Name)
	}
	mode, err := Mode(s)
	if err != nil {
		return nil, fmt.Errorf("printer %q: %w", cfg.Name, err)
	}
	flow := s.Flow
	if flow == "" {
		flow = "none"
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	wt := s.WriteTimeout
	if wt == 0 {
		wt = DefaultWriteTimeout
	}
	p := &Printer{
		name: cfg.Name, device: s.Device, mode: mode, flow: flow, writeTimeout: wt,
		confirm: cfg.Profile.Language != "raw",
		log:     log.With("printer", cfg.Name, "device", s.Device),
		lock:    link.NewLock(),
	}
	// A ~HS reply is about 100 bytes; give it a second plus its line time.
	p.query.Timeout = time.Second + p.lineTime(256)
	return p, nil
}

// Mode turns the config into go.bug.st/serial's Mode (8N1 at 9600 by default).
func Mode(s printer.SerialConfig) (bug.Mode, error) {
	m := bug.Mode{BaudRate: s.Baud, DataBits: s.DataBits}
	if m.BaudRate == 0 {
		m.BaudRate = DefaultBaud
	}
	if m.DataBits == 0 {
		m.DataBits = 8
	}
	switch s.Parity {
	case "", "none", "n":
		m.Parity = bug.NoParity
	case "odd", "o":
		m.Parity = bug.OddParity
	case "even", "e":
		m.Parity = bug.EvenParity
	case "mark", "m":
		m.Parity = bug.MarkParity
	case "space", "s":
		m.Parity = bug.SpaceParity
	default:
		return m, fmt.Errorf("serial.parity %q: use none, odd, even, mark or space", s.Parity)
	}
	switch s.StopBits {
	case "", "1":
		m.StopBits = bug.OneStopBit
	case "1.5":
		m.StopBits = bug.OnePointFiveStopBits
	case "2":
		m.StopBits = bug.TwoStopBits
	default:
		return m, fmt.Errorf("serial.stop_bits %q: use 1, 1.5 or 2", s.StopBits)
	}
	return m, nil
}

// bitsPerChar is what one byte costs on the wire: start, data, parity, stop.
func (p *Printer) bitsPerChar() float64 {
	b := 1 + float64(p.mode.DataBits)
	if p.mode.Parity != bug.NoParity {
		b++
	}
	switch p.mode.StopBits {
	case bug.OnePointFiveStopBits:
		b += 1.5
	case bug.TwoStopBits:
		b += 2
	default:
		b++
	}
	return b
}

// lineTime is how long n bytes take on the wire.
func (p *Printer) lineTime(n int) time.Duration {
	return time.Duration(float64(n) * p.bitsPerChar() / float64(p.mode.BaudRate) * float64(time.Second))
}

// chunk is about 50 ms of line time: progress is seen often enough to
// judge a stall, and a cancelled job stops soon.
func (p *Printer) chunk() int {
	n := int(float64(p.mode.BaudRate) / p.bitsPerChar() / 20)
	return max(16, min(n, 4096))
}

// Device is the configured port.
func (p *Printer) Device() string { return p.device }

// Open opens and configures the port, unless it is open and working.
func (p *Printer) Open(ctx context.Context) error {
	if err := p.lock.Lock(ctx); err != nil {
		return err
	}
	defer p.lock.Unlock()
	return p.openLocked()
}

func (p *Printer) openLocked() error {
	if p.port != nil {
		if p.in.Err() == nil {
			return nil
		}
		p.log.Info("serial line failed, reopening", "reason", p.in.Err())
		p.closeLocked()
	}
	port, out, hw, err := openPort(p.device, &p.mode, p.flow)
	if err != nil {
		return fmt.Errorf("printer %q: open serial port %s: %w", p.name, p.device, describe(err))
	}
	p.port, p.out, p.in, p.done = port, out, link.NewInbox(), make(chan struct{})
	p.gate = nil
	if !hw && p.flow != "none" {
		p.gate = newGate()
	}
	p.query.Forget()
	go p.readLoop(port, p.in, p.gate, p.done)
	return nil
}

// describe makes go.bug.st/serial's error codes readable.
func describe(err error) error {
	var pe *bug.PortError
	if errors.As(err, &pe) {
		switch pe.Code() {
		case bug.PortBusy:
			return fmt.Errorf("port is in use by another program: %w", err)
		case bug.PortNotFound:
			return fmt.Errorf("no such port (unplugged?): %w", err)
		case bug.PermissionDenied:
			return fmt.Errorf("permission denied (on Linux add the service user to the dialout group): %w", err)
		case bug.InvalidSpeed:
			return fmt.Errorf("the port does not support this baud rate: %w", err)
		}
	}
	return err
}

func (p *Printer) readLoop(port Port, in *link.Inbox, g *gate, done chan struct{}) {
	defer close(done)
	buf := make([]byte, 1024)
	for {
		n, err := port.Read(buf)
		data := buf[:n]
		if g != nil {
			data = g.filter(data)
		}
		if len(data) > 0 {
			in.Put(data)
		}
		if err != nil {
			in.Fail(err)
			if g != nil {
				g.fail()
			}
			return
		}
		if n == 0 {
			// go.bug.st/serial returns 0, nil only on a read timeout; none is set.
			in.Fail(errors.New("serial port returned no data"))
			return
		}
	}
}

// Write sends job. It fails when no byte moves for the write timeout (the
// printer is off, the cable is out, or flow control holds it), however
// long a slow line takes in total. For ZPL printers it then waits for the
// answer to ~HS, which proves the printer read every byte of the job.
func (p *Printer) Write(ctx context.Context, job []byte) error {
	if err := p.lock.Lock(ctx); err != nil {
		return err
	}
	defer p.lock.Unlock()
	if err := p.openLocked(); err != nil {
		return err
	}
	n, err := p.writeLocked(ctx, job)
	if err != nil {
		p.closeLocked()
		switch {
		case errors.Is(err, link.ErrStalled):
			return fmt.Errorf("printer %q on %s: %w (paused, off, cable out, or flow control holds the line)", p.name, p.device, err)
		case ctx.Err() != nil:
			return fmt.Errorf("printer %q: job cancelled after %d of %d bytes: %w", p.name, n, len(job), ctx.Err())
		}
		return fmt.Errorf("printer %q on %s: write failed after %d of %d bytes: %w", p.name, p.device, n, len(job), err)
	}
	if !p.confirm {
		return nil
	}
	// The OS may still hold a good part of the job for the wire (a pseudo
	// terminal up to 64 KiB): allow for its line time.
	backlog := p.lineTime(min(len(job), 72<<10))
	if err := link.Confirm(ctx, p.in, p.send, p.writeTimeout+backlog+backlog/4+time.Second); err != nil {
		p.closeLocked()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("printer %q on %s: job sent but the printer did not confirm it (%v); the port was closed and the job must be sent again", p.name, p.device, err)
	}
	return nil
}

func (p *Printer) writeLocked(ctx context.Context, b []byte) (int, error) {
	port, g := p.port, p.gate
	if p.out != nil {
		return p.writePolled(ctx, b)
	}
	write := port.Write
	if g != nil {
		write = func(b []byte) (int, error) {
			if err := g.wait(ctx, port, p.flow); err != nil {
				return 0, err
			}
			return port.Write(b)
		}
	}
	return link.WriteWatched(ctx, b, p.chunk(), p.writeTimeout, write, func() {
		if g != nil {
			g.abort()
		}
		port.ResetOutputBuffer()
	})
}

// writePolled writes through the poller: each chunk gets the write timeout,
// so only a line that stops moving fails, and ctx interrupts at once.
func (p *Printer) writePolled(ctx context.Context, b []byte) (int, error) {
	total, err := link.WriteDeadlined(ctx, p.out, b, p.chunk(), p.writeTimeout)
	if errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() == nil {
		return total, fmt.Errorf("%w for %s after %d of %d bytes", link.ErrStalled, p.writeTimeout, total, len(b))
	}
	return total, err
}

func (p *Printer) send(ctx context.Context, b []byte) error {
	_, err := p.writeLocked(ctx, b)
	return err
}

// Status asks the printer with ~HS (and ~HQES).
func (p *Printer) Status(ctx context.Context) (printer.Status, error) {
	if err := p.lock.Lock(ctx); err != nil {
		return printer.Status{State: printer.StateUnknown, Checked: time.Now()}, err
	}
	defer p.lock.Unlock()
	if err := p.openLocked(); err != nil {
		return printer.Status{State: printer.StateOffline, Detail: errors.Unwrap(err).Error(), Checked: time.Now()}, err
	}
	st, err := p.query.Status(ctx, p.in, p.send)
	if err != nil {
		p.closeLocked()
		if errors.Is(err, link.ErrNoReply) {
			// Off, unplugged, wrong baud rate, or not a ZPL printer: a
			// serial line cannot tell these apart.
			return printer.Status{State: printer.StateOffline, Checked: time.Now()}.Saying(
				printer.Say(printer.DetailSerialNoAnswer, "baud", p.mode.BaudRate)), fmt.Errorf("printer %q on %s: %w", p.name, p.device, err)
		}
		return printer.Status{State: printer.StateOffline, Detail: err.Error(), Checked: time.Now()},
			fmt.Errorf("printer %q on %s: status: %w", p.name, p.device, err)
	}
	return st, nil
}

// Close closes the port.
func (p *Printer) Close() error {
	p.lock <- struct{}{}
	defer p.lock.Unlock()
	p.closeLocked()
	return nil
}

func (p *Printer) closeLocked() {
	if p.port == nil {
		return
	}
	if p.out != nil {
		p.out.Close()
		p.out = nil
	}
	p.port.Close()
	select {
	case <-p.done: // the reader goroutine has ended
	case <-time.After(2 * time.Second):
		p.log.Warn("serial reader did not stop after close")
	}
	p.port = nil
}

// gate is flow control done by the agent, where the OS does not do it
// (Windows): XOFF/XON from the printer, or its CTS line.
type gate struct {
	mu      sync.Mutex
	stopped bool // XOFF received
	ended   bool
	changed chan struct{}
}

func newGate() *gate { return &gate{changed: make(chan struct{})} }

const (
	xon  = 0x11
	xoff = 0x13
)

// filter takes XON/XOFF out of what the printer sends.
func (g *gate) filter(b []byte) []byte {
	out := b[:0]
	for _, c := range b {
		switch c {
		case xoff, xon:
			g.mu.Lock()
			g.stopped = c == xoff
			close(g.changed)
			g.changed = make(chan struct{})
			g.mu.Unlock()
		default:
			out = append(out, c)
		}
	}
	return out
}

func (g *gate) fail() { g.abort() }
func (g *gate) abort() {
	g.mu.Lock()
	if !g.ended {
		g.ended = true
		close(g.changed)
		g.changed = make(chan struct{})
	}
	g.mu.Unlock()
}

var errGateClosed = errors.New("write aborted while the printer held the line")

// wait blocks while the printer holds the line.
func (g *gate) wait(ctx context.Context, port Port, flow string) error {
	for {
		g.mu.Lock()
		stopped, ended, ch := g.stopped, g.ended, g.changed
		g.mu.Unlock()
		if ended {
			return errGateClosed
		}
		if flow == "rtscts" {
			bits, err := port.GetModemStatusBits()
			if err != nil {
				return err
			}
			stopped = !bits.CTS
		}
		if !stopped {
			return nil
		}
		select {
		case <-ch:
		case <-time.After(10 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

var _ printer.Exchanger = (*Printer)(nil)

// Exchange sends cmd and returns the printer's answer, in turn with jobs
// and status polls.
func (p *Printer) Exchange(ctx context.Context, cmd []byte, wait time.Duration) ([]byte, error) {
	if err := p.lock.Lock(ctx); err != nil {
		return nil, err
	}
	defer p.lock.Unlock()
	if err := p.openLocked(); err != nil {
		return nil, err
	}
	// Quiet for 20 characters' time at the line's rate, at least 150 ms.
	quiet := max(150*time.Millisecond, p.lineTime(20))
	out, err := link.Exchange(ctx, p.in, p.send, cmd, wait, quiet)
	if err != nil {
		p.closeLocked()
		return out, fmt.Errorf("printer %q on %s: %w", p.name, p.device, err)
	}
	return out, nil
}
