package transports

import (
	"strings"
	"testing"

	"github.com/labelagent/labelagent/printer"
)

func TestNew(t *testing.T) {
	for _, cfg := range []printer.Config{
		{Name: "f", Transport: "file", File: printer.FileConfig{Dir: t.TempDir()}},
		{Name: "t", Transport: "tcp", TCP: printer.TCPConfig{Address: "127.0.0.1:9100"}},
		{Name: "s", Transport: "serial", Serial: printer.SerialConfig{Device: "/dev/ttyUSB0"}},
		{Name: "q", Transport: "spool", Spool: printer.SpoolConfig{Queue: "zebra"}},
	} {
		p, err := New(cfg, nil)
		if err != nil || p == nil {
			t.Errorf("%s: %v", cfg.Transport, err)
		}
	}
	p, err := New(printer.Config{Name: "x", Transport: "serial", Serial: printer.SerialConfig{Device: "COM1", Baud: 12}}, nil)
	if err == nil || p != nil || !strings.Contains(err.Error(), "serial.baud 12") {
		t.Fatalf("%v %v", p, err)
	}
}
