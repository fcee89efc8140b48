// Package ui is the operator's tray: a per-user program that shows what the
// agent does (jobs, printers, the Portokasse balance, the day's shipments,
// web pages asking to pair) and lets the operator act on it. It is a client
// of the control API only (agent/client, agent/apitype) and takes its words
// from the catalog (agent/i18n).
//
// The view model in this file and its neighbours is plain Go, testable
// without a display; the Fyne windows and the tray icon are built with the
// "tray" build tag (they need cgo and OpenGL), so the service binary never
// links Fyne.
package ui

import (
	"context"
	"errors"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/printer"
)

// Overall is the one state the tray icon shows.
type Overall int

// The overall states, from good to bad.
const (
	Connecting Overall = iota // not yet known
	Ready                     // nothing to do or everything printing fine
	Printing                  // a job is being prepared or printed
	Attention                 // a job failed, a printer cannot print, a page asks to pair
	NotRunning                // nothing answers at the agent's address
)

// maxJobs bounds the job list the tray keeps.
const maxJobs = 200

// Notice is a desktop notification: something that needs a person.
type Notice struct {
	Kind  string // failed_job, printer, low_balance, pairing
	Title string
	Body  string
}

// Balance is the Portokasse balance as the tray knows it.
type Balance struct {
	Known         bool // Value holds a figure from the agent
	NotConfigured bool // the agent has no INTERNETMARKE account
	Value         apitype.StampBalance
	Err           error // the last attempt to read it failed (Value may still be shown)
}

// ScanOutcome is what the last scan did.
type ScanOutcome struct {
	Code   string
	Result apitype.ScanResult
	Err    error
}

// State is a copy of everything the tray shows at one moment.
type State struct {
	Overall   Overall
	ConnErr   error // why the agent cannot be reached (NotRunning)
	Jobs      []apitype.Job
	Printers  []apitype.Printer
	Balance   Balance
	Shipments []apitype.Shipment      // today's, newest first
	Purchases []apitype.StampPurchase // recent INTERNETMARKE purchases, newest first
	Pairing   []apitype.Origin        // pending requests only
	LastScan  *ScanOutcome
	Station   *Station // the warehouse link over NATS; nil: not set up
	Updated   time.Time
	// Dashboard is the agent's dashboard in a browser; "" when it has none.
	Dashboard string
}

// Options configure a Model.
type Options struct {
	// Client template: Addr, Key and DataDir are copied into the clients the
	// model makes (one per language, so the agent's own messages follow the
	// operator's language switch).
	Addr, Key, DataDir string
	Lang               i18n.Lang
	// AgentBin is the labelagent program that starts the service
	// ("start the service"); "" offers no such action. See AgentBinary.
	AgentBin string
	// Poll is how often the balance and the pairing requests are read
	// (they have no events); default 5 s.
	Poll time.Duration
	// Retry is the first wait before reconnecting; it doubles up to 5 s.
	Retry time.Duration
	// Now is the clock (tests fix the day); default time.Now.
	Now func() time.Time
}

// Model holds the tray's state and keeps it current from the agent's event
// stream. Its methods are safe for concurrent use; OnChange and OnNotice
// are called from the model's goroutines, never while it holds its lock.
type Model struct {
	opts Options

	mu       sync.Mutex
	lang     i18n.Lang
	cl       *client.Client
	st       State
	notified map[string]bool // what has been notified (edge-triggered)
	onChange []*func()
	onNotice []func(Notice)
}

// NewModel makes a model; Run connects it.
func NewModel(o Options) *Model {
	if o.Poll <= 0 {
		o.Poll = 5 * time.Second
	}
	if o.Retry <= 0 {
		o.Retry = 250 * time.Millisecond
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Lang == "" {
		o.Lang = i18n.English
	}
	m := &Model{opts: o, notified: map[string]bool{}}
	m.setLangLocked(o.Lang)
	return m
}

// OnChange registers fn to be called after every change of the state; the
// returned func unregisters it (a closed window lets go of its widgets).
func (m *Model) OnChange(fn func()) (remove func()) {
	p := &fn
	m.mu.Lock()
	m.onChange = append(m.onChange, p)
	m.mu.Unlock()
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		for i, q := range m.onChange {
			if q == p {
				m.onChange = append(m.onChange[:i:i], m.onChange[i+1:]...)
				return
			}
		}
	}
}

// OnNotice registers fn to be called for every desktop notification.
func (m *Model) OnNotice(fn func(Notice)) {
	m.mu.Lock()
	m.onNotice = append(m.onNotice, fn)
	m.mu.Unlock()
}

// L is the localizer of the operator's current language.
func (m *Model) L() *i18n.Localizer {
	m.mu.Lock()
	defer m.mu.Unlock()
	return i18n.For(m.lang)
}

// Lang is the operator's current language.
func (m *Model) Lang() i18n.Lang {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lang
}

// SetLang switches the language of the tray and of the agent's messages.
func (m *Model) SetLang(l i18n.Lang) {
	m.mu.Lock()
	m.setLangLocked(l)
	m.mu.Unlock()
	m.changed()
}

func (m *Model) setLangLocked(l i18n.Lang) {
	m.lang = l
	m.cl = &client.Client{Addr: m.opts.Addr, Key: m.opts.Key, DataDir: m.opts.DataDir, Lang: string(l)}
}

func (m *Model) client() *client.Client {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cl
}

// State returns a copy of the current state.
func (m *Model) State() State {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.st
	s.Jobs = append([]apitype.Job(nil), s.Jobs...)
	s.Printers = append([]apitype.Printer(nil), s.Printers...)
	s.Shipments = append([]apitype.Shipment(nil), s.Shipments...)
	s.Pairing = append([]apitype.Origin(nil), s.Pairing...)
	s.Purchases = append([]apitype.StampPurchase(nil), s.Purchases...)
	if s.LastScan != nil {
		c := *s.LastScan
		s.LastScan = &c
	}
	if s.Station != nil {
		c := *s.Station
		s.Station = &c
	}
	return s
}

func (m *Model) changed() {
	m.mu.Lock()
	fns := append([]*func(){}, m.onChange...)
	m.mu.Unlock()
	for _, fn := range fns {
		(*fn)()
	}
}

func (m *Model) notify(n []Notice) {
	if len(n) == 0 {
		return
	}
	m.mu.Lock()
	fns := append([]func(Notice){}, m.onNotice...)
	m.mu.Unlock()
	for _, x := range n {
		for _, fn := range fns {
			fn(x)
		}
	}
}

// Run keeps the model connected until ctx ends: it loads everything, then
// follows the event stream; when the agent stops or cannot be reached it
// shows "service not running" and reconnects by itself.
func (m *Model) Run(ctx context.Context) {
	go m.poll(ctx)
	wait := m.opts.Retry
	for ctx.Err() == nil {
		err := m.session(ctx)
		if ctx.Err() != nil {
			return
		}
		m.setDown(err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if wait *= 2; wait > 5*time.Second {
			wait = 5 * time.Second
		}
		if err == nil || errors.Is(err, io.EOF) {
			wait = m.opts.Retry // a clean stop: the service may be back soon
		}
	}
}

// session is one connection: open the stream first (so nothing changes
// unseen), load the state, then apply events until the stream ends.
func (m *Model) session(ctx context.Context) error {
	cl := m.client()
	s, err := cl.Events(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := m.Reload(ctx); err != nil {
		return err
	}
	for {
		e, err := s.Next()
		if err != nil {
			return err
		}
		if e.Type == apitype.EventLagged {
			if err := m.Reload(ctx); err != nil {
				return err
			}
			continue
		}
		m.Apply(e)
	}
}

func (m *Model) setDown(err error) {
	m.mu.Lock()
	m.st.Overall = NotRunning
	m.st.ConnErr = err
	m.st.Updated = m.opts.Now()
	m.mu.Unlock()
	m.changed()
}

// Reload reads jobs, printers, today's shipments, pairing requests and
// the balance from the agent.
func (m *Model) Reload(ctx context.Context) error {
	cl := m.client()
	jobs, err := cl.Jobs(ctx, client.JobsQuery{Limit: maxJobs})
	if err != nil {
		return err
	}
	prs, err := cl.Printers(ctx)
	if err != nil {
		return err
	}
	// Shipments and pairing belong to parts that may be switched off;
	// their absence is no reason to call the service down.
	ships, _ := cl.Shipments(ctx, client.ShipmentsQuery{Day: "today", Limit: 500})
	health, _ := cl.Health(ctx) // an older agent names no dashboard
	m.mu.Lock()
	m.st.Dashboard = health.Dashboard
	m.st.Jobs = jobs
	sortJobs(m.st.Jobs)
	m.st.Printers = prs
	m.st.Shipments = ships
	m.st.ConnErr = nil
	// Failed jobs and printer problems present at start are shown, not
	// notified again: the operator may have seen them before a restart.
	for _, j := range jobs {
		if j.State == apitype.StateFailed {
			m.notified["job:"+j.ID] = true
		}
	}
	for _, p := range prs {
		m.notified["printer:"+p.Name+":"+string(p.Status.State)] = needsHands(p.Status.State)
	}
	m.recomputeLocked()
	m.mu.Unlock()
	m.changed()
	m.refreshSlow(ctx, false)
	return nil
}

// poll reads what has no events: the balance and the pairing requests.
func (m *Model) poll(ctx context.Context) {
	t := time.NewTicker(m.opts.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		m.mu.Lock()
		up := m.st.Overall != NotRunning && m.st.Overall != Connecting
		m.mu.Unlock()
		if up {
			m.refreshSlow(ctx, false)
		}
	}
}

// RefreshBalance asks the agent for the balance; ask: ask Deutsche Post
// now instead of the agent's last figure.
func (m *Model) RefreshBalance(ctx context.Context, ask bool) {
	m.refreshSlow(ctx, ask)
}

func (m *Model) refreshSlow(ctx context.Context, askDP bool) {
	cl := m.client()
	origins, oerr := cl.Origins(ctx)
	station, serr := readStation(ctx, cl)
	bal, berr := cl.StampBalance(ctx, askDP)
	var purchases []apitype.StampPurchase
	var perr error = errNotRead
	if berr == nil {
		purchases, perr = cl.StampPurchases(ctx, false, 20)
	}
	var notes []Notice
	m.mu.Lock()
	l := i18n.For(m.lang)
	if oerr == nil {
		var pending []apitype.Origin
		for _, o := range origins {
			if o.State == apitype.OriginPending {
				pending = append(pending, o)
				key := "pairing:" + o.Origin
				if o.Requested != nil {
					key += ":" + o.Requested.String()
				}
				if !m.notified[key] {
					m.notified[key] = true
					notes = append(notes, Notice{Kind: "pairing", Title: l.T("tray.notice.pairing_title"), Body: l.T("tray.notice.pairing", "origin", apitype.Printable(o.Origin), "code", o.Code)})
				}
			}
		}
		m.st.Pairing = pending
	}
	if serr == nil {
		m.st.Station = station
	}
	var apiErr *client.APIError
	switch {
	case berr == nil:
		m.st.Balance = Balance{Known: true, Value: bal}
		if perr == nil {
			m.st.Purchases = purchases
		}
		// The threshold is the agent's (tray.low_balance in its
		// configuration), told with the balance.
		low := bal.Low
		if low && !m.notified["balance:low"] {
			notes = append(notes, Notice{Kind: "low_balance", Title: l.T("tray.notice.low_balance_title"), Body: l.T("tray.notice.low_balance", "balance", l.Money(int64(bal.Cents)), "threshold", l.Money(int64(bal.LowBelowCents)))})
		}
		m.notified["balance:low"] = low
	case errors.As(berr, &apiErr) && (apiErr.Code == apitype.CodeStampNotConfigured || apiErr.Status == 404):
		m.st.Balance = Balance{NotConfigured: true}
		m.st.Purchases = nil
	default:
		m.st.Balance.Err = berr
	}
	m.recomputeLocked()
	m.mu.Unlock()
	m.changed()
	m.notify(notes)
}

// Apply takes one event from the agent's stream into the state.
func (m *Model) Apply(e apitype.Event) {
	var notes []Notice
	m.mu.Lock()
	l := i18n.For(m.lang)
	switch {
	case e.Type == apitype.EventJob && e.Job != nil:
		j := *e.Job
		j.History = nil
		i := indexJob(m.st.Jobs, j.ID)
		if i >= 0 {
			m.st.Jobs[i] = j
		} else {
			m.st.Jobs = append(m.st.Jobs, j)
		}
		sortJobs(m.st.Jobs)
		if len(m.st.Jobs) > maxJobs {
			m.st.Jobs = m.st.Jobs[:maxJobs]
		}
		if j.State == apitype.StateFailed && !m.notified["job:"+j.ID] {
			m.notified["job:"+j.ID] = true
			notes = append(notes, Notice{Kind: "failed_job", Title: l.T("tray.notice.failed_title"), Body: JobErrorText(l, j)})
		}
		if j.State != apitype.StateFailed {
			delete(m.notified, "job:"+j.ID) // a retried job may fail again
		}
	case e.Type == apitype.EventPrinter && e.Printer != nil:
		p := *e.Printer
		found := false
		for i := range m.st.Printers {
			if m.st.Printers[i].Name == p.Name {
				m.st.Printers[i], found = p, true
			}
		}
		if !found {
			m.st.Printers = append(m.st.Printers, p)
		}
		for _, s := range []printer.State{printer.StatePaperOut, printer.StateHeadOpen, printer.StateRibbonOut} {
			key := "printer:" + p.Name + ":" + string(s)
			has := hasProblem(p.Status, s)
			if has && !m.notified[key] {
				notes = append(notes, Notice{Kind: "printer", Title: l.T("tray.notice.printer_title", "printer", apitype.Printable(p.Name)), Body: PrinterStateText(l, s)})
			}
			m.notified[key] = has
		}
	case e.Type == apitype.EventShipment && e.Shipment != nil:
		sh := *e.Shipment
		if sh.Day == "" || sh.Day == m.today() {
			found := false
			for i := range m.st.Shipments {
				if m.st.Shipments[i].ID == sh.ID {
					m.st.Shipments[i], found = sh, true
				}
			}
			if !found {
				m.st.Shipments = append([]apitype.Shipment{sh}, m.st.Shipments...)
			}
		}
	case e.Type == apitype.EventScan && e.Scan != nil:
		m.st.LastScan = &ScanOutcome{Code: e.Scan.Code, Result: *e.Scan}
	}
	m.recomputeLocked()
	m.mu.Unlock()
	m.changed()
	m.notify(notes)
}

// today is the shipping day as the agent counts it (Europe/Berlin).
func (m *Model) today() string {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		loc = time.Local
	}
	return m.opts.Now().In(loc).Format("2006-01-02")
}

func (m *Model) recomputeLocked() {
	m.st.Updated = m.opts.Now()
	m.st.Overall = overall(m.st, m.opts.Now())
}

// overall decides the icon: needs attention beats printing beats ready.
func overall(s State, now time.Time) Overall {
	if s.ConnErr != nil {
		return NotRunning
	}
	if len(s.Pairing) > 0 {
		return Attention
	}
	if s.Station != nil && !s.Station.Connected {
		return Attention // warehouse jobs cannot reach this station
	}
	for _, p := range s.Printers {
		if !p.Status.CanPrint() && p.Status.State != printer.StatePaused || p.Paused && p.Queued > 0 {
			return Attention
		}
	}
	busy := false
	for _, j := range s.Jobs {
		// A failure counts until the job is retried, cancelled or a day old.
		if j.State == apitype.StateFailed && (j.Updated.IsZero() || now.Sub(j.Updated) < 24*time.Hour) {
			return Attention
		}
		if j.State == apitype.StatePrinting || j.State == apitype.StatePreparing || j.State == apitype.StateQueued {
			busy = true
		}
	}
	if busy {
		return Printing
	}
	return Ready
}

func hasProblem(s printer.Status, want printer.State) bool {
	if s.State == want {
		return true
	}
	for _, p := range s.Problems {
		if p == want {
			return true
		}
	}
	return false
}

func needsHands(s printer.State) bool {
	return s == printer.StatePaperOut || s == printer.StateHeadOpen || s == printer.StateRibbonOut
}

func indexJob(jobs []apitype.Job, id string) int {
	for i := range jobs {
		if jobs[i].ID == id {
			return i
		}
	}
	return -1
}

func sortJobs(jobs []apitype.Job) {
	sort.SliceStable(jobs, func(a, b int) bool { return jobs[a].Created.After(jobs[b].Created) })
}

// FilterJobs returns the jobs in state (empty: all) whose name, order, id,
// source or printer contains query (case-insensitive).
func FilterJobs(jobs []apitype.Job, state apitype.JobState, query string) []apitype.Job {
	q := strings.ToLower(strings.TrimSpace(query))
	var out []apitype.Job
	for _, j := range jobs {
		if state != "" && j.State != state {
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(j.Name+" "+j.ID+" "+j.Source+" "+j.Printer+" "+j.IdempotencyKey), q) {
			continue
		}
		out = append(out, j)
	}
	return out
}

// Scan hands a scanned code to the agent's packing workflow; reprint asks
// for the earlier label of an order shipped before.
func (m *Model) Scan(ctx context.Context, code string, reprint bool) ScanOutcome {
	code = strings.TrimSpace(code)
	res, err := m.client().Scan(ctx, apitype.ScanRequest{Code: code, Reprint: reprint})
	out := ScanOutcome{Code: code, Result: res, Err: err}
	m.mu.Lock()
	m.st.LastScan = &out
	m.mu.Unlock()
	m.changed()
	return out
}

// Approve lets a pending origin print, with the extra scopes given.
func (m *Model) Approve(ctx context.Context, origin string, scopes []string) error {
	_, err := m.client().ApproveOrigin(ctx, origin, scopes)
	if err == nil {
		m.refreshSlow(ctx, false)
	}
	return err
}

// Deny refuses a pending origin.
func (m *Model) Deny(ctx context.Context, origin string) error {
	_, err := m.client().DenyOrigin(ctx, origin)
	if err == nil {
		m.refreshSlow(ctx, false)
	}
	return err
}

// Reprint queues a finished job again.
func (m *Model) Reprint(ctx context.Context, id string) error {
	j, err := m.client().Retry(ctx, id)
	if err == nil {
		m.Apply(apitype.Event{Type: apitype.EventJob, Job: &j})
	}
	return err
}

// Cancel cancels a job.
func (m *Model) Cancel(ctx context.Context, id string) error {
	j, err := m.client().Cancel(ctx, id)
	if err == nil {
		m.Apply(apitype.Event{Type: apitype.EventJob, Job: &j})
	}
	return err
}

// SetPaused pauses or resumes a printer.
func (m *Model) SetPaused(ctx context.Context, name string, pause bool) error {
	cl := m.client()
	var p apitype.Printer
	var err error
	if pause {
		p, err = cl.PausePrinter(ctx, name)
	} else {
		p, err = cl.ResumePrinter(ctx, name)
	}
	if err == nil {
		m.Apply(apitype.Event{Type: apitype.EventPrinter, Printer: &p})
	}
	return err
}

// Preview returns the first label of a job as PNG, as its printer prints it.
func (m *Model) Preview(ctx context.Context, id string) (client.PreviewImage, error) {
	return m.client().JobPreview(ctx, id, client.PreviewOptions{})
}

// TestPrint prints a small test label on a printer (through the agent's
// queue, like every job), so the operator sees paper and head are right.
func (m *Model) TestPrint(ctx context.Context, printerName string) (apitype.Job, error) {
	l := m.L()
	zpl := "^XA^CI28^PW800^FO40,40^A0N,50,50^FD" + zplText(l.T("tray.test_print.label", "printer", printerName)) +
		"^FS^FO40,110^A0N,34,34^FD" + zplText(l.Time(m.opts.Now())) + "^FS^FO40,170^BY2^BCN,80,Y,N,N^FD" + zplText(m.opts.Now().Format("20060102150405")) + "^FS^XZ\n"
	res, err := m.client().Submit(ctx, apitype.SubmitRequest{Printer: printerName, Kind: apitype.KindZPL, Payload: []byte(zpl), Name: l.T("tray.test_print.name", "printer", printerName), Source: "tray"})
	if err != nil {
		return apitype.Job{}, err
	}
	m.Apply(apitype.Event{Type: apitype.EventJob, Job: &res.Job})
	return res.Job, nil
}

// zplText keeps a field's text from being read as ZPL commands.
func zplText(s string) string {
	return strings.NewReplacer("^", " ", "~", " ", "\n", " ", "\r", " ").Replace(s)
}

// DayEnd closes out today's shipments at DHL (and prints the manifest
// where a document printer is set up), then reloads the shipments.
func (m *Model) DayEnd(ctx context.Context) (apitype.DayEnd, error) {
	cl := m.client()
	d, err := cl.DayEnd(ctx, apitype.DayEndRequest{})
	if err != nil {
		return d, err
	}
	if ships, err := cl.Shipments(ctx, client.ShipmentsQuery{Day: "today", Limit: 500}); err == nil {
		m.mu.Lock()
		m.st.Shipments = ships
		m.recomputeLocked()
		m.mu.Unlock()
		m.changed()
	}
	return d, nil
}

var errNotRead = errors.New("not read")

// Refundable reports whether the operator may ask for a refund of p: paid
// and not refunded or asked for already.
func Refundable(p apitype.StampPurchase) bool {
	switch p.State {
	case "paid", "stored", "printed", "failed":
		return len(p.Vouchers) > 0
	}
	return false
}

// RefundStamps asks Deutsche Post to refund a purchase, then reloads the
// balance and the purchases.
func (m *Model) RefundStamps(ctx context.Context, id string) (apitype.StampPurchase, error) {
	p, err := m.client().RefundStamps(ctx, id)
	if err == nil {
		m.refreshSlow(ctx, false)
	}
	return p, err
}

// ReprintStamps prints a purchase's stamps again.
func (m *Model) ReprintStamps(ctx context.Context, id string) error {
	_, err := m.client().ReprintStamps(ctx, id)
	if err == nil {
		m.refreshSlow(ctx, false)
	}
	return err
}
