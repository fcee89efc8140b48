//go:build !windows

package apikey

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// otherGroup is a group this process may give files to that is not its
// primary group: any gid for root, else a supplementary group.
func otherGroup(t *testing.T) int {
	t.Helper()
	if os.Geteuid() == 0 {
		return 4242
	}
	gs, _ := os.Getgroups()
	for _, g := range gs {
		if g != os.Getgid() {
			return g
		}
	}
	t.Skip("no group other than the primary one to test the operators' group with")
	return 0
}

func modeAndGroup(t *testing.T, path string) (os.FileMode, int) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm(), int(fi.Sys().(*syscall.Stat_t).Gid)
}

func TestKeyFileModeAndGroup(t *testing.T) {
	noGroup := func() (int, bool) { return 0, false }
	cases := []struct {
		name      string
		existing  os.FileMode // 0: no key file yet
		withGroup bool        // the labelagent group exists
		wantMode  os.FileMode
		wantLog   string
	}{
		{"new, no labelagent group: owner only", 0, false, 0o600, ""},
		{"new, labelagent group: owner and that group", 0, true, 0o640, ""},
		{"existing 0644, no group: tightened", 0o644, false, 0o600, "tightened"},
		{"existing 0640 with the user's primary group, no labelagent group: tightened", 0o640, false, 0o600, "tightened"},
		{"existing 0666, labelagent group: given to the group, tightened", 0o666, true, 0o640, "tightened"},
		{"existing 0600: left alone", 0o600, false, 0o600, ""},
		{"existing 0400: left alone", 0o400, false, 0o400, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			group, gid := noGroup, os.Getgid()
			if c.withGroup {
				g := otherGroup(t)
				group, gid = func() (int, bool) { return g, true }, g
			}
			if c.existing != 0 {
				if err := os.WriteFile(Path(dir), []byte("existing-key\n"), c.existing); err != nil {
					t.Fatal(err)
				}
				os.Chmod(Path(dir), c.existing) // past the umask
			}
			var logs bytes.Buffer
			key, err := ensure(dir, slog.New(slog.NewTextHandler(&logs, nil)), group)
			if err != nil || key == "" {
				t.Fatalf("ensure: %q %v", key, err)
			}
			if c.existing != 0 && key != "existing-key" {
				t.Errorf("an existing key was replaced: %q", key)
			}
			mode, g := modeAndGroup(t, Path(dir))
			if mode != c.wantMode {
				t.Errorf("mode %04o, want %04o", mode, c.wantMode)
			}
			if c.withGroup && g != gid {
				t.Errorf("group %d, want the operators' group %d", g, gid)
			}
			if !c.withGroup && mode&0o070 != 0 {
				t.Errorf("readable by group %d without a labelagent group", g)
			}
			if c.wantLog != "" && !strings.Contains(logs.String(), c.wantLog) {
				t.Errorf("log %q, want a line saying %q", logs.String(), c.wantLog)
			}
			if c.wantLog == "" && strings.Contains(logs.String(), "tightened") {
				t.Errorf("log %q says tightened for a file that was fine", logs.String())
			}
			// Nothing else is left in the directory (no temp files).
			if ents, _ := os.ReadDir(dir); len(ents) != 1 || ents[0].Name() != FileName {
				t.Errorf("directory holds %v", ents)
			}
			// A second start leaves the file as it is now.
			logs.Reset()
			if _, err := ensure(dir, slog.New(slog.NewTextHandler(&logs, nil)), group); err != nil || strings.Contains(logs.String(), "tightened") {
				t.Errorf("second start: %v, log %q", err, logs.String())
			}
		})
	}
}

func TestKeyIsReadBackAndPublicEnsureWorks(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	k1, err := Ensure(dir, nil)
	if err != nil || len(k1) < 40 {
		t.Fatalf("key %q %v", k1, err)
	}
	k2, err := Read(dir)
	if err != nil || k2 != k1 {
		t.Fatalf("read back %q %v, want %q", k2, err, k1)
	}
}
