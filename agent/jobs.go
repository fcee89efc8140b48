package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/agent/store"
	"github.com/labelagent/labelagent/zpl"
)

// Limits on the text fields of a submission.
const (
	maxKeyLen     = 200
	maxNameLen    = 200
	maxHistory    = 50
	defaultSource = "api"
)

// Submit validates a job, stores it durably and queues it. It returns only
// once the job is on disk. With an idempotency key that was accepted before,
// it returns that job and existing=true, and queues nothing.
func (a *Agent) Submit(ctx context.Context, req apitype.SubmitRequest) (job apitype.Job, existing bool, err error) {
	if err := ctx.Err(); err != nil {
		return apitype.Job{}, false, err
	}
	if a.runCtx == nil || a.runCtx.Err() != nil {
		return apitype.Job{}, false, i18n.K(ErrStopped, "job.agent_stopping")
	}
	if err := a.validate(&req); err != nil {
		return apitype.Job{}, false, err
	}
	w := a.workers[req.Printer]
	now := a.now()
	j := apitype.Job{
		Source:         req.Source,
		Printer:        req.Printer,
		Kind:           req.Kind,
		Copies:         req.Copies,
		IdempotencyKey: req.IdempotencyKey,
		Name:           req.Name,
		State:          apitype.StateQueued,
		Created:        now,
		Updated:        now,
		History:        []apitype.Change{{At: now, State: apitype.StateQueued}},
	}
	saved, existing, err := a.store.Submit(j, req.Payload)
	if err != nil {
		return apitype.Job{}, false, err
	}
	if existing {
		if diff := keyMismatch(saved, req); diff != "" {
			return apitype.Job{}, false, i18n.K(ErrKeyReused, "job.key_reused", "key", req.IdempotencyKey, "id", saved.ID, "diff", diff)
		}
		a.log.Debug("duplicate submission answered with the existing job", "job", saved.ID, "key", saved.IdempotencyKey)
		a.withWait(&saved)
		return saved, true, nil
	}
	a.publishJob(saved) // first: the worker may take it at once and say "preparing"
	w.enqueue(saved.ID)
	a.withWait(&saved) // the submitter hears at once why it will wait
	return saved, false, nil
}

// keyMismatch names what differs between the job an idempotency key was
// first used for and a new request with the same key ("" when it matches):
// a retry must be the same request, anything else is a mistake to report,
// not a duplicate to answer with the old job.
func keyMismatch(j apitype.Job, req apitype.SubmitRequest) string {
	var diffs []string
	if j.PayloadSHA256 != store.HashPayload(req.Payload) {
		diffs = append(diffs, "payload")
	}
	if j.Printer != req.Printer {
		diffs = append(diffs, fmt.Sprintf("printer (%q, now %q)", j.Printer, req.Printer))
	}
	if j.Kind != req.Kind {
		diffs = append(diffs, fmt.Sprintf("kind (%s, now %s)", j.Kind, req.Kind))
	}
	if j.Copies != req.Copies {
		diffs = append(diffs, fmt.Sprintf("copies (%d, now %d)", j.Copies, req.Copies))
	}
	return strings.Join(diffs, ", ")
}

func (a *Agent) validate(req *apitype.SubmitRequest) error {
	if req.Printer == "" {
		req.Printer = a.cfg.DefaultPrinter
	}
	if _, ok := a.workers[req.Printer]; !ok {
		return i18n.K(ErrUnknownPrinter, "job.unknown_printer", "printer", req.Printer, "allowed", strings.Join(a.printerNames(), ", "))
	}
	if req.Kind == "" {
		req.Kind = sniffKind(req.Payload)
	}
	if !req.Kind.Valid() {
		return i18n.K(ErrInvalid, "job.bad_kind", "value", string(req.Kind), "allowed", []string{"zpl", "raw", "pdf", "png"})
	}
	if len(req.Payload) == 0 {
		return i18n.K(ErrInvalid, "job.empty_payload")
	}
	if max := int64(a.cfg.Jobs.MaxPayload); int64(len(req.Payload)) > max {
		return i18n.K(ErrTooLarge, "job.too_large", "size", len(req.Payload), "limit", a.cfg.Jobs.MaxPayload.String())
	}
	if req.Copies == 0 {
		req.Copies = 1
	}
	if req.Copies < 1 || req.Copies > a.cfg.Jobs.MaxCopies {
		return i18n.K(ErrInvalid, "job.bad_copies", "value", req.Copies, "max", a.cfg.Jobs.MaxCopies)
	}
	if err := checkText("idempotency key", req.IdempotencyKey, maxKeyLen); err != nil {
		return err
	}
	if err := checkText("name", req.Name, maxNameLen); err != nil {
		return err
	}
	if req.Source == "" {
		req.Source = defaultSource
	}
	if err := checkText("source", req.Source, 64); err != nil {
		return err
	}
	if err := checkPayload(req.Kind, req.Payload); err != nil {
		return err
	}
	if req.Kind == apitype.KindZPL {
		// ZPL is converted in microseconds: do it now with the printer's
		// profile, so a label it cannot take (an inexact resolution
		// change) is refused while the submitter is still there.
		p, err := zpl.ProfileFrom(a.workers[req.Printer].cfg.Profile)
		if err == nil && !p.Raw {
			if _, err := zpl.PrepareZPL(req.Payload, p, 0); err != nil {
				return i18n.KWrap(ErrInvalid, err, "job.zpl_not_printable", "printer", req.Printer)
			}
		}
	}
	return nil
}

// checkText refuses a name or source that is not UTF-8, too long, or holds
// control characters (a NUL, a terminal escape, a line break): they end up
// in lists, logs and terminals, where they would be taken as commands.
func checkText(field, s string, maxLen int) error {
	if len(s) > maxLen {
		return i18n.K(ErrInvalid, "job.text_too_long", "field", field, "max", maxLen)
	}
	if !utf8.ValidString(s) {
		return i18n.K(ErrInvalid, "job.text_not_utf8", "field", field)
	}
	for i, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return i18n.K(ErrInvalid, "job.text_control", "field", field, "char", fmt.Sprintf("%U", r), "at", i)
		}
	}
	return nil
}

// checkPayload refuses payloads that are plainly not what their kind says,
// or that the converter would refuse (zpl.CheckInput: the one set of
// limits), at submission, while the submitter is still there to hear it.
func checkPayload(kind apitype.Kind, p []byte) error {
	if kind == apitype.KindZPL && !looksLikeZPL(p) {
		return i18n.K(ErrInvalid, "job.not_zpl")
	}
	if err := zpl.CheckInput(string(kind), p); err != nil {
		return i18n.KWrap(ErrInvalid, err, "job.bad_payload", "kind", string(kind))
	}
	return nil
}

func looksLikeZPL(p []byte) bool {
	t := bytes.TrimLeft(p, "\x00\t\r\n ")
	if len(t) == 0 {
		return false
	}
	if t[0] == '~' || t[0] == '^' {
		return true
	}
	return bytes.Contains(bytes.ToUpper(p[:min(len(p), 64<<10)]), []byte("^XA"))
}

// sniffKind guesses a missing kind from the payload's first bytes.
func sniffKind(p []byte) apitype.Kind {
	switch {
	case bytes.HasPrefix(p, []byte("%PDF-")):
		return apitype.KindPDF
	case bytes.HasPrefix(p, []byte("\x89PNG\r\n\x1a\n")):
		return apitype.KindPNG
	case looksLikeZPL(p):
		return apitype.KindZPL
	}
	return apitype.KindRaw
}

func (a *Agent) printerNames() []string {
	names := make([]string, 0, len(a.workers))
	for _, p := range a.cfg.Printers {
		names = append(names, p.Name)
	}
	return names
}

// Job returns one job with its history.
func (a *Agent) Job(id string) (apitype.Job, error) {
	j, err := a.store.Get(id)
	if errors.Is(err, store.ErrNotFound) {
		return apitype.Job{}, i18n.K(ErrNotFound, "job.not_found", "id", id)
	}
	a.withWait(&j)
	return j, err
}

// JobFilter selects jobs.
type JobFilter = store.Filter

// Jobs lists jobs newest first.
func (a *Agent) Jobs(f JobFilter) ([]apitype.Job, error) {
	if f.State != "" && !validState(f.State) {
		return nil, i18n.K(ErrInvalid, "job.bad_state", "value", string(f.State), "allowed", []string{"queued", "preparing", "printing", "done", "failed", "cancelled"})
	}
	if f.Printer != "" {
		if _, ok := a.workers[f.Printer]; !ok {
			return nil, i18n.K(ErrUnknownPrinter, "job.unknown_printer", "printer", f.Printer, "allowed", strings.Join(a.printerNames(), ", "))
		}
	}
	jobs, err := a.store.List(f)
	if errors.Is(err, store.ErrNotFound) {
		return nil, i18n.KWrap(ErrInvalid, err, "job.bad_before")
	}
	for i := range jobs {
		jobs[i].History = nil // lists stay small; Job has the details
		a.withWait(&jobs[i])
	}
	return jobs, err
}

func validState(s apitype.JobState) bool {
	switch s {
	case apitype.StateQueued, apitype.StatePreparing, apitype.StatePrinting, apitype.StateDone, apitype.StateFailed, apitype.StateCancelled:
		return true
	}
	return false
}

// Payload returns the bytes a job was submitted with.
func (a *Agent) Payload(id string) (apitype.Job, []byte, error) {
	j, err := a.Job(id)
	if err != nil {
		return j, nil, err
	}
	p, err := a.store.Payload(j.PayloadSHA256)
	return j, p, err
}

// Cancel stops a job: a queued one never prints, one being written is
// interrupted. A finished job cannot be cancelled.
func (a *Agent) Cancel(ctx context.Context, id string) (apitype.Job, error) {
	j, err := a.Job(id)
	if err != nil {
		return j, err
	}
	if j.State.Terminal() {
		return j, i18n.K(ErrConflict, "job.already_finished", "id", id, "state", i18n.Message{ID: "cli.state." + string(j.State)})
	}
	w, ok := a.workers[j.Printer]
	if !ok {
		return j, i18n.K(ErrUnknownPrinter, "job.printer_gone", "printer", j.Printer)
	}
	if err := w.cancel(ctx, id); err != nil {
		return j, err
	}
	return a.Job(id)
}

// Retry queues a failed or cancelled job again, or prints a done job again
// (a reprint). Its attempts start from zero.
func (a *Agent) Retry(ctx context.Context, id string) (apitype.Job, error) {
	j, err := a.Job(id)
	if err != nil {
		return j, err
	}
	if !j.State.Terminal() {
		return j, i18n.K(ErrConflict, "job.not_finished", "id", id, "state", i18n.Message{ID: "cli.state." + string(j.State)})
	}
	w, ok := a.workers[j.Printer]
	if !ok {
		return j, i18n.K(ErrUnknownPrinter, "job.printer_gone", "printer", j.Printer)
	}
	note := msg("queuewords.retried")
	if j.State == apitype.StateDone {
		note = msg("queuewords.reprint")
	}
	j = a.transition(j, apitype.StateQueued, note)
	// The operator decided: whatever an earlier transfer printed, it
	// prints (again) in full.
	j.Attempts, j.Finished, j.Sending = 0, nil, nil
	setLastError(&j, nil)
	if err := a.store.Put(j); err != nil {
		return j, err
	}
	w.enqueue(j.ID)
	a.publishJob(j)
	return j, nil
}

// transition moves a job to state and records it in its history, with
// note in the catalog's words.
func (a *Agent) transition(j apitype.Job, state apitype.JobState, note i18n.Message) apitype.Job {
	return a.transitionKept(j, state, keep(note))
}

func (a *Agent) transitionKept(j apitype.Job, state apitype.JobState, note kept) apitype.Job {
	now := a.now()
	j.State, j.Updated = state, now
	if state.Terminal() {
		j.Finished = &now
	}
	j.History = append(j.History, apitype.Change{At: now, State: state, Note: note.text, ID: note.id, Args: note.args})
	if len(j.History) > maxHistory {
		j.History = append(j.History[:1], j.History[len(j.History)-maxHistory+1:]...)
	}
	return j
}

func (a *Agent) publishJob(j apitype.Job) {
	j.History = nil
	if j.Sending != nil {
		// The worker goes on changing its own (Written) while subscribers
		// encode the event.
		s := *j.Sending
		j.Sending = &s
	}
	a.withWait(&j)
	j = JobIn(j, a.Words())
	a.bus.publish(apitype.Event{Type: apitype.EventJob, Job: &j})
}

// withWait fills in why an unfinished job is not printing now.
func (a *Agent) withWait(j *apitype.Job) {
	j.Wait = nil
	if j.State.Terminal() {
		return
	}
	if w, ok := a.workers[j.Printer]; ok {
		j.Wait = w.waitFor(*j)
	}
}
