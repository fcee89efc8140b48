// Package keylock serializes work per key — a purchase, a shipment, a
// cart, an order — without one lock for all of them. A key's lock exists
// only while someone holds or waits for it, so a journal that sees a
// million ids does not keep a million mutexes.
package keylock

import "sync"

// Locks is a set of per-key locks. The zero value is ready to use.
type Locks struct {
	mu sync.Mutex
	m  map[string]*entry
}

type entry struct {
	mu sync.Mutex
	n  int // holders and waiters
}

// Lock waits for key's lock and returns the function that releases it.
func (l *Locks) Lock(key string) (unlock func()) {
	l.mu.Lock()
	if l.m == nil {
		l.m = map[string]*entry{}
	}
	e := l.m[key]
	if e == nil {
		e = &entry{}
		l.m[key] = e
	}
	e.n++
	l.mu.Unlock()
	e.mu.Lock()
	return func() {
		e.mu.Unlock()
		l.mu.Lock()
		e.n--
		if e.n == 0 {
			delete(l.m, key)
		}
		l.mu.Unlock()
	}
}

// Len is how many keys are locked or waited for (for tests).
func (l *Locks) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}
