//go:build !windows

package main

import (
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// fileIDs are a file's owner and group ids.
func fileIDs(fi os.FileInfo) (uid, gid string, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "", "", false
	}
	return strconv.Itoa(int(st.Uid)), strconv.Itoa(int(st.Gid)), true
}

// freeBytes is the space available to unprivileged users on dir's file system.
func freeBytes(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}
