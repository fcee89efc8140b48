//go:build unix

// dpkg and file ownership (syscall.Stat_t): Debian packages are tested on Unix only.

package deb

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/store"
)

var built struct {
	once sync.Once
	dir  string
	err  error
}

// packages builds the agent once and packages it as versions 1.0.0 and
// 1.1.0 (uncompressed: the test measures dpkg, not gzip).
func packages(t *testing.T) (v1, v2 string) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("Debian packages are built on Linux")
	}
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		t.Skip("dpkg-deb not installed")
	}
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "labelagent-deb-test-")
		if built.err != nil {
			return
		}
		bin := filepath.Join(built.dir, "labelagent")
		// The same build as the end-to-end tests', so the build cache serves both.
		cmd := exec.Command("go", "build", "-o", bin, "../../cmd/labelagent")
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = err
			built.dir = string(out)
			return
		}
		for _, v := range []string{"1.0.0", "1.1.0"} {
			// The tray binary is packaged, not run here: the plain build stands in.
			if built.err = Build(Options{Binary: bin, TrayBinary: bin, Version: v, Out: filepath.Join(built.dir, "labelagent_"+v+"_amd64.deb"), Compression: "none"}); built.err != nil {
				return
			}
		}
	})
	if built.err != nil {
		t.Fatalf("%v %s", built.err, built.dir)
	}
	return filepath.Join(built.dir, "labelagent_1.0.0_amd64.deb"), filepath.Join(built.dir, "labelagent_1.1.0_amd64.deb")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" && filepath.IsAbs(built.dir) {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

func dpkgDeb(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("dpkg-deb", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("dpkg-deb %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// The package holds what IT needs and nothing that breaks printers.
func TestPackageContents(t *testing.T) {
	v1, _ := packages(t)
	contents := dpkgDeb(t, "-c", v1)
	for _, p := range []string{"./usr/bin/labelagent", "./etc/labelagent/config.yaml", "./usr/lib/systemd/system/labelagent.service",
		"./usr/lib/udev/rules.d/60-labelagent.rules", "./etc/xdg/autostart/labelagent-tray.desktop", "./usr/bin/labelagent-tray"} {
		if !strings.Contains(contents, " "+p+"\n") {
			t.Errorf("package lacks %s:\n%s", p, contents)
		}
	}
	if !strings.Contains(contents, "-rwxr-xr-x root/root") || !strings.Contains(contents, "-rw-r----- root/root") {
		t.Errorf("modes: binary 0755, config 0640 expected:\n%s", contents)
	}
	dir := t.TempDir()
	dpkgDeb(t, "-R", v1, dir)
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got := read("DEBIAN/conffiles"); got != "/etc/labelagent/config.yaml\n/etc/xdg/autostart/labelagent-tray.desktop\n" {
		t.Errorf("conffiles:\n%s", got)
	}
	for _, s := range []string{"preinst", "postinst", "prerm", "postrm"} {
		fi, err := os.Stat(filepath.Join(dir, "DEBIAN", s))
		if err != nil || fi.Mode().Perm()&0o111 == 0 {
			t.Errorf("maintainer script %s: %v", s, err)
		}
		if out, err := exec.Command("sh", "-n", filepath.Join(dir, "DEBIAN", s)).CombinedOutput(); err != nil {
			t.Errorf("%s is not valid sh: %s", s, out)
		}
	}
	unit := read("usr/lib/systemd/system/labelagent.service")
	for _, want := range []string{"ExecStart=/usr/bin/labelagent service run\n", "User=labelagent\n", "SupplementaryGroups=lp dialout\n",
		"Restart=on-failure\n", "RestartPreventExitStatus=4 5\n", "WantedBy=multi-user.target\n"} {
		if !strings.Contains(unit, want) {
			t.Errorf("unit lacks %q:\n%s", want, unit)
		}
	}
	if strings.Contains(unit, "PrivateDevices") {
		t.Error("unit hides /dev from the service: USB and serial printers would vanish")
	}
	rules := read("usr/lib/udev/rules.d/60-labelagent.rules")
	if !strings.Contains(rules, `ATTR{idVendor}=="0a5f", MODE="0660", GROUP="lp"`) {
		t.Errorf("udev rule does not give Zebra printers to lp:\n%s", rules)
	}
	if d := read("etc/xdg/autostart/labelagent-tray.desktop"); !strings.Contains(d, "Exec=/usr/bin/labelagent-tray tray\n") {
		t.Errorf("autostart entry:\n%s", d)
	}
	control := read("DEBIAN/control")
	if !strings.Contains(control, "Package: labelagent\n") || !strings.Contains(control, "Version: 1.0.0\n") {
		t.Errorf("control:\n%s", control)
	}
}

// throwawayRoot is an empty system for dpkg --root: a dpkg database and
// the account files with the groups a Debian system has. It has no
// packages, so the test forces past the package's dependencies (passwd,
// util-linux), whose tools the host provides.
func throwawayRoot(t *testing.T) string {
	t.Helper()
	r := t.TempDir()
	for _, d := range []string{"var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers", "var/log", "etc"} {
		if err := os.MkdirAll(filepath.Join(r, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"var/lib/dpkg/status":    "",
		"var/lib/dpkg/available": "",
		"etc/passwd":             "root:x:0:0:root:/root:/bin/bash\n",
		"etc/shadow":             "root:*:19000:0:99999:7:::\n",
		"etc/group":              "root:x:0:\nlp:x:7:\ndialout:x:20:\n",
		"etc/gshadow":            "root:*::\nlp:*::\ndialout:*::\n",
	}
	for p, c := range files {
		if err := os.WriteFile(filepath.Join(r, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// Install → upgrade → remove → purge in a throwaway root: the upgrade keeps
// the edited configuration, the data and the queued jobs; remove keeps
// configuration and data; purge removes them.
func TestInstallUpgradeRemovePurge(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and installs two packages")
	}
	if os.Geteuid() != 0 {
		t.Skip("dpkg --root needs root to set the files' owners")
	}
	v1, v2 := packages(t)
	r := throwawayRoot(t)
	dpkg := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("dpkg", append([]string{"--root=" + r, "--force-script-chrootless", "--force-not-root", "--force-depends", "--log=/dev/null"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("dpkg %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	status := func() string {
		out, _ := exec.Command("dpkg-query", "--admindir="+filepath.Join(r, "var/lib/dpkg"), "-W", "-f=${Status} ${Version}", "labelagent").CombinedOutput()
		return strings.TrimSpace(string(out))
	}
	path := func(p string) string { return filepath.Join(r, p) }
	exists := func(p string) bool { _, err := os.Lstat(path(p)); return err == nil }

	dpkg("-i", v1)
	if s := status(); s != "install ok installed 1.0.0" {
		t.Fatalf("after install: %q", s)
	}
	// The service account: a system user in its group, lp and dialout.
	passwd, _ := os.ReadFile(path("etc/passwd"))
	group, _ := os.ReadFile(path("etc/group"))
	line := lineOf(string(passwd), "labelagent:")
	if line == "" || !strings.HasSuffix(line, ":/var/lib/labelagent:/usr/sbin/nologin") {
		t.Fatalf("service account: %q", line)
	}
	uid, _ := strconv.Atoi(strings.Split(line, ":")[2])
	if uid >= 1000 {
		t.Errorf("not a system account: uid %d", uid)
	}
	gid, _ := strconv.Atoi(strings.Split(lineOf(string(group), "labelagent:"), ":")[2])
	for _, g := range []string{"lp:", "dialout:"} {
		if !strings.HasSuffix(lineOf(string(group), g), ":labelagent") {
			t.Errorf("service account not in %s %q", g, lineOf(string(group), g))
		}
	}
	owner := func(p string) (int, int, os.FileMode) {
		fi, err := os.Stat(path(p))
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		return int(st.Uid), int(st.Gid), fi.Mode().Perm()
	}
	if u, g, m := owner("var/lib/labelagent"); u != uid || g != gid || m != 0o750 {
		t.Errorf("data directory: %d:%d %v", u, g, m)
	}
	if u, g, m := owner("etc/labelagent/config.yaml"); u != 0 || g != gid || m != 0o640 {
		t.Errorf("config: %d:%d %v, want root:labelagent 0640", u, g, m)
	}
	if !exists("etc/systemd/system/multi-user.target.wants/labelagent.service") {
		t.Error("service not enabled")
	}

	// IT edits the configuration; the agent has queued jobs.
	cfg := path("etc/labelagent/config.yaml")
	edited := bytes.Replace(mustRead(t, cfg), []byte("listen: 127.0.0.1:9180"), []byte("listen: 127.0.0.1:9188 # changed by IT"), 1)
	if err := os.WriteFile(cfg, edited, 0o640); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(path("var/lib/labelagent"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, _, err := st.Submit(apitype.Job{Printer: "file", Kind: apitype.KindZPL, Copies: 1, State: apitype.StateQueued,
			Name: "order-" + strconv.Itoa(i), Created: time.Now()}, []byte("^XA^FDqueued^FS^XZ")); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	dpkg("-i", v2)
	if s := status(); s != "install ok installed 1.1.0" {
		t.Fatalf("after upgrade: %q", s)
	}
	if got := mustRead(t, cfg); !bytes.Equal(got, edited) {
		t.Errorf("the upgrade changed the edited configuration:\n%s", got)
	}
	if exists("etc/labelagent/config.yaml.dpkg-new") || exists("etc/labelagent/config.yaml.dpkg-old") {
		t.Error("the upgrade left a .dpkg-new/.dpkg-old beside the configuration")
	}
	st, err = store.Open(path("var/lib/labelagent"))
	if err != nil {
		t.Fatal(err)
	}
	active, _ := st.Active()
	st.Close()
	if len(active) != 3 {
		t.Fatalf("queued jobs after the upgrade: %d, want 3", len(active))
	}
	// The upgraded binary reads the edited configuration.
	out, err := exec.Command(path("usr/bin/labelagent"), "--config", cfg, "--data-dir", path("var/lib/labelagent"), "config", "check").CombinedOutput()
	if err != nil {
		t.Errorf("the upgraded agent refuses the kept configuration: %v\n%s", err, out)
	}

	dpkg("-r", "labelagent")
	if s := status(); !strings.HasPrefix(s, "deinstall ok config-files") {
		t.Fatalf("after remove: %q", s)
	}
	if exists("usr/bin/labelagent") || exists("usr/lib/systemd/system/labelagent.service") || exists("etc/systemd/system/multi-user.target.wants/labelagent.service") {
		t.Error("remove left the binary, the unit or the enablement")
	}
	if !exists("etc/labelagent/config.yaml") || !exists("var/lib/labelagent/labelagent.db") {
		t.Error("remove deleted configuration or data")
	}

	dpkg("-P", "labelagent")
	if s := status(); s != "" && !strings.Contains(s, "not-installed") && !strings.Contains(s, "no packages found") {
		t.Fatalf("after purge: %q", s)
	}
	for _, p := range []string{"etc/labelagent", "var/lib/labelagent", "var/log/labelagent", "etc/xdg/autostart/labelagent-tray.desktop", "usr/lib/udev/rules.d/60-labelagent.rules"} {
		if exists(p) {
			t.Errorf("purge left %s", p)
		}
	}
}

func lineOf(text, prefix string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
