//go:build tray && linux

package ui

import (
	"context"
	"image"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
)

// TestTrayInXfcePanel puts the tray into a real desktop's notification
// area: Xfce's panel, on a virtual display and a private session bus. The
// panel, not the test, draws the icon and, on a right click, the menu it
// reads from the tray over D-Bus (docs/screenshots/tray-menu-xfce.png with
// UPDATE_SCREENSHOTS=1); the operator's keys in that menu open the window.
func TestTrayInXfcePanel(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a desktop panel, the agent and the tray")
	}
	for _, tool := range []string{"xfce4-panel", "xdotool", "dbus-daemon", "import"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (make test installs xfce4-panel, xdotool, dbus-daemon and imagemagick): the test needs a real desktop panel", tool)
		}
	}
	display := startXvfb(t)
	dir := t.TempDir()
	// A fresh home: the panel starts from Xfce's default layout (a top
	// panel with the notification area at the right).
	env := []string{"DISPLAY=" + display, "DBUS_SESSION_BUS_ADDRESS=" + startDBusDaemon(t), "HOME=" + dir, "XDG_CONFIG_HOME=" + filepath.Join(dir, ".config"), "LC_ALL=de_DE.UTF-8"}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "DISPLAY" && k != "DBUS_SESSION_BUS_ADDRESS" && k != "HOME" && k != "XDG_CONFIG_HOME" && k != "LC_ALL" {
			env = append(env, kv)
		}
	}
	startProc(t, env, "xfce4-panel", "--disable-wm-check")

	bin, trayBin, xclose := buildSmokeTools(t, dir)
	addr, cfg, data, _ := agentConfig(t, dir)
	startProc(t, os.Environ(), bin, "run", "--config", cfg)
	cl := &client.Client{Addr: addr, DataDir: data}
	waitLong(t, "the agent", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := cl.Health(ctx)
		return err == nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := cl.Submit(ctx, apitype.SubmitRequest{Kind: apitype.KindZPL, Name: "ORD-XFCE", Payload: []byte("^XA^FO50,50^A0N,60,60^FDORD-XFCE^FS^XZ\n")}); err != nil {
		t.Fatal(err)
	}

	tray := startProc(t, env, trayBin, "--addr", addr, "--data-dir", data, "--lang", "de", "--log-level", "debug", "--poll", "1s")
	tray.seen(t, "the printed job", func(s string) bool { return strings.Contains(s, `first_job="ORD-XFCE – gedruckt auf desk`) })
	// The window opens at start; the operator closes it to the tray.
	windowShown := func() bool {
		c := exec.Command(xclose, "-exists", "labelagent")
		c.Env = env
		return c.Run() == nil
	}
	waitLong(t, "the window at start", windowShown)
	closeCmd := exec.Command(xclose, "labelagent")
	closeCmd.Env = env
	if out, err := closeCmd.CombinedOutput(); err != nil {
		t.Fatalf("closing the window: %v\n%s", err, out)
	}
	tray.seen(t, "the window process ended", func(s string) bool { return strings.Contains(s, "window process ended") })

	// The panel draws the icon: green, ready, in the bar at the top.
	var iconX, iconY int
	before := waitScreen(t, display, "the tray's icon in the panel", func(img image.Image) bool {
		iconX, iconY = findColour(img, image.Rect(0, 0, img.Bounds().Dx(), 40), iconFill(Ready))
		return iconX >= 0
	})
	click := func(args ...string) {
		t.Helper()
		c := exec.Command("xdotool", args...)
		c.Env = env
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("xdotool %v: %v\n%s", args, err, out)
		}
	}
	click("mousemove", strconv.Itoa(iconX), strconv.Itoa(iconY), "click", "3")
	// The menu the panel drew from the tray's D-Bus menu: a large area
	// below the bar that was not there before.
	waitScreen(t, display, "the tray's menu", func(img image.Image) bool {
		return changed(before, img, image.Rect(0, 40, img.Bounds().Dx(), 400)) > 20000
	})
	screenshot(t, display, "tray-menu-xfce.png")
	// Keys, as an operator without a mouse: up from the top wraps to the
	// last line ("Tray beenden"), once more is "labelagent öffnen".
	click("key", "Up", "Up", "Return")
	tray.seen(t, "the window opened from the panel's menu", func(s string) bool { return strings.Count(s, "window process started") == 2 })
	waitLong(t, "the window on the screen", windowShown)
}

// findColour finds a pixel of colour c inside r, searching from the right
// (where a panel keeps its notification area); -1, -1 when there is none.
func findColour(img image.Image, r image.Rectangle, c color.NRGBA) (int, int) {
	r = r.Intersect(img.Bounds())
	for x := r.Max.X - 1; x >= r.Min.X; x-- {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			pr, pg, pb, _ := img.At(x, y).RGBA()
			if near(pr>>8, c.R) && near(pg>>8, c.G) && near(pb>>8, c.B) {
				return x, y
			}
		}
	}
	return -1, -1
}

func near(v uint32, want uint8) bool { d := int(v) - int(want); return d > -12 && d < 12 }

// changed counts the pixels inside r that differ between two captures.
func changed(a, b image.Image, r image.Rectangle) int {
	n := 0
	r = r.Intersect(a.Bounds()).Intersect(b.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				n++
			}
		}
	}
	return n
}
