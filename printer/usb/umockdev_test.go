//go:build cgo && linux

package usb

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/labelagent/labelagent/printer"
)

// TestUmockdev enumerates a fake Zebra ZD420 through the real code path:
// gousb, libusb, libudev and sysfs, with umockdev standing in for the
// kernel. The test binary runs itself again under umockdev-run.
func TestUmockdev(t *testing.T) {
	if os.Getenv("UMOCKDEV_DIR") == "" {
		run, err := exec.LookPath("umockdev-run")
		if err != nil {
			t.Skip("umockdev-run is not installed (Debian package umockdev): the libusb enumeration test is skipped")
		}
		cmd := exec.Command(run, "--device", "testdata/zebra-zd420.umockdev", "--",
			os.Args[0], "-test.run", "^TestUmockdev$", "-test.v", "-test.count=1")
		out, err := cmd.CombinedOutput()
		t.Logf("under umockdev:\n%s", out)
		if err != nil {
			t.Fatalf("umockdev-run: %v", err)
		}
		if !strings.Contains(string(out), "--- PASS: TestUmockdev") {
			t.Fatal("the test did not pass under umockdev")
		}
		return
	}
	bus, err := newGousbBus()
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	devs, err := List(bus)
	if err != nil {
		t.Logf("listing: %v", err)
	}
	if len(devs) != 1 {
		t.Fatalf("found %d label printers, want the fake ZD420: %+v", len(devs), devs)
	}
	d := devs[0]
	t.Logf("found %s", d)
	if d.Vendor != 0x0a5f || d.Product != 0x0164 || d.Bus != 1 || d.Address != 5 {
		t.Fatalf("ids: %s", d)
	}
	intf, ok := PrinterInterface(d)
	if !ok || intf.Class != ClassPrinter || intf.OutEndpoint != 0x01 || intf.InEndpoint != 0x82 || intf.MaxPacket != 512 {
		t.Fatalf("printer interface %+v %v", intf, ok)
	}
	m, _ := NewMatcher(printer.USBConfig{Vendor: "0a5f", Product: "0164"})
	if _, _, err := m.Match(devs); err != nil {
		t.Fatal(err)
	}
}
