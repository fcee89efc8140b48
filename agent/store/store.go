// Package store is the agent's durable memory, an embedded bbolt database:
// jobs, their payloads (stored once by content hash), idempotency keys and
// settings. Every write is on disk (fsync) before it returns, so a job is
// acknowledged only once a crash can no longer lose it.
package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/labelagent/labelagent/agent/apitype"
)

var (
	bucketJobs     = []byte("jobs")     // id (8 bytes, big endian) → job JSON
	bucketActive   = []byte("active")   // id → nil, for jobs not yet finished
	bucketPayloads = []byte("payloads") // sha256 hex → bytes
	bucketRefs     = []byte("refs")     // sha256 hex → uint64 count of jobs using it
	bucketIdem     = []byte("idem")     // idempotency key → id
	bucketSettings = []byte("settings") // key → value
)

// ErrNotFound is returned for an unknown job or payload.
var ErrNotFound = errors.New("not found")

// Store is an open database. Its methods are safe for concurrent use.
type Store struct {
	db   *bolt.DB
	path string

	writes chan *writeReq
	done   chan struct{}

	mu     sync.RWMutex // guards closed against sends on a closed writes channel
	closed bool
}

// FileName is the database's file in the data directory.
const FileName = "labelagent.db"

// Open opens (or creates) the database in dir. It fails quickly with a clear
// error when another agent already uses the same directory.
//
// Before bbolt touches the file it is checked (see Check): a damaged file is
// refused with a *DamagedError naming the damage and the newest sound backup
// copy, instead of crashing the process. A store written by a newer
// labelagent is refused with a *NewerError and left unchanged; an older one
// is copied to the backup directory and migrated in one transaction.
func Open(dir string) (*Store, error) {
	return OpenAt(dir, time.Now())
}

// OpenAt is Open with the clock reading that names a pre-upgrade backup.
func OpenAt(dir string, now time.Time) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	if problems, err := Check(path); err != nil {
		return nil, fmt.Errorf("check job store %s: %w", path, err)
	} else if len(problems) > 0 {
		return nil, &DamagedError{Path: path, Problems: problems, Backup: newestSoundBackup(dir)}
	}
	db, err := bolt.Open(path, 0o640, &bolt.Options{Timeout: 2 * time.Second})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open job store %s: another labelagent is running with this data directory", path)
	}
	if err != nil {
		if errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrChecksum) || errors.Is(err, berrors.ErrVersionMismatch) {
			return nil, &DamagedError{Path: path, Problems: []string{err.Error()}, Backup: newestSoundBackup(dir)}
		}
		return nil, fmt.Errorf("open job store %s: %w", path, err)
	}
	// bbolt's own consistency check (freelist, pages reachable twice); safe
	// now that every page it visits is known to lie inside the file.
	var problems []string
	_ = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			problems = append(problems, err.Error())
		}
		return nil
	})
	if len(problems) == 0 {
		problems = unreadableRecords(db)
	}
	if len(problems) > 0 {
		db.Close()
		return nil, &DamagedError{Path: path, Problems: problems, Backup: newestSoundBackup(dir)}
	}
	if _, _, err := upgrade(db, path, now); err != nil {
		db.Close()
		return nil, err
	}
	buckets := [][]byte{bucketJobs, bucketActive, bucketPayloads, bucketRefs, bucketIdem, bucketSettings, bucketMeta}
	missing := false
	_ = db.View(func(tx *bolt.Tx) error {
		for _, b := range buckets {
			missing = missing || tx.Bucket(b) == nil
		}
		return nil
	})
	if missing {
		err = db.Update(func(tx *bolt.Tx) error {
			for _, b := range buckets {
				if _, err := tx.CreateBucketIfNotExists(b); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("prepare job store %s: %w", path, err)
	}
	s := &Store{db: db, path: path, writes: make(chan *writeReq, 256), done: make(chan struct{})}
	go s.committer()
	return s, nil
}

// unreadableRecords reads every job record: a flipped bit inside a record
// leaves bbolt's structure whole but the job unreadable.
func unreadableRecords(db *bolt.DB) []string {
	var problems []string
	_ = db.View(func(tx *bolt.Tx) error {
		jobs := tx.Bucket(bucketJobs)
		if jobs == nil {
			return nil
		}
		return jobs.ForEach(func(k, v []byte) error {
			var j apitype.Job
			if len(k) != 8 {
				problems = append(problems, fmt.Sprintf("a job record has a malformed id (%d bytes)", len(k)))
			} else if err := json.Unmarshal(v, &j); err != nil {
				problems = append(problems, fmt.Sprintf("job %s is unreadable: %v", keyID(k), err))
			}
			if len(problems) >= 20 {
				return errors.New("enough")
			}
			return nil
		})
	})
	return problems
}

// DB gives other parts of the agent (the purchase journal) their own buckets
// in the same file. They must not touch this package's buckets.
func (s *Store) DB() *bolt.DB { return s.db }

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close waits for pending writes and closes the file.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.writes)
	s.mu.Unlock()
	<-s.done
	return s.db.Close()
}

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("job store is closed")

type writeReq struct {
	fn  func(*bolt.Tx) error
	err chan error
}

// write runs fn in a read-write transaction and returns once it is on disk.
// Concurrent writes are committed together (group commit): one fsync serves
// every request that arrived while the previous commit was being written, so
// throughput grows with load and a lone write is never delayed. fn may run
// more than once and must not keep results from a failed run.
func (s *Store) write(fn func(*bolt.Tx) error) error {
	req := &writeReq{fn: fn, err: make(chan error, 1)}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	s.writes <- req
	s.mu.RUnlock()
	return <-req.err
}

func (s *Store) committer() {
	defer close(s.done)
	batch := make([]*writeReq, 0, 64)
	for req := range s.writes {
		batch = append(batch[:0], req)
	drain:
		for len(batch) < cap(batch) {
			select {
			case r, ok := <-s.writes:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		s.commit(batch)
	}
}

// commit runs a batch in one transaction; if the transaction fails, each
// request is run alone so that one bad request fails only itself.
func (s *Store) commit(batch []*writeReq) {
	if len(batch) > 1 {
		err := s.db.Update(func(tx *bolt.Tx) error {
			for _, r := range batch {
				if err := r.fn(tx); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil {
			for _, r := range batch {
				r.err <- nil
			}
			return
		}
	}
	for _, r := range batch {
		r.err <- s.db.Update(r.fn)
	}
}

// idKey encodes a job id for ordered iteration.
func idKey(seq uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return k[:]
}

// ParseID turns a job id as shown to people into its key.
func ParseID(id string) ([]byte, error) {
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil || n == 0 {
		return nil, fmt.Errorf("job %q: %w", id, ErrNotFound)
	}
	return idKey(n), nil
}

func keyID(k []byte) string { return strconv.FormatUint(binary.BigEndian.Uint64(k), 10) }

// HashPayload is the content address of a payload.
func HashPayload(p []byte) string {
	sum := sha256.Sum256(p)
	return hex.EncodeToString(sum[:])
}

// Submit stores a new job and its payload in one durable transaction. If
// job.IdempotencyKey was seen before, nothing is written and the earlier job
// is returned with existing set. The job's ID, hash and size are assigned here.
func (s *Store) Submit(job apitype.Job, payload []byte) (saved apitype.Job, existing bool, err error) {
	hash := HashPayload(payload)
	err = s.write(func(tx *bolt.Tx) error {
		saved, existing = apitype.Job{}, false
		if job.IdempotencyKey != "" {
			if id := tx.Bucket(bucketIdem).Get([]byte(job.IdempotencyKey)); id != nil {
				j, err := getJob(tx, id)
				if err != nil {
					return err
				}
				saved, existing = j, true
				return nil
			}
		}
		jobs := tx.Bucket(bucketJobs)
		seq, err := jobs.NextSequence()
		if err != nil {
			return err
		}
		key := idKey(seq)
		j := job
		j.ID = keyID(key)
		j.PayloadSHA256 = hash
		j.PayloadSize = int64(len(payload))
		if err := addRef(tx, hash, payload); err != nil {
			return err
		}
		if err := putJob(tx, key, j); err != nil {
			return err
		}
		if j.IdempotencyKey != "" {
			if err := tx.Bucket(bucketIdem).Put([]byte(j.IdempotencyKey), key); err != nil {
				return err
			}
		}
		saved = j
		return nil
	})
	if err != nil {
		return apitype.Job{}, false, fmt.Errorf("store job: %w", err)
	}
	return saved, existing, nil
}

func addRef(tx *bolt.Tx, hash string, payload []byte) error {
	refs := tx.Bucket(bucketRefs)
	n := uint64(0)
	if v := refs.Get([]byte(hash)); v != nil {
		n = binary.BigEndian.Uint64(v)
	} else if err := tx.Bucket(bucketPayloads).Put([]byte(hash), payload); err != nil {
		return err
	}
	return refs.Put([]byte(hash), binary.BigEndian.AppendUint64(nil, n+1))
}

func dropRef(tx *bolt.Tx, hash string) error {
	refs := tx.Bucket(bucketRefs)
	v := refs.Get([]byte(hash))
	if v == nil {
		return nil
	}
	n := binary.BigEndian.Uint64(v)
	if n <= 1 {
		if err := refs.Delete([]byte(hash)); err != nil {
			return err
		}
		return tx.Bucket(bucketPayloads).Delete([]byte(hash))
	}
	return refs.Put([]byte(hash), binary.BigEndian.AppendUint64(nil, n-1))
}

func putJob(tx *bolt.Tx, key []byte, j apitype.Job) error {
	j.Wait = nil // worked out when read, never stored
	data, err := json.Marshal(j)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketJobs).Put(key, data); err != nil {
		return err
	}
	if j.State.Terminal() {
		return tx.Bucket(bucketActive).Delete(key)
	}
	return tx.Bucket(bucketActive).Put(key, nil)
}

func getJob(tx *bolt.Tx, key []byte) (apitype.Job, error) {
	data := tx.Bucket(bucketJobs).Get(key)
	if data == nil {
		return apitype.Job{}, fmt.Errorf("job %s: %w", keyID(key), ErrNotFound)
	}
	var j apitype.Job
	if err := json.Unmarshal(data, &j); err != nil {
		return apitype.Job{}, fmt.Errorf("job %s is damaged: %w", keyID(key), err)
	}
	return j, nil
}

// Put saves a changed job durably. The job must exist.
func (s *Store) Put(j apitype.Job) error {
	key, err := ParseID(j.ID)
	if err != nil {
		return err
	}
	err = s.write(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketJobs).Get(key) == nil {
			return fmt.Errorf("job %s: %w", j.ID, ErrNotFound)
		}
		return putJob(tx, key, j)
	})
	if err != nil {
		return fmt.Errorf("save job %s: %w", j.ID, err)
	}
	return nil
}

// Get returns one job.
func (s *Store) Get(id string) (apitype.Job, error) {
	key, err := ParseID(id)
	if err != nil {
		return apitype.Job{}, err
	}
	var j apitype.Job
	err = s.db.View(func(tx *bolt.Tx) error {
		j, err = getJob(tx, key)
		return err
	})
	return j, err
}

// Payload returns the bytes stored under hash.
func (s *Store) Payload(hash string) ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketPayloads).Get([]byte(hash))
		if v == nil {
			return fmt.Errorf("payload %s: %w", hash, ErrNotFound)
		}
		out = bytes.Clone(v) // bbolt's memory is valid only inside the transaction
		return nil
	})
	return out, err
}

// Active returns every unfinished job, oldest first.
func (s *Store) Active() ([]apitype.Job, error) {
	var out []apitype.Job
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketActive).ForEach(func(k, _ []byte) error {
			j, err := getJob(tx, k)
			if err != nil {
				return err
			}
			out = append(out, j)
			return nil
		})
	})
	return out, err
}

// Filter selects jobs for List.
type Filter struct {
	Printer string
	State   apitype.JobState
	Limit   int    // 0: 100
	Before  string // only jobs older than this id (paging)
}

// List returns jobs newest first.
func (s *Store) List(f Filter) ([]apitype.Job, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	out := []apitype.Job{}
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketJobs).Cursor()
		var k, v []byte
		if f.Before != "" {
			key, err := ParseID(f.Before)
			if err != nil {
				return err
			}
			c.Seek(key)
			k, v = c.Prev()
		} else {
			k, v = c.Last()
		}
		for ; k != nil && len(out) < f.Limit; k, v = c.Prev() {
			var j apitype.Job
			if err := json.Unmarshal(v, &j); err != nil {
				return fmt.Errorf("job %s is damaged: %w", keyID(k), err)
			}
			if f.Printer != "" && j.Printer != f.Printer {
				continue
			}
			if f.State != "" && j.State != f.State {
				continue
			}
			out = append(out, j)
		}
		return nil
	})
	return out, err
}

// Prune deletes finished jobs that finished before cutoff, with their
// idempotency keys and any payload no other job uses. It returns how many
// jobs it removed.
func (s *Store) Prune(cutoff time.Time) (int, error) {
	n := 0
	err := s.write(func(tx *bolt.Tx) error {
		n = 0
		jobs := tx.Bucket(bucketJobs)
		var victims [][]byte
		var found []apitype.Job
		err := jobs.ForEach(func(k, v []byte) error {
			var j apitype.Job
			if err := json.Unmarshal(v, &j); err != nil {
				return nil // leave damaged records for a person to look at
			}
			if j.State.Terminal() && j.Finished != nil && j.Finished.Before(cutoff) {
				victims = append(victims, bytes.Clone(k))
				found = append(found, j)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for i, k := range victims {
			j := found[i]
			if err := jobs.Delete(k); err != nil {
				return err
			}
			if j.IdempotencyKey != "" {
				idem := tx.Bucket(bucketIdem)
				if bytes.Equal(idem.Get([]byte(j.IdempotencyKey)), k) {
					if err := idem.Delete([]byte(j.IdempotencyKey)); err != nil {
						return err
					}
				}
			}
			if err := dropRef(tx, j.PayloadSHA256); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune finished jobs: %w", err)
	}
	return n, nil
}

// Setting reads a setting ("" when unset).
func (s *Store) Setting(key string) (string, error) {
	var v string
	err := s.db.View(func(tx *bolt.Tx) error {
		v = string(tx.Bucket(bucketSettings).Get([]byte(key)))
		return nil
	})
	return v, err
}

// SetSetting writes a setting durably; an empty value deletes it.
func (s *Store) SetSetting(key, value string) error {
	return s.write(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSettings)
		if value == "" {
			return b.Delete([]byte(key))
		}
		return b.Put([]byte(key), []byte(value))
	})
}

// Stats counts what the store holds, for health reports and tests.
type Stats struct {
	Jobs, Active, Payloads, IdempotencyKeys int
}

// Stats counts the records.
func (s *Store) Stats() (Stats, error) {
	var st Stats
	err := s.db.View(func(tx *bolt.Tx) error {
		st.Jobs = tx.Bucket(bucketJobs).Stats().KeyN
		st.Active = tx.Bucket(bucketActive).Stats().KeyN
		st.Payloads = tx.Bucket(bucketPayloads).Stats().KeyN
		st.IdempotencyKeys = tx.Bucket(bucketIdem).Stats().KeyN
		return nil
	})
	return st, err
}
