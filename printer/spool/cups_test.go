//go:build !windows

package spool

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labelagent/labelagent/printer"
)

// CUPS is not installed on the build machines: stand-in lp and lpstat
// scripts record their arguments and input, to check what the transport
// hands to CUPS.
func fakeCUPS(t *testing.T, lpstatOut string, lpExit int) (*Printer, string) {
	t.Helper()
	dir := t.TempDir()
	lp := filepath.Join(dir, "lp")
	script := "#!/bin/sh\necho \"$@\" > " + dir + "/lp.args\ncat > " + dir + "/lp.stdin\n"
	if lpExit != 0 {
		script += "echo 'lp: The printer or class does not exist.' >&2\nexit 1\n"
	} else {
		script += "echo 'request id is zebra-42 (0 file(s))'\n"
	}
	os.WriteFile(lp, []byte(script), 0o755)
	lpstat := filepath.Join(dir, "lpstat")
	os.WriteFile(filepath.Join(dir, "lpstat.out"), []byte(lpstatOut), 0o644)
	// Like the real lpstat, it answers only for a queue that exists
	// (zebra) and refuses arguments it was not meant to get.
	os.WriteFile(lpstat, []byte("#!/bin/sh\necho \"$@\" >> "+dir+"/lpstat.args\n"+
		"case \"$*\" in\n"+
		"  '-l -p zebra -a zebra'|'-p zebra') cat "+dir+"/lpstat.out ;;\n"+
		"  *) echo \"lpstat: Invalid destination name in list \\\"$*\\\".\" >&2; exit 1 ;;\n"+
		"esac\n"), 0o755)
	p, err := New(printer.Config{Name: "zebra-cups", Transport: "spool", Spool: printer.SpoolConfig{Queue: "zebra"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.Lp, p.Lpstat = lp, lpstat
	return p, dir
}

func TestCUPSWriteRaw(t *testing.T) {
	p, dir := fakeCUPS(t, idle, 0)
	job := append([]byte("^XA^FD\x00\xff binary ok^XZ"), bytes.Repeat([]byte{0x1b, '\n'}, 1000)...)
	if err := p.Write(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "lp.stdin"))
	if !bytes.Equal(got, job) {
		t.Fatal("job bytes changed on the way to lp")
	}
	args, _ := os.ReadFile(filepath.Join(dir, "lp.args"))
	if strings.TrimSpace(string(args)) != "-d zebra -o raw -t labelagent" {
		t.Fatalf("lp %s", args)
	}
	st, err := p.Status(context.Background())
	if err != nil || st.State != printer.StateReady {
		t.Fatalf("%+v %v", st, err)
	}
	if args, _ := os.ReadFile(filepath.Join(dir, "lpstat.args")); strings.TrimSpace(string(args)) != "-l -p zebra -a zebra" {
		t.Fatalf("lpstat %q, want the queue's long status and acceptance", args)
	}
}

// A queue lpstat does not know is an error with lpstat's words, not a
// status made up from an empty answer.
func TestCUPSUnknownQueue(t *testing.T) {
	p, _ := fakeCUPS(t, idle, 0)
	p.queue = "zebra2"
	st, err := p.Status(context.Background())
	if err == nil || !strings.Contains(err.Error(), "Invalid destination") || st.CanPrint() && st.State != printer.StateUnknown {
		t.Fatalf("status of an unknown queue: %+v %v", st, err)
	}
}

func TestCUPSErrors(t *testing.T) {
	p, _ := fakeCUPS(t, stopped, 1)
	err := p.Write(context.Background(), []byte("^XA^XZ"))
	if err == nil || !strings.Contains(err.Error(), `printer "zebra-cups": lp to queue zebra: lp: The printer or class does not exist.`) {
		t.Fatalf("%v", err)
	}
	st, err := p.Status(context.Background())
	if err != nil || st.State != printer.StateHeadOpen || st.CanPrint() {
		t.Fatalf("%+v %v", st, err)
	}
	p.Lp, p.Lpstat = "/nonexistent/lp", "/nonexistent/lpstat"
	if err := p.Write(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "CUPS is not installed") {
		t.Fatalf("%v", err)
	}
	if st, err := p.Status(context.Background()); err == nil || st.State != printer.StateOffline {
		t.Fatalf("%+v %v", st, err)
	}
}
