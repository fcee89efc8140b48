//go:build tray

package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
)

// Window is the tray's main window: a scan field on top, then tabs for the
// jobs (with the label preview), printers, Portokasse, today's shipments
// and web pages asking to print. It draws the model's state; every action
// goes to the agent through the model.
type Window struct {
	app fyne.App
	m   *Model
	W   fyne.Window

	header     *widget.Label
	Station    *widget.Label  // the warehouse link (NATS), hidden when not set up
	StartSvc   *widget.Button // "start the service", shown while it does not answer
	SvcOut     *widget.Label  // what starting the service came to
	langSel    *widget.Select
	Scan       *widget.Entry
	ScanResult *widget.Label
	reprintBtn *widget.Button
	lastScan   string

	tabs      *container.AppTabs
	stateSel  *widget.Select
	Search    *widget.Entry
	JobList   *widget.List
	shown     []apitype.Job
	selected  string
	JobDetail *widget.Label
	preview   *canvas.Image
	reprint   *widget.Button
	cancel    *widget.Button

	printers  *fyne.Container
	Balance   *widget.Label
	refreshB  *widget.Button
	BuyB      *widget.Button
	PurchList *widget.List
	purch     []apitype.StampPurchase
	purchSel  string
	purchNone *widget.Label
	refundB   *widget.Button
	reprintSt *widget.Button
	PurchOut  *widget.Label
	ShipList  *widget.List
	ships     []apitype.Shipment
	shipNone  *widget.Label
	dayEndB   *widget.Button
	DayEndOut *widget.Label
	Pairing   *fyne.Container

	do     func(func()) // runs on Fyne's thread
	log    *slog.Logger
	h      *host
	detach func() // stops following the model
}

// viewState is what the operator set in the window that outlives it: the
// window process ends when its window closes, so it reports this to the
// tray (protocol.go), and the next window process starts from it.
type viewState struct {
	Tab      int              `json:"tab"`
	Lang     i18n.Lang        `json:"lang,omitempty"`
	Filter   apitype.JobState `json:"filter,omitempty"`
	Search   string           `json:"search,omitempty"`
	Scan     string           `json:"scan,omitempty"` // half-typed
	Selected string           `json:"selected_job,omitempty"`
	PurchSel string           `json:"selected_purchase,omitempty"`
	LastScan string           `json:"last_scan,omitempty"`
	// BuyKey is the last purchase whose outcome is not known: buying the
	// same again must reuse its key.
	BuyKey   pendingBuy `json:"pending_buy,omitzero"`
	SvcOut   string     `json:"service_message,omitempty"`
	DayEnd   string     `json:"day_end_message,omitempty"`
	PurchOut string     `json:"purchase_message,omitempty"`
}

// newWindow builds a window with a host of its own; do is how work is
// handed to Fyne's thread: fyne.Do, or in tests (where the test driver
// has no thread of its own) a lock.
func newWindow(a fyne.App, m *Model, do func(func())) *Window {
	h := &host{a: a, m: m, do: do}
	return h.open(tabJobs)
}

// newWindow builds the main window from the model and what the operator
// had set in the last one.
func (h *host) newWindow() *Window {
	a, m, do := h.a, h.m, h.do
	w := &Window{app: a, m: m, W: a.NewWindow("labelagent"), do: do, h: h, log: h.log}
	w.header = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	w.header.Wrapping = fyne.TextWrapWord // "not running" says why, at length
	w.Station = widget.NewLabel("")
	w.Station.Hide()
	w.SvcOut = widget.NewLabel("")
	w.SvcOut.Wrapping = fyne.TextWrapWord
	w.SvcOut.Hide()
	w.StartSvc = widget.NewButton("", w.startService)
	w.StartSvc.Hide()
	w.langSel = widget.NewSelect([]string{"Deutsch", "English"}, func(s string) {
		l := i18n.English
		if s == "Deutsch" {
			l = i18n.German
		}
		if l != m.Lang() {
			go m.SetLang(l) // its change comes back through OnChange
		}
	})
	w.Scan = widget.NewEntry()
	w.Scan.OnSubmitted = func(code string) { w.submitScan(code, false) }
	w.ScanResult = widget.NewLabel("")
	w.ScanResult.Wrapping = fyne.TextWrapWord
	w.reprintBtn = widget.NewButton("", func() { w.submitScan(w.lastScan, true) })
	w.reprintBtn.Hide()

	w.stateSel = widget.NewSelect(nil, func(string) { w.refresh() })
	w.Search = widget.NewEntry()
	w.Search.OnChanged = func(string) { w.refresh() }
	w.JobList = widget.NewList(
		func() int { return len(w.shown) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < len(w.shown) {
				o.(*widget.Label).SetText(JobLine(w.m.L(), w.shown[i]))
			}
		})
	w.JobList.OnSelected = func(i widget.ListItemID) {
		if i < len(w.shown) {
			w.selectJob(w.shown[i].ID)
		}
	}
	w.JobDetail = widget.NewLabel("")
	w.JobDetail.Wrapping = fyne.TextWrapWord
	w.preview = canvas.NewImageFromResource(nil)
	w.preview.FillMode = canvas.ImageFillContain
	w.preview.SetMinSize(fyne.NewSize(300, 400))
	w.reprint = widget.NewButton("", func() { w.act(func(ctx context.Context) error { return m.Reprint(ctx, w.selected) }) })
	w.cancel = widget.NewButton("", func() { w.act(func(ctx context.Context) error { return m.Cancel(ctx, w.selected) }) })
	jobSide := container.NewBorder(container.NewVBox(w.JobDetail, container.NewHBox(w.reprint, w.cancel)), nil, nil, nil, w.preview)
	jobTop := container.NewBorder(nil, nil, w.stateSel, nil, w.Search)
	jobs := container.NewHSplit(container.NewBorder(jobTop, nil, nil, nil, w.JobList), jobSide)
	jobs.SetOffset(0.55)

	w.printers = container.NewVBox()
	w.Balance = widget.NewLabel("")
	w.Balance.Wrapping = fyne.TextWrapWord
	w.refreshB = widget.NewButton("", func() {
		go m.RefreshBalance(context.Background(), true)
	})
	w.PurchList = widget.NewList(
		func() int { return len(w.purch) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < len(w.purch) {
				o.(*widget.Label).SetText(PurchaseLine(w.m.L(), w.purch[i]))
			}
		})
	w.PurchList.OnSelected = func(i widget.ListItemID) {
		if i < len(w.purch) {
			w.purchSel = w.purch[i].ID
			w.refresh()
		}
	}
	w.purchNone = widget.NewLabel("")
	w.BuyB = widget.NewButton("", w.buyDialog)
	w.PurchOut = widget.NewLabel("")
	w.PurchOut.Wrapping = fyne.TextWrapWord
	w.refundB = widget.NewButton("", func() {
		l := m.L()
		id, total := w.purchSel, ""
		for _, p := range w.purch {
			if p.ID == id {
				total = l.Money(int64(p.TotalCents))
			}
		}
		w.confirm(l.T("tray.purchase.refund"), l.T("tray.purchase.refund_confirm", "total", total), func() {
			w.purchaseAct(func(ctx context.Context) error { _, err := m.RefundStamps(ctx, id); return err })
		})
	})
	w.reprintSt = widget.NewButton("", func() {
		id := w.purchSel
		w.purchaseAct(func(ctx context.Context) error { return m.ReprintStamps(ctx, id) })
	})
	w.ShipList = widget.NewList(
		func() int { return len(w.ships) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < len(w.ships) {
				o.(*widget.Label).SetText(ShipmentLine(w.m.L(), w.ships[i]))
			}
		})
	w.shipNone = widget.NewLabel("")
	w.DayEndOut = widget.NewLabel("")
	w.DayEndOut.Wrapping = fyne.TextWrapWord
	w.dayEndB = widget.NewButton("", func() {
		l := m.L()
		w.confirm(l.T("tray.dayend.confirm_title"), l.T("tray.dayend.confirm"), w.dayEnd)
	})
	w.Pairing = container.NewVBox()

	w.tabs = container.NewAppTabs(
		container.NewTabItem("", jobs),
		container.NewTabItem("", container.NewVScroll(w.printers)),
		container.NewTabItem("", container.NewBorder(container.NewVBox(w.Balance, container.NewHBox(w.refreshB, w.BuyB), w.purchNone), container.NewVBox(w.PurchOut, container.NewHBox(w.reprintSt, w.refundB)), nil, nil, w.PurchList)),
		container.NewTabItem("", container.NewBorder(w.shipNone, container.NewVBox(w.DayEndOut, container.NewHBox(w.dayEndB)), nil, nil, w.ShipList)),
		container.NewTabItem("", container.NewVScroll(w.Pairing)),
	)
	top := container.NewVBox(
		container.NewBorder(nil, nil, nil, container.NewHBox(w.StartSvc, w.langSel), w.header),
		w.SvcOut,
		w.Station,
		w.Scan,
		container.NewBorder(nil, nil, nil, w.reprintBtn, w.ScanResult),
	)
	w.W.SetContent(container.NewBorder(top, nil, nil, nil, w.tabs))
	w.W.Resize(fyne.NewSize(1000, 700))
	w.load(h.vs)
	w.W.Canvas().Focus(w.Scan) // a keyboard-wedge scanner types straight in
	w.detach = m.OnChange(func() { w.do(w.refresh) })
	w.refresh()
	if w.selected != "" {
		w.selectJob(w.selected) // the preview again
	}
	return w
}

// load sets what the operator had set in the last window.
func (w *Window) load(vs viewState) {
	l := w.m.L()
	w.tabs.SelectIndex(vs.Tab)
	if vs.Filter != "" {
		w.stateSel.Selected = JobStateText(l, vs.Filter)
	}
	w.Search.SetText(vs.Search)
	w.Scan.SetText(vs.Scan)
	w.selected, w.purchSel, w.lastScan = vs.Selected, vs.PurchSel, vs.LastScan
	for _, x := range []struct {
		l *widget.Label
		s string
	}{{w.SvcOut, vs.SvcOut}, {w.DayEndOut, vs.DayEnd}, {w.PurchOut, vs.PurchOut}} {
		x.l.SetText(x.s)
	}
	if vs.SvcOut != "" {
		w.SvcOut.Show()
	}
}

// save is what the operator set in this window, for the next one.
func (w *Window) save() viewState {
	return viewState{
		Tab: w.tabs.SelectedIndex(), Lang: w.m.Lang(), Filter: w.stateFilter(w.m.L()), Search: w.Search.Text, Scan: w.Scan.Text,
		Selected: w.selected, PurchSel: w.purchSel, LastScan: w.lastScan, BuyKey: w.h.vs.BuyKey,
		SvcOut: visibleText(w.SvcOut), DayEnd: w.DayEndOut.Text, PurchOut: w.PurchOut.Text,
	}
}

func visibleText(l *widget.Label) string {
	if !l.Visible() {
		return ""
	}
	return l.Text
}

// confirm asks a question with the catalog's words on its buttons (Fyne's
// own "Yes" and "No" follow the system's language, not the operator's
// choice in the window) and calls yes when the operator agrees.
func (w *Window) confirm(title, question string, yes func()) {
	l := w.m.L()
	d := dialog.NewConfirm(title, question, func(ok bool) {
		if ok {
			yes()
		}
	}, w.W)
	d.SetConfirmText(l.T("tray.confirm.yes"))
	d.SetDismissText(l.T("tray.confirm.no"))
	d.Show()
}

func (w *Window) submitScan(code string, reprint bool) {
	if code == "" {
		return
	}
	w.Scan.SetText("")
	w.lastScan = code
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		w.m.Scan(ctx, code, reprint) // the model's change shows the outcome
	}()
}

// act runs an action against the agent and shows its error in plain words.
func (w *Window) act(fn func(context.Context) error) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := fn(ctx); err != nil {
			l := w.m.L()
			w.do(func() { w.JobDetail.SetText(l.T("tray.action_failed", "error", ErrorText(l, err))) })
		}
	}()
}

// purchaseAct runs a stamp action and shows its error under the list.
func (w *Window) purchaseAct(fn func(context.Context) error) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		err := fn(ctx)
		l := w.m.L()
		text := ""
		if err != nil {
			text = l.T("tray.action_failed", "error", ErrorText(l, err))
		}
		w.do(func() { w.PurchOut.SetText(text) })
	}()
}

// dayEnd closes out the day and shows what came of it.
func (w *Window) dayEnd() {
	w.dayEndB.Disable()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		d, err := w.m.DayEnd(ctx)
		l := w.m.L()
		text := ""
		if err != nil {
			text = l.T("tray.action_failed", "error", ErrorText(l, err))
		} else {
			text = DayEndText(l, d)
		}
		w.do(func() { w.DayEndOut.SetText(text); w.dayEndB.Enable() })
	}()
}

func (w *Window) selectJob(id string) {
	w.selected = id
	w.refresh()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		img, err := w.m.Preview(ctx, id)
		l := w.m.L()
		w.do(func() {
			if w.selected != id {
				return
			}
			if err != nil {
				w.preview.Resource = nil
				w.JobDetail.SetText(w.JobDetail.Text + "\n" + l.T("tray.jobs.preview_error", "error", ErrorText(l, err)))
			} else {
				w.preview.Resource = fyne.NewStaticResource(id+".png", img.PNG)
			}
			w.preview.Refresh()
		})
	}()
}

// stateFilter maps the filter's choice back to a job state.
func (w *Window) stateFilter(l *i18n.Localizer) apitype.JobState {
	for _, s := range JobStates() {
		if w.stateSel.Selected == JobStateText(l, s) {
			return s
		}
	}
	return ""
}

// refresh draws the model's current state; it runs on Fyne's thread.
func (w *Window) refresh() {
	st := w.m.State()
	l := w.m.L()
	w.W.SetTitle(l.T("tray.title") + " – " + OverallText(l, st.Overall))
	head := OverallText(l, st.Overall)
	if st.Overall == NotRunning && st.ConnErr != nil {
		head += ": " + ErrorText(l, st.ConnErr)
	}
	w.header.SetText(head)
	w.StartSvc.SetText(l.T("tray.service.start"))
	if st.Overall == NotRunning && w.m.CanStartService() {
		w.StartSvc.Show()
	} else {
		w.StartSvc.Hide()
		if st.Overall != NotRunning && st.Overall != Connecting {
			w.SvcOut.Hide() // the service answers: what starting it said is old
		}
	}
	if t := StationText(l, st.Station); t != "" {
		w.Station.SetText(t)
		w.Station.Show()
	} else {
		w.Station.Hide()
	}
	if w.m.Lang() == i18n.German {
		w.langSel.Selected = "Deutsch"
	} else {
		w.langSel.Selected = "English"
	}
	w.langSel.Refresh()
	w.Scan.SetPlaceHolder(l.T("tray.scan.placeholder"))
	if st.LastScan != nil {
		text, offer := ScanText(l, *st.LastScan)
		w.ScanResult.SetText(text)
		w.lastScan = st.LastScan.Code
		if offer {
			w.reprintBtn.Show()
		} else {
			w.reprintBtn.Hide()
		}
	}
	w.reprintBtn.SetText(l.T("tray.scan.reprint"))

	for i, key := range []string{"tray.tab.jobs", "tray.tab.printers", "tray.tab.portokasse", "tray.tab.shipments", "tray.tab.pairing"} {
		w.tabs.Items[i].Text = l.T(key)
	}
	if n := len(st.Pairing); n > 0 {
		w.tabs.Items[tabPairing].Text += fmt.Sprintf(" (%d)", n)
	}
	w.tabs.Refresh()

	// Jobs: the filter's words follow the language; its choice is kept.
	sel := w.stateFilter(i18n.For(otherLang(w.m.Lang())))
	if sel == "" {
		sel = w.stateFilter(l)
	}
	opts := []string{l.T("tray.jobs.all")}
	for _, s := range JobStates() {
		opts = append(opts, JobStateText(l, s))
	}
	w.stateSel.Options = opts
	if sel == "" {
		w.stateSel.Selected = opts[0]
	} else {
		w.stateSel.Selected = JobStateText(l, sel)
	}
	w.stateSel.Refresh()
	w.Search.SetPlaceHolder(l.T("tray.jobs.search"))
	w.shown = FilterJobs(st.Jobs, sel, w.Search.Text)
	w.JobList.Refresh()
	w.reprint.SetText(l.T("tray.jobs.reprint"))
	w.cancel.SetText(l.T("tray.jobs.cancel"))
	w.reprint.Disable()
	w.cancel.Disable()
	detail := l.T("tray.jobs.none_selected")
	if i := indexJob(st.Jobs, w.selected); i >= 0 {
		j := st.Jobs[i]
		detail = JobLine(l, j)
		if j.State == apitype.StateFailed {
			detail = JobErrorText(l, j)
		}
		if j.State.Terminal() {
			w.reprint.Enable()
		} else {
			w.cancel.Enable()
		}
	}
	w.JobDetail.SetText(detail)

	// Printers: one row each, with pause or resume.
	var rows []fyne.CanvasObject
	for _, p := range st.Printers {
		name, paused := p.Name, p.Paused
		label := l.T("tray.printers.pause")
		if paused {
			label = l.T("tray.printers.resume")
		}
		btn := widget.NewButton(label, func() {
			w.act(func(ctx context.Context) error { return w.m.SetPaused(ctx, name, !paused) })
		})
		test := widget.NewButton(l.T("tray.printers.test"), func() {
			w.act(func(ctx context.Context) error { _, err := w.m.TestPrint(ctx, name); return err })
		})
		rows = append(rows, container.NewBorder(nil, nil, nil, container.NewHBox(test, btn), widget.NewLabel(PrinterLine(l, p))))
	}
	w.printers.Objects = rows
	w.printers.Refresh()

	w.Balance.SetText(BalanceText(l, st.Balance))
	w.refreshB.SetText(l.T("tray.balance.refresh"))
	w.BuyB.SetText(l.T("tray.buy.button"))
	if st.Balance.NotConfigured {
		w.refreshB.Disable()
	} else {
		w.refreshB.Enable()
	}
	if st.Balance.Known {
		w.BuyB.Enable()
	} else {
		w.BuyB.Disable()
	}

	w.purch = st.Purchases
	w.PurchList.Refresh()
	w.purchNone.SetText(l.T("tray.purchase.none"))
	if len(w.purch) == 0 && st.Balance.Known {
		w.purchNone.Show()
	} else {
		w.purchNone.Hide()
	}
	w.refundB.SetText(l.T("tray.purchase.refund"))
	w.reprintSt.SetText(l.T("tray.purchase.reprint"))
	w.refundB.Disable()
	w.reprintSt.Disable()
	for _, p := range w.purch {
		if p.ID == w.purchSel {
			if Refundable(p) {
				w.refundB.Enable()
			}
			if p.State == "stored" || p.State == "printed" || p.State == "failed" {
				w.reprintSt.Enable()
			}
		}
	}
	w.ships = st.Shipments
	w.dayEndB.SetText(l.T("tray.dayend.button"))
	w.ShipList.Refresh()
	if len(w.ships) == 0 {
		w.shipNone.SetText(l.T("tray.shipments.none"))
		w.shipNone.Show()
	} else {
		w.shipNone.Hide()
	}

	var prow []fyne.CanvasObject
	for _, o := range st.Pairing {
		origin := o.Origin
		ok := widget.NewButton(l.T("tray.pairing.approve"), func() {
			w.act(func(ctx context.Context) error { return w.m.Approve(ctx, origin, nil) })
		})
		no := widget.NewButton(l.T("tray.pairing.deny"), func() {
			w.act(func(ctx context.Context) error { return w.m.Deny(ctx, origin) })
		})
		prow = append(prow, container.NewBorder(nil, nil, nil, container.NewHBox(ok, no), widget.NewLabel(PairingLine(l, o))))
	}
	if len(prow) == 0 {
		prow = append(prow, widget.NewLabel(l.T("tray.pairing.none")))
	}
	w.Pairing.Objects = prow
	w.Pairing.Refresh()

	if w.log != nil {
		first := ""
		if len(w.shown) > 0 {
			first = JobLine(l, w.shown[0])
		}
		w.log.Debug("window drawn", "state", OverallText(l, st.Overall), "jobs", len(w.shown), "first_job", first)
	}

}

func otherLang(l i18n.Lang) i18n.Lang {
	if l == i18n.German {
		return i18n.English
	}
	return i18n.German
}

// Tabs of the main window, in order.
const (
	tabJobs = iota
	tabPrinters
	tabPortokasse
	tabShipments
	tabPairing
)

// showTab brings the window up at a tab, the scan field focused.
func (w *Window) showTab(tab int) {
	w.W.Show()
	w.W.RequestFocus()
	w.tabs.SelectIndex(tab)
	w.W.Canvas().Focus(w.Scan)
}

// host is the window process around its one main window: it builds the
// window from the view state the tray handed over, and reports that state
// back while the window is open and when it closes (protocol.go).
type host struct {
	a   fyne.App
	m   *Model
	do  func(func())
	log *slog.Logger
	vs  viewState // what the last window left; then the pending purchase
	w   *Window   // nil until opened
	// icons of the overall states: the window's icon follows the model
	icons map[Overall]fyne.Resource

	outMu  sync.Mutex
	out    io.Writer // to the tray; nil reports nothing
	sent   viewState // the last state reported
	closed bool      // the window was closed; nothing more is reported
}

// open brings the window up at a tab, building it the first time.
func (h *host) open(tab int) *Window {
	if h.w == nil {
		h.w = h.newWindow()
		if icon := h.icons[h.m.State().Overall]; icon != nil {
			h.w.W.SetIcon(icon)
		}
	}
	h.w.showTab(tab)
	return h.w
}

// report sends the window's view state to the tray when it changed (always
// when the window closes); it runs on Fyne's thread.
func (h *host) report(closing bool) {
	if h.w == nil || h.out == nil || h.closed {
		return
	}
	vs := h.w.save()
	if vs == h.sent && !closing {
		return
	}
	h.sent = vs
	line, _ := json.Marshal(windowReport{State: vs, Closed: closing}) // plain strings and numbers
	h.outMu.Lock()
	defer h.outMu.Unlock()
	if _, err := h.out.Write(append(line, '\n')); err != nil && h.log != nil {
		h.log.Debug("the tray does not read the window's state", "err", err)
	}
}
