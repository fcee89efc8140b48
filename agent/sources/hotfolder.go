package sources

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/agent/i18n"
)

// Folder names inside a hot folder.
const (
	DoneDir   = "done"
	FailedDir = "failed"
)

// HotFolder prints the files dropped into a folder.
type HotFolder struct {
	cfg       config.HotFolderConfig
	submit    Submit
	permanent Permanent
	maxSize   int64
	log       *slog.Logger
	now       func() time.Time
	stats

	seen map[string]fileSeen // name → how it looked when last listed
	bad  map[string]string   // names that could not even be moved away → reason (logged once)
	// words: the language of the reason files (nil: English).
	words *i18n.Localizer
}

// WordsIn makes the folder write its reason files in l's language (the
// agent's); English without.
func (h *HotFolder) WordsIn(l *i18n.Localizer) *HotFolder { h.words = l; return h }

type fileSeen struct {
	size  int64
	mtime time.Time
	since time.Time // unchanged since
}

// NewHotFolder returns the source for one configured folder.
func NewHotFolder(cfg config.HotFolderConfig, maxSize int64, submit Submit, permanent Permanent, log *slog.Logger) *HotFolder {
	h := &HotFolder{cfg: cfg, submit: submit, permanent: permanent, maxSize: maxSize, log: log, now: time.Now,
		seen: map[string]fileSeen{}, bad: map[string]string{}}
	h.st = apitype.SourceStatus{Name: cfg.Name, Kind: "hot_folder", Where: cfg.Dir, State: "waiting"}
	return h
}

// Status reports how the folder is doing.
func (h *HotFolder) Status() apitype.SourceStatus { return h.snapshot() }

// Run watches the folder (change notifications plus a poll, since network
// shares do not notify) until ctx ends. A folder that vanishes is waited
// for and taken up again when it is back.
func (h *HotFolder) Run(ctx context.Context) {
	var w *fsnotify.Watcher
	defer func() {
		if w != nil {
			w.Close()
		}
	}()
	var events <-chan fsnotify.Event
	tick := time.NewTicker(h.cfg.Poll)
	defer tick.Stop()
	for {
		if w == nil {
			if nw, err := fsnotify.NewWatcher(); err == nil {
				if err := nw.Add(h.cfg.Dir); err == nil {
					w, events = nw, nw.Events
				} else {
					nw.Close()
				}
			}
		}
		if err := h.scan(ctx); err != nil {
			if w != nil {
				// The folder went away: its watch is gone too.
				w.Close()
				w, events = nil, nil
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case _, ok := <-events:
			if !ok {
				w, events = nil, nil
			}
			// A burst of events for one file: the settle time decides.
		}
	}
}

// skip names files that are not jobs: hidden files, editors' and
// browsers' partial downloads, reason files.
func skip(name string) bool {
	lower := strings.ToLower(name)
	for _, suf := range []string{".tmp", ".part", ".partial", ".crdownload", ".download", ".swp", "~", ".reason.txt"} {
		if strings.HasSuffix(lower, suf) {
			return true
		}
	}
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~$")
}

// kindOf tells a file's kind by its extension, checked against its first
// bytes where the kind has a signature.
func kindOf(name string, head []byte) apitype.Kind {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".zpl", ".zpl2", ".prn", ".txt":
		if strings.Contains(string(head), "^XA") || strings.Contains(string(head), "~") {
			return apitype.KindZPL
		}
		return apitype.KindRaw
	case ".pdf":
		return apitype.KindPDF
	case ".png":
		return apitype.KindPNG
	}
	return apitype.KindRaw
}

// scan lists the folder once and handles every file that has settled.
func (h *HotFolder) scan(ctx context.Context) error {
	entries, err := os.ReadDir(h.cfg.Dir)
	if err != nil {
		h.fail(h.now(), "down", i18n.E("queuewords.folder.unusable", "folder", h.cfg.Dir, "error", err))
		return err
	}
	h.ok(h.now())
	present := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || skip(name) {
			continue
		}
		present[name] = true
		if _, isBad := h.bad[name]; isBad {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // gone since the listing
		}
		if !info.Mode().IsRegular() {
			continue
		}
		now := h.now()
		prev, known := h.seen[name]
		if !known || prev.size != info.Size() || !prev.mtime.Equal(info.ModTime()) {
			h.seen[name] = fileSeen{size: info.Size(), mtime: info.ModTime(), since: now}
			continue
		}
		if now.Sub(prev.since) < h.cfg.Settle {
			continue
		}
		if ctx.Err() != nil {
			return nil
		}
		h.take(ctx, name, info)
	}
	for name := range h.seen {
		if !present[name] {
			delete(h.seen, name)
		}
	}
	for name := range h.bad {
		if !present[name] {
			delete(h.bad, name)
		}
	}
	return nil
}

// take submits one settled file and moves it away once the queue has it.
func (h *HotFolder) take(ctx context.Context, name string, info fs.FileInfo) {
	path := filepath.Join(h.cfg.Dir, name)
	if info.Size() == 0 {
		h.reject(name, i18nReason("sources.reason.empty"))
		return
	}
	if h.maxSize > 0 && info.Size() > h.maxSize {
		h.reject(name, i18nReason("sources.reason.too_large", "max", config.Size(h.maxSize).String()))
		return
	}
	data, err := readFile(path, h.maxSize)
	if err != nil {
		h.reject(name, i18nReason("sources.reason.unreadable", "err", err))
		return
	}
	// The key is the file's identity: name, size, time and content. The
	// same file found again after a crash gets the same job; a new file of
	// the same name (other content or time) is a new job.
	sum := sha256.Sum256(data)
	key := "hotfolder:" + h.cfg.Name + ":" + name + ":" + strconv.FormatInt(info.Size(), 10) + ":" +
		strconv.FormatInt(info.ModTime().UnixNano(), 10) + ":" + hex.EncodeToString(sum[:12])
	head := data
	if len(head) > 512 {
		head = head[:512]
	}
	job, existing, err := h.submit(ctx, apitype.SubmitRequest{Printer: h.cfg.Printer, Kind: kindOf(name, head),
		Payload: data, Copies: h.cfg.Copies, IdempotencyKey: key, Source: "hotfolder:" + h.cfg.Name, Name: name})
	if err != nil {
		if h.permanent != nil && h.permanent(err) {
			h.reject(name, i18nReason("sources.reason.refused", "err", err))
			return
		}
		h.fail(h.now(), "waiting", i18n.E("queuewords.folder.file_waits", "file", name, "error", err))
		return // not now: the next scan tries again under the same key
	}
	if existing {
		h.count(0, 1, 0)
	} else {
		h.count(1, 0, 0)
	}
	if err := h.moveTo(DoneDir, name); err != nil {
		h.log.Warn("hot folder: job queued, but the file cannot be moved to done/", "folder", h.cfg.Dir, "file", name, "job", job.ID, "err", err)
		h.bad[name] = err.Error()
		return
	}
	h.log.Info("hot folder: file queued", "folder", h.cfg.Dir, "file", name, "job", job.ID, "existing", existing)
	delete(h.seen, name)
}

func readFile(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := io.Reader(f)
	if max > 0 {
		r = io.LimitReader(f, max+1)
	}
	return io.ReadAll(r)
}

// reject moves a file that can never print to failed/, with the reason in
// NAME.reason.txt beside it.
func (h *HotFolder) reject(name string, reason error) {
	h.count(0, 0, 1)
	h.fail(h.now(), "running", i18n.E("queuewords.folder.file_refused", "file", name, "reason", reason))
	if err := h.moveTo(FailedDir, name); err != nil {
		h.log.Warn("hot folder: file refused and cannot be moved to failed/", "folder", h.cfg.Dir, "file", name, "reason", reason, "err", err)
		h.bad[name] = reason.Error()
		return
	}
	dst := filepath.Join(h.cfg.Dir, FailedDir, name+".reason.txt")
	_ = os.WriteFile(dst, []byte(h.words.Err(reason)+"\n"), 0o644)
	h.log.Warn("hot folder: file refused", "folder", h.cfg.Dir, "file", name, "reason", reason)
	delete(h.seen, name)
}

// moveTo moves name into sub/, choosing "NAME (2).ext" … when the name is
// taken there already (the same file name dropped twice).
func (h *HotFolder) moveTo(sub, name string) error {
	dir := filepath.Join(h.cfg.Dir, sub)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ext := filepath.Ext(name)
	base := strings.TrimSuffix(name, ext)
	dst := filepath.Join(dir, name)
	for i := 2; ; i++ {
		if _, err := os.Lstat(dst); errors.Is(err, fs.ErrNotExist) {
			break
		}
		if i > 10000 {
			return fmt.Errorf("too many files named %s in %s", name, dir)
		}
		dst = filepath.Join(dir, fmt.Sprintf("%s (%d)%s", base, i, ext))
	}
	return os.Rename(filepath.Join(h.cfg.Dir, name), dst)
}
