package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
	"github.com/labelagent/labelagent/internal/simtest"
)

// startSimulator runs `labelagent simulate` and returns its base URL and the
// configuration sections it prints for the agent.
func startSimulator(t testing.TB) (base, cfg string) {
	t.Helper()
	return simtest.Start(t, binary(t))
}

func simState(t *testing.T, base string) (balance int, charges int) {
	t.Helper()
	resp, err := http.Get(base + "/_sim/internetmarke/state")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Balance int `json:"balance"`
		Ledger  []struct {
			Kind string `json:"kind"`
		} `json:"ledger"`
	}
	data, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatalf("simulator state %s: %v", data, err)
	}
	for _, l := range st.Ledger {
		if l.Kind == "charge" || l.Kind == "checkout" {
			charges++
		}
	}
	return st.Balance, charges
}

// TestCarrierCommandsAgainstTheSimulators drives the real binary the way an
// operator would: stamps bought from the Portokasse and a DHL parcel label,
// each printed through the running agent.
func TestCarrierCommandsAgainstTheSimulators(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end carrier test skipped in -short mode")
	}
	base, carriers := startSimulator(t)
	e := newE2E(t, "")
	cfg, _ := os.ReadFile(e.cfgPath)
	if err := os.WriteFile(e.cfgPath, append(cfg, []byte(carriers)...), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := e.cli("--config", e.cfgPath, "config", "check"); code != 0 {
		t.Fatalf("config check: %s", out)
	}
	e.start()
	run := func(args ...string) string {
		t.Helper()
		out, code := e.cli(append([]string{"--config", e.cfgPath}, args...)...)
		if code != 0 {
			t.Fatalf("labelagent %v: exit %d\n%s", args, code, out)
		}
		return out
	}

	// Portokasse balance, then one stamp, bought twice with the same key.
	if out := run("stamp", "balance"); !strings.Contains(out, "€50.00") {
		t.Errorf("balance: %s", out)
	}
	before, _ := simState(t, base)
	out1 := run("stamp", "buy", "--key", "order-1001", "--product", "1")
	out2 := run("stamp", "buy", "--key", "order-1001", "--product", "1")
	after, charges := simState(t, base)
	if charges != 1 || after >= before {
		t.Errorf("ledger after buying twice with one key: %d charges, balance %d → %d\n%s\n%s", charges, before, after, out1, out2)
	}
	// The stamp comes out of the printer once.
	waitPrinted(t, e.cl, e.out, "internetmarke", 1)

	// A DHL parcel label, created and printed.
	dir := t.TempDir()
	out := run("ship", "--ref", "order-carriers-1", "--name", "Maria Musterfrau", "--street", "Kurfürstendamm 1", "--postal-code", "10719",
		"--city", "Berlin", "--weight", "1.2", "-o", dir)
	m := regexp.MustCompile(`\b(\d{12,20})\b`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("ship printed no shipment number:\n%s", out)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) == 0 {
		t.Fatalf("ship stored no label in %s:\n%s", dir, out)
	}
	jobs := waitPrinted(t, e.cl, e.out, "", 2)
	found := false
	for _, j := range jobs {
		p, _ := e.cl.Payload(context.Background(), j.ID)
		if strings.Contains(string(p), m[1]) || strings.Contains(j.Name, m[1]) {
			found = true
		}
	}
	if !found {
		t.Errorf("no printed job carries shipment %s", m[1])
	}
	// A number the journal does not hold and the return receivers: the
	// agent asks DHL, the CLI asks the agent.
	if out := run("track", "7777777770"); !strings.Contains(out, "7777777770") {
		t.Errorf("track of a number the agent does not hold: %s", out)
	}
	if out := run("--json", "return", "locations"); !strings.Contains(out, "receiver_id") {
		t.Errorf("return locations: %s", out)
	}
	if out := run("track", m[1]); !strings.Contains(out, m[1]) {
		t.Errorf("track: %s", out)
	}
}

// waitPrinted waits until n jobs (from source, if set) are done, then
// watches a while longer: no further job from that source may appear (a
// stamp printed twice would be a second job or a second write), every job
// the agent has is done, and the file printer in out holds exactly one
// file per done job.
func waitPrinted(t *testing.T, cl *client.Client, out, source string, n int) []apitype.Job {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var quietSince time.Time
	for {
		all, err := cl.Jobs(context.Background(), client.JobsQuery{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var done, mine []apitype.Job
		unfinished := 0
		for _, j := range all {
			if j.State == apitype.StateFailed {
				t.Fatalf("job %s failed: %s", j.ID, j.LastError)
			}
			if !j.State.Terminal() {
				unfinished++
			}
			if source == "" || j.Source == source {
				mine = append(mine, j)
				if j.State == apitype.StateDone {
					done = append(done, j)
				}
			}
		}
		if len(mine) > n {
			t.Fatalf("%d jobs from %q, want %d: %s", len(mine), source, n, fmt.Sprint(mine))
		}
		switch {
		case len(done) < n || unfinished > 0:
			quietSince = time.Time{}
		case quietSince.IsZero():
			quietSince = time.Now()
		case time.Since(quietSince) > 500*time.Millisecond:
			files, _ := filepath.Glob(filepath.Join(out, "*.prn"))
			doneAll := 0
			for _, j := range all {
				if j.State == apitype.StateDone {
					doneAll++
				}
			}
			if len(files) != doneAll {
				t.Fatalf("the printer holds %d labels for %d done jobs: something printed twice", len(files), doneAll)
			}
			return done
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d jobs printed: %s", len(done), n, fmt.Sprint(all))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
