//go:build tray

package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
)

// newFyneApp starts the desktop driver (GLFW on OpenGL).
func newFyneApp() fyne.App { return app.NewWithID("de.labelagent.tray") }
