// Package deb builds labelagent's Debian package with nfpm (as a library,
// deb packager only): the binary, the default configuration as a conffile,
// the systemd unit, the udev rule for USB label printers, the tray's
// autostart entry, and maintainer scripts that create the service account,
// enable and start the service, restart it on upgrade and stop it on
// removal. The scripts honour DPKG_ROOT, so the package installs into a
// throwaway root for tests.
package deb

import (
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"

	"github.com/labelagent/labelagent/installer/svcdef"
)

//go:embed scripts
var scripts embed.FS

// Paths inside the package.
const (
	BinPath       = "/usr/bin/labelagent"
	ConfigPath    = "/etc/labelagent/config.yaml"
	UnitPath      = "/usr/lib/systemd/system/labelagent.service"
	AutostartPath = "/etc/xdg/autostart/labelagent-tray.desktop"
	TrayBinPath   = "/usr/bin/labelagent-tray"
	DataDir       = "/var/lib/labelagent"
)

// Options say what to package.
type Options struct {
	Binary string // the linux labelagent binary
	// TrayBinary is cmd/labelagent-tray built with -tags tray (Fyne, cgo), installed
	// as /usr/bin/labelagent-tray and started in desktop sessions; empty:
	// the package has no tray and no autostart entry.
	TrayBinary string
	Version    string // e.g. 1.2.0 or 0.0.0~git.abc123
	Arch       string // Debian architecture: amd64, arm64
	Out        string // the .deb to write
	// MTime stamps every file (reproducible builds); zero: now.
	MTime time.Time
	// Compression of the data archive: gzip (default), xz, zstd or none.
	Compression string
}

// Build writes the package.
func Build(o Options) error {
	if o.Arch == "" {
		o.Arch = "amd64"
	}
	if o.MTime.IsZero() {
		o.MTime = time.Now()
	}
	work, err := os.MkdirTemp("", "labelagent-deb-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	write := func(name, content string, mode os.FileMode) (string, error) {
		p := filepath.Join(work, name)
		return p, os.WriteFile(p, []byte(content), mode)
	}
	generated := map[string]string{
		"config.yaml":             svcdef.DefaultConfig("linux", DataDir),
		"labelagent.service":      svcdef.SystemdUnit(BinPath, svcdef.RunArgs, svcdef.User),
		"60-labelagent.rules":     svcdef.UdevRule(),
		"labelagent-tray.desktop": svcdef.TrayAutostart(TrayBinPath),
	}
	src := map[string]string{}
	for name, content := range generated {
		if src[name], err = write(name, content, 0o644); err != nil {
			return err
		}
	}
	script := func(name string) (string, error) {
		data, err := scripts.ReadFile("scripts/" + name)
		if err != nil {
			return "", err
		}
		return write(name, string(data), 0o755)
	}
	var sc nfpm.Scripts
	for _, s := range []struct {
		name string
		dst  *string
	}{{"preinst", &sc.PreInstall}, {"postinst", &sc.PostInstall}, {"prerm", &sc.PreRemove}, {"postrm", &sc.PostRemove}} {
		if *s.dst, err = script(s.name); err != nil {
			return err
		}
	}
	info := &nfpm.Info{
		Name:        "labelagent",
		Arch:        o.Arch,
		Platform:    "linux",
		Version:     o.Version,
		Section:     "utils",
		Priority:    "optional",
		Maintainer:  "labelagent <it@labelagent.invalid>",
		Description: "Packing-station label agent\n" + svcdef.Description,
		Homepage:    "https://github.com/labelagent/labelagent",
		License:     "Proprietary",
		MTime:       o.MTime,
		Overridables: nfpm.Overridables{
			// useradd/groupadd/usermod (passwd), install (coreutils),
			// setpriv (util-linux) for SysV systems, libusb for USB printers.
			Depends:    []string{"passwd", "util-linux", "libusb-1.0-0"},
			Recommends: []string{"cups-client"},
			Scripts:    sc,
			Deb:        nfpm.Deb{Compression: o.Compression},
			Contents: files.Contents{
				{Source: o.Binary, Destination: BinPath, FileInfo: &files.ContentFileInfo{Mode: 0o755}},
				{Source: src["config.yaml"], Destination: ConfigPath, Type: files.TypeConfigNoReplace, FileInfo: &files.ContentFileInfo{Mode: 0o640}},
				{Source: src["labelagent.service"], Destination: UnitPath, FileInfo: &files.ContentFileInfo{Mode: 0o644}},
				{Source: src["60-labelagent.rules"], Destination: svcdef.UdevRuleFile, FileInfo: &files.ContentFileInfo{Mode: 0o644}},
			},
		},
	}
	if o.TrayBinary != "" {
		// The tray (`labelagent-tray tray`) starts in every desktop session.
		// It is a separate binary so the service stays free of Fyne and of
		// the desktop's GL and X11 libraries, which are only recommended.
		info.Contents = append(info.Contents,
			&files.Content{Source: o.TrayBinary, Destination: TrayBinPath, FileInfo: &files.ContentFileInfo{Mode: 0o755}},
			&files.Content{Source: src["labelagent-tray.desktop"], Destination: AutostartPath, Type: files.TypeConfig, FileInfo: &files.ContentFileInfo{Mode: 0o644}})
		// xdg-utils: the tray's menu opens the dashboard with xdg-open.
		info.Recommends = append(info.Recommends, "libgl1", "libx11-6", "libxcursor1", "libxrandr2", "libxinerama1", "libxi6", "libxxf86vm1", "xdg-utils")
	}
	info = nfpm.WithDefaults(info)
	if err := nfpm.PrepareForPackager(info, "deb"); err != nil {
		return fmt.Errorf("deb contents: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(o.Out), 0o755); err != nil {
		return err
	}
	f, err := os.Create(o.Out)
	if err != nil {
		return err
	}
	if err := deb.Default.Package(info, f); err != nil {
		f.Close()
		os.Remove(o.Out)
		return fmt.Errorf("build %s: %w", o.Out, err)
	}
	return f.Close()
}
