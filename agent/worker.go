package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/zpl"
)

// Status polling defaults.
const (
	defaultStatusInterval = 15 * time.Second
	statusTimeout         = 5 * time.Second
	// statusFresh: a printer that took a job or said it was ready this
	// recently is not asked again before the next job. Back-to-back jobs
	// would otherwise pay a status round trip each, right after the
	// transport confirmed the previous one.
	statusFresh = 250 * time.Millisecond
)

// worker owns one printer: it takes that printer's jobs in order, one at a
// time, and is the only goroutine that talks to the device.
type worker struct {
	a        *Agent
	cfg      printer.Config
	p        printer.Printer
	log      *slog.Logger
	poll     bool          // ask the device for its status (never for raw printers: ~HS would print)
	interval time.Duration // idle status polling
	wake     chan struct{}

	mu          sync.Mutex
	queue       []string // waiting job ids, oldest first; the current job is not in it
	paused      bool
	current     string
	cancelCur   context.CancelFunc
	cancelReq   bool          // the operator cancelled the current job
	curDone     chan struct{} // closed when the current job is finished with
	status      printer.Status
	statusSince time.Time
	retryID     string // the head job waits for its next attempt until retryAt
	retryAt     time.Time
	printableAt time.Time // when the printer last proved it could print (only the run goroutine uses it)
	bo          *backoff.ExponentialBackOff
	pausedSince time.Time
	retryErr    string              // why the head job waits for retryAt
	retrySince  time.Time           // when that attempt failed
	curWait     *apitype.WaitReason // the current job waits (e.g. a fault while it is in the printer's buffer)
	lastWait    waitKey             // the printer-wide reason last announced on the bus
	unreachable bool                // status is offline because the printer could not be asked
}

// waitKey is what makes a printer-wide wait reason different from the last
// one announced, so a change is published once.
type waitKey struct{ code, detail string }

func newWorker(a *Agent, cfg printer.Config, p printer.Printer) *worker {
	w := &worker{
		a:        a,
		cfg:      cfg,
		p:        p,
		log:      a.log.With("printer", cfg.Name),
		poll:     cfg.Profile.Language != "raw" && cfg.StatusInterval >= 0,
		interval: cfg.StatusInterval,
		wake:     make(chan struct{}, 1),
		status:   printer.Status{State: printer.StateUnknown},
	}
	if w.interval <= 0 {
		w.interval = defaultStatusInterval
	}
	w.statusSince = a.now()
	w.pausedSince = w.statusSince
	w.bo = w.newBackoff()
	return w
}

func (w *worker) newBackoff() *backoff.ExponentialBackOff {
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = w.a.cfg.Jobs.RetryInitial
	bo.MaxInterval = w.a.cfg.Jobs.RetryMax
	bo.MaxElapsedTime = 0 // attempts, not time, end the retries
	bo.Reset()
	return bo
}

func (w *worker) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func jobNum(id string) uint64 {
	n, _ := strconv.ParseUint(id, 10, 64)
	return n
}

// enqueue adds a job in id order (ids grow with submission time).
func (w *worker) enqueue(id string) {
	w.mu.Lock()
	if w.current == id || slices.Contains(w.queue, id) {
		w.mu.Unlock()
		return
	}
	n := jobNum(id)
	i := len(w.queue)
	for i > 0 && jobNum(w.queue[i-1]) > n {
		i--
	}
	w.queue = slices.Insert(w.queue, i, id)
	w.mu.Unlock()
	w.publish()
	w.signal()
}

// peek returns the next job to print and how long it must still wait
// before its next attempt; "" when paused or idle.
func (w *worker) peek() (string, time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.paused || len(w.queue) == 0 {
		return "", 0
	}
	id := w.queue[0]
	if id == w.retryID {
		if d := w.retryAt.Sub(w.a.now()); d > 0 {
			return id, d
		}
	}
	return id, 0
}

// take makes the head job current.
func (w *worker) take() (string, context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.paused || len(w.queue) == 0 {
		return "", nil
	}
	id := w.queue[0]
	w.queue = w.queue[1:]
	if id != w.retryID {
		w.retryID, w.retryErr = "", ""
		w.bo.Reset()
	}
	// The write outlives runCtx on purpose: Stop lets it finish.
	ctx, cancel := context.WithCancel(w.a.writeCtx)
	w.current, w.cancelCur, w.cancelReq, w.curDone = id, cancel, false, make(chan struct{})
	return id, ctx
}

func (w *worker) finish() {
	w.mu.Lock()
	w.cancelCur()
	close(w.curDone)
	w.current, w.cancelCur, w.curDone = "", nil, nil
	w.mu.Unlock()
	w.publish()
}

func (w *worker) run(ctx context.Context) {
	tick := time.NewTicker(w.interval)
	defer tick.Stop()
	w.refreshStatus(ctx)
	for ctx.Err() == nil {
		id, wait := w.peek()
		switch {
		case id == "":
			select {
			case <-ctx.Done():
			case <-w.wake:
			case <-tick.C:
				w.refreshStatus(ctx)
			}
			continue
		case wait > 0:
			w.sleep(ctx, wait)
			continue
		}
		if w.a.now().Sub(w.printableAt) > statusFresh {
			if st := w.refreshStatus(ctx); !st.CanPrint() {
				w.sleep(ctx, w.a.holdPoll) // hold the job, do not fail it
				continue
			}
			w.printableAt = w.a.now()
		}
		if id, jobCtx := w.take(); id != "" {
			w.process(jobCtx, id)
		}
	}
}

func (w *worker) sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-w.wake:
	case <-t.C:
	}
}

// process prepares and writes one job and records the outcome.
func (w *worker) process(ctx context.Context, id string) {
	defer w.finish()
	a := w.a
	j, err := a.store.Get(id)
	if err != nil {
		w.log.Error("queued job cannot be read", "job", id, "err", err)
		return
	}
	if j.State.Terminal() {
		return
	}
	started := a.now()
	j.State, j.Updated = apitype.StatePreparing, started // not persisted: a crash here leaves it queued
	a.publishJob(j)

	payload, err := a.store.Payload(j.PayloadSHA256)
	if err != nil {
		w.fail(j, fmt.Errorf("the job's data is missing from the store: %w", err))
		return
	}
	data, err := a.preparer.Prepare(ctx, j.Kind, payload, w.cfg.Profile)
	if err != nil {
		if w.interrupted(ctx, j) {
			return
		}
		if permanent(err) {
			w.fail(j, fmt.Errorf("cannot prepare the label for printer %q: %w", w.cfg.Name, err))
			return
		}
		// The converter itself had trouble (its PDF renderer did not start):
		// the job is fine, so try again later like a failed write.
		j.Attempts++
		w.retryOrFail(j, fmt.Errorf("preparing the label: %w", err))
		return
	}
	data = withCopies(data, j.Copies)

	j.Attempts++
	j = a.transition(j, apitype.StatePrinting, fmt.Sprintf("attempt %d, %d bytes", j.Attempts, len(data)))
	if err := a.store.Put(j); err != nil {
		// Without a durable record, printing could go unnoticed after a crash.
		w.log.Error("cannot record the start of printing; the job waits", "job", id, "err", err)
		w.requeue(id, w.a.holdPoll, err.Error())
		return
	}
	a.publishJob(j)

	err = w.p.Write(ctx, data)
	if err == nil {
		w.printableAt = a.now()
		j = a.transition(j, apitype.StateDone, "")
		j.LastError = ""
		w.save(j)
		w.log.Info("job printed", "job", id, "bytes", len(data), "copies", j.Copies, "took", a.now().Sub(started).Round(time.Millisecond))
		return
	}
	if w.interrupted(ctx, j) {
		return
	}
	_ = w.p.Close() // reconnect on the next attempt
	w.retryOrFail(j, err)
}

// retryOrFail queues a job for another attempt after a backoff, or fails
// it once it has used its attempts.
func (w *worker) retryOrFail(j apitype.Job, err error) {
	a := w.a
	j.LastError = err.Error()
	if j.Attempts >= a.cfg.Jobs.MaxAttempts {
		w.fail(j, fmt.Errorf("gave up after %d attempts: %w", j.Attempts, err))
		return
	}
	w.mu.Lock()
	delay := w.bo.NextBackOff()
	w.mu.Unlock()
	j = a.transition(j, apitype.StateQueued, fmt.Sprintf("attempt %d failed: %v; next try in %s", j.Attempts, err, delay.Round(time.Millisecond)))
	w.requeue(j.ID, delay, err.Error()) // first, so the published job says why it waits
	w.save(j)
	w.log.Warn("job failed; will retry", "job", j.ID, "attempt", j.Attempts, "retry_in", delay, "err", err)
}

// permanent reports whether a preparation error means the payload can
// never print as given. Only the converter's own trouble (its PDF renderer
// failed to start) is worth another attempt.
func permanent(err error) bool {
	return !errors.Is(err, zpl.ErrRenderer) || errors.Is(err, zpl.ErrBadInput)
}

// interrupted handles a job whose context ended: cancelled by the operator,
// or abandoned because the agent is stopping (it will print again).
func (w *worker) interrupted(ctx context.Context, j apitype.Job) bool {
	if ctx.Err() == nil {
		return false
	}
	w.mu.Lock()
	cancelled := w.cancelReq
	w.mu.Unlock()
	if cancelled {
		w.save(w.a.transition(j, apitype.StateCancelled, "cancelled by the operator"))
		return true
	}
	w.save(w.a.transition(j, apitype.StateQueued, "the agent stopped during "+string(j.State)+"; it will print again"))
	return true
}

func (w *worker) fail(j apitype.Job, err error) {
	j = w.a.transition(j, apitype.StateFailed, err.Error())
	j.LastError = err.Error()
	w.save(j)
	w.log.Warn("job failed", "job", j.ID, "err", err)
}

func (w *worker) save(j apitype.Job) {
	if err := w.a.store.Put(j); err != nil {
		w.log.Error("cannot save job", "job", j.ID, "state", j.State, "err", err)
	}
	w.a.publishJob(j)
}

// requeue puts a job back at the head, to be tried after delay; why says
// what went wrong (shown as the job's wait reason meanwhile).
func (w *worker) requeue(id string, delay time.Duration, why string) {
	w.mu.Lock()
	now := w.a.now()
	w.queue = slices.Insert(w.queue, 0, id)
	w.retryID, w.retryAt = id, now.Add(delay)
	w.retryErr, w.retrySince = why, now
	w.mu.Unlock()
}

// cancel removes a waiting job or interrupts the one being written.
func (w *worker) cancel(ctx context.Context, id string) error {
	w.mu.Lock()
	if w.current == id {
		w.cancelReq = true
		w.cancelCur()
		done := w.curDone
		w.mu.Unlock()
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if i := slices.Index(w.queue, id); i >= 0 {
		w.queue = slices.Delete(w.queue, i, i+1)
		if w.retryID == id {
			w.retryID = ""
		}
	}
	w.mu.Unlock()
	j, err := w.a.store.Get(id)
	if err != nil {
		return err
	}
	if !j.State.Terminal() {
		w.save(w.a.transition(j, apitype.StateCancelled, "cancelled by the operator"))
	}
	w.publish()
	w.signal()
	return nil
}

func (w *worker) setPaused(p bool) {
	w.mu.Lock()
	changed := w.paused != p
	w.paused = p
	if changed {
		w.pausedSince = w.a.now()
	}
	w.mu.Unlock()
	if changed {
		if p {
			w.log.Info("printer paused")
		} else {
			w.log.Info("printer resumed")
		}
		w.publish()
		w.publishWaits()
		w.signal()
	}
}

// refreshStatus asks the device how it is and publishes a change.
func (w *worker) refreshStatus(ctx context.Context) printer.Status {
	var st printer.Status
	unreachable := false
	if !w.poll {
		st = printer.Status{State: printer.StateUnknown, Detail: "status is not queried for this printer"}
	} else {
		cctx, cancel := context.WithTimeout(ctx, statusTimeout)
		var err error
		st, err = w.p.Status(cctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return w.snapshotStatus()
		case errors.Is(err, printer.ErrNoStatus):
			st = printer.Status{State: printer.StateUnknown, Detail: err.Error()}
		case err != nil:
			st = printer.Status{State: printer.StateOffline, Detail: err.Error()}
			unreachable = true
		}
	}
	if st.State == "" {
		st.State = printer.StateUnknown
	}
	if st.Checked.IsZero() {
		st.Checked = w.a.now()
	}
	w.mu.Lock()
	old := w.status
	w.status, w.unreachable = st, unreachable
	changed := old.State != st.State || old.Detail != st.Detail || !slices.Equal(old.Problems, st.Problems)
	if changed {
		w.statusSince = st.Checked
	}
	w.mu.Unlock()
	if changed {
		w.log.Info("printer status", "state", st.State, "detail", st.Detail)
		w.publish()
		w.publishWaits()
	}
	return st
}

func (w *worker) snapshotStatus() printer.Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.status
}

func (w *worker) snapshot() apitype.Printer {
	w.mu.Lock()
	defer w.mu.Unlock()
	queued := len(w.queue)
	if w.current != "" {
		queued++
	}
	return apitype.Printer{
		Name:        w.cfg.Name,
		Transport:   w.cfg.Transport,
		Address:     w.cfg.Address(),
		Default:     w.cfg.Name == w.a.cfg.DefaultPrinter,
		Paused:      w.paused,
		Status:      w.status,
		StatusSince: w.statusSince,
		Queued:      queued,
		Current:     w.current,
	}
}

func (w *worker) publish() {
	p := w.snapshot()
	w.a.bus.publish(apitype.Event{Type: apitype.EventPrinter, Printer: &p})
}

// waitFor says why job j (of this printer, not finished) is not printing
// now, or nil when it is printing or is next with nothing in its way.
func (w *worker) waitFor(j apitype.Job) *apitype.WaitReason {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.waitLocked(j.ID, j.Updated)
}

func (w *worker) waitLocked(id string, queuedAt time.Time) *apitype.WaitReason {
	if id == w.current && w.curWait != nil {
		r := *w.curWait
		return &r
	}
	if id == w.retryID && w.retryErr != "" && w.retryAt.After(w.a.now()) {
		return &apitype.WaitReason{Code: apitype.WaitUnreachable, Printer: w.cfg.Name, Detail: w.retryErr, Since: w.retrySince}
	}
	if id == w.current {
		return nil
	}
	if r := w.printerWaitLocked(); r != nil {
		return r
	}
	ahead := w.current
	if ahead == "" {
		if i := slices.Index(w.queue, id); i > 0 {
			ahead = w.queue[0]
		}
	}
	if ahead != "" {
		return &apitype.WaitReason{Code: apitype.WaitBehind, Printer: w.cfg.Name, Ahead: ahead, Since: queuedAt}
	}
	return nil
}

// printerWaitLocked is the reason every job of this printer waits (paused,
// a fault, unreachable), or nil when the printer can print.
func (w *worker) printerWaitLocked() *apitype.WaitReason {
	if w.paused {
		return &apitype.WaitReason{Code: apitype.WaitPaused, Printer: w.cfg.Name, Since: w.pausedSince}
	}
	if w.status.CanPrint() {
		return nil
	}
	code := waitCode(w.status)
	if w.unreachable {
		code = apitype.WaitUnreachable
	}
	return &apitype.WaitReason{Code: code, Printer: w.cfg.Name, Detail: w.status.Detail, Since: w.statusSince}
}

// waitCode names why a printer in status st cannot print.
func waitCode(st printer.Status) string {
	switch st.State {
	case printer.StatePaperOut:
		return apitype.WaitPaperOut
	case printer.StateHeadOpen:
		return apitype.WaitHeadOpen
	case printer.StateRibbonOut:
		return apitype.WaitRibbonOut
	case printer.StatePaused:
		return apitype.WaitPaused
	}
	return apitype.WaitPrinterError
}

// maxWaitEvents bounds the job events one printer-wide change sends: a long
// queue is reloaded by clients from the printer event instead.
const maxWaitEvents = 200

// publishWaits announces a changed printer-wide wait reason to every job
// waiting on this printer.
func (w *worker) publishWaits() {
	w.mu.Lock()
	var k waitKey
	if r := w.printerWaitLocked(); r != nil {
		k = waitKey{r.Code, r.Detail}
	}
	if k == w.lastWait {
		w.mu.Unlock()
		return
	}
	w.lastWait = k
	ids := make([]string, 0, len(w.queue)+1)
	if w.current != "" {
		ids = append(ids, w.current)
	}
	ids = append(ids, w.queue[:min(len(w.queue), maxWaitEvents)]...)
	w.mu.Unlock()
	for _, id := range ids {
		j, err := w.a.store.Get(id)
		if err != nil || j.State.Terminal() {
			continue
		}
		w.a.publishJob(j)
	}
}
