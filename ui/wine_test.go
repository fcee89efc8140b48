//go:build tray && linux

package ui

import (
	"context"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
)

// TestTrayOnWine runs the Windows build of the tray (labelagent-tray.exe,
// cross-built with MinGW as `make dist` ships it) under Wine on a virtual
// display, against the real agent: the Windows code paths (win32 tray icon,
// WGL, the Windows language and paths) start, the window shows a printed
// job in German, says when the service stops, and closes to the tray. Wine
// is not Windows; it is the nearest this build machine has. `make
// test-windows` installs Wine and MinGW and sets LABELAGENT_TEST_WINE=1;
// without it the test is skipped (the cross build alone takes minutes).
func TestTrayOnWine(t *testing.T) {
	if os.Getenv("LABELAGENT_TEST_WINE") != "1" {
		t.Skip("runs the Windows tray under Wine: `make test-windows` (installs Wine and MinGW, sets LABELAGENT_TEST_WINE=1)")
	}
	wine := lookWine(t)
	display := startXvfb(t)
	dir := t.TempDir()

	exe := filepath.Join(dir, "labelagent-tray.exe")
	build := exec.Command("go", "build", "-trimpath", "-tags", "tray,no_emoji", "-ldflags", "-s -w -H windowsgui", "-o", exe, "../cmd/labelagent-tray")
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=1", "CC=x86_64-w64-mingw32-gcc")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("cross-building the Windows tray: %v\n%s", err, out)
	}

	// A fresh Wine prefix; no Mono or Gecko (their installers would ask).
	prefix := filepath.Join(dir, "wine")
	env := append(os.Environ(), "DISPLAY="+display, "WINEPREFIX="+prefix, "WINEDEBUG=-all", "WINEDLLOVERRIDES=mscoree,mshtml=", "LANG=C", "LC_ALL=")
	boot := exec.Command(wine, "wineboot", "-i")
	boot.Env = env
	if out, err := boot.CombinedOutput(); err != nil {
		t.Fatalf("wineboot: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		k := exec.Command(filepath.Join(filepath.Dir(wine), "wineserver"), "-k")
		k.Env = env
		k.Run()
	})
	shim := filepath.Join(prefix, "drive_c", "windows", "system32", "bcryptprimitives.dll")
	if out, err := exec.Command("x86_64-w64-mingw32-gcc", "-shared", "-o", shim, filepath.Join("testdata", "wine", "bcryptprimitives.c"), "-ladvapi32").CombinedOutput(); err != nil {
		t.Fatalf("building Wine's missing bcryptprimitives.dll: %v\n%s", err, out)
	}

	bin := filepath.Join(dir, "labelagent")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/labelagent").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	addr, cfg, data, _ := agentConfig(t, dir)
	agent := startProc(t, os.Environ(), bin, "run", "--config", cfg)
	cl := &client.Client{Addr: addr, DataDir: data}
	waitFor(t, "the agent", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := cl.Health(ctx)
		return err == nil
	})

	// The data directory as a Windows program sees it (Wine's Z: drive).
	winData := "Z:" + strings.ReplaceAll(data, "/", `\`)
	tray := startProc(t, env, wine, exe, "--addr", addr, "--data-dir", winData, "--lang", "de", "--log-level", "debug", "--poll", "1s")
	tray.seen(t, "the ready state", func(s string) bool { return strings.Contains(s, "state=Bereit") })

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := cl.Submit(ctx, apitype.SubmitRequest{Kind: apitype.KindZPL, Name: "ORD-WINE", Payload: []byte("^XA^FO50,50^A0N,60,60^FDORD-WINE^FS^XZ\n")}); err != nil {
		t.Fatal(err)
	}
	tray.seen(t, "the printed job", func(s string) bool { return strings.Contains(s, `first_job="ORD-WINE – gedruckt auf desk`) })
	screenshot(t, display, "tray-windows-wine.png")

	agent.cmd.Process.Kill()
	tray.seen(t, "service not running", func(s string) bool { return strings.Contains(s, `state="Dienst läuft nicht"`) })

	// The close button closes the window to the tray.
	xclose := filepath.Join(dir, "xclose")
	buildTray(t, "./internal/xclose", xclose)
	closeCmd := exec.Command(xclose, "labelagent")
	closeCmd.Env = env
	if out, err := closeCmd.CombinedOutput(); err != nil {
		t.Fatalf("closing the window: %v\n%s", err, out)
	}
	// The window is a process of its own (trayhost.go): it ends, the tray
	// program (icon and menu) stays.
	tray.seen(t, "the window process ended", func(s string) bool { return strings.Contains(s, "window process ended") })
	tray.seen(t, "the tray with the window closed", func(s string) bool {
		return strings.Contains(s, "window_open=false") && strings.LastIndex(s, "window_open=false") > strings.LastIndex(s, "window process ended")
	})
	// Left on the screen: Wine's stand-in for the taskbar's notification
	// area (a small window at the top left), with the tray's icon in it.
	shot := waitScreen(t, display, "the window gone from the screen", func(img image.Image) bool {
		r, g, b, _ := img.At(500, 400).RGBA()
		return r|g|b == 0 // Xvfb's black root (-br) where the window was
	})
	icon := false
	for y := 22; y < 42 && !icon; y++ {
		for x := 3; x < 24 && !icon; x++ {
			r, g, b, _ := shot.At(x, y).RGBA()
			icon = r != g || g != b || (r > 0x1000 && r < 0xf000) // coloured or grey: not the tray's white or the root's black
		}
	}
	if !icon {
		t.Error("no tray icon in Wine's notification area")
	}
	screenshot(t, display, "tray-windows-wine-closed.png")
	select {
	case <-tray.exited:
		t.Fatalf("the tray ended when its window closed:\n%s", tray.out)
	default:
	}
}

// lookWine finds Wine's 64-bit loader: on PATH, or where Debian's wine64
// package puts it.
func lookWine(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"wine64", "wine"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if _, err := os.Stat("/usr/lib/wine/wine64"); err == nil {
		return "/usr/lib/wine/wine64"
	}
	t.Fatal("Wine is not installed (Debian package wine64; make test-windows installs it)")
	return ""
}

// waitScreen captures the display until cond holds for the capture (up to
// 20 s) and returns that capture.
func waitScreen(t *testing.T, display, what string, cond func(image.Image) bool) image.Image {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if img, _ := captureScreen(t, display); cond(img) {
			return img
		}
		if time.Now().After(deadline) {
			t.Fatalf("the screen never showed %s", what)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
