//go:build tray

package ui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/printer"
)

// The test driver runs fyne.Do on the caller's goroutine: uiMu stands in
// for Fyne's thread so the model's goroutines and the test take turns.
var uiMu sync.Mutex

func do(fn func()) { uiMu.Lock(); defer uiMu.Unlock(); fn() }

// onUI reads from the window on "Fyne's thread".
func onUI[T any](fn func() T) T {
	var v T
	do(func() { v = fn() })
	return v
}

// allText is every label's text in the window's content, joined by lines.
func allText(w *Window) string {
	return onUI(func() string {
		var b strings.Builder
		var walk func(o fyne.CanvasObject)
		walk = func(o fyne.CanvasObject) {
			switch x := o.(type) {
			case *widget.Label:
				b.WriteString(x.Text + "\n")
			case *widget.Button:
				b.WriteString("[" + x.Text + "]\n")
			case *fyne.Container:
				for _, c := range x.Objects {
					walk(c)
				}
			}
		}
		walk(w.Pairing)
		walk(w.printers)
		b.WriteString(w.header.Text + "\n" + w.Balance.Text + "\n" + w.ScanResult.Text + "\n" + w.JobDetail.Text + "\n")
		return b.String()
	})
}

func TestWindowHeadless(t *testing.T) {
	a := test.NewApp()
	defer a.Quit()
	f := newFakeAgent(t, "")
	f.jobs = []apitype.Job{{ID: "j1", Name: "ORD-1001", State: apitype.StateDone, Printer: "desk", Created: readAt}}
	f.printers = []apitype.Printer{{Name: "desk", Status: printer.Status{State: printer.StateReady}}}
	f.balance = &apitype.StampBalance{Cents: 4295, At: readAt}
	asked := readAt
	f.origins = []apitype.Origin{{Origin: "https://shop.example", State: apitype.OriginPending, App: "Shopware", Code: "4821", Requested: &asked}}
	f.scanResult = apitype.ScanResult{OrderRef: "4711", Outcome: apitype.ScanRefused, Message: "Die Postleitzahl passt nicht zum Ort."}

	m, _ := runModel(t, Options{Addr: f.addr(), Lang: i18n.German})
	w := onUI(func() *Window { return newWindow(a, m, do) })
	waitFor(t, "the first load in the window", func() bool {
		s := allText(w)
		return strings.Contains(s, "42,95 €") && strings.Contains(s, "shop.example")
	})
	s := allText(w)
	for _, want := range []string{
		"Bitte nachsehen", // a page asks to pair
		"Portokasse: 42,95 € (Stand 24.11.2026 14:05)",
		"https://shop.example (Shopware) möchte drucken – Code 4821, 24.11.2026 14:05",
		"[Drucken erlauben]",
		"desk: bereit",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("window lacks %q:\n%s", want, s)
		}
	}
	if got := onUI(func() bool { return w.W.Canvas().Focused() == w.Scan }); !got {
		t.Errorf("the scan field has not the focus at start")
	}

	// A job event shows up in the list.
	j := apitype.Job{ID: "j2", Name: "ORD-1002", State: apitype.StatePrinting, Printer: "desk", Created: readAt.Add(time.Minute)}
	f.emit(apitype.Event{Type: apitype.EventJob, Job: &j})
	waitFor(t, "the new job in the list", func() bool {
		return onUI(func() bool { return len(w.shown) == 2 && w.shown[0].ID == "j2" })
	})
	j.State, j.LastError = apitype.StateFailed, "Drucker nicht erreichbar"
	f.emit(apitype.Event{Type: apitype.EventJob, Job: &j})
	waitFor(t, "the failed state", func() bool { return onUI(func() bool { return w.shown[0].State == apitype.StateFailed }) })
	do(func() { w.JobList.Select(0) })
	waitFor(t, "the error in plain words", func() bool {
		return strings.Contains(allText(w), "ORD-1002 wurde nicht gedruckt: Drucker nicht erreichbar")
	})
	waitFor(t, "the preview", func() bool {
		return onUI(func() bool { return w.preview.Resource != nil && w.preview.Resource.Name() == "j2.png" })
	})
	if !onUI(func() bool { return !w.reprint.Disabled() && w.cancel.Disabled() }) {
		t.Errorf("a failed job offers reprint, not cancel")
	}

	// Search narrows the list; the state filter too.
	do(func() { w.Search.SetText("1001") })
	if n := onUI(func() int { return len(w.shown) }); n != 1 {
		t.Errorf("search 1001: %d jobs shown", n)
	}
	do(func() { w.Search.SetText(""); w.stateSel.SetSelected("fehlgeschlagen") })
	if ids := onUI(func() string {
		var s []string
		for _, j := range w.shown {
			s = append(s, j.ID)
		}
		return strings.Join(s, ",")
	}); ids != "j2" {
		t.Errorf("filter failed: %s", ids)
	}

	// A scanner types the code and Enter into the focused field.
	do(func() { test.Type(w.Scan, "4711"); w.Scan.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) })
	waitFor(t, "the scan outcome", func() bool {
		return strings.Contains(allText(w), "Bestellung 4711: kein Etikett – Die Postleitzahl passt nicht zum Ort.")
	})

	// Approve the page from the window.
	do(func() {
		row := w.Pairing.Objects[0].(*fyne.Container)
		for _, o := range row.Objects {
			if box, ok := o.(*fyne.Container); ok {
				test.Tap(box.Objects[0].(*widget.Button))
			}
		}
	})
	waitFor(t, "the approval", func() bool { return strings.Contains(allText(w), "Keine Webseite wartet.") })
	f.mu.Lock()
	if len(f.decisions) != 1 || !strings.HasPrefix(f.decisions[0], "approved https://shop.example") {
		t.Errorf("decisions: %v", f.decisions)
	}
	f.mu.Unlock()

	// Switch to English: every word follows.
	do(func() { w.langSel.SetSelected("English") })
	waitFor(t, "English", func() bool { return strings.Contains(allText(w), "Portokasse: €42.95 (as of 2026-11-24 14:05)") })
	if got := onUI(func() string { return w.tabs.Items[0].Text }); got != "Jobs" {
		t.Errorf("tab: %q", got)
	}
	if got := onUI(func() string { return w.stateSel.Selected }); got != "failed" {
		t.Errorf("the filter's choice after the switch: %q", got)
	}

	// The service stops: the window says so.
	f.stop()
	waitFor(t, "service not running", func() bool { return strings.Contains(allText(w), "Service not running: labelagent is not running at") })
	menu := newTestTray(t, m).trayMenu(m.State())
	if menu.Items[0].Label != "Service not running" || !menu.Items[len(menu.Items)-1].IsQuit {
		t.Errorf("tray menu: first %q", menu.Items[0].Label)
	}
}

func TestIconsDiffer(t *testing.T) {
	seen := map[string]Overall{}
	for _, o := range []Overall{Connecting, Ready, Printing, Attention, NotRunning} {
		p := string(IconPNG(o))
		if prev, ok := seen[p]; ok {
			t.Errorf("state %d has the same icon as %d", o, prev)
		}
		seen[p] = o
	}
}

// BenchmarkEventToWindow measures a job event from the agent's event
// stream (SSE over loopback) to the window's job list showing it: parse,
// model, redraw under Fyne's headless driver (the GL paint that follows
// takes one frame more on a display).
func BenchmarkEventToWindow(b *testing.B) {
	a := test.NewApp()
	defer a.Quit()
	f := newFakeAgent(b, "")
	f.printers = []apitype.Printer{{Name: "desk", Status: printer.Status{State: printer.StateReady}}}
	for i := 0; i < 50; i++ {
		f.jobs = append(f.jobs, apitype.Job{ID: fmt.Sprintf("old%d", i), Name: fmt.Sprintf("ORD-%d", i), State: apitype.StateDone, Printer: "desk", Created: readAt.Add(-time.Duration(i) * time.Minute)})
	}
	m := NewModel(Options{Addr: f.addr(), Key: fakeKey, Lang: i18n.German, Poll: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go m.Run(ctx)
	w := newWindow(a, m, do)
	var want atomic.Value
	want.Store("")
	shown := make(chan struct{}, 1)
	m.OnChange(func() { // runs after the window's redraw
		id := want.Load().(string)
		if onUI(func() bool { return id != "" && len(w.shown) > 0 && w.shown[0].ID == id }) {
			select {
			case shown <- struct{}{}:
			default:
			}
		}
	})
	for f.streamCount() == 0 || len(m.State().Jobs) == 0 {
		time.Sleep(time.Millisecond)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := fmt.Sprintf("new%d", i)
		want.Store(id)
		j := apitype.Job{ID: id, Name: "ORD-NEW", State: apitype.StateQueued, Printer: "desk", Created: readAt.Add(time.Duration(i+1) * time.Hour)}
		f.emit(apitype.Event{Type: apitype.EventJob, Job: &j})
		<-shown
	}
}

func TestWindowTestPrintAndDayEnd(t *testing.T) {
	a := test.NewApp()
	defer a.Quit()
	f := newFakeAgent(t, "")
	f.printers = []apitype.Printer{{Name: "desk", Status: printer.Status{State: printer.StateReady}}}
	f.ships = []apitype.Shipment{{ID: "s1", OrderRef: "4711", ShipmentNo: "00340434161094042557", State: apitype.ShipmentCreated}}
	m, _ := runModel(t, Options{Addr: f.addr(), Lang: i18n.English})
	w := onUI(func() *Window { return newWindow(a, m, do) })
	waitFor(t, "the printer row", func() bool { return strings.Contains(allText(w), "[Test label]") })
	do(func() {
		var walk func(o fyne.CanvasObject)
		walk = func(o fyne.CanvasObject) {
			switch x := o.(type) {
			case *widget.Button:
				if x.Text == "Test label" {
					test.Tap(x)
				}
			case *fyne.Container:
				for _, c := range x.Objects {
					walk(c)
				}
			}
		}
		walk(w.printers)
	})
	waitFor(t, "the test job", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.submitted) == 1 && f.submitted[0].Printer == "desk"
	})
	do(w.dayEnd)
	waitFor(t, "the day's end", func() bool {
		return onUI(func() string { return w.DayEndOut.Text }) == "Day closed out: 1 shipment handed over to DHL. The manifest is stored; no document printer is set up to print it."
	})
}

// TestQuestionsInTheOperatorsLanguage: the window's questions (here the
// day's end) say yes and no in the language the operator chose, not in
// the system's (Fyne's own buttons would), and "yes" does it.
func TestQuestionsInTheOperatorsLanguage(t *testing.T) {
	a := test.NewApp()
	defer a.Quit()
	f := newFakeAgent(t, "")
	f.ships = []apitype.Shipment{{ID: "s1", OrderRef: "4711", ShipmentNo: "00340434161094042557", State: apitype.ShipmentCreated}}
	m, _ := runModel(t, Options{Addr: f.addr(), Lang: i18n.German})
	w := onUI(func() *Window { return newWindow(a, m, do) })
	buttons := func() map[string]*widget.Button {
		out := map[string]*widget.Button{}
		if top := w.W.Canvas().Overlays().Top(); top != nil {
			for _, o := range test.LaidOutObjects(top) {
				if b, ok := o.(*widget.Button); ok {
					out[b.Text] = b
				}
			}
		}
		return out
	}
	do(func() { test.Tap(w.dayEndB) })
	got := onUI(buttons)
	if got["Ja"] == nil || got["Nein"] == nil || got["Yes"] != nil {
		t.Fatalf("the day's end asks with buttons %v, want Ja and Nein", keys(got))
	}
	do(func() { test.Tap(got["Ja"]) })
	waitFor(t, "the day's end", func() bool {
		return strings.HasPrefix(onUI(func() string { return w.DayEndOut.Text }), "Tagesabschluss")
	})
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
