// Package svcdef says what the installed labelagent service is, in one
// place for the `service` command (kardianos/service), the .deb and the
// Windows installer: its name and account, the systemd unit, the udev rule
// for USB label printers, the default configuration and the tray's
// autostart entry.
package svcdef

import (
	_ "embed"
	"fmt"
	"runtime"
	"sort"
	"strings"

	"github.com/labelagent/labelagent/printer/usb"
)

// Name is the service's name (systemd unit, init script, Windows service).
const Name = "labelagent"

// DisplayName and Description are shown by the service managers.
const (
	DisplayName = "labelagent label printing"
	Description = "Prints shipping labels and postage at the packing station (DHL, INTERNETMARKE, thermal printers)."
)

// User and Group: the service's own system account, and the operators'
// group that may read the API key and use the CLI and the tray.
const (
	User  = "labelagent"
	Group = "labelagent"
)

// DeviceGroups are the groups the service account joins so it can open
// printers: USB printers (through the udev rule) and the CUPS spooler are
// "lp", serial ports "dialout".
var DeviceGroups = []string{"lp", "dialout"}

// RunArgs are the arguments the service manager starts the binary with.
var RunArgs = []string{"service", "run"}

// Exit codes after which restarting cannot help (a damaged store, a store
// from a newer version): the service manager must not restart in a loop.
const NoRestartExitCodes = "4 5"

// SystemdUnit is the unit file for the service started as exe args...,
// running as user (root when "").
func SystemdUnit(exe string, args []string, user string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `[Unit]
Description=%s
Documentation=man:labelagent(1)
After=network-online.target cups.service
Wants=network-online.target

[Service]
Type=simple
ExecStart=%s
`, DisplayName, strings.Join(append([]string{exe}, args...), " "))
	if user != "" {
		fmt.Fprintf(&b, "User=%s\nGroup=%s\nSupplementaryGroups=%s\n", user, Group, strings.Join(DeviceGroups, " "))
	}
	// No PrivateDevices=: the service opens USB and serial printers in /dev.
	fmt.Fprintf(&b, `Restart=on-failure
RestartSec=5
RestartPreventExitStatus=%s
TimeoutStopSec=20
UMask=0027
StateDirectory=labelagent
StateDirectoryMode=0750
ProtectSystem=full
NoNewPrivileges=true

[Install]
WantedBy=multi-user.target
`, NoRestartExitCodes)
	return b.String()
}

// UdevRule gives the "lp" group (which the service account is in) access
// to the USB label printers of the makers labelagent knows.
func UdevRule() string {
	ids := make([]uint16, 0, len(usb.Vendors))
	for id := range usb.Vendors {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var b strings.Builder
	b.WriteString("# labelagent: USB label printers may be opened by the \"lp\" group,\n")
	b.WriteString("# which the labelagent service account is in. Installed by the labelagent package.\n")
	for _, id := range ids {
		fmt.Fprintf(&b, "SUBSYSTEM==\"usb\", ENV{DEVTYPE}==\"usb_device\", ATTR{idVendor}==\"%04x\", MODE=\"0660\", GROUP=\"lp\" # %s\n", id, usb.Vendors[id])
	}
	return b.String()
}

// UdevRuleFile is where the rule is installed on Linux.
const UdevRuleFile = "/usr/lib/udev/rules.d/60-labelagent.rules"

//go:embed config.yaml.tmpl
var configTemplate string

// DefaultConfig is the commented configuration the installer (or the
// service's first start) writes to the system path, for goos ("linux",
// "windows") with the service's data directory.
func DefaultConfig(goos, dataDir string) string {
	sysLog, logFile, serial := "the journal (journalctl -u labelagent)", "/var/log/labelagent/labelagent.log", "/dev/ttyUSB0"
	if goos == "windows" {
		sysLog, logFile, serial = "the Windows Event Log (Application, source labelagent)", `C:\ProgramData\labelagent\logs\labelagent.log`, "COM3"
	}
	quote := func(s string) string {
		if goos == "windows" {
			return "'" + s + "'" // YAML single quotes keep backslashes
		}
		return s
	}
	r := strings.NewReplacer("{{DATA_DIR}}", quote(dataDir), "{{SYSTEM_LOG}}", sysLog, "{{LOG_FILE}}", quote(logFile), "{{SERIAL_EXAMPLE}}", serial)
	out := r.Replace(configTemplate)
	if goos == "windows" {
		out = strings.ReplaceAll(out, "\n", "\r\n")
	}
	return out
}

// DefaultConfigHere is DefaultConfig for this system.
func DefaultConfigHere(dataDir string) string { return DefaultConfig(runtime.GOOS, dataDir) }

// TrayAutostart is the XDG autostart entry that starts the tray
// (`labelagent tray`) in every desktop session.
func TrayAutostart(exe string) string {
	return `[Desktop Entry]
Type=Application
Name=labelagent
Name[de]=labelagent
Comment=Label printing: printers, jobs and Portokasse balance
Comment[de]=Etikettendruck: Drucker, Aufträge und Portokasse-Guthaben
Exec=` + exe + ` tray
Icon=printer
Terminal=false
Categories=Office;
X-GNOME-Autostart-enabled=true
`
}
