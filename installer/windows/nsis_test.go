package windows

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The installer script compiles with makensis, without warnings, with and
// without the tray. (`make dist` builds the real one from the cross-compiled
// binaries; this uses stand-in files and no compression, to stay fast.)
func TestInstallerScriptBuilds(t *testing.T) {
	if _, err := exec.LookPath("makensis"); err != nil {
		t.Skip("makensis not installed (Debian package nsis; make deps-dist installs it)")
	}
	dir := t.TempDir()
	for _, f := range []string{"labelagent.exe", "labelagent-tray.exe"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("MZ stand-in"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tray := range []bool{false, true} {
		out := filepath.Join(dir, "labelagent-installer.exe")
		args := []string{"-V2", "-WX", "-DNOCOMPRESS", "-DVERSION=1.2.3", "-DBINDIR=" + dir, "-DOUTFILE=" + out}
		if tray {
			args = append(args, "-DWITH_TRAY")
		}
		res, err := exec.Command("makensis", append(args, "labelagent.nsi")...).CombinedOutput()
		if err != nil {
			t.Fatalf("makensis (tray %v): %v\n%s", tray, err, res)
		}
		data, err := os.ReadFile(out)
		if err != nil || !strings.HasPrefix(string(data), "MZ") {
			t.Fatalf("no Windows executable written: %v", err)
		}
		os.Remove(out)
	}
}
