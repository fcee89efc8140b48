package store

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// BackupKeep is how many rotating backup copies are kept.
const BackupKeep = 3

// BackupDir is where the store's backup copies live: the rotating copies
// labelagent.db.1 (newest) … labelagent.db.3, and one copy taken before
// each schema upgrade.
func BackupDir(dataDir string) string { return filepath.Join(dataDir, "backup") }

// rotatingName is the n-th rotating copy (1 is the newest).
func rotatingName(dataDir string, n int) string {
	return filepath.Join(BackupDir(dataDir), fmt.Sprintf("%s.%d", FileName, n))
}

// Backup writes a consistent copy of the running store (bbolt's hot backup:
// writers are not blocked) as the newest rotating copy, shifting the older
// ones and dropping the oldest. The store was checked when it was opened,
// so the copies are of a sound file. It returns the new copy's path.
func (s *Store) Backup() (string, error) {
	dir := filepath.Dir(s.path)
	tmp := filepath.Join(BackupDir(dir), FileName+".new")
	if err := copyTo(s.db, tmp); err != nil {
		return "", fmt.Errorf("backup copy of the job store: %w", err)
	}
	for n := BackupKeep; n > 1; n-- {
		if err := os.Rename(rotatingName(dir, n-1), rotatingName(dir, n)); err != nil && !os.IsNotExist(err) {
			return "", fmt.Errorf("rotate backup copies: %w", err)
		}
	}
	newest := rotatingName(dir, 1)
	if err := os.Rename(tmp, newest); err != nil {
		return "", fmt.Errorf("backup copy of the job store: %w", err)
	}
	return newest, nil
}

// BackupCopy is one backup copy of the store.
type BackupCopy struct {
	Path  string
	Taken time.Time
}

// Backups lists the backup copies in dataDir, newest first.
func Backups(dataDir string) []BackupCopy {
	entries, _ := os.ReadDir(BackupDir(dataDir))
	var out []BackupCopy
	for _, e := range entries {
		if e.IsDir() || !strings.HasPrefix(e.Name(), FileName+".") || strings.HasSuffix(e.Name(), ".new") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		out = append(out, BackupCopy{Path: filepath.Join(BackupDir(dataDir), e.Name()), Taken: info.ModTime()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Taken.After(out[j].Taken) })
	return out
}

// newestSoundBackup is the newest backup copy that passes the check, or "".
func newestSoundBackup(dataDir string) string {
	for _, b := range Backups(dataDir) {
		if problems, err := Check(b.Path); err == nil && len(problems) == 0 {
			return b.Path
		}
	}
	return ""
}
