//go:build windows

package main

import "golang.org/x/sys/windows"

// isAdmin: installing a service needs an elevated administrator.
func isAdmin() bool { return windows.GetCurrentProcessToken().IsElevated() }
