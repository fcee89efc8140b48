package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/printer/emulator"
)

// simShipment is what GET /_sim/shipments says DHL created.
type simShipment struct {
	No         string `json:"shipmentNo"`
	RefNo      string `json:"refNo"`
	Cancelled  bool   `json:"cancelled"`
	Manifested bool   `json:"manifested"`
}

func simShipments(t *testing.T, base, ref string) []simShipment {
	t.Helper()
	resp, err := http.Get(base + "/_sim/shipments")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var all []simShipment
	if err := json.NewDecoder(resp.Body).Decode(&all); err != nil {
		t.Fatal(err)
	}
	var out []simShipment
	for _, s := range all {
		if ref == "" || s.RefNo == ref {
			out = append(out, s)
		}
	}
	return out
}

func simFault(t *testing.T, base, body string) {
	t.Helper()
	resp, err := http.Post(base+"/_sim/faults", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("fault %s: %s", body, resp.Status)
	}
}

// labelsWith counts the complete labels the printer emulator printed that
// carry text.
func labelsWith(em *emulator.Emulator, text string) int {
	n := 0
	for _, l := range em.Labels() {
		if bytes.Contains(l.Data, []byte(text)) {
			n++
		}
	}
	return n
}

// labelPrintedOnce waits for the label of shipment number no and checks that it
// came out exactly once (also a moment later).
func labelPrintedOnce(t *testing.T, em *emulator.Emulator, no string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for labelsWith(em, no) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the label of %s was not printed", no)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if n := labelsWith(em, no); n != 1 {
		t.Fatalf("the label of %s was printed %d times", no, n)
	}
}

var reShipmentNo = regexp.MustCompile(`\b(\d{20})\b`)

func recipient(ref string) []string {
	return []string{"ship", "--ref", ref, "--name", "Maria Musterfrau", "--street", "Kurfürstendamm 1", "--postal-code", "10719", "--city", "Berlin", "--weight", "1,2"}
}

// TestShipmentsEndToEnd runs the real binary against `labelagent simulate`
// and a printer emulator: a label is printed once, the same order gets the
// same shipment, the agent is killed with SIGKILL at every step of a
// shipment and while printing, a lost answer is "unknown" and named by the
// day's end, and the day's end stores the manifest and the CSV.
func TestShipmentsEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end shipment test skipped in -short mode")
	}
	base, carriers := startSimulator(t)
	em := emulator.New(emulator.Options{})
	defer em.Close()
	addr, err := em.ListenTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := newE2E(t, fmt.Sprintf("  - name: zebra\n    transport: tcp\n    tcp: {address: %q}\n", addr.String()))
	cfg, _ := os.ReadFile(e.cfgPath)
	cfg = append(cfg, []byte(carriers)...)
	cfg = append(cfg, []byte("shipments:\n  printer: zebra\n  document_printer: desk\n  postage:\n    V01PAK: \"4,99\"\n")...)
	if err := os.WriteFile(e.cfgPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) (string, int) {
		t.Helper()
		return e.cli(append([]string{"--config", e.cfgPath, "--lang", "en"}, args...)...)
	}
	e.start()

	// Create → printed once; the same order again → the same shipment.
	out, code := cli(recipient("order-e2e-0001")...)
	m := reShipmentNo.FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("ship: exit %d\n%s", code, out)
	}
	no := m[1]
	labelPrintedOnce(t, em, no)
	out, code = cli(recipient("order-e2e-0001")...)
	if code != 0 || !strings.Contains(out, no) || !strings.Contains(out, "nothing was sent") {
		t.Fatalf("same order again: exit %d\n%s", code, out)
	}
	if n := len(simShipments(t, base, "order-e2e-0001")); n != 1 {
		t.Fatalf("DHL has %d shipments for one order", n)
	}
	labelPrintedOnce(t, em, no)

	// kill -9 at every step of a shipment; after the restart the shop sends
	// the same order again.
	for _, step := range []string{"intent", "answered", "stored", "printing"} {
		ref := "order-crash-" + step
		e.kill() // nothing is in flight
		e.env = []string{"LABELAGENT_CRASH_AT=" + step}
		e.start()
		if out, code := cli(recipient(ref)...); code == 0 {
			t.Fatalf("%s: the agent did not die:\n%s", step, out)
		}
		select {
		case <-e.proc.exited:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: the agent did not stop", step)
		}
		e.proc, e.env = nil, nil
		e.start()
		out, code := cli(recipient(ref)...)
		dhl := simShipments(t, base, ref)
		if len(dhl) > 1 {
			t.Fatalf("%s: DHL has %d shipments for one order", step, len(dhl))
		}
		switch step {
		case "intent":
			if len(dhl) != 0 || code != 3 || !strings.Contains(out, "OUTCOME UNKNOWN") {
				t.Fatalf("%s: DHL has %d, exit %d\n%s", step, len(dhl), code, out)
			}
			if out, code := cli("ship", "resolve", ref, "--not-created"); code != 0 {
				t.Fatalf("resolve --not-created: exit %d\n%s", code, out)
			}
			out, code = cli(recipient(ref)...)
			m := reShipmentNo.FindStringSubmatch(out)
			if code != 0 || m == nil {
				t.Fatalf("shipping again: exit %d\n%s", code, out)
			}
			labelPrintedOnce(t, em, m[1])
		case "answered":
			// DHL created it, the answer died with the agent: unknown, never
			// re-sent; the operator finds it in the portal and resolves it.
			if len(dhl) != 1 || code != 3 || !strings.Contains(out, "OUTCOME UNKNOWN") || labelsWith(em, dhl[0].No) != 0 {
				t.Fatalf("%s: DHL has %d, exit %d\n%s", step, len(dhl), code, out)
			}
			if out, code := cli("ship", "resolve", ref, "--shipment-number", dhl[0].No); code != 0 {
				t.Fatalf("resolve: exit %d\n%s", code, out)
			}
			labelPrintedOnce(t, em, dhl[0].No)
		default:
			if len(dhl) != 1 || code != 0 || !strings.Contains(out, dhl[0].No) {
				t.Fatalf("%s: DHL has %d, exit %d\n%s", step, len(dhl), code, out)
			}
			labelPrintedOnce(t, em, dhl[0].No)
		}
	}

	// kill -9 while the label waits at a paused printer: printed once after the restart.
	em.SetPaused(true)
	// The worker asks the printer's status before a job unless the printer
	// confirmed one within 250 ms: let that pass, so it learns of the pause.
	time.Sleep(400 * time.Millisecond)
	before := em.Received()
	out, code = cli(recipient("order-crash-held")...)
	m = reShipmentNo.FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("ship: exit %d\n%s", code, out)
	}
	held, err := e.cl.Shipment(context.Background(), "order-crash-held")
	if err != nil || len(held.Prints) != 1 {
		t.Fatalf("held shipment: %v %+v", err, held)
	}
	time.Sleep(300 * time.Millisecond)
	if j, err := e.cl.Job(context.Background(), held.Prints[0].JobID); err != nil || j.State != apitype.StateQueued || em.Received()-before >= j.PayloadSize {
		t.Fatalf("the label was not held at the paused printer: %v %+v (%d bytes reached the printer: status queries only, not the label)", err, j, em.Received()-before)
	}
	e.kill()
	e.start()
	em.SetPaused(false)
	labelPrintedOnce(t, em, m[1])

	// kill -9 while the label's bytes are on their way to the printer: the
	// job's record says sending began and what the printer's label counter
	// read before it, so the restarted agent asks the printer (the bytes
	// the dead process's socket still held may have completed the label)
	// and sends the label again only if the counter did not move. Exactly
	// once, whichever way the transfer ended.
	em.SetBytesPerSecond(400)
	received := em.Received()
	out, code = cli(recipient("order-crash-midprint")...)
	m = reShipmentNo.FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("ship: exit %d\n%s", code, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	if err := em.WaitReceived(ctx, received+200); err != nil {
		t.Fatal(err)
	}
	cancel()
	e.kill()
	em.SetBytesPerSecond(0)
	e.start()
	labelPrintedOnce(t, em, m[1])
	mid, err := e.cl.Shipment(context.Background(), "order-crash-midprint")
	if err != nil || len(mid.Prints) != 1 {
		t.Fatalf("shipment after the kill: %v %+v", err, mid)
	}
	job := waitJobDone(t, e, mid.Prints[0].JobID)
	if !jobHistorySays(job, "stopped while sending this job") {
		t.Errorf("the job's history does not show the resumed send: %+v", job.History)
	}
	t.Logf("killed mid-transfer: %s", job.History[len(job.History)-1].Note)

	// A lost answer: unknown, and the day's end names the orphan.
	simFault(t, base, `{"method":"POST","path":"/parcel/de/shipping/v2/orders","drop":true}`)
	out, code = cli(recipient("order-lost-0001")...)
	if code != 3 || !strings.Contains(out, "resolve") {
		t.Fatalf("lost answer: exit %d\n%s", code, out)
	}
	lost := simShipments(t, base, "order-lost-0001")
	if len(lost) != 1 {
		t.Fatalf("DHL has %d shipments for the lost order", len(lost))
	}
	// 401 and 5xx on a create: not created / unknown, said so.
	simFault(t, base, `{"method":"POST","path":"/parcel/de/shipping/v2/orders","status":401,"times":2}`)
	if out, code := cli(recipient("order-401-0001")...); code != 2 || !strings.Contains(out, "401") {
		t.Fatalf("401: exit %d\n%s", code, out)
	}
	if out, code := cli(recipient("order-401-0001")...); code != 0 {
		t.Fatalf("after the 401 passed, the same order: exit %d\n%s", code, out)
	}

	dir := t.TempDir()
	manifest, list := filepath.Join(dir, "manifest.pdf"), filepath.Join(dir, "day.csv")
	out, code = cli("--json", "dayend", "-o", manifest, "--csv", list)
	if code != 0 {
		t.Fatalf("dayend: exit %d\n%s", code, out)
	}
	var de apitype.DayEnd
	if err := json.Unmarshal([]byte(out), &de); err != nil {
		t.Fatalf("dayend --json: %v\n%s", err, out)
	}
	if len(de.Orphans) != 1 || de.Orphans[0].ShipmentNo != lost[0].No || len(de.Unknown) != 1 || de.PrintJob == "" {
		t.Fatalf("dayend: %+v", de)
	}
	all := simShipments(t, base, "")
	if len(de.Closed) != len(all)-1 {
		t.Fatalf("closed %d, DHL has %d (one orphan)", len(de.Closed), len(all))
	}
	if pdf, err := os.ReadFile(manifest); err != nil || !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatalf("manifest: %v", err)
	}
	csvData, _ := os.ReadFile(list)
	if rows := strings.Count(strings.TrimSpace(string(csvData)), "\n"); rows != len(de.Closed) {
		t.Fatalf("csv has %d rows, %d closed\n%s", rows, len(de.Closed), csvData)
	}
	out, code = cli("--json", "ship", "list", "--state", "closed", "--limit", "100")
	var sl apitype.ShipmentList
	if code != 0 || json.Unmarshal([]byte(out), &sl) != nil || len(sl.Shipments) != len(de.Closed) {
		t.Fatalf("closed shipments: exit %d\n%s", code, out)
	}
	for _, s := range simShipments(t, base, "") {
		if !s.Manifested {
			t.Errorf("DHL did not close out %s", s.No)
		}
	}
	// The orphan is the lost order's shipment: settle it.
	if out, code := cli("ship", "resolve", "order-lost-0001", "--shipment-number", lost[0].No); code != 0 || !strings.Contains(out, "closed out") {
		t.Fatalf("resolve the orphan: exit %d\n%s", code, out)
	}
}

// waitJobDone waits until the agent reports job id done.
func waitJobDone(t *testing.T, e *e2e, id string) apitype.Job {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		j, err := e.cl.Job(context.Background(), id)
		if err == nil && j.State == apitype.StateDone {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s not done: %v %+v", id, err, j)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func jobHistorySays(j apitype.Job, s string) bool {
	for _, h := range j.History {
		if strings.Contains(h.Note, s) {
			return true
		}
	}
	return false
}
