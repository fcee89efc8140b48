package store

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/labelagent/labelagent/agent/apitype"
)

// sampleStore writes a store with enough jobs to need branch pages and
// overflow pages, and returns its data directory.
func sampleStore(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("^FO10,10^GB800,2,2^FS"), 600) // > one page: overflow pages
	for i := range 120 {
		p := []byte("^XA^FDjob " + string(rune('a'+i%26)) + "^XZ")
		if i%30 == 0 {
			p = append(append([]byte("^XA"), big...), byte(i))
		}
		if _, _, err := s.Submit(job(""), p); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func copyDir(t *testing.T, from string, mutate func([]byte) []byte) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(from, FileName))
	if err != nil {
		t.Fatal(err)
	}
	to := t.TempDir()
	if err := os.WriteFile(filepath.Join(to, FileName), mutate(bytes.Clone(data)), 0o640); err != nil {
		t.Fatal(err)
	}
	return to
}

func TestSoundStorePassesCheck(t *testing.T) {
	dir := sampleStore(t)
	problems, err := Check(filepath.Join(dir, FileName))
	if err != nil || len(problems) > 0 {
		t.Fatalf("a sound store was reported damaged: %v %v", problems, err)
	}
}

// A store truncated below bbolt's high-water mark used to kill the agent
// with SIGBUS; now it is refused with the damage named and the backup shown.
func TestTruncatedStoreIsRefused(t *testing.T) {
	dir := sampleStore(t)
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	backup, err := s.Backup()
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	for _, keep := range []int{0x1000 * 5, 0x1000 + 100, 100} {
		broken := copyDir(t, dir, func(b []byte) []byte { return b[:keep] })
		// the backup lives beside the broken copy, as in a real data directory
		if err := os.MkdirAll(BackupDir(broken), 0o750); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(backup)
		os.WriteFile(filepath.Join(BackupDir(broken), FileName+".1"), data, 0o640)

		_, err := Open(broken)
		var de *DamagedError
		if !errors.As(err, &de) {
			t.Fatalf("truncated to %d bytes: want a DamagedError, got %v", keep, err)
		}
		if de.Backup != filepath.Join(BackupDir(broken), FileName+".1") {
			t.Errorf("truncated to %d: backup %q not offered", keep, de.Backup)
		}
		if !strings.Contains(de.Error(), "truncated") && !strings.Contains(de.Error(), "too short") && !strings.Contains(de.Error(), "headers") {
			t.Errorf("truncated to %d: message does not say what is wrong: %s", keep, de.Error())
		}
	}
}

// Bits flipped in the structure (meta pages, page headers, element offsets,
// bucket headers) must be refused, never crash the process; bits flipped in
// a job's record make that job unreadable, which is refused too.
func TestBitFlippedStoreNeverCrashes(t *testing.T) {
	dir := sampleStore(t)
	orig, _ := os.ReadFile(filepath.Join(dir, FileName))
	ps := 4096
	type flip struct {
		name string
		at   int
		bit  uint
	}
	flips := []flip{
		{"both meta checksums", -1, 0},
		{"root page id of meta 0 and 1", -2, 0},
	}
	// Every page header's id, flags and count fields.
	for pg := 2; pg*ps < len(orig); pg++ {
		flips = append(flips, flip{"page id", pg * ps, 3}, flip{"page flags", pg*ps + 8, 0}, flip{"element count", pg*ps + 11, 6},
			flip{"first element's offset", pg*ps + 16 + 5, 4})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 150 {
		flips = append(flips, flip{"random bit", rng.IntN(len(orig)), uint(rng.IntN(8))})
	}
	refused := 0
	for _, f := range flips {
		broken := copyDir(t, dir, func(b []byte) []byte {
			switch f.at {
			case -1:
				b[16+56] ^= 1
				b[ps+16+56] ^= 1
			case -2:
				for _, m := range []int{16, ps + 16} { // root pgid and the checksum that covers it
					b[m+16] ^= 0x40
				}
			default:
				b[f.at] ^= 1 << f.bit
			}
			return b
		})
		s, err := Open(broken)
		if err == nil {
			// Accepted: the flip hit unused space or a payload's bytes. The
			// store must still be fully readable.
			if _, err := s.Active(); err != nil {
				t.Errorf("%s at %d: opened, but reading fails: %v", f.name, f.at, err)
			}
			s.Close()
			continue
		}
		var de *DamagedError
		if !errors.As(err, &de) {
			t.Errorf("%s at %d: want a DamagedError, got %v", f.name, f.at, err)
			continue
		}
		refused++
		if f.at < 0 && !strings.Contains(de.Error(), "damaged") {
			t.Errorf("%s: %s", f.name, de.Error())
		}
	}
	if refused < 20 {
		t.Errorf("only %d of %d flips were refused: the check is not looking", refused, len(flips))
	}
	t.Logf("%d of %d flips refused, the rest hit unused space or payload bytes", refused, len(flips))
}

func TestNewerStoreIsRefusedUntouched(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.Submit(job("k"), []byte("^XA^XZ"))
	s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keySchemaVersion, []byte("99")) })
	s.Close()
	before, _ := os.ReadFile(filepath.Join(dir, FileName))
	_, err = Open(dir)
	var ne *NewerError
	if !errors.As(err, &ne) || ne.Found != 99 || ne.Highest != SchemaVersion {
		t.Fatalf("want NewerError 99 > %d, got %v", SchemaVersion, err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, FileName))
	if !bytes.Equal(before, after) {
		t.Fatal("the newer store was changed by the older binary")
	}
	if v, err := SchemaVersionOf(filepath.Join(dir, FileName)); err != nil || v != 99 {
		t.Fatalf("SchemaVersionOf = %d, %v", v, err)
	}
}

func TestBackupRotates(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range BackupKeep + 2 {
		if _, _, err := s.Submit(apitype.Job{Printer: "p", Kind: apitype.KindZPL, Copies: 1, State: apitype.StateQueued}, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Backup(); err != nil {
			t.Fatal(err)
		}
	}
	list := Backups(dir)
	if len(list) != BackupKeep {
		t.Fatalf("want %d copies, got %v", BackupKeep, list)
	}
	// The newest copy holds every job and is itself a sound store.
	cp := t.TempDir()
	data, _ := os.ReadFile(rotatingName(dir, 1))
	os.WriteFile(filepath.Join(cp, FileName), data, 0o640)
	b, err := Open(cp)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if st, _ := b.Stats(); st.Jobs != BackupKeep+2 {
		t.Fatalf("newest backup holds %d jobs, want %d", st.Jobs, BackupKeep+2)
	}
	older := t.TempDir()
	data, _ = os.ReadFile(rotatingName(dir, BackupKeep))
	os.WriteFile(filepath.Join(older, FileName), data, 0o640)
	o, err := Open(older)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if st, _ := o.Stats(); st.Jobs != 3 {
		t.Fatalf("oldest kept copy holds %d jobs, want 3", st.Jobs)
	}
}
