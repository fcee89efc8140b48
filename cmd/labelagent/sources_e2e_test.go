package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
)

// printedOnce checks that every job of a source printed, each once unless
// the agent was killed while printing it (its history says so).
func printedOnce(t *testing.T, e *e2e, source string, want int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var jobs []apitype.Job
	for {
		all, err := e.cl.Jobs(t.Context(), client.JobsQuery{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		jobs = jobs[:0]
		done := 0
		for _, j := range all {
			if strings.HasPrefix(j.Source, source) {
				jobs = append(jobs, j)
				if j.State == apitype.StateDone {
					done++
				}
			}
		}
		if done == want && len(jobs) == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d jobs, %d done; want %d", source, len(jobs), done, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
	counts := printedCounts(t, e.out)
	for _, j := range jobs {
		full, err := e.cl.Job(t.Context(), j.ID)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := e.cl.Payload(t.Context(), j.ID)
		m := reJobMarker.FindSubmatch(p)
		if m == nil {
			t.Fatalf("job %s has no marker", j.ID)
		}
		n := counts[string(m[1])]
		requeued := false
		for _, h := range full.History {
			requeued = requeued || strings.Contains(h.Note, "agent stopped while")
		}
		if n < 1 || (n > 1 && !requeued) {
			t.Errorf("%s (job %s) printed %d times", j.Name, j.ID, n)
		}
	}
}

// TestHotFolderKilledMidFile drops files into a hot folder and kills the
// agent -9 while it takes them: every file becomes one job and prints, and
// every file ends in done/.
func TestHotFolderKilledMidFile(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end hot folder test skipped in -short mode")
	}
	in := filepath.Join(t.TempDir(), "hot")
	if err := os.Mkdir(in, 0o755); err != nil {
		t.Fatal(err)
	}
	e := newE2E(t, "")
	cfg, _ := os.ReadFile(e.cfgPath)
	cfg = append(cfg, fmt.Sprintf("sources:\n  hot_folders:\n    - {name: hot, dir: %s, poll: 100ms, settle: 150ms}\n", in)...)
	if err := os.WriteFile(e.cfgPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	e.start()
	const n = 30
	for i := 0; i < n; i++ {
		// Written in two steps, like a slow network copy.
		p := filepath.Join(in, fmt.Sprintf("order-%03d.zpl", i))
		l := label(9000 + i)
		os.WriteFile(p, l[:10], 0o644)
		f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
		f.Write(l[10:])
		f.Close()
		if i == n/2 {
			// Kill once the folder is being worked on.
			deadline := time.Now().Add(20 * time.Second)
			for {
				done, _ := filepath.Glob(filepath.Join(in, "done", "*"))
				if len(done) > 0 || time.Now().After(deadline) {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			e.kill()
			e.start()
		}
	}
	printedOnce(t, e, "hotfolder:hot", n)
	left, _ := filepath.Glob(filepath.Join(in, "*.zpl"))
	done, _ := filepath.Glob(filepath.Join(in, "done", "*.zpl"))
	if len(left) != 0 || len(done) != n {
		t.Errorf("%d files left, %d in done/", len(left), len(done))
	}
	out, code := e.cli("--json", "sources")
	var list apitype.SourceList
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list.Sources) != 1 || list.Sources[0].Kind != "hot_folder" {
		t.Errorf("sources: %d %s", code, out)
	}
}

// TestFeedKilledBetweenFetchAndAck kills the agent while its
// acknowledgement hangs: the feed delivers the entries again after the
// restart, and each prints once.
func TestFeedKilledBetweenFetchAndAck(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end feed test skipped in -short mode")
	}
	var mu sync.Mutex
	acked := map[string]bool{}
	fetches, hang := 0, true
	hung := make(chan struct{}, 1)
	testDone := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet:
			mu.Lock()
			fetches++
			var jobs []map[string]any
			for i := 0; i < 10; i++ {
				id := fmt.Sprint("E", i)
				if !acked[id] {
					jobs = append(jobs, map[string]any{"id": id, "kind": "zpl", "name": id,
						"payload": base64.StdEncoding.EncodeToString(label(7000 + i))})
				}
			}
			mu.Unlock()
			json.NewEncoder(w).Encode(map[string]any{"jobs": jobs})
		case r.Method == http.MethodPost:
			mu.Lock()
			h := hang
			mu.Unlock()
			if h {
				// Read the request first: the server notices the agent's
				// connection closing only after that.
				io.Copy(io.Discard, r.Body)
				select {
				case hung <- struct{}{}:
				default:
				}
				select { // never answers: the agent dies waiting
				case <-r.Context().Done():
				case <-testDone:
				}
				return
			}
			var a struct {
				Acks []struct{ ID, Status string }
			}
			json.NewDecoder(r.Body).Decode(&a)
			mu.Lock()
			for _, x := range a.Acks {
				acked[x.ID] = true
			}
			mu.Unlock()
		}
	}))
	defer srv.Close()
	defer close(testDone)
	e := newE2E(t, "")
	cfg, _ := os.ReadFile(e.cfgPath)
	cfg = append(cfg, fmt.Sprintf("sources:\n  feeds:\n    - {name: wms, url: %s/jobs, interval: 1s, timeout: 30s}\n", srv.URL)...)
	os.WriteFile(e.cfgPath, cfg, 0o600)
	e.start()
	select {
	case <-hung:
	case <-time.After(30 * time.Second):
		t.Fatal("the agent never acknowledged")
	}
	e.kill()
	mu.Lock()
	hang = false
	mu.Unlock()
	e.start()
	printedOnce(t, e, "feed:wms", 10)
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n == 10 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 10 acknowledged", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if fetches < 2 {
		t.Errorf("fetched %d times", fetches)
	}
}
