package main

import (
	"bytes"
	bin "encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/store"
)

// A damaged store stops `labelagent run` with a readable refusal and exit
// code 4 (no panic, no SIGBUS, no goroutine dump): what is damaged, where
// the backup is, how to recover. A store truncated below bbolt's high-water
// mark used to kill the agent with SIGBUS.
func TestDamagedStoreIsRefusedReadably(t *testing.T) {
	e := newE2E(t, "")
	e.start()
	for i := range 5 {
		f := filepath.Join(e.dir, "label.zpl")
		if err := os.WriteFile(f, label(i), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, code := e.cli("print", "--printer", "desk", f); code != 0 {
			t.Fatalf("print: %s", out)
		}
	}
	e.proc.cmd.Process.Signal(syscall.SIGTERM)
	<-e.proc.exited
	e.proc = nil
	dataDir := filepath.Join(e.dir, "data")
	dbPath := filepath.Join(dataDir, store.FileName)
	good, err := os.ReadFile(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(store.BackupDir(dataDir), store.FileName+".1")
	if _, err := os.Stat(backup); err != nil {
		t.Fatalf("the agent took no backup copy at start: %v", err)
	}

	// The newer of bbolt's two meta pages: page size, root page, high-water mark.
	ps := int(bin.LittleEndian.Uint32(good[16+8:]))
	m := 16
	if bin.LittleEndian.Uint64(good[ps+16+48:]) > bin.LittleEndian.Uint64(good[16+48:]) {
		m = ps + 16
	}
	root := int(bin.LittleEndian.Uint64(good[m+16:]))
	used := int(bin.LittleEndian.Uint64(good[m+40:])) * ps // bytes in use; the file may be longer
	rootFlip := func(b []byte) []byte {
		// Flip the top bit of the root bucket's first element's offset, so
		// that it points far outside its page.
		b[root*ps+16+7] ^= 0x80
		return b
	}
	cases := []struct {
		name   string
		damage func([]byte) []byte
		lang   string
		want   []string
	}{
		{"truncated", func(b []byte) []byte { return b[:used-ps/2] }, "en_US.UTF-8",
			[]string{"is damaged", "truncated", backup, "move " + dbPath + " aside"}},
		{"truncated, in German", func(b []byte) []byte { return b[:used/2] }, "de_DE.UTF-8",
			[]string{"ist beschädigt", backup, "beiseite verschieben"}},
		{"bit flipped in the root bucket", rootFlip, "C",
			[]string{"is damaged", "points outside the page", backup}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(dbPath, tc.damage(bytes.Clone(good)), 0o640); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(e.bin, "run", "--config", e.cfgPath)
			cmd.Env = append(os.Environ(), "LANG="+tc.lang, "LC_ALL=", "LC_MESSAGES=")
			done := make(chan struct{})
			var out []byte
			go func() { out, err = cmd.CombinedOutput(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				t.Fatal("the agent kept running on a damaged store")
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != exitStoreDamaged {
				t.Fatalf("want exit code %d, got %v:\n%s", exitStoreDamaged, err, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("the refusal does not say %q:\n%s", w, out)
				}
			}
			for _, bad := range []string{"panic", "goroutine ", "SIGBUS", "SIGSEGV"} {
				if strings.Contains(string(out), bad) {
					t.Errorf("crash output %q:\n%s", bad, out)
				}
			}
		})
	}
	// Following the advice brings the agent back with every job.
	data, _ := os.ReadFile(backup)
	if err := os.WriteFile(dbPath, data, 0o640); err != nil {
		t.Fatal(err)
	}
	e.start()
	out, code := e.cli("jobs", "list", "--json")
	if code != 0 || strings.Count(out, `"id"`) != 5 {
		t.Fatalf("after restoring the backup: %s", out)
	}
}
