package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/agent/apikey"
	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/agent/store"
	"github.com/labelagent/labelagent/installer/svcdef"
	"github.com/labelagent/labelagent/printer"
)

// DoctorCheck is one finding of `labelagent doctor --json`.
type DoctorCheck struct {
	Check   string `json:"check"`             // service, config, agent, port, data_dir, api_key, store, backup, disk, printer, carrier
	Subject string `json:"subject,omitempty"` // the printer, carrier, file or address concerned
	Status  string `json:"status"`            // ok, warn, fail, skip
	Message string `json:"message"`           // the finding, in the reader's language
	Fix     string `json:"fix,omitempty"`     // what to do about it
	Detail  string `json:"detail,omitempty"`  // the system's own words
}

// DoctorReport is `labelagent doctor --json`.
type DoctorReport struct {
	OK     bool          `json:"ok"` // no check failed
	Checks []DoctorCheck `json:"checks"`
}

func (app *cliApp) newDoctorCmd() *cobra.Command {
	return &cobra.Command{
		Use:  "doctor",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rep := app.doctor(cmd.Context())
			if app.jsonOut {
				if err := app.printJSON(rep); err != nil {
					return err
				}
			} else {
				app.printDoctor(rep)
			}
			if !rep.OK {
				return &exitError{code: 1}
			}
			return nil
		},
	}
}

type doctor struct {
	app    *cliApp
	l      *i18n.Localizer
	checks []DoctorCheck
}

func (d *doctor) add(check, subject, status, msg, fix, detail string) {
	d.checks = append(d.checks, DoctorCheck{Check: check, Subject: subject, Status: status, Message: msg, Fix: fix, Detail: detail})
}

func (app *cliApp) doctor(ctx context.Context) DoctorReport {
	d := &doctor{app: app, l: app.L()}
	l := d.l

	// The service.
	if s, err := app.newService(&serviceOpts{name: svcdef.Name, user: defaultServiceUser()}); err == nil {
		st := serviceState(s, svcdef.Name)
		switch st.State {
		case "running":
			d.add("service", svcdef.Name, "ok", l.T("doctor.service_running", "system", st.System), "", "")
		case "stopped":
			d.add("service", svcdef.Name, "warn", l.T("doctor.service_stopped", "system", st.System), l.T("doctor.fix_service_start"), "")
		case "not_installed":
			d.add("service", svcdef.Name, "warn", l.T("doctor.service_not_installed", "system", st.System), l.T("doctor.fix_service_install"), "")
		default:
			d.add("service", svcdef.Name, "warn", l.T("doctor.service_unknown", "system", st.System), "", "")
		}
	} else {
		d.add("service", svcdef.Name, "warn", l.T("doctor.service_unknown", "system", runtime.GOOS), "", err.Error())
	}

	// The configuration.
	cfg, err := app.checkedConfig()
	if cfg == nil {
		d.add("config", "", "fail", l.T("doctor.config_unreadable"), l.T("doctor.fix_config"), l.Err(err))
		return d.report()
	}
	if err != nil {
		d.add("config", cfg.Source(), "fail", l.T("doctor.config_invalid", "file", app.configSource(cfg)), l.T("doctor.fix_config"), l.Err(err))
	} else {
		d.add("config", cfg.Source(), "ok", l.T("doctor.config_ok", "file", app.configSource(cfg), "printers", len(cfg.Printers)), "", "")
	}

	// Is the agent running? Ask it first: it owns printers and carriers.
	cl := app.Client()
	hctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	health, herr := cl.Health(hctx)
	cancel()
	running := herr == nil
	d.checkPort(cfg.Listen, running, health)
	account := serviceAccount()
	d.checkDataDir(cfg.DataDir, account)
	d.checkKey(cfg.DataDir, running)
	d.checkStore(cfg.DataDir, running)
	d.checkDisk(cfg.DataDir)
	d.checkPrinters(ctx, cfg, running, account)
	d.checkCarriers(ctx, cfg, running)
	d.checkNATS(ctx, cfg, running)
	return d.report()
}

func (d *doctor) report() DoctorReport {
	rep := DoctorReport{OK: true, Checks: d.checks}
	for _, c := range d.checks {
		if c.Status == "fail" {
			rep.OK = false
		}
	}
	return rep
}

func (app *cliApp) printDoctor(rep DoctorReport) {
	l := app.L()
	w := tabwriter.NewWriter(app.stdout, 0, 4, 2, ' ', 0)
	for _, c := range rep.Checks {
		var mark string
		switch c.Status {
		case "ok":
			mark = l.T("doctor.mark_ok")
		case "warn":
			mark = l.T("doctor.mark_warn")
		case "fail":
			mark = l.T("doctor.mark_fail")
		default:
			mark = l.T("doctor.mark_skip")
		}
		fmt.Fprintf(w, "%s\t%s\n", mark, c.Message)
		if c.Detail != "" {
			for _, line := range strings.Split(strings.TrimSpace(c.Detail), "\n") {
				fmt.Fprintf(w, "\t  %s\n", line)
			}
		}
		if c.Fix != "" {
			fmt.Fprintf(w, "\t  → %s\n", c.Fix)
		}
	}
	w.Flush()
	if rep.OK {
		fmt.Fprintln(app.stdout, l.T("doctor.summary_ok"))
	} else {
		fmt.Fprintln(app.stdout, l.T("doctor.summary_fail"))
	}
}

// serviceAccount is the installed service's account on Linux, nil elsewhere
// or when it does not exist (a developer's machine).
func serviceAccount() *user.User {
	if runtime.GOOS != "linux" {
		return nil
	}
	u, err := user.Lookup(svcdef.User)
	if err != nil {
		return nil
	}
	return u
}

func (d *doctor) checkPort(listen string, running bool, h apitype.Health) {
	l := d.l
	if running {
		d.add("port", listen, "ok", l.T("doctor.port_agent", "addr", listen, "version", h.Version), "", "")
		return
	}
	ln, err := net.Listen("tcp", listen)
	if err == nil {
		ln.Close()
		d.add("port", listen, "ok", l.T("doctor.port_free", "addr", listen), "", "")
		return
	}
	who := portOwner(listen)
	if who == "" {
		who = l.T("doctor.port_owner_unknown")
	}
	d.add("port", listen, "fail", l.T("doctor.port_taken", "addr", listen, "who", who), l.T("doctor.fix_port"), err.Error())
}

func (d *doctor) checkDataDir(dir string, account *user.User) {
	l := d.l
	fi, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		d.add("data_dir", dir, "warn", l.T("doctor.data_missing", "dir", dir), l.T("doctor.fix_data_missing"), "")
		return
	}
	if err != nil {
		d.add("data_dir", dir, "fail", l.T("doctor.data_unreadable", "dir", dir), "", err.Error())
		return
	}
	if runtime.GOOS == "windows" {
		d.add("data_dir", dir, "ok", l.T("doctor.data_ok", "dir", dir), "", "")
		return
	}
	if fi.Mode().Perm()&0o007 != 0 {
		d.add("data_dir", dir, "fail", l.T("doctor.data_open", "dir", dir, "mode", fmt.Sprintf("%04o", fi.Mode().Perm())), l.T("doctor.fix_chmod", "mode", "0750", "path", dir), "")
		return
	}
	if account != nil {
		if uid, _, ok := fileIDs(fi); ok && uid != account.Uid {
			d.add("data_dir", dir, "fail", l.T("doctor.data_owner", "dir", dir, "user", account.Username), l.T("doctor.fix_chown", "user", account.Username, "group", svcdef.Group, "path", dir), "")
			return
		}
	}
	d.add("data_dir", dir, "ok", l.T("doctor.data_ok", "dir", dir), "", "")
}

func (d *doctor) checkKey(dir string, running bool) {
	l := d.l
	path := apikey.Path(dir)
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		status := "warn"
		if running {
			status = "fail"
		}
		d.add("api_key", path, status, l.T("doctor.key_missing", "path", path), l.T("doctor.fix_key_missing"), "")
		return
	}
	if err != nil {
		d.add("api_key", path, "fail", l.T("doctor.key_unreadable", "path", path), l.T("doctor.fix_key_group", "group", svcdef.Group), err.Error())
		return
	}
	if runtime.GOOS != "windows" {
		if fi.Mode().Perm()&0o037 != 0 {
			d.add("api_key", path, "fail", l.T("doctor.key_open", "path", path, "mode", fmt.Sprintf("%04o", fi.Mode().Perm())), l.T("doctor.fix_chmod", "mode", "0640", "path", path), "")
			return
		}
		if g, gerr := user.LookupGroup(svcdef.Group); gerr == nil {
			if _, gid, ok := fileIDs(fi); ok && gid != g.Gid {
				d.add("api_key", path, "warn", l.T("doctor.key_group", "path", path, "group", svcdef.Group), l.T("doctor.fix_chgrp", "group", svcdef.Group, "path", path), "")
				return
			}
		}
	}
	if _, err := apikey.Read(dir); err != nil {
		d.add("api_key", path, "warn", l.T("doctor.key_not_yours", "path", path), l.T("doctor.fix_key_group", "group", svcdef.Group), err.Error())
		return
	}
	d.add("api_key", path, "ok", l.T("doctor.key_ok", "path", path), "", "")
}

func (d *doctor) checkStore(dir string, running bool) {
	l := d.l
	path := filepath.Join(dir, store.FileName)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		d.add("store", path, "skip", l.T("doctor.store_none", "path", path), "", "")
	} else if running {
		// The running agent checked it at its start; reading it while it
		// writes could see a half-written page.
		d.add("store", path, "ok", l.T("doctor.store_in_use", "path", path), "", "")
	} else if problems, err := store.Check(path); err != nil {
		d.add("store", path, "fail", l.T("doctor.store_unreadable", "path", path), "", err.Error())
	} else if len(problems) > 0 {
		d.add("store", path, "fail", l.T("store.damaged", "path", path, "problem", problems[0]), l.T("doctor.fix_store_damaged"), strings.Join(problems, "\n"))
	} else if v, err := store.SchemaVersionOf(path); err == nil && v > store.SchemaVersion {
		d.add("store", path, "fail", l.T("store.newer", "path", path, "found", v, "highest", store.SchemaVersion, "version", d.app.version, "dir", store.BackupDir(dir)), "", "")
	} else {
		d.add("store", path, "ok", l.T("doctor.store_ok", "path", path, "version", v), "", "")
	}
	backups := store.Backups(dir)
	if len(backups) == 0 {
		d.add("backup", store.BackupDir(dir), "warn", l.T("doctor.backup_none", "dir", store.BackupDir(dir)), l.T("doctor.fix_backup"), "")
		return
	}
	d.add("backup", backups[0].Path, "ok", l.T("doctor.backup_ok", "count", len(backups), "newest", l.Time(backups[0].Taken), "dir", store.BackupDir(dir)), "", "")
}

func (d *doctor) checkDisk(dir string) {
	l := d.l
	probe := dir
	for {
		if _, err := os.Stat(probe); err == nil || filepath.Dir(probe) == probe {
			break
		}
		probe = filepath.Dir(probe)
	}
	free, err := freeBytes(probe)
	if err != nil {
		d.add("disk", probe, "skip", l.T("doctor.disk_unknown", "dir", probe), "", err.Error())
		return
	}
	mb := int64(free >> 20)
	switch {
	case mb < 100:
		d.add("disk", probe, "fail", l.T("doctor.disk_full", "dir", probe, "mb", mb), l.T("doctor.fix_disk"), "")
	case mb < 1024:
		d.add("disk", probe, "warn", l.T("doctor.disk_low", "dir", probe, "mb", mb), l.T("doctor.fix_disk"), "")
	default:
		d.add("disk", probe, "ok", l.T("doctor.disk_ok", "dir", probe, "gb", l.Number(float64(free)/(1<<30), 1)), "", "")
	}
}

func (d *doctor) checkPrinters(ctx context.Context, cfg *config.Config, running bool, account *user.User) {
	l := d.l
	var status map[string]apitype.Printer
	if running {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		list, err := d.app.Client().Printers(pctx)
		cancel()
		if err == nil {
			status = map[string]apitype.Printer{}
			for _, p := range list {
				status[p.Name] = p
			}
		}
	}
	for _, pc := range cfg.Printers {
		// The device on this machine, and whether the service may open it.
		if msg, fix, st := deviceCheck(l, pc, account); st != "" {
			d.add("printer", pc.Name, st, msg, fix, "")
			if st == "fail" {
				continue
			}
		}
		if !running {
			if pc.Transport == "tcp" {
				conn, err := net.DialTimeout("tcp", pc.TCP.Address, 3*time.Second)
				if err != nil {
					d.add("printer", pc.Name, "fail", l.T("doctor.printer_unreachable", "name", pc.Name, "addr", pc.TCP.Address), l.T("doctor.fix_printer_network"), err.Error())
					continue
				}
				conn.Close()
			}
			d.add("printer", pc.Name, "skip", l.T("doctor.printer_status_offline", "name", pc.Name), l.T("doctor.fix_service_start"), "")
			continue
		}
		p, ok := status[pc.Name]
		if !ok {
			d.add("printer", pc.Name, "warn", l.T("doctor.printer_not_in_agent", "name", pc.Name), l.T("doctor.fix_service_restart"), "")
			continue
		}
		detail := strings.TrimSpace(p.Status.Detail)
		switch {
		case p.Status.State == printer.StateReady:
			d.add("printer", pc.Name, "ok", l.T("doctor.printer_ready", "name", pc.Name, "transport", pc.Transport, "addr", pc.Address()), "", "")
		case p.Status.State == printer.StateUnknown || p.Status.State == "":
			d.add("printer", pc.Name, "ok", l.T("doctor.printer_no_status", "name", pc.Name, "transport", pc.Transport, "addr", pc.Address()), "", detail)
		case p.Status.State == printer.StateOffline:
			d.add("printer", pc.Name, "fail", l.T("doctor.printer_unreachable", "name", pc.Name, "addr", pc.Address()), l.T("doctor.fix_printer_network"), detail)
		default:
			d.add("printer", pc.Name, "warn", l.T("doctor.printer_problem", "name", pc.Name, "state", string(p.Status.State)), l.T("doctor.fix_printer_problem"), detail)
		}
	}
}

func (d *doctor) checkCarriers(ctx context.Context, cfg *config.Config, running bool) {
	l := d.l
	configured := cfg.DHL.Kind != 0 || cfg.Internetmarke.Kind != 0
	if !configured {
		d.add("carrier", "", "skip", l.T("doctor.carriers_none"), "", "")
		return
	}
	if !running {
		d.add("carrier", "", "skip", l.T("doctor.carriers_offline"), l.T("doctor.fix_service_start"), "")
		return
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	checks, err := d.app.Client().CheckCarriers(cctx)
	cancel()
	if err != nil {
		d.add("carrier", "", "warn", l.T("doctor.carriers_failed"), "", l.Err(err))
		return
	}
	for _, c := range checks {
		name := c.Carrier
		switch c.Result {
		case "not_configured":
			continue
		case "ok":
			d.add("carrier", name, "ok", l.T("doctor.carrier_ok", "carrier", name), "", "")
		case "rejected":
			d.add("carrier", name, "fail", l.T("doctor.carrier_rejected", "carrier", name), l.T("doctor.fix_carrier_credentials", "section", name), c.Detail)
		case "unreachable":
			d.add("carrier", name, "warn", l.T("doctor.carrier_unreachable", "carrier", name), l.T("doctor.fix_carrier_network"), c.Detail)
		default:
			d.add("carrier", name, "warn", l.T("doctor.carrier_error", "carrier", name), "", c.Detail)
		}
		if c.ClockSkewSeconds != nil {
			skew := *c.ClockSkewSeconds
			if math.Abs(skew) > 60 {
				d.add("clock", name, "fail", l.T("doctor.clock_skew", "carrier", name, "seconds", int(math.Round(skew))), l.T("doctor.fix_clock"), "")
			} else {
				d.add("clock", name, "ok", l.T("doctor.clock_ok", "carrier", name, "seconds", int(math.Round(skew))), "", "")
			}
		}
	}
}
