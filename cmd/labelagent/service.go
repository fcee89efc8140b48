package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kardianos/service"
	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/installer/svcdef"
)

// serviceOpts are the flags of `labelagent service`.
type serviceOpts struct {
	name string // the service's name; tests install under their own
	user string // the account the service runs as on Linux ("" = root)
}

func (app *cliApp) newServiceCmd() *cobra.Command {
	o := &serviceOpts{name: svcdef.Name, user: defaultServiceUser()}
	cmd := &cobra.Command{
		Use: "service",
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&o.name, "name", o.name, "")
	_ = pf.MarkHidden("name")
	install := &cobra.Command{
		Use:  "install",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return app.serviceInstall(o) },
	}
	install.Flags().StringVar(&o.user, "user", o.user, "")
	cmd.AddCommand(install,
		&cobra.Command{Use: "uninstall", Args: cobra.NoArgs,
			RunE: func(*cobra.Command, []string) error { return app.serviceUninstall(o) }},
		&cobra.Command{Use: "start", Args: cobra.NoArgs,
			RunE: func(*cobra.Command, []string) error { return app.serviceControl(o, "start") }},
		&cobra.Command{Use: "stop", Args: cobra.NoArgs,
			RunE: func(*cobra.Command, []string) error { return app.serviceControl(o, "stop") }},
		&cobra.Command{Use: "restart", Args: cobra.NoArgs,
			RunE: func(*cobra.Command, []string) error { return app.serviceControl(o, "restart") }},
		&cobra.Command{Use: "status", Args: cobra.NoArgs,
			RunE: func(*cobra.Command, []string) error { return app.serviceStatus(o) }},
		&cobra.Command{Use: "run", Hidden: true, Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error { return app.serviceRun(cmd.Context(), o) }},
	)
	return cmd
}

func defaultServiceUser() string {
	if runtime.GOOS == "linux" {
		return svcdef.User
	}
	return "" // Windows: LocalSystem
}

// serviceConfig describes the service to kardianos/service.
func (app *cliApp) serviceConfig(o *serviceOpts) (*service.Config, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	if p, err := filepath.EvalSymlinks(exe); err == nil {
		exe = p
	}
	args := append([]string{}, svcdef.RunArgs...)
	if app.configPath != "" {
		abs, err := filepath.Abs(app.configPath)
		if err != nil {
			return nil, err
		}
		args = append(args, "--config", abs)
	}
	if o.name != svcdef.Name {
		args = append(args, "--name", o.name)
	}
	c := &service.Config{
		Name:        o.name,
		DisplayName: svcdef.DisplayName,
		Description: svcdef.Description,
		Executable:  exe,
		Arguments:   args,
		Option: service.KeyValue{
			// Windows: automatic start, recovery restarts after 5 s.
			"StartType":              "automatic",
			"OnFailure":              "restart",
			"OnFailureDelayDuration": "5s",
			"OnFailureResetPeriod":   86400,
			// systemd and SysV: our own unit and script, see svcdef.
			"SystemdScript": svcdef.SystemdUnit(exe, args, o.user),
			"SysvScript":    sysvScript(o.user),
		},
	}
	return c, nil
}

// sysvScript is kardianos' SysV init script, changed to start the agent
// under its own account (setpriv keeps the PID, so the pid file stays true),
// to wait long enough for a clean stop, and to remove its pid file.
func sysvScript(account string) string {
	run := ""
	if account != "" {
		run = "setpriv --reuid=" + account + " --regid=" + svcdef.Group + " --init-groups -- "
	}
	return `#!/bin/sh
### BEGIN INIT INFO
# Provides:          {{DisplayName}}
# Required-Start:    $local_fs $network
# Required-Stop:     $local_fs $network
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: {{DisplayName}}
# Description:       {{Description}}
### END INIT INFO

cmd="` + run + `{{Path}}{{range Arguments}} {{. | cmd}}{{end}}"

name=$(basename $(readlink -f $0))
pid_file="/var/run/$name.pid"
stdout_log="{{LogDirectory}}/$name.log"
stderr_log="{{LogDirectory}}/$name.err"

get_pid() {
    cat "$pid_file"
}

is_running() {
    [ -f "$pid_file" ] && cat /proc/$(get_pid)/stat > /dev/null 2>&1
}

case "$1" in
    start)
        if is_running; then
            echo "Already started"
        else
            echo "Starting $name"
            $cmd >> "$stdout_log" 2>> "$stderr_log" &
            echo $! > "$pid_file"
            sleep 0.2
            if ! is_running; then
                rm -f "$pid_file"
                echo "Unable to start, see $stdout_log and $stderr_log"
                exit 1
            fi
        fi
    ;;
    stop)
        if is_running; then
            echo -n "Stopping $name.."
            kill $(get_pid)
            for i in $(seq 1 40)
            do
                if ! is_running; then
                    break
                fi
                echo -n "."
                sleep 0.5
            done
            echo
            if is_running; then
                echo "Not stopped; may still be shutting down or shutdown may have failed"
                exit 1
            else
                echo "Stopped"
                rm -f "$pid_file"
            fi
        else
            rm -f "$pid_file"
            echo "Not running"
        fi
    ;;
    restart)
        $0 stop
        if is_running; then
            echo "Unable to stop, will not attempt to start"
            exit 1
        fi
        $0 start
    ;;
    status)
        if is_running; then
            echo "Running"
        else
            echo "Stopped"
            exit 1
        fi
    ;;
    *)
    echo "Usage: $0 {start|stop|restart|status}"
    exit 1
    ;;
esac
exit 0
`
}

// agentService adapts the agent to kardianos/service: Start returns at
// once and runs the agent; Stop ends it and waits.
type agentService struct {
	app    *cliApp
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	sys    service.Logger

	mu  sync.Mutex
	err error
}

func (p *agentService) Start(service.Service) error {
	go func() {
		defer close(p.done)
		err := p.app.runAgentWith(p.ctx, p.sys, true)
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		if err != nil && p.ctx.Err() == nil {
			// The agent could not run: end the process with the error's exit
			// code, so that the service manager sees the failure (and, for a
			// damaged or newer store, does not restart in a loop).
			msg, code := err.Error(), 1
			var ex *exitError
			if errors.As(err, &ex) {
				msg, code = ex.msg, ex.code
			}
			if p.sys != nil {
				_ = p.sys.Error(msg)
			}
			fmt.Fprintln(p.app.stderr, "labelagent:", msg)
			os.Exit(code)
		}
	}()
	return nil
}

func (p *agentService) Stop(service.Service) error {
	p.cancel()
	select {
	case <-p.done:
	case <-time.After(stopGrace + 10*time.Second):
	}
	return nil
}

// serviceRun is what the service manager starts.
func (app *cliApp) serviceRun(ctx context.Context, o *serviceOpts) error {
	app.writeDefaultConfig(nil)
	c, err := app.serviceConfig(o)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := &agentService{app: app, ctx: ctx, cancel: cancel, done: make(chan struct{})}
	s, err := service.New(p, c)
	if err != nil {
		return err
	}
	if runtime.GOOS == "windows" && !service.Interactive() {
		// A Windows service has no standard error: log to the Event Log.
		if l, err := s.SystemLogger(nil); err == nil {
			p.sys = l
		}
	}
	if err := s.Run(); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (app *cliApp) newService(o *serviceOpts) (service.Service, error) {
	c, err := app.serviceConfig(o)
	if err != nil {
		return nil, err
	}
	return service.New(&agentService{}, c)
}

func needAdmin(err error, l *i18n.Localizer) error {
	if errors.Is(err, os.ErrPermission) || (err != nil && strings.Contains(strings.ToLower(err.Error()), "access is denied")) {
		return fmt.Errorf("%s (%w)", l.T("service.need_admin"), err)
	}
	return err
}

func (app *cliApp) serviceInstall(o *serviceOpts) error {
	l := app.L()
	if !isAdmin() {
		return errors.New(l.T("service.need_admin"))
	}
	s, err := app.newService(o)
	if err != nil {
		return err
	}
	if runtime.GOOS == "linux" && o.user != "" {
		if err := ensureServiceAccount(o.user); err != nil {
			return err
		}
	}
	if path := app.writeDefaultConfig(l); path != "" {
		fmt.Fprintln(app.stdout, l.T("service.config_written", "path", path))
	}
	cfg, err := app.Config()
	if err != nil {
		return err
	}
	if err := prepareDataDir(cfg.DataDir, o.user); err != nil {
		return err
	}
	if runtime.GOOS == "linux" {
		if err := installUdevRule(); err != nil {
			fmt.Fprintln(app.stderr, l.T("service.udev_failed", "cause", err.Error()))
		}
	}
	if err := s.Install(); err != nil {
		return needAdmin(fmt.Errorf("%s: %w", l.T("service.install_failed", "name", o.name), err), l)
	}
	fmt.Fprintln(app.stdout, l.T("service.installed", "name", o.name, "system", s.Platform(), "data", cfg.DataDir))
	return nil
}

func (app *cliApp) serviceUninstall(o *serviceOpts) error {
	l := app.L()
	if !isAdmin() {
		return errors.New(l.T("service.need_admin"))
	}
	s, err := app.newService(o)
	if err != nil {
		return err
	}
	if st, err := s.Status(); err == nil && st == service.StatusRunning {
		if err := s.Stop(); err != nil {
			return needAdmin(err, l)
		}
	}
	if err := s.Uninstall(); err != nil {
		return needAdmin(fmt.Errorf("%s: %w", l.T("service.uninstall_failed", "name", o.name), err), l)
	}
	if s.Platform() == "unix-systemv" {
		removeSysvLeftovers(o.name)
	}
	if runtime.GOOS == "linux" && o.name == svcdef.Name {
		_ = os.Remove(udevRuleLocal)
	}
	cfg, _ := app.Config()
	dataDir := config.SystemDataDir()
	if cfg != nil {
		dataDir = cfg.DataDir
	}
	fmt.Fprintln(app.stdout, l.T("service.uninstalled", "name", o.name, "config", config.SystemConfigFile(), "data", dataDir))
	return nil
}

func (app *cliApp) serviceControl(o *serviceOpts, verb string) error {
	l := app.L()
	s, err := app.newService(o)
	if err != nil {
		return err
	}
	failed, done := "", ""
	switch verb {
	case "start":
		err, failed, done = s.Start(), l.T("service.start_failed", "name", o.name), l.T("service.started", "name", o.name)
	case "stop":
		err, failed, done = s.Stop(), l.T("service.stop_failed", "name", o.name), l.T("service.stopped", "name", o.name)
	case "restart":
		err, failed, done = s.Restart(), l.T("service.restart_failed", "name", o.name), l.T("service.restarted", "name", o.name)
	}
	if err != nil {
		return needAdmin(fmt.Errorf("%s: %w", failed, err), l)
	}
	fmt.Fprintln(app.stdout, done)
	return nil
}

// ServiceStatus is `service status --json`.
type ServiceStatus struct {
	Name      string `json:"name"`
	System    string `json:"system"` // windows-service, linux-systemd, unix-systemv, …
	Installed bool   `json:"installed"`
	Running   bool   `json:"running"`
	State     string `json:"state"` // running, stopped, not_installed, unknown
}

func serviceState(s service.Service, name string) ServiceStatus {
	st := ServiceStatus{Name: name, System: s.Platform(), State: "unknown"}
	status, err := s.Status()
	switch {
	case errors.Is(err, service.ErrNotInstalled):
		st.State = "not_installed"
	case err != nil:
		// SysV: `service x status` exits 1 when stopped, which kardianos
		// reports as an error; the init script's presence decides.
		if s.Platform() == "unix-systemv" {
			if _, e := os.Stat("/etc/init.d/" + name); e == nil {
				st.Installed, st.State = true, "stopped"
			} else {
				st.State = "not_installed"
			}
		}
	case status == service.StatusRunning:
		st.Installed, st.Running, st.State = true, true, "running"
	case status == service.StatusStopped:
		st.Installed, st.State = true, "stopped"
	}
	return st
}

func (app *cliApp) serviceStatus(o *serviceOpts) error {
	l := app.L()
	s, err := app.newService(o)
	if err != nil {
		return err
	}
	st := serviceState(s, o.name)
	if app.jsonOut {
		return app.printJSON(st)
	}
	var msg string
	switch st.State {
	case "running":
		msg = l.T("service.state_running", "name", o.name, "system", st.System)
	case "stopped":
		msg = l.T("service.state_stopped", "name", o.name, "system", st.System)
	case "not_installed":
		msg = l.T("service.state_not_installed", "name", o.name, "system", st.System)
	default:
		msg = l.T("service.state_unknown", "name", o.name, "system", st.System)
	}
	fmt.Fprintln(app.stdout, msg)
	if !st.Running {
		return &exitError{code: 3} // as LSB init scripts: 3 = not running
	}
	return nil
}

// writeDefaultConfig writes the commented default configuration to the
// system path when no configuration file exists there (and none was named),
// and returns its path; "" when there was nothing to do or it could not be
// written (a service running as its own account cannot write /etc: the
// package has installed it).
func (app *cliApp) writeDefaultConfig(l *i18n.Localizer) string {
	if app.configPath != "" || os.Getenv(config.EnvConfig) != "" {
		return ""
	}
	path := config.SystemConfigFile()
	if _, err := os.Stat(path); err == nil {
		return ""
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return ""
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return ""
	}
	_, werr := f.WriteString(svcdef.DefaultConfigHere(config.SystemDataDir()))
	if cerr := f.Close(); werr != nil || cerr != nil {
		os.Remove(path)
		return ""
	}
	if g, err := user.LookupGroup(svcdef.Group); err == nil && runtime.GOOS != "windows" {
		if gid, err := strconv.Atoi(g.Gid); err == nil {
			_ = os.Chown(path, 0, gid)
		}
	}
	// Load the new file, not the defaults loaded before it existed.
	app.loaded = false
	return path
}

// ensureServiceAccount creates the service's group and system account
// (no login, home in the data directory, in lp and dialout) if missing, and
// adds an existing account to the device groups.
func ensureServiceAccount(name string) error {
	if _, err := user.LookupGroup(svcdef.Group); err != nil {
		if out, err := exec.Command("groupadd", "--system", svcdef.Group).CombinedOutput(); err != nil {
			return fmt.Errorf("groupadd %s: %v: %s", svcdef.Group, err, out)
		}
	}
	var groups []string
	for _, g := range svcdef.DeviceGroups {
		if _, err := user.LookupGroup(g); err == nil {
			groups = append(groups, g)
		}
	}
	if _, err := user.Lookup(name); err != nil {
		args := []string{"--system", "--gid", svcdef.Group, "--home-dir", config.SystemDataDir(), "--no-create-home",
			"--shell", "/usr/sbin/nologin", "--comment", "labelagent service"}
		if len(groups) > 0 {
			args = append(args, "--groups", strings.Join(groups, ","))
		}
		if out, err := exec.Command("useradd", append(args, name)...).CombinedOutput(); err != nil {
			return fmt.Errorf("useradd %s: %v: %s", name, err, out)
		}
		return nil
	}
	if len(groups) > 0 {
		if out, err := exec.Command("usermod", "--append", "--groups", strings.Join(groups, ","), name).CombinedOutput(); err != nil {
			return fmt.Errorf("usermod %s: %v: %s", name, err, out)
		}
	}
	return nil
}

// prepareDataDir creates the data directory for the service's account:
// owned by it and the operators' group, closed to everyone else.
func prepareDataDir(dir, account string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return i18n.Wrap(err, "service.data_dir_failed", "dir", dir)
	}
	if runtime.GOOS == "windows" || account == "" {
		return nil
	}
	u, err := user.Lookup(account)
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if g, err := user.LookupGroup(svcdef.Group); err == nil {
		gid, _ = strconv.Atoi(g.Gid)
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		return i18n.Wrap(err, "service.data_dir_failed", "dir", dir)
	}
	return os.Chmod(dir, 0o750)
}

// udevRuleLocal is where `service install` puts the udev rule (the package
// puts it under /usr/lib/udev/rules.d).
const udevRuleLocal = "/etc/udev/rules.d/60-labelagent.rules"

func installUdevRule() error {
	if _, err := os.Stat(svcdef.UdevRuleFile); err == nil {
		return nil // the package's rule is in place
	}
	if _, err := os.Stat(filepath.Dir(udevRuleLocal)); err != nil {
		return err
	}
	if err := os.WriteFile(udevRuleLocal, []byte(svcdef.UdevRule()), 0o644); err != nil {
		return err
	}
	if _, err := exec.LookPath("udevadm"); err == nil {
		_ = exec.Command("udevadm", "control", "--reload-rules").Run()
		_ = exec.Command("udevadm", "trigger", "--subsystem-match=usb", "--action=add").Run()
	}
	return nil
}

// removeSysvLeftovers removes what kardianos' SysV uninstall leaves: the
// runlevel links, the pid file and the captured output.
func removeSysvLeftovers(name string) {
	for _, rl := range []string{"0", "1", "2", "3", "4", "5", "6"} {
		for _, prefix := range []string{"S50", "K02"} {
			_ = os.Remove("/etc/rc" + rl + ".d/" + prefix + name)
		}
	}
	_ = os.Remove("/var/run/" + name + ".pid")
	_ = os.Remove("/var/log/" + name + ".log")
	_ = os.Remove("/var/log/" + name + ".err")
}
