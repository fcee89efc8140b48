package store

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SchemaVersion is the layout of the store this binary reads and writes.
// Every change to a record's shape or a bucket's meaning raises it and adds
// a migration below; a store written by a newer binary is refused untouched.
//
// History:
//
//	0  the first stores (no version recorded): jobs, active, payloads, refs,
//	   idem, settings, plus the purchase journal's im_* buckets
//	1  the version is recorded in bucket "meta"
const SchemaVersion = 1

var (
	bucketMeta       = []byte("meta")
	keySchemaVersion = []byte("schema_version")
)

// migration moves a store from version to-1 to version to. All pending
// migrations run in one transaction, after a backup copy of the file.
type migration struct {
	to   int
	what string
	run  func(tx *bolt.Tx) error
}

var migrations = []migration{
	{to: 1, what: "record the schema version; verify every job record", run: migrateTo1},
}

// migrateTo1 verifies that every job record of an unversioned store reads,
// so that a store the first agents wrote is known whole before it is marked
// version 1. The meta bucket itself is written by the caller.
func migrateTo1(tx *bolt.Tx) error {
	jobs := tx.Bucket(bucketJobs)
	if jobs == nil {
		return nil
	}
	return jobs.ForEach(func(k, v []byte) error {
		var probe map[string]any
		if err := json.Unmarshal(v, &probe); err != nil {
			return fmt.Errorf("job %s is unreadable: %w", keyID(k), err)
		}
		return nil
	})
}

// NewerError: the store was written by a newer labelagent. It is left
// exactly as it is; install that version again (or a newer one).
type NewerError struct {
	Path           string
	Found, Highest int
}

func (e *NewerError) Error() string {
	return fmt.Sprintf("job store %s has schema version %d, but this labelagent reads up to %d: it was written by a newer labelagent; install that version again (the store was not changed)", e.Path, e.Found, e.Highest)
}

// MigrationError: migrating failed; nothing was changed (one transaction).
type MigrationError struct {
	Path     string
	From, To int
	Backup   string
	Err      error
}

func (e *MigrationError) Error() string {
	return fmt.Sprintf("job store %s: upgrading from schema version %d to %d failed, nothing was changed (backup copy: %s): %v", e.Path, e.From, e.To, e.Backup, e.Err)
}

func (e *MigrationError) Unwrap() error { return e.Err }

// readVersion returns the store's schema version; fresh is true for a file
// with no buckets at all (just created).
func readVersion(tx *bolt.Tx) (v int, fresh bool, err error) {
	fresh = true
	_ = tx.ForEach(func([]byte, *bolt.Bucket) error { fresh = false; return nil })
	b := tx.Bucket(bucketMeta)
	if b == nil {
		return 0, fresh, nil
	}
	raw := b.Get(keySchemaVersion)
	if raw == nil {
		return 0, fresh, nil
	}
	v, err = strconv.Atoi(string(raw))
	if err != nil || v < 0 {
		return 0, false, fmt.Errorf("unreadable schema version %q", raw)
	}
	return v, false, nil
}

// SchemaVersionOf reads the schema version of the store file at path
// without changing it (0 for the first, unversioned stores). For doctor and
// tests; the agent must not be running.
func SchemaVersionOf(path string) (int, error) {
	db, err := bolt.Open(path, 0o640, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var v int
	err = db.View(func(tx *bolt.Tx) error {
		v, _, err = readVersion(tx)
		return err
	})
	return v, err
}

// upgrade brings the store to SchemaVersion: it refuses a newer store
// without writing, takes a backup copy of an older one, then runs every
// pending migration and records the new version in one transaction.
func upgrade(db *bolt.DB, path string, now time.Time) (from int, backup string, err error) {
	var fresh bool
	if err := db.View(func(tx *bolt.Tx) error {
		from, fresh, err = readVersion(tx)
		return err
	}); err != nil {
		return 0, "", &DamagedError{Path: path, Problems: []string{err.Error()}}
	}
	if from > SchemaVersion {
		return from, "", &NewerError{Path: path, Found: from, Highest: SchemaVersion}
	}
	if from == SchemaVersion {
		return from, "", nil
	}
	if !fresh {
		backup = filepath.Join(BackupDir(filepath.Dir(path)), fmt.Sprintf("%s.schema%d-%s", FileName, from, now.UTC().Format("20060102T150405")))
		if err := copyTo(db, backup); err != nil {
			return from, "", fmt.Errorf("job store %s: backup copy before the upgrade from schema version %d: %w", path, from, err)
		}
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if !fresh {
			for _, m := range migrations {
				if m.to <= from {
					continue
				}
				if err := m.run(tx); err != nil {
					return fmt.Errorf("migration to version %d (%s): %w", m.to, m.what, err)
				}
			}
		}
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		return meta.Put(keySchemaVersion, []byte(strconv.Itoa(SchemaVersion)))
	})
	if err != nil {
		return from, backup, &MigrationError{Path: path, From: from, To: SchemaVersion, Backup: backup, Err: err}
	}
	return from, backup, nil
}

// copyTo writes a consistent copy of the database (bbolt's hot backup: a
// read transaction streams every page) to path, durably, through a
// temporary file so that path is either the old or the whole new copy.
func copyTo(db *bolt.DB, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".backup-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	err = db.View(func(tx *bolt.Tx) error {
		_, err := tx.WriteTo(tmp)
		return err
	})
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o640)
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
