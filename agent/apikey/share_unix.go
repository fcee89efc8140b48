//go:build !windows

package apikey

import (
	"os"
	"os/user"
	"path/filepath"
	"strconv"
)

// OperatorGroup may read the key (and traverse the data directory).
const OperatorGroup = "labelagent"

// shareWithOperators gives the operators' group the file and its directory,
// where that group exists; elsewhere the file stays with its owner.
func shareWithOperators(path string) {
	g, err := user.LookupGroup(OperatorGroup)
	if err != nil {
		return
	}
	gid, err := strconv.Atoi(g.Gid)
	if err != nil {
		return
	}
	_ = os.Chown(path, -1, gid)
	dir := filepath.Dir(path)
	if os.Chown(dir, -1, gid) == nil {
		_ = os.Chmod(dir, 0o750)
	}
}
