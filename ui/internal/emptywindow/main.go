//go:build tray

// Command emptywindow shows one Fyne window with one label and a tray
// icon, nothing else: the floor under the tray's memory figure (what Fyne,
// GLFW and the OpenGL driver take on their own), measured next to the tray
// in docs/benchmarks.md.
package main

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.NewWithID("de.labelagent.emptywindow")
	w := a.NewWindow("empty")
	w.SetContent(widget.NewLabel("labelagent"))
	w.Resize(fyne.NewSize(1000, 700))
	if d, ok := a.(desktop.App); ok {
		d.SetSystemTrayMenu(fyne.NewMenu("labelagent", fyne.NewMenuItem("labelagent", nil)))
	}
	w.ShowAndRun()
}
