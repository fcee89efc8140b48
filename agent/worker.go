package agent

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
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
	retryErr    error                   // why the head job waits for retryAt
	retrySince  time.Time               // when that attempt failed
	curWait     *apitype.WaitReason     // the current job waits (e.g. a fault while it is in the printer's buffer)
	lastWait    waitKey                 // the printer-wide reason last announced on the bus
	unreachable bool                    // status is offline because the printer could not be asked
	progress    map[string]*jobProgress // jobs partly at the printer, by id
	resync      []byte                  // owed before the next query: spaces that complete a binary download cut off (zpl.ResyncFiller)
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
		w.retryID, w.retryErr = "", nil
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
	w.current, w.cancelCur, w.curDone, w.curWait = "", nil, nil, nil
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

// process prepares and writes one job and records the outcome. For a
// printer that reports its buffer (ZPL ~HS), done means printed: the job is
// done only when the printer has taken it and holds nothing of it any
// more, with no fault; a fault while it waits in the printer holds it
// there, and what the printer lost (a power cycle) is sent again, and only
// that. Other printers are done when the job is handed over.
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
		w.fail(j, i18n.E("queuewords.payload_missing", "error", err))
		return
	}
	if r, ok := a.preparer.(interface{ RendererStarted() bool }); ok && j.Kind == apitype.KindPDF && !r.RendererStarted() {
		r := &apitype.WaitReason{Code: apitype.WaitPreparingRenderer}
		r.Detail, r.DetailID, r.DetailArgs = i18n.KeepErr(i18n.E("queuewords.renderer_starting"))
		w.setCurWait(&j, r)
	}
	data, err := a.preparer.Prepare(ctx, j.Kind, payload, w.cfg.ConverterProfile()) // graphics resolved for the link
	w.setCurWait(&j, nil)
	if err != nil {
		if w.interrupted(ctx, j) {
			return
		}
		if permanent(err) {
			w.fail(j, i18n.E("queuewords.cannot_prepare", "printer", w.cfg.Name, "error", err))
			return
		}
		// The converter itself had trouble (its PDF renderer did not start):
		// the job is fine, so try again later like a failed write.
		j.Attempts++
		w.retryOrFail(j, i18n.E("queuewords.preparing_failed", "error", err))
		return
	}
	fs, total := w.formats(j, data)
	pr := w.progressOf(id)
	if j.Sending != nil && !pr.sent {
		// A run of the agent before this one began sending the job and did
		// not see it finish (a crash, kill -9, a power cut).
		var ok bool
		if j, ok = w.resume(j, pr, total); !ok {
			return
		}
	}

	for {
		counted := false // the printer reports its buffer: done means printed
		var st printer.Status
		if w.poll && total > 0 {
			var ok bool
			if st, ok = w.settle(ctx, &j, pr); !ok {
				return
			}
			counted = st.Buffer != nil
		}
		if pr.resumed && (!counted || st.Odometer == nil) {
			w.hold(j, msg("queuewords.why.no_counter_after_restart", "printer", w.cfg.Name))
			return
		}
		rest := fs
		if counted && pr.sent {
			printed := pr.account(st, total)
			if printed >= total {
				w.done(j, pr, st, total, started)
				return
			}
			rest = zpl.Remaining(fs, printed)
			note := msg("queuewords.lost_labels", "printed", printed, "total", total, "missing", total-printed)
			switch {
			case pr.resumed && printed == 0:
				note = msg("queuewords.resumed_none_printed", "total", total, "counter", pr.base)
			case pr.resumed:
				note = msg("queuewords.resumed_some_printed", "printed", printed, "total", total, "missing", total-printed)
			}
			pr.resumed = false
			j = a.transition(j, apitype.StatePrinting, note)
			w.log.Warn("printer lost part of a job; sending only what is missing", "job", id, "printed", printed, "labels", total)
			if j.Attempts >= a.cfg.Jobs.MaxAttempts {
				w.fail(j, i18n.E("queuewords.gave_up_lost", "count", j.Attempts, "missing", total-printed, "total", total))
				return
			}
		}
		if !pr.sent {
			// The counter's reading right before this job's first byte. st
			// is at most statusFresh old, read with the printer holding
			// nothing, and nothing has been sent to it since: jobs on one
			// printer go one at a time through this worker, the next only
			// once the printer holds nothing of the one before. So every
			// label the counter counts from here on is this job's (unless
			// someone prints on the same printer from elsewhere, which no
			// sender can see).
			if counted && st.Odometer != nil {
				pr.base, pr.baseKnown = *st.Odometer, true
			}
		}
		if !pr.sent || j.Sending == nil {
			j.Sending = &apitype.JobSending{Since: a.now(), Labels: total}
			if pr.baseKnown {
				base := pr.base
				j.Sending.OdometerBefore = &base
			}
		}
		j.Sending.Written = false // this attempt's bytes are not all out yet
		if (pr.sent || pr.resumed) && w.cfg.Profile.Language != "raw" {
			// An earlier attempt may have been cut inside a binary
			// download (~DY PNG): the printer would take this attempt's
			// first bytes as its rest. Spaces complete it first.
			if f := zpl.ResyncFiller(data); f != nil {
				rest = append([]zpl.Format{{Data: f}}, rest...)
			}
		}
		out := zpl.Join(rest)
		j.Attempts++
		j = a.transition(j, apitype.StatePrinting, msg("queuewords.attempt", "attempt", j.Attempts, "bytes", len(out)))
		// Durable before the first byte: after a crash from here on, the
		// restarted agent finds the job "sending" and asks the printer's
		// counter (resume) instead of printing it again blindly.
		if err := a.store.Put(j); err != nil {
			// Without a durable record, printing could go unnoticed after a crash.
			w.log.Error("cannot record the start of printing; the job waits", "job", id, "err", err)
			w.requeue(id, w.a.holdPoll, err)
			return
		}
		a.publishJob(j)
		pr.sent = true
		if err := w.send(ctx, rest, counted && !pr.baseKnown, pr); err != nil {
			if w.cfg.Profile.Language != "raw" {
				w.mu.Lock()
				w.resync = zpl.ResyncFiller(out)
				w.mu.Unlock()
			}
			if w.interrupted(ctx, j) {
				return
			}
			_ = w.p.Close() // reconnect on the next attempt
			w.retryOrFail(j, err)
			return
		}
		w.printableAt = a.now()
		if !counted {
			w.done(j, pr, st, 0, started)
			return
		}
		if !pr.baseKnown && !j.Sending.Written {
			// No counter will tell after a crash whether this printed:
			// record that every byte reached the printer, so a crash while
			// it prints does not leave the job in doubt.
			j.Sending.Written = true
			w.save(j)
		}
		// Counted: settle again and see what came out.
	}
}

// formats cuts a prepared job into the formats the printer counts, with
// its copies as the printer's own quantity (^PQ) where the job is one
// label format, or as repeated formats. total is the labels the job
// prints, 0 where they cannot be counted (raw data, raw printers).
func (w *worker) formats(j apitype.Job, data []byte) ([]zpl.Format, int) {
	if w.cfg.Profile.Language == "raw" {
		return []zpl.Format{{Data: withCopies(data, j.Copies)}}, 0
	}
	// Raw jobs to a ZPL printer are usually ZPL too: counted the same way,
	// but their bytes are left as they are (copies are repeats).
	fs := zpl.SplitFormats(data)
	if zpl.Labels(fs) == 0 {
		return []zpl.Format{{Data: withCopies(data, j.Copies)}}, 0
	}
	if j.Copies > 1 && j.Kind == apitype.KindRaw {
		all := make([]zpl.Format, 0, len(fs)*j.Copies)
		for range j.Copies {
			all = append(all, fs...)
		}
		return all, zpl.Labels(all)
	}
	if j.Copies > 1 {
		printing := -1
		for i, f := range fs {
			if f.Labels > 0 {
				if printing >= 0 {
					printing = -2
					break
				}
				printing = i
			}
		}
		if printing >= 0 {
			f := fs[printing]
			fs = slices.Clone(fs)
			fs[printing] = zpl.Format{Data: zpl.WithQuantity(f.Data, f.Labels*j.Copies), Labels: f.Labels * j.Copies}
		} else {
			all := make([]zpl.Format, 0, len(fs)*j.Copies)
			for range j.Copies {
				all = append(all, fs...)
			}
			fs = all
		}
	}
	return fs, zpl.Labels(fs)
}

// send writes formats. Without the printer's label counter to tell later
// what came out, each format is its own write, confirmed received (~HS)
// before the next: after a drop at most the format in flight is unknown.
func (w *worker) send(ctx context.Context, fs []zpl.Format, oneByOne bool, pr *jobProgress) error {
	if !oneByOne {
		return w.p.Write(ctx, zpl.Join(fs))
	}
	for _, f := range fs {
		if err := w.p.Write(ctx, f.Data); err != nil {
			return err
		}
		pr.received += f.Labels
	}
	return nil
}

// jobProgress is what the worker knows of a job's labels at the printer,
// across attempts. It is kept in memory; what a restart needs of it (the
// counter's reading before the first byte) is in the job's record
// (apitype.Job.Sending).
type jobProgress struct {
	resumed   bool  // sent by the agent's previous run: the counter decides
	sent      bool  // some of it went to the printer
	base      int64 // the printer's label counter before the first byte of it
	baseKnown bool
	received  int  // without a counter: labels of formats the printer confirmed receiving
	remaining int  // labels of it last seen still to print in the printer
	suspect   bool // the printer went away while holding some of it (power cycle?)
}

func (w *worker) progressOf(id string) *jobProgress {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.progress == nil {
		w.progress = map[string]*jobProgress{}
	}
	pr := w.progress[id]
	if pr == nil {
		pr = &jobProgress{}
		w.progress[id] = pr
	}
	return pr
}

// account works out how many of the job's labels came out, with the
// printer's buffer empty: from its label counter where it has one, else
// from the formats it confirmed receiving, less what it still had to print
// when it went away (a power cycle loses that).
func (pr *jobProgress) account(st printer.Status, total int) int {
	if pr.baseKnown && st.Odometer != nil {
		return int(max(0, min(int64(total), *st.Odometer-pr.base)))
	}
	printed := pr.received
	if pr.suspect {
		printed = max(0, printed-pr.remaining)
		pr.received, pr.suspect = printed, false
	}
	return min(printed, total)
}

// settle waits until the printer holds nothing (the job before this one,
// or this one, has printed) and can print. Meanwhile a fault holds the job
// with the printer's words as its wait reason. It returns false when the
// job was cancelled or the agent is stopping (recorded).
func (w *worker) settle(ctx context.Context, j *apitype.Job, pr *jobProgress) (printer.Status, bool) {
	poll := confirmPoll
	cancels, uncounted := 0, 0
	graceEnd := w.a.now().Add(resumeGrace)
	stopped := false // cancelled or stopping: the job was saved as such, leave it
	defer func() {
		if stopped {
			w.mu.Lock()
			w.curWait = nil
			w.mu.Unlock()
			return
		}
		w.setCurWait(j, nil)
	}()
	if !pr.sent {
		// The printer said it was idle and able a moment ago (the job
		// before this one settled): nobody else sends to it, so that
		// answer still holds, and back-to-back jobs save a round trip.
		if st := w.snapshotStatus(); st.Buffer != nil && st.Buffer.Formats == 0 && st.Buffer.LabelsRemaining == 0 &&
			st.CanPrint() && !w.isUnreachable() && w.a.now().Sub(st.Checked) <= statusFresh {
			return st, true
		}
	}
	for {
		st := w.refreshStatus(ctx)
		if ctx.Err() != nil {
			w.dropFromPrinter(j, pr)
		}
		if w.interrupted(ctx, *j) {
			stopped = true
			return st, false
		}
		unreachable := w.isUnreachable()
		switch {
		case unreachable:
			if pr.sent && pr.remaining > 0 {
				pr.suspect = true
			}
			w.setCurWait(j, &apitype.WaitReason{Code: apitype.WaitUnreachable, Detail: st.Detail})
		case st.Buffer == nil:
			return st, true // the printer does not count: nothing to wait for
		case !st.CanPrint():
			if pr.sent {
				pr.remaining = st.Buffer.LabelsRemaining
			}
			w.setCurWait(j, &apitype.WaitReason{Code: waitCode(st), Detail: heldDetail(st)})
		case st.Buffer.Formats > 0 || st.Buffer.LabelsRemaining > 0:
			// (A format only half received is not waited for: it is what
			// is left of a cut-off attempt on a line that stayed open, and
			// the next ^XA makes the printer drop it.)
			if pr.sent {
				pr.remaining = st.Buffer.LabelsRemaining
			}
			w.setCurWait(j, nil)
		case st.Buffer.Receiving && pr.resumed && w.a.now().Before(graceEnd):
			// What the stopped agent sent may still be arriving (the system
			// delivers what the dead process's socket or serial line held):
			// let it end by itself before cancelling what is left of it.
		case st.Buffer.Receiving && pr.sent && cancels < 3:
			// What is left of our cut-off attempt on a line that stayed
			// open (serial, USB): the printer holds nothing else, so
			// cancel it (~JA), and it can count its labels again.
			cancels++
			if err := w.p.Write(ctx, []byte("~JA")); err != nil && w.interrupted(ctx, *j) {
				stopped = true
				return st, false
			}
			continue
		case pr.baseKnown && st.Odometer == nil && uncounted < 20:
			uncounted++ // the label counter did not answer this time: ask again
		default:
			return st, true
		}
		if unreachable || !st.CanPrint() {
			w.sleep(ctx, w.a.holdPoll)
			poll = confirmPoll
		} else {
			w.sleep(ctx, poll)
			poll = min(poll*2, maxConfirmPoll)
		}
	}
}

// dropFromPrinter tells the printer to forget a job the operator cancelled
// while it waited in the printer's buffer (held by a fault, or a long
// batch): otherwise it would still come out when the fault clears. ~JA
// cancels everything the printer holds, which is only this job (the
// worker sends the next one only when the printer holds nothing).
func (w *worker) dropFromPrinter(j *apitype.Job, pr *jobProgress) {
	w.mu.Lock()
	cancelled := w.cancelReq
	w.mu.Unlock()
	if !cancelled || !pr.sent || pr.remaining == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), statusTimeout)
	defer cancel()
	note := msg("queuewords.dropped_from_printer")
	if err := w.p.Write(ctx, []byte("~JA")); err != nil {
		note = msg("queuewords.drop_failed", "error", err)
	}
	*j = w.a.transition(*j, j.State, note)
}

// Confirmation polling: quick at first (a label takes a second or less),
// slower while a long batch prints.
const (
	confirmPoll    = 10 * time.Millisecond
	maxConfirmPoll = 250 * time.Millisecond
	// resumeGrace: how long a half-received format found after a restart
	// may take to complete or end by itself before it is cancelled.
	resumeGrace = 3 * time.Second
)

// resume decides what happens to a job that the agent's previous run began
// to send (its record says so: Job.Sending) and did not see finish.
// Sending it blindly again would print it twice whenever the first
// transfer reached the printer.
//
// With the printer's label counter read right before the first byte, the
// loop in process settles (the printer finishes or drops what it holds)
// and compares: advanced by the job's labels → done, not sent again;
// partly → only the missing labels are sent; not at all → sent again.
//
// Without a counter nothing can tell whether the first transfer printed,
// and the job is held for the operator ("may have printed", failed with
// that reason; retry prints it). At a packing station a missing label is
// noticed at once (the parcel waits for it) and is one retry away, while a
// second copy of a shipping label is easily stuck on the next parcel and a
// second copy of a paid stamp is not valid postage. Two exceptions: a
// transfer recorded as complete (Written) is done as handed over, and a
// file printer, which only ever leaves complete files, writes it again.
func (w *worker) resume(j apitype.Job, pr *jobProgress, total int) (apitype.Job, bool) {
	s := j.Sending
	switch {
	case s.OdometerBefore != nil && total > 0 && s.Labels == total:
		pr.sent, pr.resumed = true, true
		pr.base, pr.baseKnown = *s.OdometerBefore, true
		return j, true
	case s.OdometerBefore != nil:
		w.hold(j, msg("queuewords.why.labels_changed", "now", total, "then", s.Labels))
		return j, false
	case s.Written:
		j = w.a.transition(j, apitype.StateDone, msg("queuewords.handed_over_before_stop"))
		setLastError(&j, nil)
		j.Sending = nil
		w.save(j)
		return j, false
	case w.cfg.Transport == "file":
		j = w.a.transition(j, j.State, msg("queuewords.file_written_again"))
		j.Sending = nil
		return j, true
	}
	w.hold(j, msg("queuewords.why.no_counter", "printer", w.cfg.Name))
	return j, false
}

// hold gives a job that may have printed to the operator instead of
// printing it a second time: failed, with why and what to do.
func (w *worker) hold(j apitype.Job, why i18n.Message) {
	w.fail(j, i18n.E("queuewords.may_have_printed", "why", why))
}

// heldDetail is the printer's own words (they name what waits in it).
func heldDetail(st printer.Status) string { return st.Detail }

// setCurWait records why the current job waits (nil: it does not), and
// notes a new reason in its history and on the bus.
func (w *worker) setCurWait(j *apitype.Job, r *apitype.WaitReason) {
	w.mu.Lock()
	old := w.curWait
	same := (old == nil) == (r == nil) && (r == nil || (old.Code == r.Code && old.Detail == r.Detail))
	if same {
		w.mu.Unlock()
		return
	}
	if r != nil {
		r.Printer = w.cfg.Name
		r.Since = w.a.now()
		if old != nil && old.Code == r.Code {
			r.Since = old.Since
		}
	}
	w.curWait = r
	w.mu.Unlock()
	if j.State == apitype.StatePreparing {
		// Not sent yet: it waits in the queue, as far as anyone can tell.
		j.State = apitype.StateQueued
	}
	if r != nil && (old == nil || old.Code != r.Code) {
		id := "queuewords.waits"
		if j.State == apitype.StatePrinting {
			id = "queuewords.held_in_printer"
		}
		*j = w.a.transition(*j, j.State, msg(id, "code", r.Code, "reason", waitWords(*r)))
		w.save(*j)
	} else if r == nil && old != nil {
		note := msg("queuewords.can_print_again")
		if old.Code == apitype.WaitPreparingRenderer {
			note = msg("queuewords.renderer_ready")
		}
		*j = w.a.transition(*j, j.State, note)
		w.save(*j)
	} else {
		w.a.publishJob(*j)
	}
}

func (w *worker) isUnreachable() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.unreachable
}

// done records a finished job, saying what done means for this printer.
func (w *worker) done(j apitype.Job, pr *jobProgress, st printer.Status, total int, started time.Time) {
	note := w.handedOver()
	if total > 0 {
		note = msg("queuewords.printed", "count", total)
		if pr.baseKnown && st.Odometer != nil {
			id := "queuewords.printed_counted"
			if pr.resumed {
				id = "queuewords.printed_confirmed"
			}
			kv := []any{"count", total, "from", pr.base, "to", *st.Odometer}
			if extra := *st.Odometer - pr.base - int64(total); extra > 0 {
				kv = append(kv, "extra", msg("queuewords.extra_labels", "count", extra))
			}
			note = msg(id, kv...)
		}
	}
	j = w.a.transition(j, apitype.StateDone, note)
	setLastError(&j, nil)
	j.Sending = nil
	w.save(j)
	w.log.Info("job printed", "job", j.ID, "copies", j.Copies, "labels", total, "took", w.a.now().Sub(started).Round(time.Millisecond))
}

// handedOver says what done means for a printer that does not report what
// it printed.
func (w *worker) handedOver() i18n.Message {
	switch {
	case w.cfg.Transport == "file":
		return msg("queuewords.handed_over_file", "path", w.cfg.Address())
	case w.cfg.Transport == "spool":
		return msg("queuewords.handed_over_spool", "queue", w.cfg.Address())
	case w.cfg.Profile.Language == "raw":
		return msg("queuewords.handed_over_raw")
	}
	return msg("queuewords.handed_over")
}

// retryOrFail queues a job for another attempt after a backoff, or fails
// it once it has used its attempts.
func (w *worker) retryOrFail(j apitype.Job, err error) {
	a := w.a
	setLastError(&j, err)
	if j.Attempts >= a.cfg.Jobs.MaxAttempts {
		w.fail(j, i18n.E("queuewords.gave_up", "count", j.Attempts, "error", err))
		return
	}
	w.mu.Lock()
	delay := w.bo.NextBackOff()
	w.mu.Unlock()
	j = a.transition(j, apitype.StateQueued, msg("queuewords.attempt_failed", "attempt", j.Attempts, "error", err, "seconds", delay.Round(10*time.Millisecond).Seconds()))
	w.requeue(j.ID, delay, err) // first, so the published job says why it waits
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
		w.save(w.a.transition(j, apitype.StateCancelled, msg("queuewords.cancelled")))
		return true
	}
	note := msg("queuewords.stopped_during", "state", stateWord(j.State))
	if j.Sending != nil {
		note = msg("queuewords.stopped_while_sending")
	}
	w.save(w.a.transition(j, apitype.StateQueued, note))
	return true
}

func (w *worker) fail(j apitype.Job, err error) {
	k := keepErr(err)
	j = w.a.transitionKept(j, apitype.StateFailed, k)
	j.LastError, j.LastErrorID, j.LastErrorArgs = k.text, k.id, k.args
	w.save(j)
	w.log.Warn("job failed", "job", j.ID, "err", err)
}

func (w *worker) save(j apitype.Job) {
	if j.State.Terminal() {
		w.mu.Lock()
		delete(w.progress, j.ID)
		w.mu.Unlock()
	}
	if err := w.a.store.Put(j); err != nil {
		w.log.Error("cannot save job", "job", j.ID, "state", j.State, "err", err)
	}
	w.a.publishJob(j)
}

// requeue puts a job back at the head, to be tried after delay; why says
// what went wrong (shown as the job's wait reason meanwhile).
func (w *worker) requeue(id string, delay time.Duration, why error) {
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
		w.save(w.a.transition(j, apitype.StateCancelled, msg("queuewords.cancelled")))
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
		st = keptStatus(printer.Status{State: printer.StateUnknown}, i18n.E("stationwords.printer.not_queried"))
	} else {
		cctx, cancel := context.WithTimeout(ctx, statusTimeout)
		var err error
		w.mu.Lock()
		resync := w.resync
		w.mu.Unlock()
		if resync != nil {
			// Complete a cut binary download first, or the status query
			// itself goes into it; kept for the next query until it is out.
			if err = w.p.Write(cctx, resync); err == nil {
				w.mu.Lock()
				w.resync = nil
				w.mu.Unlock()
			}
		}
		if err == nil {
			st, err = w.p.Status(cctx)
		}
		cancel()
		switch {
		case ctx.Err() != nil:
			return w.snapshotStatus()
		case errors.Is(err, printer.ErrNoStatus):
			st = keptStatus(printer.Status{State: printer.StateUnknown}, noStatus(st))
		case err != nil && len(st.Said) > 0:
			// The transport said why (it cannot connect: the system's words).
			st = printer.Status{State: printer.StateOffline, Detail: st.Detail, Said: st.Said}
			unreachable = true
		case err != nil:
			st = printer.Status{State: printer.StateOffline, Detail: err.Error()}
			unreachable = true
		}
	}
	st = inOwnWords(st)
	if st.State == "" {
		st.State = printer.StateUnknown
	}
	if st.Checked.IsZero() {
		st.Checked = w.a.now()
	}
	w.mu.Lock()
	old := w.status
	w.status, w.unreachable = st, unreachable
	// While ready, the detail only counts what waits in the buffer: that
	// changes with every label and is no news.
	changed := old.State != st.State || !slices.Equal(old.Problems, st.Problems) ||
		(st.State != printer.StateReady && old.Detail != st.Detail)
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
	// The bus speaks the agent's language (as for jobs); the API words
	// the detail again for each subscriber.
	p := PrinterIn(w.snapshot(), w.a.Words())
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
	if id == w.retryID && w.retryErr != nil && w.retryAt.After(w.a.now()) {
		r := &apitype.WaitReason{Code: apitype.WaitUnreachable, Printer: w.cfg.Name, Since: w.retrySince}
		r.Detail, r.DetailID, r.DetailArgs = i18n.KeepErr(w.retryErr)
		return r
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
	return &apitype.WaitReason{Code: code, Printer: w.cfg.Name, Detail: w.status.Detail, DetailID: w.status.DetailID,
		DetailArgs: w.status.DetailArgs, Since: w.statusSince}
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
