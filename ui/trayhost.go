//go:build tray

package ui

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime/debug"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"github.com/labelagent/labelagent/agent/apitype"
)

// traySurface is where the tray shows its icon and menu: the desktop's
// notification area through fyne.io/systray (systray.go), a recorder in
// tests.
type traySurface interface {
	SetIcon(Overall)
	SetTooltip(string)
	SetMenu(*fyne.Menu)
	// Shown reports whether the desktop shows tray icons now: when it does
	// not, closing the window ends the tray (nothing could open it again).
	Shown() bool
}

// trayHost is the tray process: the model, the icon and menu, the desktop
// notifications, and the window process while the window is open. It never
// starts Fyne's driver, so it never loads OpenGL.
type trayHost struct {
	m       *Model
	log     *slog.Logger
	surface traySurface
	notify  func(Notice)
	// window is the window process's program and arguments; the tray adds
	// --lang with the operator's current language.
	window []string
	stderr io.Writer // the window process's log
	quit   func()    // ends the tray
	// openURL opens the dashboard in the desktop's browser.
	openURL func(string) error

	drawMu sync.Mutex // one redraw at a time, so an older state never wins

	mu    sync.Mutex
	vs    viewState // the last view state the window reported
	child *windowProc
}

// windowProc is a running window process.
type windowProc struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	exited chan struct{}
}

// send writes a command to the window process.
func (p *windowProc) send(c windowCommand) error {
	line, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = p.in.Write(append(line, '\n'))
	return err
}

// open brings the window up with c (show, select_job, start_service),
// starting the window process when none runs.
func (h *trayHost) open(c windowCommand) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.child != nil {
		if err := h.child.send(c); err == nil {
			return
		}
		// It is going away (closed a moment ago, crashed): start another.
	}
	if err := h.startWindow(c); err != nil {
		l := h.m.L()
		h.log.Warn("cannot open the window", "err", err)
		h.notify(Notice{Kind: "window", Title: l.T("tray.title"), Body: l.T("tray.action_failed", "error", ErrorText(l, err))})
	}
}

// startWindow starts the window process with the view state the last one
// left; h.mu is held.
func (h *trayHost) startWindow(c windowCommand) error {
	args := append(append([]string(nil), h.window[1:]...), "--lang", string(h.m.Lang()))
	cmd := exec.Command(h.window[0], args...)
	cmd.Stderr = h.stderr
	if f, ok := h.stderr.(*os.File); ok {
		if _, err := f.Stat(); err != nil {
			cmd.Stderr = nil // a Windows GUI program has no standard error to hand on
		}
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	p := &windowProc{cmd: cmd, in: in, exited: make(chan struct{})}
	vs := h.vs
	first := windowCommand{Cmd: cmdShow, Tab: vs.Tab, State: &vs}
	switch c.Cmd {
	case cmdShow:
		first.Tab = c.Tab
	case cmdSelectJob:
		first.Cmd, first.Job, first.Tab = cmdSelectJob, c.Job, tabJobs
	}
	h.child = p
	go h.follow(p, out)
	if err := p.send(first); err != nil {
		return err
	}
	if c.Cmd == cmdStartService || c.Cmd == cmdMessage {
		return p.send(c)
	}
	h.log.Debug("window process started", "pid", cmd.Process.Pid)
	return nil
}

// follow reads what the window process reports until it ends.
func (h *trayHost) follow(p *windowProc, out io.Reader) {
	r := bufio.NewReaderSize(out, maxLine)
	for {
		var rep windowReport
		if err := readLine(r, &rep); err != nil {
			break
		}
		h.mu.Lock()
		h.vs = rep.State
		if rep.Closed && h.child == p {
			// The window is going: opening again now starts a new one
			// rather than talk to this one.
			h.child = nil
		}
		h.mu.Unlock()
		h.log.Debug("window state", "tab", rep.State.Tab, "selected_job", rep.State.Selected, "scan", rep.State.Scan, "closed", rep.Closed)
		if l := rep.State.Lang; l != "" && l != h.m.Lang() {
			h.m.SetLang(l) // the window's language switch: the menu follows
		}
	}
	err := p.cmd.Wait()
	h.mu.Lock()
	if h.child == p {
		h.child = nil
	}
	h.mu.Unlock()
	close(p.exited)
	h.log.Debug("window process ended", "err", err)
	if !h.surface.Shown() {
		// No tray icon to open it again from: closing the window quits.
		h.quit()
	}
}

// stopWindow closes the window (its state reported) and waits for its
// process to end; after a few seconds it is killed.
func (h *trayHost) stopWindow() {
	h.mu.Lock()
	p := h.child
	h.mu.Unlock()
	if p == nil {
		return
	}
	_ = p.send(windowCommand{Cmd: cmdQuit})
	_ = p.in.Close()
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// act runs an action the menu asked for; its error shows in the window
// when it is open, else as a desktop notification.
func (h *trayHost) act(fn func(context.Context) error) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := fn(ctx); err != nil {
			l := h.m.L()
			text := l.T("tray.action_failed", "error", ErrorText(l, err))
			h.mu.Lock()
			p := h.child
			h.mu.Unlock()
			if p != nil && p.send(windowCommand{Cmd: cmdMessage, Text: text}) == nil {
				return
			}
			h.notify(Notice{Kind: "action", Title: l.T("tray.title"), Body: text})
		}
	}()
}

// tab is the window's tab, or the one it had when it was closed.
func (h *trayHost) tab() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.vs.Tab
}

// trayMenu builds the system-tray menu from the state. The lines that say
// how things stand open the window where they are dealt with (disabled
// items are greyed out by most desktops, hard to read at a glance);
// only the section titles are disabled.
func (h *trayHost) trayMenu(st State) *fyne.Menu {
	l := h.m.L()
	title := func(s string) *fyne.MenuItem {
		it := fyne.NewMenuItem(s, nil)
		it.Disabled = true
		return it
	}
	open := func(s string, tab int) *fyne.MenuItem {
		return fyne.NewMenuItem(s, func() { h.open(windowCommand{Cmd: cmdShow, Tab: tab}) })
	}
	items := []*fyne.MenuItem{open(OverallText(l, st.Overall), tabJobs)}
	if st.Overall == NotRunning && h.m.CanStartService() {
		items = append(items, fyne.NewMenuItem(l.T("tray.service.start"), func() { h.open(windowCommand{Cmd: cmdStartService}) }))
	}
	if t := StationText(l, st.Station); t != "" {
		items = append(items, open(t, tabPrinters))
	}
	items = append(items, open(BalanceText(l, st.Balance), tabPortokasse), fyne.NewMenuItemSeparator(), title(l.T("tray.menu.jobs")))
	if len(st.Jobs) == 0 {
		items = append(items, title(l.T("tray.menu.no_jobs")))
	}
	for i, j := range st.Jobs {
		if i == 5 {
			break
		}
		id := j.ID
		items = append(items, fyne.NewMenuItem(JobLine(l, j), func() { h.open(windowCommand{Cmd: cmdSelectJob, Job: id}) }))
	}
	items = append(items, fyne.NewMenuItemSeparator(), title(l.T("tray.menu.printers")))
	for _, p := range st.Printers {
		name, paused := p.Name, p.Paused
		key := "tray.menu.pause"
		if paused {
			key = "tray.menu.resume"
		}
		it := fyne.NewMenuItem(PrinterLine(l, p), nil)
		it.ChildMenu = fyne.NewMenu("", fyne.NewMenuItem(l.T(key, "printer", apitype.Printable(name)), func() {
			h.act(func(ctx context.Context) error { return h.m.SetPaused(ctx, name, !paused) })
		}), fyne.NewMenuItem(l.T("tray.printers.test"), func() {
			h.act(func(ctx context.Context) error { _, err := h.m.TestPrint(ctx, name); return err })
		}))
		items = append(items, it)
	}
	openW := fyne.NewMenuItem(l.T("tray.menu.open"), func() { h.open(windowCommand{Cmd: cmdShow, Tab: h.tab()}) })
	items = append(items, fyne.NewMenuItemSeparator(), openW)
	if st.Dashboard != "" && h.openURL != nil {
		url := st.Dashboard + "?lang=" + string(l.Lang())
		items = append(items, fyne.NewMenuItem(l.T("tray.menu.dashboard"), func() {
			h.act(func(context.Context) error { return h.openURL(url) })
		}))
	}
	quit := fyne.NewMenuItem(l.T("tray.menu.quit"), func() { h.quit() })
	quit.IsQuit = true
	items = append(items, quit)
	return fyne.NewMenu("labelagent", items...)
}

// draw shows the model's state in the tray.
func (h *trayHost) draw() {
	h.drawMu.Lock()
	defer h.drawMu.Unlock()
	st := h.m.State()
	l := h.m.L()
	h.surface.SetIcon(st.Overall)
	h.surface.SetTooltip(l.T("tray.title") + " – " + OverallText(l, st.Overall))
	h.surface.SetMenu(h.trayMenu(st))
	h.mu.Lock()
	open := h.child != nil
	h.mu.Unlock()
	h.log.Debug("tray drawn", "state", OverallText(l, st.Overall), "window_open", open)
}

// AppOptions configure Run and RunWindow.
type AppOptions struct {
	Model Options
	// Log gets a debug line for every redraw (what the tray and the window
	// show).
	Log *slog.Logger
	// Window is how the tray starts its window process: the program and its
	// arguments (the tray adds --lang), e.g. labelagent-tray --window. Run
	// only.
	Window []string
	// Stderr gets the window process's log; default os.Stderr.
	Stderr io.Writer
}

// Run is the tray: its icon and menu in the desktop's notification area,
// desktop notifications, and the main window in a process of its own,
// opened at once and from the menu, until the operator quits or ctx ends.
// It must run on the main goroutine (Windows' tray wants the main thread).
func Run(ctx context.Context, o AppOptions) error {
	if len(o.Window) == 0 {
		return errors.New("ui.Run: no window program")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m := NewModel(o.Model)
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	stderr := o.Stderr
	if stderr == nil {
		stderr = os.Stderr
	}
	st := newSystray(log)
	h := &trayHost{m: m, log: log, surface: st, notify: desktopNotifier(log), window: o.Window, stderr: stderr, quit: cancel, openURL: openBrowser}
	// Starting leaves garbage behind (the catalog parsed, the first
	// answers); once the first state is drawn, give it back.
	var once sync.Once
	m.OnChange(func() {
		h.draw()
		if m.State().Overall != Connecting {
			once.Do(func() { time.AfterFunc(2*time.Second, debug.FreeOSMemory) })
		}
	})
	m.OnNotice(h.notify)
	go m.Run(ctx)
	st.run(ctx, func() {
		h.draw()
		h.open(windowCommand{Cmd: cmdShow, Tab: tabJobs}) // the scan field has the focus at start
	})
	h.stopWindow()
	return nil
}

// startDetached starts a program and does not wait for it (a browser
// opener may run the browser in the foreground), reaping it when it ends.
func startDetached(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait()
	return nil
}

// queuedNotifier shows notices with show, one after another on a goroutine
// of their own (showing one may take a while: a D-Bus call, PowerShell);
// the tray never waits for it, and a pile-up beyond 32 is dropped, logged.
func queuedNotifier(log *slog.Logger, show func(Notice) error) func(Notice) {
	q := make(chan Notice, 32)
	go func() {
		for n := range q {
			if err := show(n); err != nil {
				log.Warn("desktop notification not shown", "title", n.Title, "body", n.Body, "err", err)
			}
		}
	}()
	return func(n Notice) {
		select {
		case q <- n:
		default:
			log.Warn("desktop notifications are piling up; dropped", "title", n.Title, "body", n.Body)
		}
	}
}
