package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/agent/store"
)

// Exit codes of a refused store, distinct so that a service manager can be
// told not to restart in a loop (systemd: RestartPreventExitStatus) and IT
// can tell them apart in a log.
const (
	exitStoreDamaged = 4
	exitStoreNewer   = 5
)

// storeRefusal turns the store's refusals into the words an IT admin acts
// on, with the exit code for them; other errors pass through.
func storeRefusal(err error, version string, l *i18n.Localizer) error {
	var de *store.DamagedError
	var ne *store.NewerError
	var me *store.MigrationError
	switch {
	case errors.As(err, &de):
		dataDir := filepath.Dir(de.Path)
		msg := []string{l.T("store.damaged", "path", de.Path, "problem", de.Problems[0])}
		if len(de.Problems) > 1 {
			msg = append(msg, l.T("store.damaged_more", "count", len(de.Problems)-1))
		}
		if de.Backup != "" {
			taken := ""
			if fi, err := os.Stat(de.Backup); err == nil {
				taken = l.Time(fi.ModTime())
			}
			msg = append(msg, l.T("store.recover_backup", "path", de.Path, "backup", de.Backup, "taken", taken))
		} else {
			msg = append(msg, l.T("store.recover_none", "path", de.Path, "dir", store.BackupDir(dataDir)))
		}
		return &exitError{code: exitStoreDamaged, msg: strings.Join(msg, "\n")}
	case errors.As(err, &ne):
		return &exitError{code: exitStoreNewer, msg: l.T("store.newer", "path", ne.Path, "found", ne.Found,
			"highest", ne.Highest, "version", version, "dir", store.BackupDir(filepath.Dir(ne.Path)))}
	case errors.As(err, &me):
		return &exitError{code: 1, msg: l.T("store.migration_failed", "path", me.Path, "from", me.From, "to", me.To,
			"backup", me.Backup, "cause", me.Err.Error())}
	}
	return err
}
