//go:build tray

package ui

import (
	"context"
	"log/slog"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/systray"
)

// systrayHost shows the tray's icon and menu through fyne.io/systray: on
// Linux a StatusNotifierItem with a com.canonical.dbusmenu menu on the
// session bus (pure Go, godbus), on Windows the notification area (win32).
// Neither needs OpenGL. The menu is a fyne.Menu, plain data, drawn by the
// desktop.
type systrayHost struct {
	log   *slog.Logger
	icons map[Overall][]byte // in the OS's format (ICO on Windows)

	mu      sync.Mutex
	ready   bool // the tray is up; until then the last icon and menu wait
	icon    Overall
	tooltip string
	menu    *fyne.Menu
	shape   string   // the labels and structure of the menu shown
	actions []func() // what its items do, in the order they were added
}

func newSystray(log *slog.Logger) *systrayHost {
	s := &systrayHost{log: log, icons: map[Overall][]byte{}, icon: Connecting}
	for _, o := range []Overall{Connecting, Ready, Printing, Attention, NotRunning} {
		b, err := osIcon(IconPNG(o))
		if err != nil {
			log.Warn("tray icon", "err", err)
		}
		s.icons[o] = b
	}
	return s
}

// run shows the tray until ctx ends; ready is called once it is up (or
// when the desktop has no tray: then the window is all there is).
func (s *systrayHost) run(ctx context.Context, ready func()) {
	runTrayLoop(ctx, s.log, func() {
		s.mu.Lock()
		s.ready = true
		if s.menu != nil {
			s.showMenu()
		}
		systray.SetIcon(s.icons[s.icon])
		systray.SetTooltip(s.tooltip)
		s.mu.Unlock()
		ready()
	})
}

// SetIcon shows the icon of an overall state.
func (s *systrayHost) SetIcon(o Overall) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o == s.icon && s.ready {
		return
	}
	s.icon = o
	if s.ready {
		systray.SetIcon(s.icons[o])
	}
}

// SetTooltip sets what hovering over the icon says.
func (s *systrayHost) SetTooltip(t string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t == s.tooltip {
		return
	}
	s.tooltip = t
	if s.ready {
		systray.SetTooltip(t)
	}
}

// SetMenu shows m as the tray's menu.
func (s *systrayHost) SetMenu(m *fyne.Menu) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.menu = m
	if s.ready {
		s.showMenu()
	}
}

// Shown reports whether the desktop shows the tray icon.
func (s *systrayHost) Shown() bool { return trayShown() }

// showMenu rebuilds the desktop's menu when its words or structure
// changed (systray.ResetMenu and the items again, as Fyne's own driver
// does); otherwise only what the items do is replaced. s.mu is held.
func (s *systrayHost) showMenu() {
	var shape strings.Builder
	var actions []func()
	var walk func(items []*fyne.MenuItem)
	walk = func(items []*fyne.MenuItem) {
		shape.WriteString("[")
		for _, it := range items {
			switch {
			case it.IsSeparator:
				shape.WriteString("-|")
				continue
			case it.Disabled:
				shape.WriteString("!")
			}
			shape.WriteString(it.Label + "|")
			actions = append(actions, it.Action)
			if it.ChildMenu != nil {
				walk(it.ChildMenu.Items)
			}
		}
		shape.WriteString("]")
	}
	walk(s.menu.Items)
	s.actions = actions
	if shape.String() == s.shape {
		return
	}
	s.shape = shape.String()
	systray.ResetMenu()
	n := 0
	var add func(items []*fyne.MenuItem, parent *systray.MenuItem)
	add = func(items []*fyne.MenuItem, parent *systray.MenuItem) {
		for _, it := range items {
			if it.IsSeparator {
				if parent != nil {
					parent.AddSeparator()
				} else {
					systray.AddSeparator()
				}
				continue
			}
			var mi *systray.MenuItem
			if parent != nil {
				mi = parent.AddSubMenuItem(it.Label, "")
			} else {
				mi = systray.AddMenuItem(it.Label, "")
			}
			if it.Disabled {
				mi.Disable()
			}
			i := n
			n++
			go func() {
				for range mi.ClickedCh { // closed when the menu is rebuilt
					s.click(i)
				}
			}()
			if it.ChildMenu != nil {
				add(it.ChildMenu.Items, mi)
			}
		}
	}
	add(s.menu.Items, nil)
}

// click runs what the i-th item of the menu shown does.
func (s *systrayHost) click(i int) {
	s.mu.Lock()
	var fn func()
	if i < len(s.actions) {
		fn = s.actions[i]
	}
	s.mu.Unlock()
	if fn != nil {
		fn()
	}
}
