package ui

import (
	"errors"
	"strings"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/printer"
)

// The words the tray shows, worked out from the state: kept apart from the
// widgets so tests read them without a display.

// OverallText is the one line the tray icon's tooltip and the window's
// header show.
func OverallText(l *i18n.Localizer, o Overall) string {
	switch o {
	case Ready:
		return l.T("tray.overall.ready")
	case Printing:
		return l.T("tray.overall.printing")
	case Attention:
		return l.T("tray.overall.attention")
	case NotRunning:
		return l.T("tray.overall.not_running")
	}
	return l.T("tray.overall.connecting")
}

// JobStateText names a job's state.
func JobStateText(l *i18n.Localizer, s apitype.JobState) string {
	switch s {
	case apitype.StateQueued:
		return l.T("tray.job.queued")
	case apitype.StatePreparing:
		return l.T("tray.job.preparing")
	case apitype.StatePrinting:
		return l.T("tray.job.printing")
	case apitype.StateDone:
		return l.T("tray.job.done")
	case apitype.StateFailed:
		return l.T("tray.job.failed")
	case apitype.StateCancelled:
		return l.T("tray.job.cancelled")
	}
	return string(s)
}

// JobStates lists the states the job filter offers, in their order.
func JobStates() []apitype.JobState {
	return []apitype.JobState{apitype.StateQueued, apitype.StatePreparing, apitype.StatePrinting, apitype.StateDone, apitype.StateFailed, apitype.StateCancelled}
}

// JobTitle is what the operator calls a job: its name (an order number)
// or, without one, its id.
func JobTitle(j apitype.Job) string {
	if j.Name != "" {
		return apitype.Printable(j.Name)
	}
	return j.ID
}

// JobLine is one line of the job list: title, state, printer, time, and
// why it waits.
func JobLine(l *i18n.Localizer, j apitype.Job) string {
	s := l.T("tray.job.line", "title", JobTitle(j), "state", JobStateText(l, j.State), "printer", apitype.Printable(j.Printer), "time", l.Time(j.Created))
	if j.Wait != nil && !j.State.Terminal() {
		s += " – " + WaitText(l, *j.Wait)
	}
	return s
}

// WaitText says why a job waits, in the catalog's words for the code.
func WaitText(l *i18n.Localizer, w apitype.WaitReason) string {
	switch w.Code {
	case apitype.WaitPaused, apitype.WaitPaperOut, apitype.WaitHeadOpen, apitype.WaitRibbonOut,
		apitype.WaitPrinterError, apitype.WaitUnreachable, apitype.WaitBehind, apitype.WaitPreparingRenderer:
		return l.T("wait."+w.Code, "printer", apitype.Printable(w.Printer), "detail", apitype.Printable(w.Detail), "ahead", w.Ahead)
	}
	return l.T("tray.wait.other", "code", w.Code, "detail", apitype.Printable(w.Detail))
}

// JobErrorText words a failed job's error plainly: what failed and the
// agent's own words.
func JobErrorText(l *i18n.Localizer, j apitype.Job) string {
	if j.LastError == "" {
		return l.T("tray.job.failed_no_reason", "title", JobTitle(j))
	}
	return l.T("tray.job.failed_reason", "title", JobTitle(j), "error", apitype.Printable(j.LastError))
}

// PrinterStateText names a printer state.
func PrinterStateText(l *i18n.Localizer, s printer.State) string {
	switch s {
	case printer.StateReady, printer.StatePaperOut, printer.StateRibbonOut, printer.StateHeadOpen,
		printer.StatePaused, printer.StateBufferFull, printer.StateOffline, printer.StateUnknown:
		return l.T("cli.printer_state." + string(s))
	case "":
		return l.T("cli.printer_state.unknown")
	}
	return string(s)
}

// PrinterLine is one line of the printer panel and menu.
func PrinterLine(l *i18n.Localizer, p apitype.Printer) string {
	st := PrinterStateText(l, p.Status.State)
	if p.Paused && p.Status.State != printer.StatePaused {
		st = l.T("tray.printer.paused_by_operator", "state", st)
	}
	s := l.T("tray.printer.line", "printer", apitype.Printable(p.Name), "state", st)
	if p.Queued > 0 {
		s += " – " + l.N("tray.printer.queued", p.Queued)
	}
	if p.Status.Detail != "" && !p.Status.CanPrint() {
		s += " (" + apitype.Printable(p.Status.Detail) + ")"
	}
	return s
}

// BalanceText is the Portokasse line: the balance with the time it was
// read, "not configured", or why it could not be read.
func BalanceText(l *i18n.Localizer, b Balance) string {
	switch {
	case b.NotConfigured:
		return l.T("tray.balance.not_configured")
	case b.Known && b.Err != nil:
		return l.T("tray.balance.stale", "balance", l.Money(int64(b.Value.Cents)), "time", l.Time(b.Value.At), "error", ErrorText(l, b.Err))
	case b.Known && b.Value.Low:
		return l.T("tray.balance.line", "balance", l.Money(int64(b.Value.Cents)), "time", l.Time(b.Value.At)) +
			" – " + l.T("tray.balance.low", "threshold", l.Money(int64(b.Value.LowBelowCents)))
	case b.Known:
		return l.T("tray.balance.line", "balance", l.Money(int64(b.Value.Cents)), "time", l.Time(b.Value.At))
	case b.Err != nil:
		return l.T("tray.balance.unreadable", "error", ErrorText(l, b.Err))
	}
	return l.T("tray.balance.unknown")
}

// ShipmentLine is one line of the day's shipments.
func ShipmentLine(l *i18n.Localizer, s apitype.Shipment) string {
	ref := s.OrderRef
	if ref == "" {
		ref = s.ID
	}
	no := s.ShipmentNo
	if no == "" {
		no = "–"
	}
	line := l.T("tray.shipment.line", "order", apitype.Printable(ref), "number", no, "state", ShipmentStateText(l, s.State), "recipient", apitype.Printable(s.Recipient))
	if s.Tracking != nil && s.Tracking.Status != "" {
		line += " – " + apitype.Printable(s.Tracking.Status)
	}
	if s.Action != "" {
		line += " – " + apitype.Printable(s.Action)
	}
	return line
}

// ShipmentStateText names a shipment's state.
func ShipmentStateText(l *i18n.Localizer, s apitype.ShipmentState) string {
	switch s {
	case apitype.ShipmentRequested, apitype.ShipmentUnknown, apitype.ShipmentFailed, apitype.ShipmentCreated, apitype.ShipmentCancelled, apitype.ShipmentClosed:
		return l.T("tray.shipment_state." + string(s))
	}
	return string(s)
}

// PairingLine describes a page asking to pair.
func PairingLine(l *i18n.Localizer, o apitype.Origin) string {
	app := o.App
	if app == "" {
		app = "–"
	}
	var at string
	if o.Requested != nil {
		at = l.Time(*o.Requested)
	}
	return l.T("tray.pairing.line", "origin", apitype.Printable(o.Origin), "app", apitype.Printable(app), "code", apitype.Printable(o.Code), "time", at)
}

// ScanText says what a scan did, and ShowReprint whether the operator is
// offered to print the earlier label again.
func ScanText(l *i18n.Localizer, s ScanOutcome) (text string, offerReprint bool) {
	if s.Err != nil {
		return l.T("tray.scan.error", "code", apitype.Printable(s.Code), "error", ErrorText(l, s.Err)), false
	}
	r := s.Result
	order := apitype.Printable(r.OrderRef)
	if order == "" {
		order = apitype.Printable(r.Code)
	}
	switch r.Outcome {
	case apitype.ScanPrinted:
		return l.T("tray.scan.printed", "order", order, "tracking", r.Tracking, "printer", apitype.Printable(r.Printer)), false
	case apitype.ScanReprinted:
		return l.T("tray.scan.reprinted", "order", order, "printer", apitype.Printable(r.Printer)), false
	case apitype.ScanAlreadyShipped:
		tr := r.Tracking
		if tr == "" && len(r.Labels) > 0 {
			tr = r.Labels[len(r.Labels)-1].Tracking
		}
		return l.T("tray.scan.already_shipped", "order", order, "tracking", tr), true
	case apitype.ScanNeedsPayment:
		return l.T("tray.scan.needs_payment", "order", order, "url", r.PaymentURL), false
	case apitype.ScanRefused:
		return l.T("tray.scan.refused", "order", order, "reason", apitype.Printable(r.Message)), false
	case apitype.ScanUnknown:
		return l.T("tray.scan.unknown", "order", order, "reason", apitype.Printable(r.Message)), false
	}
	return l.T("tray.scan.other", "order", order, "outcome", apitype.Printable(r.Outcome), "reason", apitype.Printable(r.Message)), false
}

// ErrorText words an error from talking to the agent for the operator.
func ErrorText(l *i18n.Localizer, err error) string {
	if err == nil {
		return ""
	}
	var nr *client.NotRunningError
	if errors.As(err, &nr) {
		return l.T("tray.error.not_running", "addr", nr.Addr)
	}
	var ae *client.APIError
	if errors.As(err, &ae) {
		// The agent words its answers in the language the client asked for.
		return strings.TrimSpace(ae.Message)
	}
	if strings.Contains(err.Error(), "cannot authenticate") {
		return l.T("tray.error.no_key", "error", err.Error())
	}
	return l.T("tray.error.other", "error", err.Error())
}

// DayEndText sums up a closeout: how many shipments DHL closed out, what
// does not match, and where the manifest went.
func DayEndText(l *i18n.Localizer, d apitype.DayEnd) string {
	s := l.N("tray.dayend.closed", len(d.Closed))
	if n := len(d.NotAtDHL); n > 0 {
		s += " " + l.N("tray.dayend.not_at_dhl", n)
	}
	if n := len(d.Unknown); n > 0 {
		s += " " + l.N("tray.dayend.unknown", n)
	}
	if n := len(d.Orphans); n > 0 {
		s += " " + l.N("tray.dayend.orphans", n)
	}
	switch {
	case d.PrintError != "":
		s += " " + l.T("tray.dayend.print_error", "error", apitype.Printable(d.PrintError))
	case d.NoDocumentPrinter:
		s += " " + l.T("tray.dayend.no_document_printer")
	case d.PrintJob != "":
		s += " " + l.T("tray.dayend.printed")
	}
	return s
}

// PurchaseLine is one INTERNETMARKE purchase: when, what, how much, where
// it stands.
func PurchaseLine(l *i18n.Localizer, p apitype.StampPurchase) string {
	state := p.State
	switch p.State {
	case "intent", "ordered", "paid", "stored", "printing", "printed", "failed", "refund_requested", "refunded":
		state = l.T("tray.purchase_state." + p.State)
	}
	s := l.T("tray.purchase.line", "time", l.Time(p.Created), "quantity", p.Quantity, "product", apitype.Printable(p.ProductName), "total", l.Money(int64(p.TotalCents)), "state", state)
	if p.Error != "" {
		s += " – " + apitype.Printable(p.Error)
	} else if p.PrintError != "" {
		s += " – " + apitype.Printable(p.PrintError)
	}
	return s
}
