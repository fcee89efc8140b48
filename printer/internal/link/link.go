// Package link holds what the bidirectional transports (tcp, serial, usb)
// share: an inbox for what the printer sends back, the ~HS / ~HQES status
// exchange, a context-aware lock, and a write loop that tells a stalled
// printer from a slow one.
package link

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/printer/zplstatus"
)

// Lock is a mutex whose Lock gives up when ctx ends, so a status poll does
// not wait forever behind a stuck job.
type Lock chan struct{}

// NewLock returns an unlocked Lock.
func NewLock() Lock { return make(Lock, 1) }

// Lock takes the lock or returns ctx's error.
func (l Lock) Lock(ctx context.Context) error {
	select {
	case l <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for the printer to finish the job in progress: %w", ctx.Err())
	}
}

// Unlock releases the lock.
func (l Lock) Unlock() { <-l }

// Inbox collects what the device sends, fed by one reader goroutine.
type Inbox struct {
	mu      sync.Mutex
	buf     []byte
	err     error
	changed chan struct{}
}

// NewInbox returns an empty inbox.
func NewInbox() *Inbox { return &Inbox{changed: make(chan struct{})} }

// maxInbox bounds unread input: a printer that chatters must not fill memory.
const maxInbox = 64 << 10

// Put appends bytes the device sent.
func (in *Inbox) Put(b []byte) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.buf = append(in.buf, b...)
	if len(in.buf) > maxInbox {
		in.buf = append([]byte(nil), in.buf[len(in.buf)-maxInbox:]...)
	}
	close(in.changed)
	in.changed = make(chan struct{})
}

// Fail records that the line ended (EOF, reset, unplugged).
func (in *Inbox) Fail(err error) {
	if err == nil {
		err = io.EOF
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.err == nil {
		in.err = err
	}
	close(in.changed)
	in.changed = make(chan struct{})
}

// Err is the reason the line ended, or nil while it works.
func (in *Inbox) Err() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.err
}

// Reset drops bytes nobody asked for (late replies, chatter).
func (in *Inbox) Reset() {
	in.mu.Lock()
	in.buf = nil
	in.mu.Unlock()
}

// Await waits until complete finds a whole reply in the inbox, removes it
// and returns it.
func (in *Inbox) Await(ctx context.Context, complete func([]byte) (int, bool)) ([]byte, error) {
	for {
		in.mu.Lock()
		if n, ok := complete(in.buf); ok {
			reply := append([]byte(nil), in.buf[:n]...)
			in.buf = in.buf[n:]
			in.mu.Unlock()
			return reply, nil
		}
		err, ch := in.err, in.changed
		in.mu.Unlock()
		if err != nil {
			return nil, fmt.Errorf("connection ended: %w", err)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// ReadLoop copies r into in until r fails; run it in its own goroutine.
// filter, if not nil, may drop bytes (e.g. XON/XOFF) before they are kept.
func ReadLoop(r io.Reader, in *Inbox) {
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			in.Put(buf[:n])
		}
		if err != nil {
			in.Fail(err)
			return
		}
	}
}

// ErrNoReply means the printer did not answer a status query in time.
var ErrNoReply = errors.New("printer did not answer the status query")

// Querier asks a ZPL printer for its status over a bidirectional line.
type Querier struct {
	// Timeout bounds each reply; 0 means 2 s.
	Timeout time.Duration
	// extended: nil unknown, then whether the printer answers ~HQES.
	extended *bool
	// answered: the printer has answered ~HS at least once, so silence
	// now is a problem, not a printer that does not speak ZPL status.
	answered bool
	// odometer: nil unknown, then whether the printer answers the SGD
	// label counter (Link-OS printers do; older ones stay silent or say "?").
	odometer *bool
}

// Answered reports whether the printer has ever answered ~HS.
func (q *Querier) Answered() bool { return q.answered }

// Status sends ~HS (and ~HQES when the printer has shown it answers it)
// with write and reads the replies from in.
func (q *Querier) Status(ctx context.Context, in *Inbox, write func(context.Context, []byte) error) (printer.Status, error) {
	timeout := q.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	in.Reset()
	if err := write(ctx, []byte(zplstatus.QueryHS)); err != nil {
		return printer.Status{}, fmt.Errorf("send status query: %w", err)
	}
	hctx, cancel := context.WithTimeout(ctx, timeout)
	reply, err := in.Await(hctx, zplstatus.HSComplete)
	cancel()
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return printer.Status{}, fmt.Errorf("%w within %s (~HS)", ErrNoReply, timeout)
		}
		return printer.Status{}, err
	}
	hs, err := zplstatus.ParseHS(reply)
	if err != nil {
		return printer.Status{}, err
	}
	q.answered = true
	st, err := q.extendedStatus(ctx, in, write, hs, timeout)
	if err != nil {
		return st, err
	}
	return q.withOdometer(ctx, in, write, st, timeout)
}

// withOdometer adds the printer's label counter to st where it has one:
// done-means-printed counts labels with it across a power cycle.
func (q *Querier) withOdometer(ctx context.Context, in *Inbox, write func(context.Context, []byte) error, st printer.Status, timeout time.Duration) (printer.Status, error) {
	if q.odometer != nil && !*q.odometer {
		return st, nil
	}
	if st.Buffer != nil && st.Buffer.Receiving {
		// Inside an unfinished format the printer takes the SGD line
		// for label data: no counter this time.
		return st, nil
	}
	if err := write(ctx, []byte(zplstatus.GetVar(zplstatus.OdometerVar))); err != nil {
		return printer.Status{}, fmt.Errorf("send counter query: %w", err)
	}
	wait := timeout
	if q.odometer == nil {
		wait = min(timeout, 500*time.Millisecond)
	}
	octx, cancel := context.WithTimeout(ctx, wait)
	reply, err := in.Await(octx, zplstatus.SGDComplete)
	cancel()
	if err != nil {
		if ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
			return printer.Status{}, err
		}
		if q.odometer == nil { // never answered: a printer without SGD
			no := false
			q.odometer = &no
			return st, nil
		}
		return printer.Status{}, fmt.Errorf("%w within %s (label counter)", ErrNoReply, wait)
	}
	n, ok, err := zplstatus.ParseCounter(reply)
	if err != nil || !ok {
		no := false
		q.odometer = &no
		return st, nil
	}
	yes := true
	q.odometer = &yes
	st.Odometer = &n
	return st, nil
}

func (q *Querier) extendedStatus(ctx context.Context, in *Inbox, write func(context.Context, []byte) error, hs zplstatus.HostStatus, timeout time.Duration) (printer.Status, error) {
	now := time.Now()
	if q.extended != nil && !*q.extended {
		return hs.Status(now), nil
	}
	// ~HQES names more faults (cutter, jams, a hot motor); printers that do
	// not know it stay silent, and are not asked again.
	if err := write(ctx, []byte(zplstatus.QueryHQES)); err != nil {
		return printer.Status{}, fmt.Errorf("send status query: %w", err)
	}
	wait := timeout
	if q.extended == nil {
		wait = min(timeout, 500*time.Millisecond)
	}
	ectx, cancel := context.WithTimeout(ctx, wait)
	reply, err := in.Await(ectx, zplstatus.HQESComplete)
	cancel()
	if err != nil {
		if ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
			return printer.Status{}, err
		}
		no := false
		q.extended = &no
		return hs.Status(now), nil
	}
	es, err := zplstatus.ParseHQES(reply)
	if err != nil {
		return hs.Status(now), nil
	}
	yes := true
	q.extended = &yes
	return zplstatus.Merge(now, hs, &es), nil
}

// Confirm sends ~HS and waits up to timeout for the answer. Printers
// answer ~HS the moment they read it, after everything sent before it, so
// an answer proves the whole job arrived.
func Confirm(ctx context.Context, in *Inbox, write func(context.Context, []byte) error, timeout time.Duration) error {
	in.Reset()
	if err := write(ctx, []byte(zplstatus.QueryHS)); err != nil {
		return fmt.Errorf("send status query: %w", err)
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := in.Await(cctx, zplstatus.HSComplete); err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return fmt.Errorf("%w within %s (~HS)", ErrNoReply, timeout)
		}
		return err
	}
	return nil
}

// Forget makes the next Status find out again whether ~HQES and the label
// counter are answered (another printer may be at the other end after a
// reconnect).
func (q *Querier) Forget() { q.extended, q.odometer = nil, nil }

// ErrStalled means the printer took no bytes for the write timeout.
var ErrStalled = errors.New("printer stopped taking data")

// WriteWatched writes data in chunks with write, which may block, from a
// helper goroutine, and fails only when no chunk completes within stall:
// a slow line that keeps moving is fine, however long the job takes. On a
// stall or when ctx ends it calls abort, every 50 ms, until the blocked
// write returns (abort should flush the port's output queue, which wakes a
// writer), so no goroutine outlives the call; after 5 s it gives up and
// reports it. Close the port only after WriteWatched returned: closing an
// fd under a blocked write lets the number be reused. It returns the
// number of bytes written.
func WriteWatched(ctx context.Context, data []byte, chunk int, stall time.Duration,
	write func([]byte) (int, error), abort func()) (int, error) {
	if chunk <= 0 {
		chunk = 4096
	}
	progress := make(chan int, 1)
	done := make(chan error, 1)
	var stop sync.Mutex // guards aborted, which the helper checks between writes
	aborted := false
	go func() {
		total := 0
		for total < len(data) {
			stop.Lock()
			if aborted {
				stop.Unlock()
				done <- errors.New("aborted")
				return
			}
			stop.Unlock()
			end := min(total+chunk, len(data))
			n, err := write(data[total:end])
			total += n
			if n > 0 {
				select {
				case progress <- total:
				default:
					select { // replace a stale value with the newer one
					case <-progress:
					default:
					}
					progress <- total
				}
			}
			if err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	written := 0
	timer := time.NewTimer(stall)
	defer timer.Stop()
	finish := func(cause error) (int, error) {
		stop.Lock()
		aborted = true
		stop.Unlock()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		giveUp := time.After(5 * time.Second)
	wait:
		for {
			abort()
			select {
			case <-done:
				break wait
			case <-tick.C:
			case <-giveUp:
				return written, fmt.Errorf("%w (and the port does not let go of the blocked write)", cause)
			}
		}
		select {
		case n := <-progress:
			written = max(written, n)
		default:
		}
		return written, cause
	}
	for {
		select {
		case n := <-progress:
			written = n
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
			timer.Reset(stall)
		case err := <-done:
			select {
			case n := <-progress:
				written = n
			default:
			}
			return written, err
		case <-timer.C:
			return finish(fmt.Errorf("%w for %s after %d of %d bytes", ErrStalled, stall, written, len(data)))
		case <-ctx.Done():
			return finish(ctx.Err())
		}
	}
}

// DeadlineWriter is a connection whose writes can be bounded in time (a
// net.Conn, an *os.File opened non-blocking).
type DeadlineWriter interface {
	Write([]byte) (int, error)
	SetWriteDeadline(time.Time) error
}

// WriteDeadlined writes b in chunks and gives each chunk timeout, so that
// a slow printer that keeps reading is never cut off while one that stops
// taking data is. A cancelled ctx ends the write at once (it sets a
// deadline in the past). It returns the bytes written and ctx.Err() or the
// writer's own error (os.ErrDeadlineExceeded for a stall).
func WriteDeadlined(ctx context.Context, w DeadlineWriter, b []byte, chunk int, timeout time.Duration) (int, error) {
	stop := context.AfterFunc(ctx, func() { w.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	total := 0
	for total < len(b) {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		if err := w.SetWriteDeadline(time.Now().Add(timeout)); err != nil {
			return total, err
		}
		if err := ctx.Err(); err != nil { // AfterFunc may have run before the deadline was set
			return total, err
		}
		n, err := w.Write(b[total:min(total+chunk, len(b))])
		total += n
		if err != nil {
			if ctx.Err() != nil {
				return total, ctx.Err()
			}
			return total, err
		}
	}
	w.SetWriteDeadline(time.Time{})
	return total, nil
}

// Exchange sends cmd with write and collects what arrives in in: it waits
// up to wait for the first byte, then until the line has been quiet for
// quiet. An empty answer (nothing came in wait) is not an error.
func Exchange(ctx context.Context, in *Inbox, write func(context.Context, []byte) error, cmd []byte, wait, quiet time.Duration) ([]byte, error) {
	in.Reset()
	if err := write(ctx, cmd); err != nil {
		return nil, fmt.Errorf("send command: %w", err)
	}
	all := func(b []byte) (int, bool) { return len(b), len(b) > 0 }
	var out []byte
	d := wait
	for {
		c, cancel := context.WithTimeout(ctx, d)
		got, err := in.Await(c, all)
		cancel()
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
				return out, nil
			}
			return out, err
		}
		out = append(out, got...)
		d = quiet
	}
}
