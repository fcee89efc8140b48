package keylock

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestSameKeySerializedOthersNot(t *testing.T) {
	var l Locks
	var inside, maxInside atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock := l.Lock("a")
			n := inside.Add(1)
			for {
				m := maxInside.Load()
				if n <= m || maxInside.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(time.Millisecond)
			inside.Add(-1)
			unlock()
		}()
	}
	// Another key is not held up by "a".
	done := make(chan struct{})
	go func() {
		unlock := l.Lock("b")
		unlock()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("key b waited for key a")
	}
	wg.Wait()
	if maxInside.Load() != 1 {
		t.Fatalf("%d holders of one key at once", maxInside.Load())
	}
	if l.Len() != 0 {
		t.Fatalf("%d locks kept after every holder left", l.Len())
	}
}
