// Package tcp prints raw to network printers (port 9100, "JetDirect"):
// connect and write timeouts, TCP keep-alive, a new connection when the
// old one broke, and status by ~HS on the same connection.
package tcp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/printer/internal/link"
)

// Defaults for the timeouts a config leaves at 0.
const (
	DefaultConnectTimeout = 5 * time.Second
	DefaultWriteTimeout   = 15 * time.Second
	DefaultKeepAlive      = 15 * time.Second
	chunkSize             = 64 << 10
	sendBuffer            = 64 << 10
)

// Printer is one network printer.
type Printer struct {
	name, addr     string
	connectTimeout time.Duration
	writeTimeout   time.Duration
	keepAlive      time.Duration
	confirm        bool // ZPL printer: confirm each job with a ~HS round trip
	log            *slog.Logger

	lock  link.Lock
	conn  net.Conn
	in    *link.Inbox
	query link.Querier
}

var _ printer.Printer = (*Printer)(nil)

// New returns the printer for cfg.TCP without connecting.
func New(cfg printer.Config, log *slog.Logger) (*Printer, error) {
	if cfg.TCP.Address == "" {
		return nil, fmt.Errorf("printer %q: tcp.address is empty", cfg.Name)
	}
	addr := cfg.TCP.Address
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(addr, "9100")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Printer{
		name: cfg.Name, addr: addr,
		connectTimeout: orDefault(cfg.TCP.ConnectTimeout, DefaultConnectTimeout),
		writeTimeout:   orDefault(cfg.TCP.WriteTimeout, DefaultWriteTimeout),
		keepAlive:      orDefault(cfg.TCP.KeepAlive, DefaultKeepAlive),
		confirm:        cfg.Profile.Language != "raw",
		log:            log.With("printer", cfg.Name, "address", addr),
		lock:           link.NewLock(),
	}
	p.query.Timeout = orDefault(cfg.TCP.StatusTimeout, 2*time.Second)
	return p, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// Address is host:port of the printer.
func (p *Printer) Address() string { return p.addr }

// Open connects, unless a working connection exists.
func (p *Printer) Open(ctx context.Context) error {
	if err := p.lock.Lock(ctx); err != nil {
		return err
	}
	defer p.lock.Unlock()
	return p.openLocked(ctx)
}

func (p *Printer) openLocked(ctx context.Context) error {
	if p.conn != nil {
		if p.in.Err() == nil {
			return nil
		}
		p.log.Info("connection to printer lost, reconnecting", "reason", p.in.Err())
		p.closeLocked()
	}
	d := net.Dialer{Timeout: p.connectTimeout}
	if p.keepAlive > 0 {
		d.KeepAliveConfig = net.KeepAliveConfig{Enable: true, Idle: p.keepAlive, Interval: p.keepAlive / 3, Count: 3}
	} else {
		d.KeepAlive = -1
	}
	c, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return fmt.Errorf("printer %q: connect to %s: %w", p.name, p.addr, err)
	}
	if tc, ok := c.(*net.TCPConn); ok {
		// A small send buffer keeps little of a job in flight after Write
		// returns, so the ~HS confirmation is not waiting behind megabytes.
		tc.SetWriteBuffer(sendBuffer)
	}
	p.conn, p.in = c, link.NewInbox()
	p.query.Forget()
	go link.ReadLoop(c, p.in)
	return nil
}

// Write sends job. It fails when the printer takes no data for the write
// timeout (a stall), not when a big job merely takes long. For ZPL printers
// it then asks ~HS on the same connection: printers answer it as soon as
// they read it, so the answer proves every byte before it arrived, and a
// connection that dropped in the middle of the job is reported instead of
// being mistaken for a printed label.
func (p *Printer) Write(ctx context.Context, job []byte) error {
	if err := p.lock.Lock(ctx); err != nil {
		return err
	}
	defer p.lock.Unlock()
	for attempt := 0; ; attempt++ {
		if err := p.openLocked(ctx); err != nil {
			return err
		}
		n, err := p.writeLocked(ctx, job)
		if err == nil {
			break
		}
		p.resetLocked()
		if n == 0 && attempt == 0 && ctx.Err() == nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			// The printer closed an idle connection and we learned it only
			// now; nothing of this job went out, so try once more.
			p.log.Info("connection was closed by the printer, reconnecting", "reason", err)
			continue
		}
		return p.wrap(err, n, len(job))
	}
	if !p.confirm {
		return nil
	}
	if err := link.Confirm(ctx, p.in, p.send, p.writeTimeout); err != nil {
		p.resetLocked()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("printer %q at %s: job sent but the printer did not confirm it (%v); the connection was closed and the job must be sent again", p.name, p.addr, err)
	}
	return nil
}

func (p *Printer) wrap(err error, n, total int) error {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("printer %q at %s: %w for %s after %d of %d bytes (paused, out of memory, or not reading)",
			p.name, p.addr, link.ErrStalled, p.writeTimeout, n, total)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("printer %q: job cancelled after %d of %d bytes: %w", p.name, n, total, err)
	}
	return fmt.Errorf("printer %q at %s: connection failed after %d of %d bytes: %w", p.name, p.addr, n, total, err)
}

// writeLocked writes in chunks, giving each chunk the write timeout, so a
// slow printer that keeps reading is never cut off.
func (p *Printer) writeLocked(ctx context.Context, job []byte) (int, error) {
	return link.WriteDeadlined(ctx, p.conn, job, chunkSize, p.writeTimeout)
}

// send writes a short command (a status query).
func (p *Printer) send(ctx context.Context, b []byte) error {
	_, err := p.writeLocked(ctx, b)
	return err
}

// Status asks the printer with ~HS (and ~HQES) on the job connection.
// A printer that cannot be reached is offline, with the reason.
func (p *Printer) Status(ctx context.Context) (printer.Status, error) {
	if err := p.lock.Lock(ctx); err != nil {
		return printer.Status{State: printer.StateUnknown, Checked: time.Now()}, err
	}
	defer p.lock.Unlock()
	if err := p.openLocked(ctx); err != nil {
		return printer.Status{State: printer.StateOffline, Checked: time.Now()}.Saying(printer.Say(printer.DetailCannotConnect, "reason", errors.Unwrap(err).Error())), err
	}
	st, err := p.query.Status(ctx, p.in, p.send)
	if err != nil {
		p.closeLocked()
		if errors.Is(err, link.ErrNoReply) && p.query.Answered() {
			return printer.Status{State: printer.StateOffline, Checked: time.Now()}.Saying(printer.Say(printer.DetailStoppedAnswering)),
				fmt.Errorf("printer %q at %s: %w", p.name, p.addr, err)
		}
		if errors.Is(err, link.ErrNoReply) {
			// Connected but silent: a printer that does not speak ZPL status.
			return printer.Status{State: printer.StateUnknown, Checked: time.Now()}.Saying(printer.Say(printer.DetailNoHSAnswer)),
				fmt.Errorf("printer %q: %w: %w", p.name, printer.ErrNoStatus, err)
		}
		return printer.Status{State: printer.StateOffline, Detail: err.Error(), Checked: time.Now()},
			fmt.Errorf("printer %q at %s: status: %w", p.name, p.addr, err)
	}
	return st, nil
}

// Close disconnects.
func (p *Printer) Close() error {
	p.lock <- struct{}{}
	defer p.lock.Unlock()
	p.closeLocked()
	return nil
}

// resetLocked abandons the connection with a reset, not a close: the
// printer's network stack then drops what it has not read of a cut-off or
// unconfirmed job, instead of handing it over (and printing it) later,
// after the job was already sent again.
func (p *Printer) resetLocked() {
	if tc, ok := p.conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	p.closeLocked()
}

func (p *Printer) closeLocked() {
	if p.conn != nil {
		p.conn.Close()
		p.conn = nil
	}
}

var _ printer.Exchanger = (*Printer)(nil)

// Exchange sends cmd on the job connection and returns the printer's
// answer, in turn with jobs and status polls.
func (p *Printer) Exchange(ctx context.Context, cmd []byte, wait time.Duration) ([]byte, error) {
	if err := p.lock.Lock(ctx); err != nil {
		return nil, err
	}
	defer p.lock.Unlock()
	if err := p.openLocked(ctx); err != nil {
		return nil, err
	}
	out, err := link.Exchange(ctx, p.in, p.send, cmd, wait, 150*time.Millisecond)
	if err != nil {
		p.closeLocked()
		return out, fmt.Errorf("printer %q at %s: %w", p.name, p.addr, err)
	}
	return out, nil
}
