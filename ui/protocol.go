//go:build tray

package ui

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"fyne.io/fyne/v2"
)

// The tray and its window are two processes (docs/benchmarks.md: the tray
// never loads OpenGL; the window's process, Mesa and all, ends when the
// window closes). They talk over the window process's standard input and
// output, one JSON object a line:
//
//	tray → window  {"cmd":"show","tab":2,"state":{…}}  the first line: the view state to start from
//	               {"cmd":"show","tab":0}              bring the window up at a tab
//	               {"cmd":"select_job","job":"…"}      show a job (the jobs tab)
//	               {"cmd":"start_service"}             start the agent's service, shown in the window
//	               {"cmd":"message","text":"…"}        an action's outcome the tray took from its menu
//	               {"cmd":"quit"}                      close the window (so does the end of the input)
//	window → tray  {"state":{…}}                       the view state, whenever it changed
//	               {"state":{…},"closed":true}         the window closes; the process ends
type windowCommand struct {
	Cmd   string     `json:"cmd"`
	Tab   int        `json:"tab,omitempty"`
	Job   string     `json:"job,omitempty"`
	Text  string     `json:"text,omitempty"`
	State *viewState `json:"state,omitempty"`
}

// windowReport is a line from the window process.
type windowReport struct {
	State  viewState `json:"state"`
	Closed bool      `json:"closed,omitempty"`
}

// The commands.
const (
	cmdShow         = "show"
	cmdSelectJob    = "select_job"
	cmdStartService = "start_service"
	cmdMessage      = "message"
	cmdQuit         = "quit"
)

// maxLine bounds a protocol line (a view state is a few hundred bytes).
const maxLine = 1 << 20

// readLine reads one JSON line into v; lines that are not JSON (a library
// printing to standard output) are skipped.
func readLine(r *bufio.Reader, v any) error {
	for {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return fmt.Errorf("protocol line longer than %d bytes", maxLine)
		}
		if len(line) > 1 && json.Unmarshal(line, v) == nil {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// stateEvery is how often the window process looks whether the operator
// changed its view state (typed, chose a tab or a filter).
const stateEvery = 250 * time.Millisecond

// serveWindow runs the window process's side: it opens the window as the
// first command says, applies the tray's further commands, reports the view
// state once it is open and whenever it changes, and when the window closes (the close button, "quit",
// the end of the input: the tray is gone) reports it once more and calls
// exit. It returns once the window is open; io.EOF when the input ended
// before the first command.
func (h *host) serveWindow(ctx context.Context, in io.Reader, out io.Writer, exit func()) error {
	r := bufio.NewReaderSize(in, maxLine)
	var first windowCommand
	if err := readLine(r, &first); err != nil {
		return err
	}
	if first.State != nil {
		h.vs = *first.State
	}
	h.out = out
	closed := make(chan struct{})
	closeWindow := func() {
		if h.closed {
			return
		}
		h.report(true)
		h.closed = true
		close(closed)
		if h.w != nil {
			h.w.detach()
			h.w.W.Close()
		}
		if h.log != nil {
			h.log.Debug("window closed")
		}
		exit()
	}
	h.do(func() {
		h.open(first.Tab)
		h.w.W.SetCloseIntercept(closeWindow)
		if first.Cmd == cmdSelectJob {
			h.apply(first)
		}
		if h.log != nil {
			h.log.Debug("window opened", "tab", first.Tab, "selected_job", h.vs.Selected, "scan", h.vs.Scan)
		}
	})
	go func() {
		for {
			var c windowCommand
			if err := readLine(r, &c); err != nil {
				break
			}
			if c.Cmd == cmdQuit {
				break
			}
			h.do(func() { h.apply(c) })
		}
		h.do(closeWindow)
	}()
	go func() {
		t := time.NewTicker(stateEvery)
		defer t.Stop()
		for {
			select {
			case <-closed:
				return
			case <-ctx.Done():
				h.do(closeWindow)
				return
			case <-t.C:
				h.do(func() { h.report(false) })
			}
		}
	}()
	return nil
}

// apply carries out one of the tray's commands on Fyne's thread.
func (h *host) apply(c windowCommand) {
	if h.closed {
		return
	}
	switch c.Cmd {
	case cmdShow:
		h.open(c.Tab)
	case cmdSelectJob:
		h.open(tabJobs).selectJob(c.Job)
	case cmdStartService:
		h.open(tabJobs).startService()
	case cmdMessage:
		h.open(h.w.tabs.SelectedIndex()).JobDetail.SetText(c.Text)
	}
	h.report(false)
}

// RunWindow is the window process (`labelagent-tray --window`, started by
// the tray): the main window and nothing else, no tray icon. It reads the
// tray's commands from in and reports to out (see above); closing the
// window ends it, and with it everything the window held, OpenGL included.
func RunWindow(ctx context.Context, o AppOptions, in io.Reader, out io.Writer) error {
	a := newFyneApp()
	m := NewModel(o.Model)
	h := &host{a: a, m: m, do: fyne.Do, log: o.Log, icons: stateIcons()}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go m.Run(ctx)
	last := Overall(-1)
	m.OnChange(func() {
		fyne.Do(func() {
			if o := m.State().Overall; o != last && h.w != nil {
				last = o
				h.w.W.SetIcon(h.icons[o])
			}
		})
	})
	if err := h.serveWindow(ctx, in, out, a.Quit); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // the tray went before it said anything
		}
		return err
	}
	a.Run()
	return nil
}

// stateIcons are the tray's icons as Fyne resources, for the window.
func stateIcons() map[Overall]fyne.Resource {
	icons := map[Overall]fyne.Resource{}
	for _, s := range []Overall{Connecting, Ready, Printing, Attention, NotRunning} {
		icons[s] = fyne.NewStaticResource(fmt.Sprintf("labelagent-%d.png", s), IconPNG(s))
	}
	return icons
}
