package main

import "testing"

func TestOnDesktop(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	yes := func() bool { return true }
	no := func() bool { return false }
	for _, c := range []struct {
		name        string
		goos        string
		getenv      func(string) string
		interactive func() bool
		want        bool
	}{
		{"linux X11", "linux", env("DISPLAY", ":0"), no, true},
		{"linux Wayland", "linux", env("WAYLAND_DISPLAY", "wayland-0"), no, true},
		{"linux console or ssh", "linux", env("TERM", "xterm"), yes, false},
		{"linux empty DISPLAY", "linux", env("DISPLAY", ""), yes, false},
		{"windows user session", "windows", env(), yes, true},
		{"windows service session", "windows", env("DISPLAY", ":0"), no, false},
		{"freebsd X11", "freebsd", env("DISPLAY", ":0"), no, true},
	} {
		if got := onDesktop(c.goos, c.getenv, c.interactive); got != c.want {
			t.Errorf("%s: onDesktop = %v, want %v", c.name, got, c.want)
		}
	}
}
