//go:build !tray

package main

import (
	"fmt"
	"os"

	"github.com/labelagent/labelagent/agent/i18n"
)

// Without -tags tray there is no Fyne to draw with: say how to build it.
func main() {
	fmt.Fprintln(os.Stderr, i18n.For(i18n.Detect(os.Getenv, "")).T("tray.no_tray_build"))
	os.Exit(2)
}
