// Package sources brings jobs into the agent's durable queue from outside:
// hot folders and remote job feeds (and, built on the same shape, NATS).
// Every source delivers each job exactly once by deriving the job's
// idempotency key from its own ids, and lets go of the original (moves a
// file, acknowledges an entry) only after the queue has it on disk, so a
// crash at any point delivers again under the same key and prints once.
package sources

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
)

// Submit puts a job in the agent's queue; it returns once the job is on
// disk. existing is true when the key already had a job.
type Submit func(ctx context.Context, req apitype.SubmitRequest) (job apitype.Job, existing bool, err error)

// Permanent reports whether a submission error means the entry can never
// print (refuse it) rather than "not now" (try again later).
type Permanent func(err error) bool

// Source is one running source.
type Source interface {
	// Run delivers jobs until ctx ends.
	Run(ctx context.Context)
	Status() apitype.SourceStatus
}

// stats is the bookkeeping every source shares.
type stats struct {
	mu sync.Mutex
	st apitype.SourceStatus
}

func (s *stats) snapshot() apitype.SourceStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st
}

func (s *stats) ok(now time.Time) {
	s.mu.Lock()
	s.st.State, s.st.LastOK = "running", &now
	s.mu.Unlock()
}

func (s *stats) fail(now time.Time, state string, err error) {
	s.mu.Lock()
	s.st.State, s.st.LastErrorAt = state, &now
	s.st.LastError, s.st.LastErrorID, s.st.LastErrorArgs = i18n.KeepErr(err)
	s.mu.Unlock()
}

func (s *stats) count(delivered, duplicates, rejected int64) {
	s.mu.Lock()
	s.st.Delivered += delivered
	s.st.Duplicates += duplicates
	s.st.Rejected += rejected
	s.mu.Unlock()
}

// ErrStopping is returned by Submit when the agent is stopping.
var ErrStopping = errors.New("agent is stopping")

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// i18nReason is a reason in catalog words (the reason file is in the
// agent's language; the status keeps the message, which the control API
// words in the reader's language).
func i18nReason(id string, kv ...any) error { return i18n.E(id, kv...) }
