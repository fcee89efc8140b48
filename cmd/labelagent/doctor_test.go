package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

func (e *e2e) doctor(t *testing.T) (DoctorReport, int) {
	t.Helper()
	out, code := e.cli("--config", e.cfgPath, "doctor", "--json")
	var rep DoctorReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("doctor --json: %v\n%s", err, out)
	}
	return rep, code
}

func finding(rep DoctorReport, check, subject string) (DoctorCheck, bool) {
	for _, c := range rep.Checks {
		if c.Check == check && (subject == "" || c.Subject == subject) {
			return c, true
		}
	}
	return DoctorCheck{}, false
}

// doctor against a healthy setup with both carriers (simulator), then with
// wrong permissions, a missing printer and refused credentials: each finding
// names the problem and the fix, and the exit code says whether one failed.
func TestDoctor(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	_, carriers := startSimulator(t)
	e := newE2E(t, "")
	cfg, _ := os.ReadFile(e.cfgPath)
	os.WriteFile(e.cfgPath, append(cfg, []byte(carriers)...), 0o600)
	e.start()

	// Healthy.
	rep, code := e.doctor(t)
	if code != 0 || !rep.OK {
		t.Fatalf("healthy setup: exit %d: %+v", code, rep)
	}
	for _, want := range []struct{ check, subject string }{
		{"config", ""}, {"port", ""}, {"data_dir", ""}, {"api_key", ""}, {"store", ""}, {"backup", ""}, {"disk", ""},
		{"printer", "desk"}, {"carrier", "dhl"}, {"carrier", "internetmarke"},
	} {
		c, ok := finding(rep, want.check, want.subject)
		if !ok || c.Status != "ok" {
			t.Errorf("healthy setup: %s %s: %+v", want.check, want.subject, c)
		}
	}
	if c, ok := finding(rep, "clock", "dhl"); !ok || c.Status != "ok" {
		t.Errorf("clock skew against the simulator's Date header not reported ok: %+v", c)
	}
	text, _ := e.cli("--config", e.cfgPath, "doctor")
	if !strings.Contains(text, "accepts the configured credentials") || !strings.Contains(text, "No problems found.") {
		t.Errorf("text report:\n%s", text)
	}

	// A wrong permission: the API key readable by everyone.
	if runtime.GOOS != "windows" {
		key := filepath.Join(e.dir, "data", "api.key")
		os.Chmod(key, 0o644)
		rep, code = e.doctor(t)
		c, _ := finding(rep, "api_key", "")
		if code != 1 || c.Status != "fail" || !strings.Contains(c.Fix, "chmod 0640 "+key) {
			t.Errorf("key 0644: exit %d, %+v", code, c)
		}
		os.Chmod(key, 0o640)
	}

	// Refused credentials: the agent asks the carriers and names the section.
	e.kill()
	bad := regexp.MustCompile(`(?m)^(\s+password:\s*).*$`).ReplaceAllString(string(append(cfg, []byte(carriers)...)), "${1}wrong-password")
	if bad == string(append(cfg, []byte(carriers)...)) {
		t.Fatalf("no password in the simulator's configuration:\n%s", carriers)
	}
	os.WriteFile(e.cfgPath, []byte(bad), 0o600)
	e.start()
	rep, code = e.doctor(t)
	rejected := 0
	for _, c := range rep.Checks {
		if c.Check == "carrier" && c.Status == "fail" && strings.Contains(c.Message, "refuses") {
			rejected++
		}
	}
	t.Logf("wrong password: %d carriers refuse", rejected)
	if code != 1 || rejected == 0 {
		t.Errorf("wrong password: exit %d, %d carriers refusing: %+v", code, rejected, rep.Checks)
	}

	// A missing printer and an unreachable one, checked offline.
	e.kill()
	// (printers first, without the carriers: the agent is not running)
	cfgText := string(cfg)
	os.WriteFile(e.cfgPath, []byte(cfgText+`  - name: serial
    transport: serial
    serial: {device: /dev/ttyLABELAGENT-NONE}
  - name: net
    transport: tcp
    tcp: {address: `+freeAddr(t)+`}
`), 0o600)
	rep, code = e.doctor(t)
	if c, _ := finding(rep, "printer", "serial"); code != 1 || c.Status != "fail" || !strings.Contains(c.Message, "/dev/ttyLABELAGENT-NONE") {
		t.Errorf("missing serial printer: exit %d, %+v", code, c)
	}
	if c, _ := finding(rep, "printer", "net"); c.Status != "fail" || !strings.Contains(c.Message, "cannot be reached") {
		t.Errorf("unreachable network printer: %+v", c)
	}
	if c, _ := finding(rep, "carrier", ""); c.Status != "skip" || c.Message == "" {
		t.Errorf("carriers without the agent: %+v", c)
	}
	if c, _ := finding(rep, "store", ""); c.Status != "ok" || !strings.Contains(c.Message, "schema version") {
		t.Errorf("store checked offline: %+v", c)
	}
}
