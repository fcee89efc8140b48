//go:build tray

package ui

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/printer"
)

// fakeSurface records what the tray shows instead of the desktop's tray.
type fakeSurface struct {
	mu      sync.Mutex
	icon    Overall
	tooltip string
	menu    *fyne.Menu
	shown   bool
}

func (f *fakeSurface) SetIcon(o Overall)    { f.mu.Lock(); f.icon = o; f.mu.Unlock() }
func (f *fakeSurface) SetTooltip(s string)  { f.mu.Lock(); f.tooltip = s; f.mu.Unlock() }
func (f *fakeSurface) SetMenu(m *fyne.Menu) { f.mu.Lock(); f.menu = m; f.mu.Unlock() }
func (f *fakeSurface) Shown() bool          { f.mu.Lock(); defer f.mu.Unlock(); return f.shown }

// click runs the action of the shown menu's item labelled label.
func (f *fakeSurface) click(t *testing.T, label string) {
	t.Helper()
	f.mu.Lock()
	m := f.menu
	f.mu.Unlock()
	if m != nil {
		for _, it := range m.Items {
			if it.Label == label && it.Action != nil {
				it.Action()
				return
			}
		}
	}
	t.Fatalf("the tray menu has no item %q:\n%s", label, strings.Join(menuTexts(m), "\n"))
}

// newTestTray is a tray host on a fake surface whose window process is
// this test binary (TestWindowProcessHelper).
func newTestTray(t *testing.T, m *Model) *trayHost {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	h := &trayHost{
		m: m, log: slog.New(slog.DiscardHandler), surface: &fakeSurface{shown: true},
		window: []string{os.Args[0], "-test.run=^TestWindowProcessHelper$", "--"},
		stderr: os.Stderr, quit: cancel,
	}
	n := &notices{}
	h.notify = n.add
	go func() { <-ctx.Done(); h.stopWindow() }()
	return h
}

// TestWindowProcessHelper is the window process of the tests that start
// one: this test binary run with LABELAGENT_TEST_WINDOW=1, Fyne's headless
// driver instead of a display. LABELAGENT_TEST_TYPE is what the operator
// types into the scan field once the window is open.
func TestWindowProcessHelper(t *testing.T) {
	if os.Getenv("LABELAGENT_TEST_WINDOW") != "1" {
		t.Skip("the window process of TestTrayStartsAndStopsWindowProcesses")
	}
	lang, _ := i18n.ParseLang(langFlag(flag.Args()))
	a := test.NewApp()
	m := NewModel(Options{Addr: os.Getenv("LABELAGENT_TEST_AGENT"), Key: fakeKey, Lang: lang, Poll: time.Hour, Retry: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go m.Run(ctx)
	h := &host{a: a, m: m, do: do}
	done := make(chan struct{})
	if err := h.serveWindow(ctx, os.Stdin, os.Stdout, func() { close(done) }); err != nil {
		t.Fatal(err)
	}
	if s := os.Getenv("LABELAGENT_TEST_TYPE"); s != "" {
		do(func() { test.Type(h.w.Scan, s) })
	}
	<-done
}

// TestWindowStateThroughTheProtocol: what the operator set in the window
// (the tab, the job filter and search, a half-typed scan, the selected job
// with its preview, a purchase whose answer was lost) comes back when the
// window closes, as JSON on the window's output; a new window started with
// it shows it all again, the scan field focused. The closed window stops
// following the model.
func TestWindowStateThroughTheProtocol(t *testing.T) {
	a := test.NewApp()
	defer a.Quit()
	f := newFakeAgent(t, "")
	f.jobs = []apitype.Job{
		{ID: "j1", Name: "ORD-1", State: apitype.StateDone, Printer: "desk", Created: readAt},
		{ID: "j2", Name: "ORD-2", State: apitype.StateFailed, LastError: "Papier leer", Printer: "desk", Created: readAt.Add(time.Minute)},
	}
	m, _ := runModel(t, Options{Addr: f.addr(), Lang: i18n.German})

	// serve starts a window on pipes: the first command, then the reports.
	serve := func(first windowCommand) (*host, io.WriteCloser, chan windowReport, chan struct{}) {
		h := &host{a: a, m: m, do: do}
		inR, inW := io.Pipe()
		outR, outW := io.Pipe()
		reports := make(chan windowReport, 100)
		go func() {
			r := bufio.NewReader(outR)
			for {
				var rep windowReport
				if err := readLine(r, &rep); err != nil {
					close(reports)
					return
				}
				reports <- rep
			}
		}()
		exited := make(chan struct{})
		errc := make(chan error, 1)
		go func() {
			errc <- h.serveWindow(context.Background(), inR, outW, func() { close(exited); outW.Close() })
		}()
		line, _ := json.Marshal(first)
		if _, err := inW.Write(append(line, '\n')); err != nil {
			t.Fatal(err)
		}
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		return h, inW, reports, exited
	}
	h, in, reports, exited := serve(windowCommand{Cmd: cmdShow, Tab: tabJobs, State: &viewState{}})
	w := onUI(func() *Window { return h.w })
	waitFor(t, "the jobs", func() bool { return onUI(func() bool { return len(w.shown) == 2 }) })
	do(func() {
		w.stateSel.SetSelected("fehlgeschlagen")
		w.Search.SetText("ORD")
		w.selectJob("j2")
	})
	waitFor(t, "the preview", func() bool { return onUI(func() bool { return w.preview.Resource != nil }) })
	do(func() {
		test.Type(w.Scan, "47")
		w.tabs.SelectIndex(tabPortokasse)
		h.vs.BuyKey = pendingBuy{Key: "lost-answer", Product: 1, Quantity: 2}
	})
	before := onUI(func() int { m.mu.Lock(); defer m.mu.Unlock(); return len(m.onChange) })

	// The tray says quit (as when the operator quits it; the close button
	// and the end of the input take the same way).
	if _, err := in.Write([]byte(`{"cmd":"quit"}` + "\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatal("the window did not close on quit")
	}
	var last windowReport
	for rep := range reports {
		last = rep
	}
	if !last.Closed {
		t.Fatalf("the last report is not the closing one: %+v", last)
	}
	if after := onUI(func() int { m.mu.Lock(); defer m.mu.Unlock(); return len(m.onChange) }); after != before-1 {
		t.Errorf("the closed window still follows the model (%d callbacks, were %d)", after, before)
	}
	// What went over the wire, decoded as the tray does.
	line, _ := json.Marshal(last)
	var got windowReport
	if err := json.Unmarshal(line, &got); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(line), `"pending_buy":{"key":"lost-answer","product":1,"quantity":2}`) {
		t.Errorf("the report: %s", line)
	}

	// The model goes on while the window is closed.
	j := apitype.Job{ID: "j3", Name: "ORD-3", State: apitype.StateFailed, LastError: "Kopf offen", Printer: "desk", Created: readAt.Add(2 * time.Minute)}
	f.emit(apitype.Event{Type: apitype.EventJob, Job: &j})
	waitFor(t, "the event while closed", func() bool { return len(m.State().Jobs) == 3 })

	// A new window from that state shows what the operator left.
	h2, in2, _, _ := serve(windowCommand{Cmd: cmdShow, Tab: got.State.Tab, State: &got.State})
	defer in2.Close()
	w2 := onUI(func() *Window { return h2.w })
	state := onUI(func() []string {
		return []string{strconv.Itoa(w2.tabs.SelectedIndex()), w2.stateSel.Selected, w2.Search.Text, w2.Scan.Text, w2.selected, w2.h.vs.BuyKey.Key}
	})
	want := []string{strconv.Itoa(tabPortokasse), "fehlgeschlagen", "ORD", "47", "j2", "lost-answer"}
	if strings.Join(state, "|") != strings.Join(want, "|") {
		t.Errorf("the new window shows %q, want %q", state, want)
	}
	if !onUI(func() bool { return w2.W.Canvas().Focused() == w2.Scan }) {
		t.Error("the scan field has not the focus in the new window")
	}
	waitFor(t, "the filtered list", func() bool {
		return onUI(func() bool { return len(w2.shown) == 2 && w2.shown[0].ID == "j3" })
	})
	waitFor(t, "the preview again", func() bool {
		return onUI(func() bool { return w2.preview.Resource != nil && w2.preview.Resource.Name() == "j2.png" })
	})
	if got := onUI(func() string { return w2.JobDetail.Text }); !strings.Contains(got, "Papier leer") {
		t.Errorf("the selected job's error: %q", got)
	}
}

// TestTrayStartsAndStopsWindowProcesses runs the tray's side against real
// window processes (this test binary, Fyne's headless driver): the menu
// opens the window, a job line selects the job, the state the operator
// left comes back from the closed window and goes into the next one, a
// window that crashed leaves the tray running and opening starts another,
// and a window whose tray went away (its input ended) ends too.
func TestTrayStartsAndStopsWindowProcesses(t *testing.T) {
	f := newFakeAgent(t, "")
	f.jobs = []apitype.Job{
		{ID: "j1", Name: "ORD-1", State: apitype.StateDone, Printer: "desk", Created: readAt},
		{ID: "j2", Name: "ORD-2", State: apitype.StateFailed, LastError: "Papier leer", Printer: "desk", Created: readAt.Add(time.Minute)},
	}
	f.printers = []apitype.Printer{{Name: "desk", Status: printer.Status{State: printer.StateReady}}}
	t.Setenv("LABELAGENT_TEST_WINDOW", "1")
	t.Setenv("LABELAGENT_TEST_AGENT", f.addr())
	t.Setenv("LABELAGENT_TEST_TYPE", "47")
	m, _ := runModel(t, Options{Addr: f.addr(), Lang: i18n.German})
	h := newTestTray(t, m)
	notes := &notices{}
	h.notify = notes.add
	surface := h.surface.(*fakeSurface)
	m.OnChange(h.draw)
	waitFor(t, "the jobs in the menu", func() bool {
		surface.mu.Lock()
		defer surface.mu.Unlock()
		return surface.menu != nil && strings.Contains(strings.Join(menuTexts(surface.menu), "\n"), "ORD-2")
	})
	vs := func() viewState { h.mu.Lock(); defer h.mu.Unlock(); return h.vs }
	child := func() *windowProc { h.mu.Lock(); defer h.mu.Unlock(); return h.child }

	// The balance line opens the Portokasse tab; the operator types.
	surface.click(t, BalanceText(m.L(), m.State().Balance))
	first := child()
	if first == nil {
		t.Fatal("the menu started no window process")
	}
	waitFor(t, "the window's state", func() bool { s := vs(); return s.Tab == tabPortokasse && s.Scan == "47" })
	// A job line shows that job; the same process.
	surface.click(t, JobLine(m.L(), m.State().Jobs[0]))
	waitFor(t, "the job selected", func() bool { s := vs(); return s.Tab == tabJobs && s.Selected == "j2" })
	if child() != first {
		t.Fatal("a second window process was started while one is open")
	}

	// Quit the window (the tray quits): it reports and ends.
	h.stopWindow()
	select {
	case <-first.exited:
	default:
		t.Fatal("the window process is still running")
	}
	if child() != nil {
		t.Fatal("the tray still counts the ended window as open")
	}
	if s := vs(); s.Selected != "j2" || s.Scan != "47" || s.Lang != i18n.German {
		t.Errorf("the state the closed window left: %+v", s)
	}

	// "Open labelagent" starts a new process from that state (and the
	// operator types 47 again).
	surface.click(t, "labelagent öffnen")
	second := child()
	if second == nil || second == first {
		t.Fatal("opening again started no new window process")
	}
	waitFor(t, "the restored state", func() bool { s := vs(); return s.Scan == "4747" })
	if s := vs(); s.Selected != "j2" || s.Tab != tabJobs {
		t.Errorf("the new window lost the state: %+v", s)
	}

	// It crashes: the tray stays; opening starts a third.
	if err := second.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-second.exited
	waitFor(t, "the crashed window forgotten", func() bool { return child() == nil })
	surface.click(t, "labelagent öffnen")
	third := child()
	if third == nil {
		t.Fatal("no window after a crash")
	}
	waitFor(t, "the third window", func() bool { return vs().Scan == "474747" })

	// A menu action that fails (the agent refuses to pause) says so in
	// the open window, not as a notification.
	pause := func() {
		surface.mu.Lock()
		defer surface.mu.Unlock()
		for _, it := range surface.menu.Items {
			if it.ChildMenu != nil && strings.HasPrefix(it.Label, "desk") {
				it.ChildMenu.Items[0].Action()
				return
			}
		}
		t.Fatalf("no printer submenu:\n%s", strings.Join(menuTexts(surface.menu), "\n"))
	}
	pause()
	time.Sleep(500 * time.Millisecond)
	if k := notes.kinds(); k != "" {
		t.Errorf("with the window open, a failed action was notified: %s", k)
	}

	// The tray goes away (its end of the pipe closes): the window ends.
	third.in.Close()
	select {
	case <-third.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("the window outlived its tray's input")
	}
	// With the window closed, the failure is a desktop notification.
	waitFor(t, "the window forgotten", func() bool { return child() == nil })
	pause()
	waitFor(t, "the failed action notified", func() bool { return notes.kinds() == "action" })
	notes.mu.Lock()
	if body := notes.n[0].Body; !strings.HasPrefix(body, "Das hat nicht geklappt") {
		t.Errorf("the notification says %q", body)
	}
	notes.mu.Unlock()
}

// FuzzProtocolLine: whatever comes down the pipe (a library printing to
// standard output, a cut line), reading it never panics, and what is read
// as a command or report writes back to the same.
func FuzzProtocolLine(f *testing.F) {
	f.Add([]byte(`{"cmd":"show","tab":2,"state":{"tab":2,"scan":"47","pending_buy":{"key":"k","product":1,"quantity":2}}}` + "\n"))
	f.Add([]byte(`{"state":{"tab":0,"selected_job":"j2"},"closed":true}` + "\n"))
	f.Add([]byte("Fyne error: no\n{\"cmd\":\"quit\"}\n"))
	f.Add([]byte(`{"cmd":`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, v := range []any{&windowCommand{}, &windowReport{}} {
			if err := readLine(bufio.NewReader(bytes.NewReader(data)), v); err != nil {
				continue
			}
			line, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("%#v does not encode: %v", v, err)
			}
			again := reflect.New(reflect.TypeOf(v).Elem()).Interface()
			if err := readLine(bufio.NewReader(bytes.NewReader(append(line, '\n'))), again); err != nil || !reflect.DeepEqual(v, again) {
				t.Fatalf("%s read back as %#v (%v), was %#v", line, again, err, v)
			}
		}
	})
}

// TestTrayOpensTheDashboard: an agent whose browser surface serves the
// dashboard gets a menu line that opens it in the browser, in the
// operator's language; an agent without one gets no such line.
func TestTrayOpensTheDashboard(t *testing.T) {
	f := newFakeAgent(t, "")
	f.dashboard = "http://127.0.0.1:9181/dashboard/"
	m, _ := runModel(t, Options{Addr: f.addr(), Lang: i18n.German})
	h := newTestTray(t, m)
	opened := make(chan string, 1)
	h.openURL = func(u string) error { opened <- u; return nil }
	waitFor(t, "the dashboard's address", func() bool { return m.State().Dashboard != "" })
	h.draw()
	h.surface.(*fakeSurface).click(t, "Dashboard im Browser öffnen")
	select {
	case u := <-opened:
		if u != "http://127.0.0.1:9181/dashboard/?lang=de" {
			t.Errorf("opened %q", u)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the browser was not asked to open the dashboard")
	}

	off := newFakeAgent(t, "")
	m2, _ := runModel(t, Options{Addr: off.addr(), Lang: i18n.English})
	h2 := newTestTray(t, m2)
	h2.openURL = func(string) error { return nil }
	waitFor(t, "the state", func() bool { return m2.State().Overall == Ready })
	h2.draw()
	if menu := strings.Join(menuTexts(h2.surface.(*fakeSurface).menu), "\n"); strings.Contains(menu, "dashboard") {
		t.Errorf("a dashboard line without a dashboard:\n%s", menu)
	}
}
