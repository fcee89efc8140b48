package link

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"
)

// slowLine accepts one chunk per tick, or nothing while stuck; abort
// releases a blocked write, as flushing a port does.
type slowLine struct {
	mu      sync.Mutex
	stuck   bool
	release chan struct{}
	got     int
	tick    time.Duration
}

func (l *slowLine) write(b []byte) (int, error) {
	l.mu.Lock()
	stuck, rel := l.stuck, l.release
	l.mu.Unlock()
	if stuck {
		<-rel
		return 0, errors.New("flushed")
	}
	time.Sleep(l.tick)
	l.mu.Lock()
	l.got += len(b)
	l.mu.Unlock()
	return len(b), nil
}

func (l *slowLine) abort() {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.release:
	default:
		close(l.release)
	}
}

func TestWriteWatchedSlowIsNotStalled(t *testing.T) {
	l := &slowLine{release: make(chan struct{}), tick: 20 * time.Millisecond}
	// 10 chunks of 20 ms: 200 ms in all, four times the stall limit.
	n, err := WriteWatched(context.Background(), make([]byte, 1000), 100, 50*time.Millisecond, l.write, l.abort)
	if err != nil || n != 1000 {
		t.Fatalf("n=%d err=%v", n, err)
	}
}

func TestWriteWatchedStall(t *testing.T) {
	before := runtime.NumGoroutine()
	l := &slowLine{release: make(chan struct{}), tick: time.Millisecond}
	go func() {
		time.Sleep(30 * time.Millisecond)
		l.mu.Lock()
		l.stuck = true
		l.mu.Unlock()
	}()
	n, err := WriteWatched(context.Background(), make([]byte, 1<<20), 100, 100*time.Millisecond, l.write, l.abort)
	if !errors.Is(err, ErrStalled) || n == 0 || n == 1<<20 {
		t.Fatalf("n=%d err=%v", n, err)
	}
	// The helper goroutine ends right after it reports (polling, not timing).
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines %d > %d", runtime.NumGoroutine(), before)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestWriteWatchedCancel(t *testing.T) {
	l := &slowLine{release: make(chan struct{}), stuck: true}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := WriteWatched(ctx, make([]byte, 10), 100, time.Hour, l.write, l.abort)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%v", err)
	}
}

func TestInboxAwait(t *testing.T) {
	in := NewInbox()
	done := func(b []byte) (int, bool) {
		if len(b) >= 3 {
			return 3, true
		}
		return 0, false
	}
	go func() { in.Put([]byte("a")); in.Put([]byte("bcd")) }()
	got, err := in.Await(context.Background(), done)
	if err != nil || string(got) != "abc" {
		t.Fatalf("%q %v", got, err)
	}
	in.Fail(errors.New("reset"))
	if _, err := in.Await(context.Background(), done); err == nil {
		t.Fatal("await after the line ended")
	}
}
