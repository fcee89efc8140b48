package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
)

// TestFrankingEndToEnd drives DHL Online Franking through the real binary:
// a cart prepared by the CLI, paid in the (simulated) frontend, learnt by
// DHL's notify call (repeated, as DHL may) or by polling, the label printed
// exactly once, also when the agent is killed -9 between the payment and
// the print.
func TestFrankingEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end franking test skipped in -short mode")
	}
	base, _ := startSimulator(t)
	e := newE2E(t, "")
	notifyAddr := freeAddr(t)
	cfg, _ := os.ReadFile(e.cfgPath)
	section := fmt.Sprintf(`franking:
  enabled: true
  base_url: %s
  api_key: sim-franking-key
  default_product: PAKET_5KG_DE
  poll_interval: 1h
  sender: {name2: Versand GmbH, street: Hauptstraße, street_number: "1", postal_code: "53113", city: Bonn, country: DEU, email: versand@example.com}
  notify: {listen: "%s", public_url: "http://%s/notify"}
`, base, notifyAddr, notifyAddr)
	if err := os.WriteFile(e.cfgPath, append(cfg, section...), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		out, code := e.cli(append([]string{"--config", e.cfgPath}, args...)...)
		if code != 0 {
			t.Fatalf("labelagent %v: exit %d\n%s", args, code, out)
		}
		return out
	}
	if out, code := e.cli("--config", e.cfgPath, "config", "check"); code != 0 {
		t.Fatalf("config check: %s", out)
	}
	e.start()

	create := func(order string, extra ...string) apitype.FrankingCart {
		t.Helper()
		args := append([]string{"--json", "franking", "create", "--order", order, "--name", "Max Mustermann",
			"--street", "Musterweg", "--house-number", "5", "--postal-code", "10115", "--city", "Berlin", "--weight", "2,5"}, extra...)
		var resp apitype.FrankingCartResponse
		out := run(args...)
		if err := json.Unmarshal([]byte(out), &resp); err != nil {
			t.Fatalf("create: %v\n%s", err, out)
		}
		if resp.Cart.State != "created" || resp.Cart.EntryURL == "" {
			t.Fatalf("cart %+v", resp.Cart)
		}
		return resp.Cart
	}
	pay := func(shoppingCartID string, notifies int) {
		t.Helper()
		resp, err := http.Post(fmt.Sprintf("%s/_sim/franking/carts/%s/pay?notifies=%d", base, shoppingCartID, notifies), "", nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("pay: %d", resp.StatusCode)
		}
	}
	show := func(id string) apitype.FrankingCart {
		t.Helper()
		var c apitype.FrankingCart
		if err := json.Unmarshal([]byte(run("--json", "franking", "show", id)), &c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	waitDone := func(id string) apitype.FrankingCart {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			c := show(id)
			if c.State == "done" {
				return c
			}
			if time.Now().After(deadline) {
				t.Fatalf("cart %s stuck in %s: %s", id, c.State, c.Error)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	// labelsFor counts label files that came out for a shipment number.
	labelsFor := func(jobs ...string) int {
		t.Helper()
		n := 0
		for _, id := range jobs {
			j, err := e.cl.Job(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			if j.State == apitype.StateDone {
				n++
			}
		}
		return n
	}
	printedFiles := func() int {
		files, _ := filepath.Glob(filepath.Join(e.out, "*.prn"))
		return len(files)
	}

	// 1. Paid; DHL notifies three times: one label.
	a := create("F-1")
	again := run("franking", "create", "--order", "F-1", "--name", "Max Mustermann", "--street", "Musterweg",
		"--house-number", "5", "--postal-code", "10115", "--city", "Berlin")
	if !strings.Contains(again, a.ID) {
		t.Errorf("the same order again did not return its cart:\n%s", again)
	}
	pay(a.ShoppingCartID, 3)
	a = waitDone(a.ID)
	if a.PaidVia != "notify" || len(a.Items) != 1 || a.Items[0].JobID == "" {
		t.Fatalf("cart after notify: %+v", a)
	}
	waitJobs(t, e, []string{a.Items[0].JobID})

	// 2. Paid while the agent is down (no notify reaches it, kill -9 before
	// the poller saw it): after the restart it prints once.
	b := create("F-2")
	e.kill()
	pay(b.ShoppingCartID, 0)
	e.start()
	b = waitDone(b.ID)
	if b.PaidVia != "poll" {
		t.Errorf("cart b paid via %q", b.PaidVia)
	}
	waitJobs(t, e, []string{b.Items[0].JobID})

	// 3. kill -9 right as the notify arrives: printed once after restart.
	c := create("F-3")
	go func() {
		// The notify races the kill; its outcome is not the test's concern.
		resp, err := http.Post(fmt.Sprintf("%s/_sim/franking/carts/%s/pay?notifies=1", base, c.ShoppingCartID), "", nil)
		if err == nil {
			resp.Body.Close()
		}
	}()
	time.Sleep(20 * time.Millisecond)
	e.kill()
	e.start()
	c = waitDone(c.ID)
	waitJobs(t, e, []string{c.Items[0].JobID})

	if n := labelsFor(a.Items[0].JobID, b.Items[0].JobID, c.Items[0].JobID); n != 3 {
		t.Errorf("%d of 3 label jobs done", n)
	}
	jobs, err := e.cl.Jobs(t.Context(), clientJobsQuery())
	if err != nil {
		t.Fatal(err)
	}
	franked := 0
	for _, j := range jobs {
		if j.Source == "franking" {
			franked++
		}
	}
	if franked != 3 || printedFiles() != 3 {
		t.Errorf("%d franking jobs, %d printed files; want 3 and 3", franked, printedFiles())
	}

	// The operator's view in German.
	out, code := e.cliEnv([]string{"LANG=de_DE.UTF-8"}, "--config", e.cfgPath, "franking", "create", "--order", "F-4",
		"--name", "Paweł Nowak", "--street", "Musterweg", "--house-number", "5", "--postal-code", "10115", "--city", "Berlin")
	if code == 0 || !strings.Contains(out, "„ł“ ist nicht erlaubt") || !strings.Contains(out, "Pawel Nowak") {
		t.Errorf("a non-Latin-1 name, in German: exit %d\n%s", code, out)
	}
}

func clientJobsQuery() client.JobsQuery { return client.JobsQuery{Limit: 1000} }

// waitJobs waits until every job is done.
func waitJobs(t *testing.T, e *e2e, ids []string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for _, id := range ids {
		for {
			j, err := e.cl.Job(t.Context(), id)
			if err == nil && j.State == apitype.StateDone {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %s not done: %+v %v", id, j, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// cliEnv runs the CLI with extra environment variables.
func (e *e2e) cliEnv(env []string, args ...string) (string, int) {
	e.tb.Helper()
	cmd := exec.Command(e.bin, append([]string{"--addr", e.addr, "--data-dir", filepath.Join(e.dir, "data")}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	case err != nil:
		e.tb.Fatal(err)
	}
	return string(out), 0
}
