package agent

import (
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
)

func TestSlowSubscriberIsToldItMissedEventsAndPublishersNeverBlock(t *testing.T) {
	b := newBus(time.Now)
	slow := b.subscribe(2)
	fast := b.subscribe(100)
	for i := range 10 { // would block forever if publish waited for slow
		b.publish(apitype.Event{Type: apitype.EventJob, Job: &apitype.Job{ID: string(rune('0' + i))}})
	}
	if got := len(fast.C()); got != 10 {
		t.Fatalf("fast subscriber got %d events, want 10", got)
	}
	first, second := <-slow.C(), <-slow.C()
	if first.Job.ID != "0" || second.Job.ID != "1" {
		t.Fatalf("slow subscriber got %+v, %+v", first, second)
	}
	b.publish(apitype.Event{Type: apitype.EventPrinter})
	lag := <-slow.C()
	if lag.Type != apitype.EventLagged {
		t.Fatalf("after overflowing, the next event is %s, want lagged", lag.Type)
	}
	next := <-slow.C()
	if next.Type != apitype.EventPrinter || next.Seq != 11 {
		t.Fatalf("then %+v, want the printer event with seq 11", next)
	}
	slow.Close()
	slow.Close() // twice is harmless
	b.closeAll()
	if _, ok := <-fast.C(); !ok {
		t.Fatal("buffered events must still be readable after close")
	}
}
