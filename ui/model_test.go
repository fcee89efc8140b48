package ui

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/printer"
)

var readAt = time.Date(2026, 11, 24, 14, 5, 0, 0, time.UTC)

func TestBalanceTextBothLanguages(t *testing.T) {
	b := Balance{Known: true, Value: apitype.StampBalance{Cents: 123456, At: readAt}}
	cases := []struct {
		lang i18n.Lang
		b    Balance
		want string
	}{
		{i18n.German, b, "Portokasse: 1.234,56 € (Stand 24.11.2026 14:05)"},
		{i18n.English, b, "Portokasse: €1,234.56 (as of 2026-11-24 14:05)"},
		{i18n.German, Balance{Known: true, Value: apitype.StampBalance{Cents: 95, At: readAt}}, "Portokasse: 0,95 € (Stand 24.11.2026 14:05)"},
		{i18n.German, Balance{Known: true, Value: apitype.StampBalance{Cents: 1234, At: readAt, LowBelowCents: 2000, Low: true}}, "Portokasse: 12,34 € (Stand 24.11.2026 14:05) – unter 20,00 €, bitte aufladen"},
		{i18n.English, Balance{Known: true, Value: apitype.StampBalance{Cents: 1234, At: readAt, LowBelowCents: 2000, Low: true}}, "Portokasse: €12.34 (as of 2026-11-24 14:05) – below €20.00, please top up"},
		{i18n.German, Balance{NotConfigured: true}, "Portokasse: nicht eingerichtet (kein INTERNETMARKE-Konto in der Konfiguration)"},
		{i18n.English, Balance{NotConfigured: true}, "Portokasse: not set up (no INTERNETMARKE account in the configuration)"},
		{i18n.English, Balance{}, "Portokasse: not read yet"},
		{i18n.German, Balance{Known: true, Value: apitype.StampBalance{Cents: 1000, At: readAt}, Err: &client.APIError{Status: 503, Message: "Deutsche Post antwortet nicht"}},
			"Portokasse: 10,00 € (Stand 24.11.2026 14:05; nicht aktualisierbar: Deutsche Post antwortet nicht)"},
	}
	for _, c := range cases {
		if got := BalanceText(i18n.For(c.lang), c.b); got != c.want {
			t.Errorf("%s: got %q, want %q", c.lang, got, c.want)
		}
	}
}

func TestErrorAndScanTexts(t *testing.T) {
	de, en := i18n.For(i18n.German), i18n.For(i18n.English)
	nr := &client.NotRunningError{Addr: "127.0.0.1:9180", Err: errors.New("connection refused")}
	if got := ErrorText(de, nr); got != "labelagent läuft nicht unter 127.0.0.1:9180. Bitte den labelagent-Dienst starten (oder „labelagent run“)." {
		t.Errorf("not running, German: %q", got)
	}
	if got := ErrorText(en, nr); !strings.HasPrefix(got, "labelagent is not running at 127.0.0.1:9180.") {
		t.Errorf("not running, English: %q", got)
	}
	failed := apitype.Job{ID: "j1", Name: "ORD-7", State: apitype.StateFailed, LastError: "dial tcp 10.0.0.9:9100: connection refused"}
	if got := JobErrorText(de, failed); got != "ORD-7 wurde nicht gedruckt: dial tcp 10.0.0.9:9100: connection refused" {
		t.Errorf("failed job, German: %q", got)
	}
	// Text from outside cannot steer a terminal or flip the line.
	evil := apitype.Job{ID: "j2", Name: "A\u202eB\x1b[31m", State: apitype.StateFailed}
	if got := JobErrorText(en, evil); strings.ContainsAny(got, "\u202e\x1b") {
		t.Errorf("control characters reached the screen: %q", got)
	}
	waiting := apitype.Job{ID: "j3", Name: "ORD-8", State: apitype.StateQueued, Printer: "zebra", Created: readAt,
		Wait: &apitype.WaitReason{Code: apitype.WaitPaperOut, Printer: "zebra"}}
	if got := JobLine(de, waiting); got != "ORD-8 – wartet auf zebra, 24.11.2026 14:05 – "+de.T("wait.paper_out", "printer", "zebra") {
		t.Errorf("waiting job, German: %q", got)
	}

	scans := []struct {
		lang    i18n.Lang
		s       ScanOutcome
		want    string
		reprint bool
	}{
		{i18n.English, ScanOutcome{Result: apitype.ScanResult{Code: "4711", OrderRef: "4711", Outcome: apitype.ScanPrinted, Printer: "zebra", Tracking: "00340434161094042557"}},
			"Order 4711: label printed on zebra, tracking 00340434161094042557.", false},
		{i18n.German, ScanOutcome{Result: apitype.ScanResult{Code: "4711", OrderRef: "4711", Outcome: apitype.ScanAlreadyShipped, Labels: []apitype.OrderShipment{{Tracking: "00340434161094042557"}}}},
			"Bestellung 4711 ist schon versandt (Sendungsnummer 00340434161094042557). Etikett noch einmal drucken?", true},
		{i18n.German, ScanOutcome{Result: apitype.ScanResult{Code: "4712", OrderRef: "4712", Outcome: apitype.ScanRefused, Message: "Die Postleitzahl passt nicht zum Ort."}},
			"Bestellung 4712: kein Etikett – Die Postleitzahl passt nicht zum Ort.", false},
		{i18n.English, ScanOutcome{Code: "9999", Err: &client.APIError{Status: 404, Message: "no order 9999"}},
			"Scan 9999: no order 9999", false},
	}
	for _, c := range scans {
		got, reprint := ScanText(i18n.For(c.lang), c.s)
		if got != c.want || reprint != c.reprint {
			t.Errorf("%s %s: got %q (reprint %v), want %q (reprint %v)", c.lang, c.s.Result.Outcome, got, reprint, c.want, c.reprint)
		}
	}
}

func TestFilterJobs(t *testing.T) {
	jobs := []apitype.Job{
		{ID: "a", Name: "ORD-1001", State: apitype.StateDone},
		{ID: "b", Name: "ORD-1002", State: apitype.StateFailed},
		{ID: "c", Name: "Retoure 1001", State: apitype.StateFailed},
	}
	ids := func(js []apitype.Job) string {
		var s []string
		for _, j := range js {
			s = append(s, j.ID)
		}
		return strings.Join(s, ",")
	}
	for _, c := range []struct {
		state apitype.JobState
		q     string
		want  string
	}{
		{"", "", "a,b,c"},
		{apitype.StateFailed, "", "b,c"},
		{"", "1001", "a,c"},
		{apitype.StateFailed, "ord", "b"},
		{apitype.StateDone, "retoure", ""},
	} {
		if got := ids(FilterJobs(jobs, c.state, c.q)); got != c.want {
			t.Errorf("filter %q %q: got %q, want %q", c.state, c.q, got, c.want)
		}
	}
}

type notices struct {
	mu sync.Mutex
	n  []Notice
}

func (n *notices) add(x Notice) { n.mu.Lock(); n.n = append(n.n, x); n.mu.Unlock() }
func (n *notices) kinds() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var s []string
	for _, x := range n.n {
		s = append(s, x.Kind)
	}
	return strings.Join(s, ",")
}

func runModel(t *testing.T, o Options) (*Model, *notices) {
	t.Helper()
	o.Key = fakeKey
	if o.Poll == 0 {
		o.Poll = 20 * time.Millisecond
	}
	o.Retry = 20 * time.Millisecond
	m := NewModel(o)
	n := &notices{}
	m.OnNotice(n.add)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return m, n
}

func TestJobListFollowsEvents(t *testing.T) {
	f := newFakeAgent(t, "")
	f.jobs = []apitype.Job{{ID: "old", Name: "ORD-1", State: apitype.StateDone, Created: readAt}}
	f.printers = []apitype.Printer{{Name: "desk", Status: printer.Status{State: printer.StateReady}}}
	f.balance = &apitype.StampBalance{Cents: 5000, At: readAt}
	f.lowBelow = 1000
	m, n := runModel(t, Options{Addr: f.addr(), Lang: i18n.German})
	waitFor(t, "the first load", func() bool { st := m.State(); return st.Overall == Ready && st.Balance.Known && f.streamCount() == 1 })
	if st := m.State(); len(st.Jobs) != 1 || !st.Balance.Known || st.Balance.Value.Cents != 5000 {
		t.Fatalf("after the load: %+v", st)
	}

	j := apitype.Job{ID: "new", Name: "ORD-2", State: apitype.StatePrinting, Printer: "desk", Created: readAt.Add(time.Minute)}
	f.emit(apitype.Event{Type: apitype.EventJob, Job: &j})
	waitFor(t, "the printing job", func() bool { st := m.State(); return len(st.Jobs) == 2 && st.Overall == Printing })
	if st := m.State(); st.Jobs[0].ID != "new" {
		t.Errorf("newest job not first: %v", st.Jobs)
	}
	j.State = apitype.StateFailed
	j.LastError = "printer unreachable"
	f.emit(apitype.Event{Type: apitype.EventJob, Job: &j})
	waitFor(t, "the failed job", func() bool { return m.State().Overall == Attention })
	waitFor(t, "the notice", func() bool { return n.kinds() == "failed_job" })
	if got := m.State().Jobs[0]; got.State != apitype.StateFailed {
		t.Errorf("job state %s, want failed", got.State)
	}
	// The same failure again is not a second notification.
	f.emit(apitype.Event{Type: apitype.EventJob, Job: &j})

	// Reprint: the agent queues it again; the list shows it waiting.
	f.mu.Lock()
	f.jobs = append(f.jobs, j)
	f.mu.Unlock()
	if err := m.Reprint(context.Background(), "new"); err != nil {
		t.Fatal(err)
	}
	if st := m.State(); st.Jobs[0].State != apitype.StateQueued || st.Overall != Printing {
		t.Errorf("after reprint: %s, overall %v", st.Jobs[0].State, st.Overall)
	}

	p := apitype.Printer{Name: "desk", Status: printer.Status{State: printer.StateHeadOpen, Problems: []printer.State{printer.StateHeadOpen, printer.StatePaperOut}}}
	f.emit(apitype.Event{Type: apitype.EventPrinter, Printer: &p})
	waitFor(t, "the printer notices", func() bool { return n.kinds() == "failed_job,printer,printer" })

	// The balance drops below the threshold: one notice, not one per poll.
	f.mu.Lock()
	f.balance = &apitype.StampBalance{Cents: 800, At: readAt.Add(time.Hour)}
	f.mu.Unlock()
	waitFor(t, "the low-balance notice", func() bool { return strings.HasSuffix(n.kinds(), "low_balance") })
	time.Sleep(100 * time.Millisecond)
	if k := n.kinds(); k != "failed_job,printer,printer,low_balance" {
		t.Errorf("notices: %s", k)
	}
	if got := BalanceText(m.L(), m.State().Balance); got != "Portokasse: 8,00 € (Stand 24.11.2026 15:05) – unter 10,00 €, bitte aufladen" {
		t.Errorf("balance: %q", got)
	}
}

func TestApprovalFlow(t *testing.T) {
	f := newFakeAgent(t, "")
	asked := readAt
	f.origins = []apitype.Origin{
		{Origin: "https://shop.example", State: apitype.OriginPending, App: "Shopware", Code: "4821", Requested: &asked},
		{Origin: "https://old.example", State: apitype.OriginApproved},
	}
	m, n := runModel(t, Options{Addr: f.addr(), Lang: i18n.English})
	waitFor(t, "the pairing request", func() bool { return len(m.State().Pairing) == 1 })
	if st := m.State(); st.Overall != Attention || st.Pairing[0].Origin != "https://shop.example" {
		t.Fatalf("state: %+v", st)
	}
	waitFor(t, "the pairing notice", func() bool { return n.kinds() == "pairing" })
	if got := PairingLine(m.L(), m.State().Pairing[0]); got != "https://shop.example (Shopware) asks to print – code 4821, 2026-11-24 14:05" {
		t.Errorf("pairing line: %q", got)
	}
	if err := m.Approve(context.Background(), "https://shop.example", []string{apitype.ScopeShipping}); err != nil {
		t.Fatal(err)
	}
	if st := m.State(); len(st.Pairing) != 0 || st.Overall != Ready {
		t.Errorf("after approving: pairing %v, overall %v", st.Pairing, st.Overall)
	}
	f.mu.Lock()
	got := strings.Join(f.decisions, ";")
	f.mu.Unlock()
	if got != "approved https://shop.example shipping" {
		t.Errorf("the agent got %q", got)
	}
	err := m.Deny(context.Background(), "https://nobody.example")
	if err == nil || ErrorText(m.L(), err) != "no such origin" {
		t.Errorf("denying an unknown origin: %v", err)
	}
	if k := n.kinds(); k != "pairing" {
		t.Errorf("notices: %s", k)
	}
}

func TestScanThroughTheAgent(t *testing.T) {
	f := newFakeAgent(t, "")
	f.scanResult = apitype.ScanResult{OrderRef: "4711", Outcome: apitype.ScanAlreadyShipped, Tracking: "00340434161094042557", Printer: "desk"}
	m, _ := runModel(t, Options{Addr: f.addr(), Lang: i18n.German})
	out := m.Scan(context.Background(), " 4711\n", false)
	text, reprint := ScanText(m.L(), out)
	if !reprint || !strings.Contains(text, "schon versandt") {
		t.Fatalf("scan: %q reprint %v", text, reprint)
	}
	out = m.Scan(context.Background(), out.Code, true)
	if text, _ := ScanText(m.L(), out); text != "Bestellung 4711: Etikett erneut auf desk gedruckt." {
		t.Errorf("reprint: %q", text)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.scans) != 2 || f.scans[0].Code != "4711" || f.scans[0].Reprint || !f.scans[1].Reprint {
		t.Errorf("the agent got %+v", f.scans)
	}
}

func TestStoppedRestartedUnreachable(t *testing.T) {
	f := newFakeAgent(t, "")
	addr := f.addr()
	f.jobs = []apitype.Job{{ID: "j1", Name: "ORD-1", State: apitype.StateDone, Created: readAt}}
	m, _ := runModel(t, Options{Addr: addr, Lang: i18n.English})
	waitFor(t, "the first load", func() bool { st := m.State(); return st.Overall == Ready && st.Balance.NotConfigured })
	if !m.State().Balance.NotConfigured {
		t.Errorf("balance without INTERNETMARKE: %+v", m.State().Balance)
	}

	f.stop()
	waitFor(t, "service not running", func() bool { return m.State().Overall == NotRunning })
	st := m.State()
	var nr *client.NotRunningError
	if !errors.As(st.ConnErr, &nr) {
		// The stream ends first (EOF), the reconnect is then refused.
		waitFor(t, "a refused reconnect", func() bool { return errors.As(m.State().ConnErr, &nr) })
	}
	if got := OverallText(i18n.For(i18n.German), m.State().Overall); got != "Dienst läuft nicht" {
		t.Errorf("overall: %q", got)
	}
	if len(m.State().Jobs) != 1 {
		t.Errorf("the last known jobs are kept while the service is down")
	}

	// The service comes back on the same address with new jobs.
	g := newFakeAgent(t, addr)
	g.jobs = []apitype.Job{{ID: "j2", Name: "ORD-2", State: apitype.StateDone, Created: readAt}, {ID: "j1", Name: "ORD-1", State: apitype.StateDone, Created: readAt.Add(-time.Minute)}}
	waitFor(t, "the reconnect", func() bool { st := m.State(); return st.Overall == Ready && len(st.Jobs) == 2 && g.streamCount() == 1 })
	j := apitype.Job{ID: "j3", Name: "ORD-3", State: apitype.StateQueued, Created: readAt.Add(time.Hour)}
	g.emit(apitype.Event{Type: apitype.EventJob, Job: &j})
	waitFor(t, "an event after the reconnect", func() bool { return len(m.State().Jobs) == 3 })

	// A wrong key is not "not running": the operator is told why.
	bad := NewModel(Options{Addr: addr, Key: "wrong", Lang: i18n.English})
	err := bad.Reload(context.Background())
	if err == nil || ErrorText(bad.L(), err) != "wrong API key" {
		t.Errorf("wrong key: %v", err)
	}
}

func TestShipmentLine(t *testing.T) {
	s := apitype.Shipment{ID: "s1", OrderRef: "4711", ShipmentNo: "00340434161094042557", State: apitype.ShipmentCreated, Recipient: "Erika Mustermann"}
	if got := ShipmentLine(i18n.For(i18n.German), s); got != "4711 – 00340434161094042557 – angelegt – Erika Mustermann" {
		t.Errorf("German: %q", got)
	}
	s.State = apitype.ShipmentUnknown
	if got := ShipmentLine(i18n.For(i18n.English), s); got != "4711 – 00340434161094042557 – outcome unknown – check – Erika Mustermann" {
		t.Errorf("English: %q", got)
	}
}

func TestTestPrintAndDayEnd(t *testing.T) {
	f := newFakeAgent(t, "")
	f.ships = []apitype.Shipment{{ID: "s1", OrderRef: "4711", State: apitype.ShipmentCreated}, {ID: "s2", OrderRef: "4712", State: apitype.ShipmentCreated}}
	m, _ := runModel(t, Options{Addr: f.addr(), Lang: i18n.German})
	waitFor(t, "the first load", func() bool { return len(m.State().Shipments) == 2 })
	j, err := m.TestPrint(context.Background(), "desk^XZ")
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	payload, sub := f.payloads[0], f.submitted[0]
	f.mu.Unlock()
	if sub.Printer != "desk^XZ" || sub.Kind != apitype.KindZPL || sub.Name != "Testetikett desk^XZ" || sub.Source != "tray" {
		t.Errorf("submitted %+v", sub)
	}
	// A printer name cannot end the label early.
	if strings.Count(payload, "^XZ") != 1 || !strings.Contains(payload, "labelagent Testetikett – desk XZ") {
		t.Errorf("test label: %q", payload)
	}
	if m.State().Jobs[0].ID != j.ID {
		t.Errorf("the test job is not listed first")
	}

	d, err := m.DayEnd(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := DayEndText(m.L(), d); got != "Tagesabschluss erledigt: 2 Sendungen an DHL übergeben. Die Einlieferungsliste ist gespeichert; zum Drucken ist kein Dokumentdrucker eingerichtet." {
		t.Errorf("German: %q", got)
	}
	if st := m.State(); st.Shipments[0].State != apitype.ShipmentClosed {
		t.Errorf("shipments not reloaded: %s", st.Shipments[0].State)
	}
	d = apitype.DayEnd{Closed: []string{"s1"}, NotAtDHL: []apitype.DayEndOrphan{{ShipmentNo: "1"}}, PrintError: "paper out"}
	if got := DayEndText(i18n.For(i18n.English), d); got != "Day closed out: 1 shipment handed over to DHL. 1 shipment is not known at DHL – please check. The manifest was not printed: paper out" {
		t.Errorf("English: %q", got)
	}
}

func TestPurchasesAndRefund(t *testing.T) {
	f := newFakeAgent(t, "")
	f.balance = &apitype.StampBalance{Cents: 2000, At: readAt}
	f.purchases = []apitype.StampPurchase{{ID: "p1", State: "printed", ProductName: "Standardbrief", Quantity: 2, TotalCents: 190, Created: readAt, Vouchers: []apitype.StampVoucher{{VoucherID: "A"}, {VoucherID: "B"}}}}
	m, _ := runModel(t, Options{Addr: f.addr(), Lang: i18n.German})
	waitFor(t, "the purchases", func() bool { return len(m.State().Purchases) == 1 })
	p := m.State().Purchases[0]
	if got := PurchaseLine(m.L(), p); got != "24.11.2026 14:05 – 2 × Standardbrief – 1,90 € – gedruckt" {
		t.Errorf("German: %q", got)
	}
	if !Refundable(p) {
		t.Errorf("a printed purchase can be refunded")
	}
	if _, err := m.RefundStamps(context.Background(), "p1"); err != nil {
		t.Fatal(err)
	}
	p = m.State().Purchases[0]
	if got := PurchaseLine(i18n.For(i18n.English), p); got != "2026-11-24 14:05 – 2 × Standardbrief – €1.90 – refund requested" || Refundable(p) {
		t.Errorf("after the refund: %q (refundable %v)", got, Refundable(p))
	}
}
