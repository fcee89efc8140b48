package agent

import (
	"sync"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
)

// bus fans events out to subscribers. Publishing never blocks: a subscriber
// that falls behind loses events and is told so with an EventLagged, after
// which it should reload its view (the API's SSE stream passes that on).
type bus struct {
	mu   sync.Mutex
	seq  uint64
	subs map[*Subscription]struct{}
	now  func() time.Time
}

// Subscription receives events until Close.
type Subscription struct {
	c      chan apitype.Event
	b      *bus
	lagged bool // guarded by b.mu
}

// C delivers the events. It is closed when the subscription or the agent ends.
func (s *Subscription) C() <-chan apitype.Event { return s.c }

// Close ends the subscription.
func (s *Subscription) Close() {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if _, ok := s.b.subs[s]; ok {
		delete(s.b.subs, s)
		close(s.c)
	}
}

func newBus(now func() time.Time) *bus {
	return &bus{subs: map[*Subscription]struct{}{}, now: now}
}

func (b *bus) subscribe(buffer int) *Subscription {
	if buffer < 1 {
		buffer = 64
	}
	s := &Subscription{c: make(chan apitype.Event, buffer), b: b}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

func (b *bus) publish(e apitype.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seq++
	e.Seq = b.seq
	if e.At.IsZero() {
		e.At = b.now()
	}
	for s := range b.subs {
		if s.lagged {
			// Tell it first that it missed something; then resume.
			select {
			case s.c <- apitype.Event{Seq: e.Seq, Type: apitype.EventLagged, At: e.At}:
				s.lagged = false
			default:
				continue
			}
		}
		select {
		case s.c <- e:
		default:
			s.lagged = true
		}
	}
}

func (b *bus) closeAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		delete(b.subs, s)
		close(s.c)
	}
}
