//go:build !windows

package apikey

import (
	"fmt"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// OperatorGroup may read the key (and traverse the data directory).
const OperatorGroup = "labelagent"

// operatorGroup is the gid of OperatorGroup, where that group exists.
func operatorGroup() (int, bool) {
	g, err := user.LookupGroup(OperatorGroup)
	if err != nil {
		return 0, false
	}
	gid, err := strconv.Atoi(g.Gid)
	return gid, err == nil
}

// shareWithOperators gives the operators' group read access to the file
// and its directory, where that group exists; elsewhere the file stays
// 0600 with its owner.
func shareWithOperators(path string, group func() (int, bool)) {
	gid, ok := group()
	if !ok {
		return
	}
	if os.Chown(path, -1, gid) != nil || os.Chmod(path, 0o640) != nil {
		return
	}
	dir := filepath.Dir(path)
	if os.Chown(dir, -1, gid) == nil {
		_ = os.Chmod(dir, 0o750)
	}
}

// tighten makes an existing key file no wider than a new one: 0600, or
// 0640 when it belongs to the operators' group. A key readable by others
// (an old 0644, a user's primary group) is fixed, and the log says so.
func tighten(path string, group func() (int, bool), log *slog.Logger) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("check API key file: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	gid, shared := group()
	if shared && int(st.Gid) != gid && os.Chown(path, -1, gid) == nil {
		log.Info("API key file given to the operators' group", "file", path, "group", OperatorGroup)
		st.Gid = uint32(gid)
	}
	allowed := os.FileMode(0o600)
	if shared && int(st.Gid) == gid {
		allowed = 0o640
	}
	old := fi.Mode().Perm()
	if old&^allowed == 0 {
		return nil
	}
	if err := os.Chmod(path, old&allowed); err != nil {
		return fmt.Errorf("API key file %s is readable by others (mode %04o) and cannot be tightened: %w", path, old, err)
	}
	log.Warn("API key file was readable by others; permissions tightened", "file", path,
		"was", fmt.Sprintf("%04o", old), "now", fmt.Sprintf("%04o", old&allowed))
	return nil
}
