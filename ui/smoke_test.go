//go:build tray

package ui

import (
	"bufio"
	"context"
	"fmt"
	"image/png"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
)

// lockedBuf collects a process's output while it runs.
type lockedBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startXvfb starts a virtual display and returns its DISPLAY.
func startXvfb(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("Xvfb"); err != nil {
		t.Skip("Xvfb is not installed (Debian package xvfb; make test installs it): the tray smoke test needs a display")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatalf("Xvfb did not say its display: %v", err)
	}
	return ":" + strings.TrimSpace(line)
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// memory is a process's resident memory from /proc/PID/smaps: the total
// and the part that is Mesa's software OpenGL (llvmpipe's libLLVM and the
// swrast DRI driver), which Xvfb forces and a PC with a GPU driver does
// not load.
type memory struct{ rss, mesa int64 }

func (m memory) String() string {
	return fmt.Sprintf("%.1f MB RSS, of which %.1f MB Mesa's software GL (libLLVM, swrast_dri), %.1f MB the rest",
		float64(m.rss)/(1<<20), float64(m.mesa)/(1<<20), float64(m.rss-m.mesa)/(1<<20))
}

func residentMemory(pid int) (memory, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		return memory{}, err
	}
	var m memory
	mapping := ""
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":") {
			mapping = ""
			if len(f) >= 6 {
				mapping = f[5]
			}
			continue
		}
		if f[0] == "Rss:" && len(f) >= 2 {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return memory{}, err
			}
			m.rss += kb << 10
			if base := filepath.Base(mapping); strings.HasPrefix(base, "libLLVM") || strings.HasSuffix(base, "_dri.so") {
				m.mesa += kb << 10
			}
		}
	}
	if m.rss == 0 {
		return m, fmt.Errorf("no Rss in /proc/%d/smaps", pid)
	}
	return m, nil
}

// buildTray builds a package of this module with the tray's tags.
func buildTray(t *testing.T, pkg, out string) {
	t.Helper()
	if out2, err := exec.Command("go", "build", "-tags", "tray,no_emoji", "-o", out, pkg).CombinedOutput(); err != nil {
		t.Fatalf("go build -tags tray,no_emoji %s: %v\n%s", pkg, err, out2)
	}
}

// TestTraySmoke runs labelagent-tray (cmd/labelagent-tray, -tags tray) on a
// virtual display against the real agent with a file printer: a job printed through
// the agent shows up as printed in the window, and the window is captured.
// UPDATE_SCREENSHOTS=1 copies the capture to docs/screenshots/.
func TestTraySmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the agent and the tray")
	}
	display := startXvfb(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "labelagent")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/labelagent").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	trayBin := filepath.Join(dir, "labelagent-tray")
	buildTray(t, "../cmd/labelagent-tray", trayBin)
	addr := freePort(t)
	data := filepath.Join(dir, "data")
	cfg := filepath.Join(dir, "config.yaml")
	// The browser API would take its fixed default port: off (other tests run at once).
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`listen: %s
data_dir: %s
browser: {enabled: false}
default_printer: desk
printers:
  - name: desk
    transport: file
    file: {dir: %s}
`, addr, data, filepath.Join(dir, "labels"))), 0o600); err != nil {
		t.Fatal(err)
	}
	agentOut := &lockedBuf{}
	agent := exec.Command(bin, "run", "--config", cfg)
	agent.Stdout, agent.Stderr = agentOut, agentOut
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { agent.Process.Kill(); agent.Wait() })
	cl := &client.Client{Addr: addr, DataDir: data}
	waitFor(t, "the agent", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := cl.Health(ctx)
		return err == nil
	})

	trayOut := &lockedBuf{}
	tray := exec.Command(trayBin, "--addr", addr, "--data-dir", data, "--lang", "de", "--log-level", "debug", "--poll", "1s")
	tray.Env = append(os.Environ(), "DISPLAY="+display, "LC_ALL=de_DE.UTF-8")
	tray.Stdout, tray.Stderr = trayOut, trayOut
	tray.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := tray.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { tray.Wait(); close(exited) }()
	t.Cleanup(func() { syscall.Kill(-tray.Process.Pid, syscall.SIGKILL); <-exited })
	seen := func(what string, cond func(string) bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !cond(trayOut.String()) {
			select {
			case <-exited:
				t.Fatalf("the tray exited while waiting for %s:\n%s", what, trayOut)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("the tray did not show %s:\n%s", what, trayOut)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	seen("the ready state", func(s string) bool { return strings.Contains(s, "state=Bereit") })

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := cl.Submit(ctx, apitype.SubmitRequest{Kind: apitype.KindZPL, Name: "ORD-SMOKE", Payload: []byte("^XA^PW812^LL1218^FO50,50^A0N,60,60^FDORD-SMOKE^FS^BY3^FO50,150^BCN,150,Y,N,N^FD4711^FS^XZ\n")})
	if err != nil {
		t.Fatal(err)
	}
	seen("the printed job", func(s string) bool { return strings.Contains(s, `first_job="ORD-SMOKE – gedruckt auf desk`) })
	if j, err := cl.Job(ctx, res.Job.ID); err != nil || j.State != apitype.StateDone {
		t.Fatalf("the agent says %s, %v", j.State, err)
	}

	// The screen as X shows it (ImageMagick's import), after the redraw.
	shot := filepath.Join(dir, "main-window.png")
	if _, err := exec.LookPath("import"); err != nil {
		t.Skip("ImageMagick's import is not installed: no screenshot")
	}
	time.Sleep(time.Second)
	if out, err := exec.Command("import", "-display", display, "-window", "root", shot).CombinedOutput(); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 300 {
		t.Errorf("screenshot is %v", b)
	}
	colours := map[uint32]bool{}
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y += 7 {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x += 7 {
			r, g, b, _ := img.At(x, y).RGBA()
			colours[r>>8<<16|g>>8<<8|b>>8] = true
		}
	}
	if len(colours) < 3 {
		t.Errorf("the screenshot is blank (%d colours)", len(colours))
	}
	if os.Getenv("UPDATE_SCREENSHOTS") == "1" {
		data, err := os.ReadFile(shot)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("..", "docs", "screenshots", "tray-main-window.png"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// Idle memory, reported for docs/benchmarks.md, next to the floor: an
	// empty Fyne window with a tray menu on the same display.
	time.Sleep(5 * time.Second)
	mem, err := residentMemory(tray.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("tray idle: %v", mem)
	if mem.rss-mem.mesa > 120<<20 {
		t.Errorf("the idle tray without Mesa's software GL takes %v (target 120 MB)", mem)
	}
	empty := filepath.Join(dir, "emptywindow")
	buildTray(t, "./internal/emptywindow", empty)
	ew := exec.Command(empty)
	ew.Env = tray.Env
	if err := ew.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Second)
	if floor, err := residentMemory(ew.Process.Pid); err == nil {
		t.Logf("empty Fyne window (the floor): %v", floor)
	}
	ew.Process.Kill()
	ew.Wait()

	// The agent stops: the tray says so and keeps running; it comes back.
	agent.Process.Kill()
	agent.Wait()
	seen("service not running", func(s string) bool { return strings.Contains(s, "state=\"Dienst läuft nicht\"") })
	agent2 := exec.Command(bin, "run", "--config", cfg)
	agent2.Stdout, agent2.Stderr = agentOut, agentOut
	if err := agent2.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { agent2.Process.Kill(); agent2.Wait() })
	n := strings.Count(trayOut.String(), "state=Bereit")
	seen("the reconnect", func(s string) bool { return strings.Count(s, "state=Bereit") > n })
}
