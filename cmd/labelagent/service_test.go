//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/client"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/installer/svcdef"
	"github.com/labelagent/labelagent/ui"
)

// sysvOnly skips where installing a service would touch a real service
// manager: the test needs root and SysV (no systemd as PID 1), as on the
// build machines.
func sysvOnly(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("needs root on Linux: installs a SysV service")
	}
	if _, err := os.Stat("/run/systemd/system"); err == nil {
		t.Skip("systemd runs here; this test only installs SysV services, on machines without systemd")
	}
	if _, err := os.Stat("/etc/init.d"); err != nil {
		t.Skip("no /etc/init.d")
	}
}

// The service's whole life under SysV, as `labelagent service` gives it to
// IT: install (own account in lp and dialout, data directory), start, status,
// a job printed by the service, stop, uninstall — and nothing left behind.
func TestServiceLifecycleSysV(t *testing.T) {
	sysvOnly(t)
	name := fmt.Sprintf("labelagent-test-%d", os.Getpid())
	account := fmt.Sprintf("latest%d", os.Getpid()%100000)
	_, groupErr := user.LookupGroup(svcdef.Group)
	t.Cleanup(func() {
		exec.Command("/etc/init.d/"+name, "stop").Run()
		os.Remove("/etc/init.d/" + name)
		removeSysvLeftovers(name)
		exec.Command("userdel", account).Run()
		if groupErr != nil {
			exec.Command("groupdel", svcdef.Group).Run()
		}
	})

	// Everything the service reads must be reachable by its account.
	root, err := os.MkdirTemp("", "labelagent-svc-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	os.Chmod(root, 0o755)
	exe := filepath.Join(root, "labelagent")
	data, err := os.ReadFile(binary(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, data, 0o755); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	dataDir := filepath.Join(root, "data")
	cfgPath := filepath.Join(root, "config.yaml")
	os.WriteFile(cfgPath, []byte(fmt.Sprintf("listen: %s\ndata_dir: %s\nprinters:\n  - name: desk\n    transport: file\n", addr, dataDir)), 0o644)

	run := func(args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command(exe, append([]string{"--config", cfgPath}, args...)...)
		cmd.Env = append(os.Environ(), "LANG=C")
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	status := func() ServiceStatus {
		t.Helper()
		out, _ := run("service", "status", "--name", name, "--json")
		var st ServiceStatus
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Fatalf("service status --json: %v: %s", err, out)
		}
		return st
	}

	if st := status(); st.State != "not_installed" || st.System != "unix-systemv" {
		t.Fatalf("before install: %+v", st)
	}
	if out, code := run("service", "install", "--name", name, "--user", account); code != 0 {
		t.Fatalf("install: %s", out)
	}
	script, err := os.ReadFile("/etc/init.d/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(script), "setpriv --reuid="+account) || !strings.Contains(string(script), `"--config" "`+cfgPath+`"`) {
		t.Errorf("init script does not start the agent as %s with its configuration:\n%s", account, script)
	}
	u, err := user.Lookup(account)
	if err != nil {
		t.Fatalf("service account not created: %v", err)
	}
	gids, _ := u.GroupIds()
	for _, g := range append([]string{svcdef.Group}, svcdef.DeviceGroups...) {
		grp, err := user.LookupGroup(g)
		if err != nil {
			continue // lp or dialout absent on this machine
		}
		if !contains(gids, grp.Gid) {
			t.Errorf("service account is not in group %s", g)
		}
	}
	if fi, err := os.Stat(dataDir); err != nil || fi.Mode().Perm() != 0o750 || strconv.Itoa(int(fi.Sys().(*syscall.Stat_t).Uid)) != u.Uid {
		t.Errorf("data directory not prepared for the service account: %v %v", fi.Mode(), err)
	}
	if st := status(); st.State != "stopped" || !st.Installed {
		t.Fatalf("after install: %+v", st)
	}

	if out, code := run("service", "start", "--name", name); code != 0 {
		t.Fatalf("start: %s", out)
	}
	cl := &client.Client{Addr: addr, DataDir: dataDir}
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := cl.Health(ctx)
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile("/var/log/" + name + ".err")
			t.Fatalf("the service does not answer: %v\n%s", err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st := status(); st.State != "running" {
		t.Fatalf("after start: %+v", st)
	}
	if out, code := run("service", "status", "--name", name); code != 0 || !strings.Contains(out, "is running") {
		t.Fatalf("status: %d %s", code, out)
	}
	// The agent runs as the service account, not as root.
	pidText, _ := os.ReadFile("/var/run/" + name + ".pid")
	proc, _ := os.ReadFile("/proc/" + strings.TrimSpace(string(pidText)) + "/status")
	if !strings.Contains(string(proc), "\nUid:\t"+u.Uid+"\t") {
		t.Errorf("the service does not run as %s (uid %s):\n%s", account, u.Uid, proc)
	}
	// It prints: a job through the CLI lands in the file printer's folder.
	label := filepath.Join(root, "label.zpl")
	os.WriteFile(label, []byte("^XA^FDservice^FS^XZ"), 0o644)
	if out, code := run("--addr", addr, "--data-dir", dataDir, "print", "--wait", "--printer", "desk", label); code != 0 {
		t.Fatalf("print through the service: %s", out)
	}
	// The key is readable by the account and the operators' group only.
	if fi, err := os.Stat(filepath.Join(dataDir, "api.key")); err != nil || fi.Mode().Perm()&0o007 != 0 {
		t.Errorf("API key file: %v, mode %v", err, fi.Mode())
	}

	if out, code := run("service", "stop", "--name", name); code != 0 {
		t.Fatalf("stop: %s", out)
	}
	if st := status(); st.State != "stopped" {
		t.Fatalf("after stop: %+v", st)
	}
	if _, code := run("service", "status", "--name", name); code != 3 {
		t.Errorf("status of a stopped service: exit code %d, want 3", code)
	}
	// The operator's tray sees the stopped service and starts it.
	trayStartsService(t, exe, cfgPath, name, &client.Client{Addr: addr, DataDir: dataDir})
	if out, code := run("service", "stop", "--name", name); code != 0 {
		t.Fatalf("stop after the tray started it: %s", out)
	}
	if out, code := run("service", "uninstall", "--name", name); code != 0 {
		t.Fatalf("uninstall: %s", out)
	}
	if st := status(); st.State != "not_installed" {
		t.Fatalf("after uninstall: %+v", st)
	}
	// Nothing of the service is left: script, runlevel links, pid file, logs.
	left, _ := filepath.Glob("/etc/rc?.d/*" + name)
	for _, p := range append(left, "/etc/init.d/"+name, "/var/run/"+name+".pid", "/var/log/"+name+".log", "/var/log/"+name+".err") {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("left behind: %s", p)
		}
	}
	if out, _ := exec.Command("pgrep", "-f", exe).Output(); len(out) > 0 {
		t.Errorf("a service process is still running: %s", out)
	}
	// Configuration and data stay for a reinstall.
	if _, err := os.Stat(filepath.Join(dataDir, "labelagent.db")); err != nil {
		t.Errorf("data removed by uninstall: %v", err)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// trayStartsService is the tray's "start the service" against a real
// installed, stopped SysV service: the tray's model (ui.Model) shows the
// service as not running, runs the labelagent program's "service start" as
// it does on the operator's desktop, and reconnects to the started agent.
// The tray finds the service by its default name and the installed
// configuration; this test's service has its own name and configuration
// file, which a wrapper adds to every call of the program.
func trayStartsService(t *testing.T, exe, cfgPath, name string, cl *client.Client) {
	t.Helper()
	wrapper := filepath.Join(filepath.Dir(exe), "labelagent-for-tray")
	script := fmt.Sprintf("#!/bin/sh\nexec %q --config %q \"$@\" --name %q\n", exe, cfgPath, name)
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	m := ui.NewModel(ui.Options{Addr: cl.Addr, DataDir: cl.DataDir, Lang: i18n.German, AgentBin: wrapper, Retry: 50 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	states := make(chan ui.Overall, 64)
	m.OnChange(func() {
		select {
		case states <- m.State().Overall:
		default:
		}
	})
	go m.Run(ctx)
	waitFor := func(want ui.Overall) {
		t.Helper()
		for {
			select {
			case s := <-states:
				if s == want {
					return
				}
			case <-ctx.Done():
				t.Fatalf("the tray never showed %v (now %v, %v)", want, m.State().Overall, m.State().ConnErr)
			}
		}
	}
	waitFor(ui.NotRunning)
	if !m.CanStartService() {
		t.Fatal("the tray offers no start action")
	}
	said, err := m.StartService(ctx)
	if err != nil {
		t.Fatalf("the tray could not start the service: %v", err)
	}
	if !strings.Contains(said, name) || !strings.Contains(said, "gestartet") {
		t.Errorf("the tray says %q, want the service %s named as started, in German", said, name)
	}
	waitFor(ui.Ready)
	// Asked again while it runs, the tray says so instead of failing.
	if said, err := m.StartService(ctx); err != nil || !strings.Contains(said, name) {
		t.Errorf("start while running: %q, %v", said, err)
	}
}
