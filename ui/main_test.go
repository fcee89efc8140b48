//go:build tray

package ui

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestMainArgs: what labelagent-tray says before it opens a window.
func TestMainArgs(t *testing.T) {
	for _, c := range []struct {
		args        []string
		code        int
		out, errOut string
	}{
		{[]string{"--help", "--lang", "de"}, 0, "Aufruf: labelagent-tray [Optionen]", ""},
		{[]string{"tray", "--help", "--lang=en"}, 0, "--poll duration", ""},
		{[]string{"--version"}, 0, "labelagent-tray 1.2.3", ""},
		{[]string{"--lang", "fr"}, 2, "", `--lang "fr": use de or en`},
		{[]string{"--lang", "de", "--poll", "bald"}, 2, "", "Aufruf: labelagent-tray"},
		{[]string{"--lang", "de", "jobs"}, 2, "", "labelagent-tray: jobs"},
		{[]string{"--lang", "de", "--config", "/nonexistent/labelagent.yaml"}, 1, "", "/nonexistent/labelagent.yaml"},
	} {
		var out, errOut bytes.Buffer
		code := Main(context.Background(), "1.2.3", c.args, strings.NewReader(""), &out, &errOut)
		if code != c.code || !strings.Contains(out.String(), c.out) || !strings.Contains(errOut.String(), c.errOut) {
			t.Errorf("%v: exit %d, want %d\nout: %s\nerr: %s", c.args, code, c.code, out.String(), errOut.String())
		}
	}
}
