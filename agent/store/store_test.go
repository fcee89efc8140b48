package store

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
)

func job(key string) apitype.Job {
	return apitype.Job{Printer: "p", Kind: apitype.KindZPL, Copies: 1, State: apitype.StateQueued, IdempotencyKey: key}
}

func TestStoreSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := s.Submit(job("k1"), []byte("^XAone^XZ"))
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := s.Submit(job(""), []byte("^XAtwo^XZ"))
	b.State = apitype.StateDone
	now := time.Now()
	b.Finished = &now
	if err := s.Put(b); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSetting("printer/p/paused", "1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Get(a.ID)
	if err != nil || got.IdempotencyKey != "k1" || got.PayloadSize != 9 {
		t.Fatalf("job after reopen %+v %v", got, err)
	}
	p, err := s.Payload(got.PayloadSHA256)
	if err != nil || string(p) != "^XAone^XZ" {
		t.Fatalf("payload after reopen %q %v", p, err)
	}
	active, _ := s.Active()
	if len(active) != 1 || active[0].ID != a.ID {
		t.Fatalf("active after reopen %+v", active)
	}
	if v, _ := s.Setting("printer/p/paused"); v != "1" {
		t.Fatalf("setting after reopen %q", v)
	}
	again, existing, err := s.Submit(job("k1"), []byte("other"))
	if err != nil || !existing || again.ID != a.ID {
		t.Fatalf("idempotency after reopen: %+v existing=%v %v", again, existing, err)
	}
}

func TestPayloadsAreStoredOnceAndFreedWithTheirLastJob(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	label := []byte("^XAsame^XZ")
	var jobs []apitype.Job
	for range 3 {
		j, _, err := s.Submit(job(""), label)
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, j)
	}
	if st, _ := s.Stats(); st.Payloads != 1 || st.Jobs != 3 {
		t.Fatalf("stats %+v, want one payload for three jobs", st)
	}
	old := time.Now().Add(-48 * time.Hour)
	for _, j := range jobs[:2] {
		j.State, j.Finished = apitype.StateDone, &old
		if err := s.Put(j); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.Prune(time.Now().Add(-time.Hour)); err != nil || n != 2 {
		t.Fatalf("pruned %d %v", n, err)
	}
	if _, err := s.Payload(jobs[2].PayloadSHA256); err != nil {
		t.Fatalf("payload still used by job 3 was freed: %v", err)
	}
	j := jobs[2]
	j.State, j.Finished = apitype.StateCancelled, &old
	s.Put(j)
	s.Prune(time.Now())
	if _, err := s.Payload(j.PayloadSHA256); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unused payload kept: %v", err)
	}
}

func TestGroupCommitKeepsEverySubmission(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var wg sync.WaitGroup
	ids := sync.Map{}
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				j, _, err := s.Submit(job(fmt.Sprintf("g%d-%d", g, i%25)), []byte(fmt.Sprintf("^XA%d-%d^XZ", g, i)))
				if err != nil {
					t.Error(err)
					return
				}
				ids.Store(j.ID, true)
			}
		}()
	}
	wg.Wait()
	n := 0
	ids.Range(func(_, _ any) bool { n++; return true })
	if st, _ := s.Stats(); n != 200 || st.Jobs != 200 || st.IdempotencyKeys != 200 {
		t.Fatalf("%d distinct ids, stats %+v; want 200 jobs (25 keys per goroutine, each used twice)", n, st)
	}
}

func TestSecondOpenFailsClearly(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := Open(dir); err == nil || !bytes.Contains([]byte(err.Error()), []byte("another labelagent is running")) {
		t.Fatalf("second open: %v", err)
	}
}

func TestClosedStoreRefusesWrites(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, _, err := s.Submit(job(""), []byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("submit after close: %v", err)
	}
}

func TestUnknownIDs(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, id := range []string{"", "0", "abc", "-1", "99", "18446744073709551616"} {
		if _, err := s.Get(id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%q) = %v, want ErrNotFound", id, err)
		}
	}
}

func BenchmarkDurableSubmit(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	label := bytes.Repeat([]byte("^XA^FO10,10^A0N,30,30^FDlabel^FS^XZ"), 20)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := append([]byte(nil), label...)
		p = fmt.Appendf(p, "%d", i)
		if _, _, err := s.Submit(job(""), p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
}

func BenchmarkDurableSubmitParallel(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	label := bytes.Repeat([]byte("^XA^FO10,10^A0N,30,30^FDlabel^FS^XZ"), 20)
	var n sync.Mutex
	i := 0
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n.Lock()
			i++
			k := i
			n.Unlock()
			if _, _, err := s.Submit(job(""), fmt.Appendf(append([]byte(nil), label...), "%d", k)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
}
