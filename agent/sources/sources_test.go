package sources

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/config"
)

var errInvalid = errors.New("invalid payload")

// queue stands in for the agent's durable, idempotent queue.
type queue struct {
	mu    sync.Mutex
	jobs  map[string]apitype.SubmitRequest // key → request
	order []string
	down  bool // the agent refuses for now (stopping)
}

func newQueue() *queue { return &queue{jobs: map[string]apitype.SubmitRequest{}} }

func (q *queue) submit(_ context.Context, r apitype.SubmitRequest) (apitype.Job, bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.down {
		return apitype.Job{}, false, ErrStopping
	}
	if strings.Contains(string(r.Payload), "BROKEN") {
		return apitype.Job{}, false, fmt.Errorf("%w: unreadable", errInvalid)
	}
	if _, ok := q.jobs[r.IdempotencyKey]; ok {
		return apitype.Job{ID: r.IdempotencyKey}, true, nil
	}
	q.jobs[r.IdempotencyKey] = r
	q.order = append(q.order, r.IdempotencyKey)
	return apitype.Job{ID: r.IdempotencyKey}, false, nil
}

func (q *queue) names() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []string
	for _, k := range q.order {
		out = append(out, q.jobs[k].Name)
	}
	return out
}

func permanent(err error) bool { return errors.Is(err, errInvalid) }

func newHot(t *testing.T, q *queue) (*HotFolder, string) {
	dir := filepath.Join(t.TempDir(), "in")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	h := NewHotFolder(config.HotFolderConfig{Name: "in", Dir: dir, Copies: 1, Poll: 20 * time.Millisecond, Settle: 50 * time.Millisecond},
		1<<20, q.submit, permanent, slog.New(slog.DiscardHandler))
	return h, dir
}

// settle scans until the settle time has passed twice.
func settle(t *testing.T, h *HotFolder) {
	t.Helper()
	for i := 0; i < 3; i++ {
		_ = h.scan(context.Background())
		time.Sleep(60 * time.Millisecond)
	}
	_ = h.scan(context.Background())
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func TestHotFolder(t *testing.T) {
	t.Run("printed once, moved to done", func(t *testing.T) {
		q := newQueue()
		h, dir := newHot(t, q)
		os.WriteFile(filepath.Join(dir, "a.zpl"), []byte("^XA^FDa^FS^XZ"), 0o644)
		os.WriteFile(filepath.Join(dir, "b.pdf"), []byte("%PDF-1.4 x"), 0o644)
		settle(t, h)
		settle(t, h)
		if got := q.names(); len(got) != 2 {
			t.Fatalf("jobs %v", got)
		}
		if !exists(filepath.Join(dir, DoneDir, "a.zpl")) || exists(filepath.Join(dir, "a.zpl")) {
			t.Error("a.zpl not moved to done/")
		}
		q.mu.Lock()
		for _, r := range q.jobs {
			if (r.Name == "a.zpl" && r.Kind != apitype.KindZPL) || (r.Name == "b.pdf" && r.Kind != apitype.KindPDF) {
				t.Errorf("%s as %s", r.Name, r.Kind)
			}
		}
		q.mu.Unlock()
	})
	t.Run("a file still being written is left alone", func(t *testing.T) {
		q := newQueue()
		h, dir := newHot(t, q)
		p := filepath.Join(dir, "big.zpl")
		f, _ := os.Create(p)
		for i := 0; i < 6; i++ {
			fmt.Fprintf(f, "^XA^FD%d^FS", i)
			f.Sync()
			_ = h.scan(context.Background())
			time.Sleep(30 * time.Millisecond)
		}
		if n := len(q.names()); n != 0 {
			t.Fatalf("a growing file was taken (%d jobs)", n)
		}
		fmt.Fprint(f, "^XZ")
		f.Close()
		settle(t, h)
		q.mu.Lock()
		defer q.mu.Unlock()
		if len(q.jobs) != 1 {
			t.Fatalf("%d jobs", len(q.jobs))
		}
		for _, r := range q.jobs {
			if !strings.HasSuffix(string(r.Payload), "^XZ") {
				t.Errorf("took a partial file: %q", r.Payload)
			}
		}
	})
	t.Run("partial download names are skipped", func(t *testing.T) {
		q := newQueue()
		h, dir := newHot(t, q)
		for _, n := range []string{"x.zpl.part", ".hidden.zpl", "y.pdf.crdownload", "~$lock.zpl", "z.tmp"} {
			os.WriteFile(filepath.Join(dir, n), []byte("^XA^XZ"), 0o644)
		}
		settle(t, h)
		if n := len(q.names()); n != 0 {
			t.Fatalf("%d jobs from partial files", n)
		}
	})
	t.Run("duplicate names", func(t *testing.T) {
		q := newQueue()
		h, dir := newHot(t, q)
		p := filepath.Join(dir, "label.zpl")
		os.WriteFile(p, []byte("^XA^FDfirst^FS^XZ"), 0o644)
		settle(t, h)
		os.WriteFile(p, []byte("^XA^FDsecond^FS^XZ"), 0o644)
		settle(t, h)
		if n := len(q.names()); n != 2 {
			t.Fatalf("%d jobs for two drops of label.zpl", n)
		}
		if !exists(filepath.Join(dir, DoneDir, "label.zpl")) || !exists(filepath.Join(dir, DoneDir, "label (2).zpl")) {
			entries, _ := os.ReadDir(filepath.Join(dir, DoneDir))
			t.Errorf("done/ holds %v", entries)
		}
	})
	t.Run("refused and unreadable files go to failed with a reason", func(t *testing.T) {
		q := newQueue()
		h, dir := newHot(t, q)
		os.WriteFile(filepath.Join(dir, "bad.zpl"), []byte("BROKEN"), 0o644)
		os.WriteFile(filepath.Join(dir, "empty.zpl"), nil, 0o644)
		big := make([]byte, 2<<20)
		os.WriteFile(filepath.Join(dir, "huge.prn"), big, 0o644)
		canLock := os.Geteuid() != 0 && runtime.GOOS != "windows" // root reads any file
		if canLock {
			os.WriteFile(filepath.Join(dir, "locked.zpl"), []byte("^XA^XZ"), 0o000)
		}
		settle(t, h)
		for _, n := range []string{"bad.zpl", "empty.zpl", "huge.prn"} {
			if !exists(filepath.Join(dir, FailedDir, n)) || !exists(filepath.Join(dir, FailedDir, n+".reason.txt")) {
				t.Errorf("%s not in failed/ with a reason", n)
			}
		}
		reason, _ := os.ReadFile(filepath.Join(dir, FailedDir, "huge.prn.reason.txt"))
		if !strings.Contains(string(reason), "larger") {
			t.Errorf("reason %q", reason)
		}
		if canLock {
			if !exists(filepath.Join(dir, FailedDir, "locked.zpl.reason.txt")) {
				t.Error("an unreadable file got no reason")
			}
		}
		if n := len(q.names()); n != 0 {
			t.Fatalf("%d jobs from refused files", n)
		}
		if st := h.Status(); st.Rejected < 3 || st.LastError == "" {
			t.Errorf("status %+v", st)
		}
	})
	t.Run("agent not taking jobs now: the file stays and is taken later", func(t *testing.T) {
		q := newQueue()
		h, dir := newHot(t, q)
		q.down = true
		os.WriteFile(filepath.Join(dir, "a.zpl"), []byte("^XA^XZ"), 0o644)
		settle(t, h)
		if !exists(filepath.Join(dir, "a.zpl")) {
			t.Fatal("the file was moved away although the queue did not take it")
		}
		q.mu.Lock()
		q.down = false
		q.mu.Unlock()
		settle(t, h)
		if n := len(q.names()); n != 1 || !exists(filepath.Join(dir, DoneDir, "a.zpl")) {
			t.Fatalf("%d jobs", n)
		}
	})
	t.Run("crash before the move: delivered again, printed once", func(t *testing.T) {
		q := newQueue()
		h, dir := newHot(t, q)
		p := filepath.Join(dir, "a.zpl")
		os.WriteFile(p, []byte("^XA^XZ"), 0o644)
		// Submit as the crashed run did, then let a fresh source find the file.
		info, _ := os.Stat(p)
		h.take(context.Background(), "a.zpl", info)
		os.Rename(filepath.Join(dir, DoneDir, "a.zpl"), p) // the move "did not happen"
		os.Chtimes(p, info.ModTime(), info.ModTime())
		h2 := NewHotFolder(h.cfg, 1<<20, q.submit, permanent, slog.New(slog.DiscardHandler))
		settle(t, h2)
		if n := len(q.names()); n != 1 {
			t.Fatalf("%d jobs after the redelivery", n)
		}
		if st := h2.Status(); st.Duplicates != 1 {
			t.Errorf("status %+v", st)
		}
	})
	t.Run("folder vanishes and comes back", func(t *testing.T) {
		q := newQueue()
		h, dir := newHot(t, q)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan struct{})
		go func() { h.Run(ctx); close(done) }()
		os.RemoveAll(dir)
		deadline := time.Now().Add(5 * time.Second)
		for h.Status().State != "down" {
			if time.Now().After(deadline) {
				t.Fatalf("state %+v", h.Status())
			}
			time.Sleep(10 * time.Millisecond)
		}
		os.Mkdir(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "back.zpl"), []byte("^XA^XZ"), 0o644)
		for len(q.names()) != 1 {
			if time.Now().After(deadline) {
				t.Fatalf("the file in the returned folder was not taken: %+v", h.Status())
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		<-done
	})
}

// feedServer is a job feed with entries, counting acks.
type feedServer struct {
	mu      sync.Mutex
	entries []map[string]any
	acked   map[string]string // id → status
	fail    int               // answer 503 this many times
	gets    int
	raw     string // answer this body instead
}

func (fs *feedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer secret" {
		http.Error(w, "no", http.StatusUnauthorized)
		return
	}
	switch {
	case r.Method == http.MethodGet:
		fs.gets++
		if fs.fail > 0 {
			fs.fail--
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		if fs.raw != "" {
			w.Write([]byte(fs.raw))
			return
		}
		var open []map[string]any
		for _, e := range fs.entries {
			id, _ := e["id"].(string)
			if _, done := fs.acked[id]; !done {
				open = append(open, e)
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"jobs": open})
	case r.Method == http.MethodPost && r.URL.Path == "/feed/ack":
		var a FeedAcks
		if err := json.NewDecoder(r.Body).Decode(&a); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		for _, x := range a.Acks {
			fs.acked[x.ID] = x.Status + ":" + x.Reason
		}
	default:
		http.NotFound(w, r)
	}
}

func entry(id, zpl string) map[string]any {
	return map[string]any{"id": id, "kind": "zpl", "payload": base64.StdEncoding.EncodeToString([]byte(zpl))}
}

func newFeed(t *testing.T, fs *feedServer) (*Feed, *queue) {
	srv := httptest.NewServer(fs)
	t.Cleanup(srv.Close)
	q := newQueue()
	cfg := config.FeedConfig{Name: "wms", URL: srv.URL + "/feed", AckURL: srv.URL + "/feed/ack", Ack: "post",
		Headers: map[string]string{"Authorization": "$FEED_TOKEN"}, Interval: 10 * time.Millisecond, MaxBackoff: 40 * time.Millisecond, Timeout: 2 * time.Second}
	f := NewFeed(cfg, 1<<20, q.submit, permanent, slog.New(slog.DiscardHandler))
	f.getenv = func(k string) string {
		if k == "FEED_TOKEN" {
			return "Bearer secret"
		}
		return ""
	}
	return f, q
}

func TestFeed(t *testing.T) {
	ctx := context.Background()
	t.Run("entries queued once and acknowledged, redelivery is a duplicate", func(t *testing.T) {
		fs := &feedServer{acked: map[string]string{}, entries: []map[string]any{entry("1", "^XA^FD1^FS^XZ"), entry("2", "^XA^FD2^FS^XZ")}}
		f, q := newFeed(t, fs)
		if err := f.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		if len(q.names()) != 2 || fs.acked["1"] != "accepted:" || fs.acked["2"] != "accepted:" {
			t.Fatalf("jobs %d, acks %v", len(q.names()), fs.acked)
		}
		// The feed forgets the ack (lost answer): the same entries come again.
		fs.mu.Lock()
		fs.acked = map[string]string{}
		fs.mu.Unlock()
		if err := f.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		if n := len(q.names()); n != 2 {
			t.Fatalf("%d jobs after a redelivery", n)
		}
		if st := f.Status(); st.Delivered != 2 || st.Duplicates != 2 {
			t.Errorf("status %+v", st)
		}
	})
	t.Run("malformed entries are rejected with a reason, the rest continues", func(t *testing.T) {
		fs := &feedServer{acked: map[string]string{}, entries: []map[string]any{
			entry("ok", "^XA^XZ"),
			{"id": "b64", "kind": "zpl", "payload": "%%%"},
			{"id": "kind", "kind": "docx", "payload": "QQ=="},
			{"kind": "zpl", "payload": "QQ=="},
			{"id": "refused", "kind": "zpl", "payload": base64.StdEncoding.EncodeToString([]byte("BROKEN"))},
			{"id": 42},
			entry("ok2", "^XA^XZ"),
		}}
		f, q := newFeed(t, fs)
		if err := f.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		if n := len(q.names()); n != 2 {
			t.Fatalf("%d jobs", n)
		}
		for _, id := range []string{"b64", "kind", "refused"} {
			if !strings.HasPrefix(fs.acked[id], "rejected:") || len(fs.acked[id]) < 12 {
				t.Errorf("%s: %q", id, fs.acked[id])
			}
		}
		if st := f.Status(); st.Rejected != 5 {
			t.Errorf("status %+v", st)
		}
	})
	t.Run("feed down: backs off, then delivers", func(t *testing.T) {
		fs := &feedServer{acked: map[string]string{}, fail: 3, entries: []map[string]any{entry("1", "^XA^XZ")}}
		f, q := newFeed(t, fs)
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		go f.Run(c)
		for len(q.names()) != 1 {
			if c.Err() != nil {
				t.Fatalf("not delivered: %+v", f.Status())
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		if st := f.Status(); st.LastError == "" {
			t.Errorf("the outage left no trace: %+v", st)
		}
	})
	t.Run("orders from the feed", func(t *testing.T) {
		fs := &feedServer{acked: map[string]string{}, entries: []map[string]any{
			{"id": "o1", "order": map[string]any{"ref": "A-1", "recipient": map[string]any{"name": "X", "street": "Y 1", "city": "Z"}}},
			{"id": "o2", "order": map[string]any{"ref": ""}},
		}}
		f, q := newFeed(t, fs)
		var got []apitype.Order
		f.WithOrders(func(_ context.Context, o apitype.Order) error {
			if o.Ref == "" {
				return errors.New("the order has no ref")
			}
			got = append(got, o)
			return nil
		})
		if err := f.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Ref != "A-1" || len(q.names()) != 0 {
			t.Fatalf("orders %+v, jobs %v", got, q.names())
		}
		if fs.acked["o1"] != "accepted:" || !strings.HasPrefix(fs.acked["o2"], "rejected:order") {
			t.Fatalf("acks %v", fs.acked)
		}
	})
	t.Run("not a feed answer", func(t *testing.T) {
		fs := &feedServer{acked: map[string]string{}, raw: "<html>login</html>"}
		f, _ := newFeed(t, fs)
		if err := f.Poll(ctx); err == nil || !strings.Contains(err.Error(), "not") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("agent stopping: nothing acknowledged that is not queued", func(t *testing.T) {
		fs := &feedServer{acked: map[string]string{}, entries: []map[string]any{entry("1", "^XA^XZ")}}
		f, q := newFeed(t, fs)
		q.down = true
		_ = f.Poll(ctx)
		if len(fs.acked) != 0 {
			t.Fatalf("acked %v while the queue took nothing", fs.acked)
		}
	})
}

func FuzzDecodeFeed(f *testing.F) {
	f.Add([]byte(`{"jobs":[{"id":"1","kind":"zpl","payload":"QQ=="}]}`))
	f.Add([]byte(`[{"id":"1"}]`))
	f.Add([]byte(`{"jobs":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := decodeFeed(data)
		if err != nil {
			return
		}
		q := newQueue()
		fd := NewFeed(config.FeedConfig{Name: "f"}, 1<<20, q.submit, permanent, slog.New(slog.DiscardHandler))
		for i, e := range entries {
			ack, err := fd.deliver(context.Background(), i, e)
			if err != nil {
				t.Fatal(err)
			}
			if ack.Status != "accepted" && ack.Status != "rejected" {
				t.Fatalf("ack %+v", ack)
			}
		}
	})
}
