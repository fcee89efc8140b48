// Package simtest helps end-to-end tests of several packages (the CLI's,
// the tray's): it starts `labelagent simulate` (the DHL and Deutsche Post
// simulators on a free loopback port, with the configuration they print
// for the agent) and waits for an agent to answer.
package simtest

import (
	"bufio"
	"context"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent/client"
)

var listening = regexp.MustCompile(`listening on (http://\S+)`)

// Start runs `BIN simulate` until the test ends and returns its base URL
// and the agent's configuration sections it prints (dhl: and
// internetmarke:).
func Start(t testing.TB, bin string) (base, cfg string) {
	t.Helper()
	cmd := exec.Command(bin, "simulate", "--addr", "127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	var b strings.Builder
	inCfg := false
	for sc.Scan() {
		line := sc.Text()
		if m := listening.FindStringSubmatch(line); m != nil {
			base = m[1]
		}
		if line == "dhl:" {
			inCfg = true
		}
		if inCfg {
			b.WriteString(line + "\n")
		}
		if strings.HasPrefix(line, "  page_format:") {
			break
		}
	}
	go io.Copy(io.Discard, out)
	if base == "" || b.Len() == 0 {
		t.Fatalf("simulator printed no configuration")
	}
	return base, b.String()
}

// WaitAgent waits up to 30 s for the agent at cl to answer /health.
func WaitAgent(t testing.TB, cl *client.Client) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := cl.Health(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the agent at %s did not answer: %v", cl.Addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
