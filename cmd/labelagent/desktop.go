package main

// onDesktop reports whether labelagent runs in a person's desktop session:
// on Linux and the BSDs an X11 or Wayland display, on Windows an
// interactive session (not the service manager's). Started with no
// arguments there, a build with the tray shows it; elsewhere labelagent
// prints its help.
func onDesktop(goos string, getenv func(string) string, interactive func() bool) bool {
	switch goos {
	case "windows":
		return interactive()
	case "darwin":
		return true
	}
	return getenv("DISPLAY") != "" || getenv("WAYLAND_DISPLAY") != ""
}
