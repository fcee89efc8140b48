//go:build !windows

package main

import "os"

// isAdmin: installing a service needs root.
func isAdmin() bool { return os.Geteuid() == 0 }
