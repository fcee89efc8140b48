//go:build windows

package main

import (
	"os"

	"golang.org/x/sys/windows"
)

// fileIDs: Windows files have ACLs, not owner and group ids.
func fileIDs(os.FileInfo) (uid, gid string, ok bool) { return "", "", false }

// freeBytes is the space available to the caller on dir's volume.
func freeBytes(dir string) (uint64, error) {
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return 0, err
	}
	var free, total, totalFree uint64
	if err := windows.GetDiskFreeSpaceEx(p, &free, &total, &totalFree); err != nil {
		return 0, err
	}
	return free, nil
}
