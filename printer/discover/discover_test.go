package discover

import (
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/printer/spool"
	"github.com/labelagent/labelagent/printer/usb"
)

func TestName(t *testing.T) {
	for in, want := range map[string]string{
		"ZTC ZD420-203dpi ZPL":  "ztc-zd420-203dpi-zpl",
		"Zebra_ZD420":           "zebra_zd420",
		"  ":                    "printer",
		"///":                   "printer",
		"Büro Drucker (2)":      "b-ro-drucker-2",
		strings.Repeat("a", 80): strings.Repeat("a", 64),
	} {
		got := Name(in)
		if got != want {
			t.Errorf("Name(%q) = %q, want %q", in, got, want)
		}
		if err := printer.ValidateName(got); err != nil {
			t.Errorf("%q: %v", got, err)
		}
	}
}

// Every snippet parses back into a printer entry that passes validation.
func roundTrip(t *testing.T, f Found) printer.Config {
	t.Helper()
	var cfgs []printer.Config
	if err := yaml.Unmarshal([]byte(f.Snippet()), &cfgs); err != nil || len(cfgs) != 1 {
		t.Fatalf("snippet %q: %v", f.Snippet(), err)
	}
	if errs := cfgs[0].Validate(); len(errs) > 0 {
		t.Fatalf("snippet %q does not validate: %v", f.Snippet(), errs)
	}
	return cfgs[0]
}

func TestFromUSB(t *testing.T) {
	fs := FromUSB([]usb.DeviceInfo{
		{Bus: 1, Address: 4, Vendor: 0x0a5f, Product: 0x0164, Serial: "D4J1", ProductName: "ZTC ZD420-203dpi ZPL", Manufacturer: "Zebra Technologies"},
		{Bus: 1, Address: 5, Vendor: 0x1203, Product: 0x0230},
	})
	if len(fs) != 2 {
		t.Fatal(len(fs))
	}
	c := roundTrip(t, fs[0])
	want := printer.Config{Name: "ztc-zd420-203dpi-zpl", Transport: "usb", USB: printer.USBConfig{Vendor: "0a5f", Product: "0164", Serial: "D4J1"}}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("%+v", c)
	}
	if !strings.Contains(fs[0].Snippet(), `product: "0164"`) {
		t.Fatalf("ids must stay strings: %s", fs[0].Snippet())
	}
	if c := roundTrip(t, fs[1]); c.Name != "tsc-0230" {
		t.Fatalf("%+v", c)
	}
}

func TestFromPorts(t *testing.T) {
	fs := FromPorts([]Port{
		{Name: "/dev/ttyS0"},
		{Name: "/dev/ttyUSB0", USB: true, VID: "0403", PID: "6001", Model: "FT232R"},
		{Name: "/dev/ttyACM0", USB: true, VID: "0A5F", PID: "0164", Serial: "D4J"},
		{Name: `COM3`},
	})
	if fs[0].Config.Serial.Device != "/dev/ttyACM0" || !fs[0].Likely || !strings.Contains(fs[0].Description, "Zebra") {
		t.Fatalf("the Zebra port must come first: %+v", fs[0])
	}
	for _, f := range fs {
		c := roundTrip(t, f)
		if c.Serial.Baud != 9600 {
			t.Fatalf("%+v", c)
		}
	}
	if fs[3].Config.Name != "serial-com3" {
		t.Fatalf("%s", fs[3].Config.Name)
	}
}

func TestFromQueues(t *testing.T) {
	fs := FromQueues([]spool.Queue{{Name: "Zebra ZD420 (Copy 1)", Detail: "idle"}, {Name: "Office", Default: true}})
	if !fs[0].Likely || fs[1].Likely || !strings.Contains(fs[1].Description, "default printer") {
		t.Fatalf("%+v", fs)
	}
	c := roundTrip(t, fs[0])
	if c.Spool.Queue != "Zebra ZD420 (Copy 1)" || c.Name != "zebra-zd420-copy-1" {
		t.Fatalf("%+v", c)
	}
}

func TestUnique(t *testing.T) {
	fs := FromUSB([]usb.DeviceInfo{{Vendor: 0x0a5f, Product: 1, ProductName: "ZD420"}, {Vendor: 0x0a5f, Product: 1, ProductName: "ZD420"}})
	unique(fs)
	if fs[0].Config.Name != "zd420" || fs[1].Config.Name != "zd420-2" {
		t.Fatalf("%s %s", fs[0].Config.Name, fs[1].Config.Name)
	}
}

func TestDiscoverRunsEverySource(t *testing.T) {
	// On the build machine: no USB bus, maybe a few ttyS ports, no CUPS.
	// Whatever is there, errors name their source and nothing panics.
	fs, errs := Discover(t.Context(), Everything)
	for _, e := range errs {
		if !strings.HasPrefix(e.Error(), "USB: ") && !strings.HasPrefix(e.Error(), "serial ports: ") && !strings.HasPrefix(e.Error(), "print queues: ") {
			t.Errorf("error without its source: %v", e)
		}
	}
	for _, f := range fs {
		roundTrip(t, f)
	}
	t.Logf("found %d, errors %v", len(fs), errs)
}
