package printer

import (
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	base := func(transport string) Config { return Config{Name: "label-1", Transport: transport} }
	with := func(c Config, f func(*Config)) Config { f(&c); return c }
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings, one per expected error; none: valid
	}{
		{"file ok", with(base("file"), func(c *Config) { c.File.Dir = "/tmp/x" }), nil},
		{"file without dir", base("file"), []string{`printer "label-1": transport file needs file.dir`}},
		{"bad name", with(base("file"), func(c *Config) { c.Name = "a b"; c.File.Dir = "x" }), []string{`printer name "a b"`}},
		{"missing transport", base(""), []string{`printer "label-1": transport is missing`}},
		{"unknown transport", base("bluetooth"), []string{`printer "label-1": unknown transport "bluetooth" (one of [file tcp serial usb spool])`}},

		{"tcp ok", with(base("tcp"), func(c *Config) { c.TCP.Address = "192.168.1.50:9100" }), nil},
		{"tcp bare host", with(base("tcp"), func(c *Config) { c.TCP.Address = "zebra.local" }), nil},
		{"tcp bare IPv6", with(base("tcp"), func(c *Config) { c.TCP.Address = "fe80::1" }), nil},
		{"tcp IPv6 with port", with(base("tcp"), func(c *Config) { c.TCP.Address = "[fe80::1]:9100" }), nil},
		{"tcp missing address", base("tcp"), []string{`printer "label-1": transport tcp needs tcp.address`}},
		{"tcp bad port", with(base("tcp"), func(c *Config) { c.TCP.Address = "10.0.0.1:91000" }), []string{`tcp.address "10.0.0.1:91000": port "91000" is not a number`}},
		{"tcp empty port", with(base("tcp"), func(c *Config) { c.TCP.Address = "10.0.0.1:" }), []string{`port "" is not a number`}},
		{"tcp no host", with(base("tcp"), func(c *Config) { c.TCP.Address = ":9100" }), []string{`the host is missing`}},
		{"tcp url", with(base("tcp"), func(c *Config) { c.TCP.Address = "http://10.0.0.1:9100" }), []string{`without a scheme or path`}},
		{"tcp negative timeout", with(base("tcp"), func(c *Config) { c.TCP.Address = "h:1"; c.TCP.WriteTimeout = -time.Second }), []string{`tcp.write_timeout -1s must not be negative`}},

		{"serial ok", with(base("serial"), func(c *Config) {
			c.Serial = SerialConfig{Device: "/dev/ttyUSB0", Baud: 115200, DataBits: 7, Parity: "even", StopBits: "2", Flow: "rtscts"}
		}), nil},
		{"serial missing device", base("serial"), []string{`printer "label-1": transport serial needs serial.device`}},
		{"serial bad baud", with(base("serial"), func(c *Config) { c.Serial = SerialConfig{Device: "COM3", Baud: 96000} }), []string{`printer "label-1": serial.baud 96000 is not a serial baud rate`}},
		{"serial negative baud", with(base("serial"), func(c *Config) { c.Serial = SerialConfig{Device: "COM3", Baud: -9600} }), []string{`serial.baud -9600`}},
		{"serial bad data bits", with(base("serial"), func(c *Config) { c.Serial = SerialConfig{Device: "COM3", DataBits: 9} }), []string{`serial.data_bits 9`}},
		{"serial bad parity", with(base("serial"), func(c *Config) { c.Serial = SerialConfig{Device: "COM3", Parity: "evn"} }), []string{`serial.parity "evn": use none, odd, even, mark or space`}},
		{"serial bad stop bits", with(base("serial"), func(c *Config) { c.Serial = SerialConfig{Device: "COM3", StopBits: "0"} }), []string{`serial.stop_bits "0"`}},
		{"serial bad flow", with(base("serial"), func(c *Config) { c.Serial = SerialConfig{Device: "COM3", Flow: "hardware"} }), []string{`serial.flow "hardware": use none, rtscts (hardware) or xonxoff (software)`}},
		{"serial everything wrong", with(base("serial"), func(c *Config) {
			c.Serial = SerialConfig{Baud: 1, Parity: "x", Flow: "y"}
		}), []string{"serial.device", "serial.baud 1", `serial.parity "x"`, `serial.flow "y"`}},

		{"usb any", base("usb"), nil},
		{"usb ids", with(base("usb"), func(c *Config) { c.USB = USBConfig{Vendor: "0a5f", Product: "0x0164", Serial: "D4J"} }), nil},
		{"usb bad vendor", with(base("usb"), func(c *Config) { c.USB.Vendor = "zebra" }), []string{`printer "label-1": usb.vendor "zebra" is not a 4-digit hex USB id`}},
		{"usb too long", with(base("usb"), func(c *Config) { c.USB.Vendor = "0a5f1" }), []string{`usb.vendor "0a5f1"`}},
		{"usb product without vendor", with(base("usb"), func(c *Config) { c.USB.Product = "0164" }), []string{`usb.product needs usb.vendor`}},

		{"spool ok", with(base("spool"), func(c *Config) { c.Spool.Queue = "Zebra ZD420" }), nil},
		{"spool missing queue", base("spool"), []string{`printer "label-1": transport spool needs spool.queue`}},
		{"bad dpi", with(base("spool"), func(c *Config) { c.Spool.Queue = "q"; c.Profile.DPI = 200 }), []string{`profile.dpi 200`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := tt.cfg.Validate()
			if len(errs) != len(tt.want) {
				t.Fatalf("got %d errors %v, want %d %q", len(errs), errs, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(errs[i].Error(), w) {
					t.Errorf("error %d = %q, want it to contain %q", i, errs[i], w)
				}
			}
		})
	}
}

// The converter learns the line rate of a serial printer (the default
// 9600 when the file names none) and nothing for the other links.
func TestConverterProfileLineBaud(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want int
	}{
		{Config{Transport: "serial", Serial: SerialConfig{Device: "COM3"}}, 9600},
		{Config{Transport: "serial", Serial: SerialConfig{Device: "COM3", Baud: 115200}}, 115200},
		{Config{Transport: "tcp", Serial: SerialConfig{Baud: 9600}}, 0},
		{Config{Transport: "usb", Profile: ProfileConfig{LineBaud: 9600}}, 0},
	} {
		if got := c.cfg.ConverterProfile().LineBaud; got != c.want {
			t.Errorf("%s: line %d baud, want %d", c.cfg.Transport, got, c.want)
		}
	}
}

// profile.graphics: binary PNG objects only where a printer is set to
// them (never for raw printers), Z64 otherwise on every link; nonsense and
// PNG on a 7-bit serial line are configuration problems.
func TestGraphicsSetting(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
		bad  bool
	}{
		{Config{Transport: "tcp"}, "z64", false},
		{Config{Transport: "usb"}, "z64", false},
		{Config{Transport: "tcp", Profile: ProfileConfig{Graphics: "png"}}, "png", false},
		{Config{Transport: "usb", Profile: ProfileConfig{Graphics: " PNG "}}, "png", false},
		{Config{Transport: "spool", Profile: ProfileConfig{Graphics: "z64"}}, "z64", false},
		{Config{Transport: "tcp", Profile: ProfileConfig{Graphics: "png", Language: "raw"}}, "z64", false},
		{Config{Transport: "serial", Profile: ProfileConfig{Graphics: "png"}}, "png", false},
		{Config{Transport: "serial", Serial: SerialConfig{DataBits: 7}, Profile: ProfileConfig{Graphics: "png"}}, "png", true},
		{Config{Transport: "tcp", Profile: ProfileConfig{Graphics: "auto"}}, "z64", true},
		{Config{Transport: "tcp", Profile: ProfileConfig{Graphics: "gif"}}, "z64", true},
	} {
		if got := c.cfg.Graphics(); got != c.want || c.cfg.ConverterProfile().Graphics != c.want {
			t.Errorf("%+v: graphics %q, want %q", c.cfg, got, c.want)
		}
		bad := false
		for _, err := range c.cfg.Validate() {
			if p, ok := err.(*ConfigProblem); ok && p.Key == "profile.graphics" {
				bad = true
			}
		}
		if bad != c.bad {
			t.Errorf("%+v: graphics problem %v, want %v", c.cfg, bad, c.bad)
		}
	}
}
