//go:build tray && linux

package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// openBrowser hands the address to xdg-open, the desktop's opener (a
// stand-in here that writes down what it was given).
func TestOpenBrowserUsesXDGOpen(t *testing.T) {
	dir := t.TempDir()
	got := filepath.Join(dir, "opened")
	script := "#!/bin/sh\nprintf '%s' \"$1\" > " + got + "\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	const url = "http://127.0.0.1:9181/dashboard/?lang=de"
	if err := openBrowser(url); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "xdg-open", func() bool {
		b, err := os.ReadFile(got)
		return err == nil && strings.TrimSpace(string(b)) == url
	})
	t.Setenv("PATH", dir) // no xdg-open at all: an error, not a hang
	os.Remove(filepath.Join(dir, "xdg-open"))
	if err := openBrowser(url); err == nil {
		t.Error("no error without xdg-open")
	}
}
