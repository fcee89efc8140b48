package printer

import (
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config is one printer entry of the agent's configuration file.
// Exactly one transport section is used: the one Transport names.
type Config struct {
	Name      string `yaml:"name"`
	Transport string `yaml:"transport"` // file, tcp, serial, usb, spool

	File   FileConfig   `yaml:"file,omitempty"`
	TCP    TCPConfig    `yaml:"tcp,omitempty"`
	Serial SerialConfig `yaml:"serial,omitempty"`
	USB    USBConfig    `yaml:"usb,omitempty"`
	Spool  SpoolConfig  `yaml:"spool,omitempty"`

	// StatusInterval is how often an idle printer is asked for its status
	// (0: the default; negative: never).
	StatusInterval time.Duration `yaml:"status_interval,omitempty"`

	Profile ProfileConfig `yaml:"profile,omitempty"`
}

// FileConfig: each job's bytes become one file in Dir.
type FileConfig struct {
	Dir string `yaml:"dir"`
}

// TCPConfig: raw printing to a network printer (usually port 9100).
type TCPConfig struct {
	Address        string        `yaml:"address"`
	ConnectTimeout time.Duration `yaml:"connect_timeout,omitempty"`
	WriteTimeout   time.Duration `yaml:"write_timeout,omitempty"` // fail when the printer takes no data for this long
	KeepAlive      time.Duration `yaml:"keep_alive,omitempty"`    // TCP keep-alive idle time; negative: off
	StatusTimeout  time.Duration `yaml:"status_timeout,omitempty"`
}

// SerialConfig: an RS-232 or USB-serial printer.
type SerialConfig struct {
	Device       string        `yaml:"device"` // /dev/ttyUSB0, COM3
	Baud         int           `yaml:"baud,omitempty"`
	DataBits     int           `yaml:"data_bits,omitempty"`
	Parity       string        `yaml:"parity,omitempty"`    // none, odd, even, mark, space
	StopBits     string        `yaml:"stop_bits,omitempty"` // 1, 1.5, 2
	Flow         string        `yaml:"flow,omitempty"`      // none, rtscts, xonxoff
	WriteTimeout time.Duration `yaml:"write_timeout,omitempty"`
}

// USBConfig: a USB printer reached through libusb, matched by its IDs.
type USBConfig struct {
	Vendor  string `yaml:"vendor,omitempty"`  // hex, e.g. 0a5f (Zebra)
	Product string `yaml:"product,omitempty"` // hex
	Serial  string `yaml:"serial,omitempty"`
	// WriteTimeout: fail when one bulk transfer moves nothing this long.
	WriteTimeout time.Duration `yaml:"write_timeout,omitempty"`
}

// SpoolConfig: a queue of the OS print spooler (CUPS, Windows), printed raw.
type SpoolConfig struct {
	Queue string `yaml:"queue"`
}

// ProfileConfig describes the printer's head and media, for converting PDF
// and PNG labels and for completing carrier ZPL.
type ProfileConfig struct {
	DPI      int     `yaml:"dpi,omitempty"`       // 203, 300 or 600
	Label    string  `yaml:"label,omitempty"`     // a named size: 910-300-600, 4x6in, 62x100mm, …
	WidthMM  float64 `yaml:"width_mm,omitempty"`  // custom size instead of Label
	HeightMM float64 `yaml:"height_mm,omitempty"` // 0 for continuous media
	Media    string  `yaml:"media,omitempty"`     // gap, mark, continuous
	Darkness int     `yaml:"darkness,omitempty"`  // 0..30, 0: leave as set on the printer
	NoZ64    bool    `yaml:"no_z64,omitempty"`    // the printer cannot decode :Z64: graphics
	Language string  `yaml:"language,omitempty"`  // zpl (default) or raw: raw printers get payloads unchanged
	// PageArea is the part of a PDF page that is the label, "X,Y,W,H" in
	// mm from the page's top left, for sheets whose label is not found by
	// itself; "" finds it (or prints a label-sized page as it is).
	PageArea string `yaml:"page_area,omitempty"`
	// Graphics is how converted PDF pages travel: z64 (the default: ASCII
	// ^GF, every link and every ZPL printer) or png (binary ~DY PNG
	// objects, a quarter fewer bytes, for Zebra firmware X.10 and later on
	// a link that carries binary). See Config.Graphics.
	Graphics string `yaml:"graphics,omitempty"`
	// LineBaud is the serial line's rate when the printer is on one, set
	// by Config.ConverterProfile, never read from the file: where a byte
	// takes a tenth of a millisecond or more, the converter spends more
	// CPU on deflate for fewer bytes.
	LineBaud int `yaml:"-"`
}

// GraphicsModes are the values of profile.graphics.
var GraphicsModes = []string{"z64", "png"}

// Graphics is profile.graphics for the converter: "png" where it is set
// (and the printer speaks ZPL), else "z64". PNG is never chosen by itself:
// a ZPL emulation that does not know ~DY would read the PNG's bytes as
// commands, and no real Zebra has been seen to take it yet (see
// docs/hardware-testing.md).
func (c Config) Graphics() string {
	if strings.EqualFold(strings.TrimSpace(c.Profile.Graphics), "png") && c.Profile.Language != "raw" {
		return "png"
	}
	return "z64"
}

// ConverterProfile is the profile the label converter works with for this
// printer: profile.graphics resolved, and the line rate of a serial link.
func (c Config) ConverterProfile() ProfileConfig {
	p := c.Profile
	p.Graphics = c.Graphics()
	p.LineBaud = 0
	if c.Transport == "serial" {
		p.LineBaud = c.Serial.Baud
		if p.LineBaud == 0 {
			p.LineBaud = 9600 // serial.DefaultBaud: what printers and the transport default to
		}
	}
	return p
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidateName checks a printer name: it appears in URLs, file names and the CLI.
func ValidateName(name string) error {
	if !validName.MatchString(name) {
		return &ConfigProblem{Printer: name, Key: "name", ID: "config.printer_bad_name", Args: []any{"value", name},
			msg: fmt.Sprintf("printer name %q: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", name)}
	}
	return nil
}

// ConfigProblem is one problem of a printer entry. Error() gives English
// words; ID and Args let the agent word it in the reader's language from
// its message catalog (this package does not depend on the agent), and Key
// ("tcp.address") lets `config check` name the line.
type ConfigProblem struct {
	Printer string
	Key     string
	ID      string
	Args    []any // key/value pairs; "allowed" holds a []string
	msg     string
}

func (p *ConfigProblem) Error() string {
	if p.Key == "name" {
		return p.msg
	}
	return fmt.Sprintf("printer %q: %s", p.Printer, p.msg)
}

// Transports known to the configuration.
var transports = []string{"file", "tcp", "serial", "usb", "spool"}

// Validate lists every problem of one printer entry; nil means usable.
// Messages name the printer and the key, for `labelagent config check`.
func (c Config) Validate() []error {
	var errs []error
	add := func(key, id string, kv []any, format string, args ...any) {
		errs = append(errs, &ConfigProblem{Printer: c.Name, Key: key, ID: id, Args: kv, msg: fmt.Sprintf(format, args...)})
	}
	if err := ValidateName(c.Name); err != nil {
		errs = append(errs, err)
	}
	switch c.Transport {
	case "file":
		if strings.TrimSpace(c.File.Dir) == "" {
			add("file.dir", "config.needs", []any{"what", "transport file", "key", "file.dir"}, "transport file needs file.dir")
		}
	case "tcp":
		c.validateTCP(add)
	case "serial":
		c.validateSerial(add)
	case "usb":
		c.validateUSB(add)
	case "spool":
		if strings.TrimSpace(c.Spool.Queue) == "" {
			add("spool.queue", "config.printer_needs_queue", nil, "transport spool needs spool.queue (the CUPS or Windows printer name)")
		}
	case "":
		add("transport", "config.missing_one_of", []any{"allowed", transports}, "transport is missing (one of %v)", transports)
	default:
		add("transport", "config.not_one_of", []any{"value", c.Transport, "allowed", transports}, "unknown transport %q (one of %v)", c.Transport, transports)
	}
	switch c.Profile.DPI {
	case 0, 152, 203, 300, 600:
	default:
		add("profile.dpi", "config.not_one_of", []any{"value", c.Profile.DPI, "allowed", []string{"203", "300", "600"}}, "profile.dpi %d is not a printer resolution (203, 300 or 600)", c.Profile.DPI)
	}
	switch g := strings.ToLower(strings.TrimSpace(c.Profile.Graphics)); {
	case g != "" && !slices.Contains(GraphicsModes, g):
		add("profile.graphics", "config.not_one_of", []any{"value", c.Profile.Graphics, "allowed", GraphicsModes}, "profile.graphics %q: use z64 or png", c.Profile.Graphics)
	case g == "png" && c.Transport == "serial" && c.Serial.DataBits == 7:
		add("profile.graphics", "config.printer_png_seven_bits", nil, "profile.graphics png sends binary data, which a serial line with 7 data bits cannot carry: use z64")
	}
	switch c.Profile.Language {
	case "", "zpl", "raw":
	default:
		add("profile.language", "config.not_one_of", []any{"value", c.Profile.Language, "allowed", []string{"zpl", "raw"}}, "profile.language %q: use zpl or raw", c.Profile.Language)
	}
	return errs
}

func (c Config) validateTCP(add func(string, string, []any, string, ...any)) {
	t := c.TCP
	if strings.TrimSpace(t.Address) == "" {
		add("tcp.address", "config.printer_needs_tcp_address", nil, "transport tcp needs tcp.address (host:port, usually port 9100)")
	} else if problem := checkAddress(t.Address); problem != "" {
		add("tcp.address", "config.printer_bad_tcp_address", []any{"value", t.Address}, "tcp.address %q: %s", t.Address, problem)
	}
	for key, d := range map[string]time.Duration{"tcp.connect_timeout": t.ConnectTimeout, "tcp.write_timeout": t.WriteTimeout, "tcp.status_timeout": t.StatusTimeout} {
		if d < 0 {
			add(key, "config.negative", []any{"value", d.String()}, "%s %s must not be negative", key, d)
		}
	}
}

// checkAddress accepts host:port and a bare host or IP (port 9100).
func checkAddress(addr string) string {
	if strings.ContainsAny(addr, "/ ") {
		return "use host:port without a scheme or path, e.g. 192.168.1.50:9100"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		if net.ParseIP(addr) != nil || !strings.Contains(addr, ":") {
			host, port = addr, "9100"
		} else {
			return "use host:port, e.g. 192.168.1.50:9100"
		}
	}
	if host == "" {
		return "the host is missing"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Sprintf("port %q is not a number from 1 to 65535", port)
	}
	return ""
}

// BaudRates are the rates a serial printer may be set to.
var BaudRates = []int{1200, 2400, 4800, 9600, 14400, 19200, 28800, 38400, 57600, 115200, 230400, 460800, 921600}

func (c Config) validateSerial(add func(string, string, []any, string, ...any)) {
	s := c.Serial
	if strings.TrimSpace(s.Device) == "" {
		add("serial.device", "config.printer_needs_device", nil, "transport serial needs serial.device (e.g. /dev/ttyUSB0 or COM3)")
	}
	if s.Baud != 0 && !slices.Contains(BaudRates, s.Baud) {
		add("serial.baud", "config.not_one_of", []any{"value", s.Baud, "allowed", intStrings(BaudRates)}, "serial.baud %d is not a serial baud rate (one of %v; printers default to 9600)", s.Baud, BaudRates)
	}
	if s.DataBits != 0 && (s.DataBits < 5 || s.DataBits > 8) {
		add("serial.data_bits", "config.not_one_of", []any{"value", s.DataBits, "allowed", []string{"7", "8"}}, "serial.data_bits %d: use 7 or 8", s.DataBits)
	}
	switch strings.ToLower(s.Parity) {
	case "", "none", "n", "odd", "o", "even", "e", "mark", "m", "space", "s":
	default:
		add("serial.parity", "config.not_one_of", []any{"value", s.Parity, "allowed", []string{"none", "odd", "even", "mark", "space"}}, "serial.parity %q: use none, odd, even, mark or space", s.Parity)
	}
	switch s.StopBits {
	case "", "1", "1.5", "2":
	default:
		add("serial.stop_bits", "config.not_one_of", []any{"value", s.StopBits, "allowed", []string{"1", "1.5", "2"}}, "serial.stop_bits %q: use 1, 1.5 or 2", s.StopBits)
	}
	switch s.Flow {
	case "", "none", "rtscts", "xonxoff":
	default:
		add("serial.flow", "config.not_one_of", []any{"value", s.Flow, "allowed", []string{"none", "rtscts", "xonxoff"}}, "serial.flow %q: use none, rtscts (hardware) or xonxoff (software)", s.Flow)
	}
	if s.WriteTimeout < 0 {
		add("serial.write_timeout", "config.negative", []any{"value", s.WriteTimeout.String()}, "serial.write_timeout %s must not be negative", s.WriteTimeout)
	}
}

var usbID = regexp.MustCompile(`^(0[xX])?[0-9A-Fa-f]{1,4}$`)

func (c Config) validateUSB(add func(string, string, []any, string, ...any)) {
	u := c.USB
	if u.Vendor != "" && !usbID.MatchString(u.Vendor) {
		add("usb.vendor", "config.printer_bad_usb_id", []any{"value", u.Vendor, "example", "0a5f"}, "usb.vendor %q is not a 4-digit hex USB id such as 0a5f (Zebra)", u.Vendor)
	}
	if u.Product != "" && !usbID.MatchString(u.Product) {
		add("usb.product", "config.printer_bad_usb_id", []any{"value", u.Product, "example", "0164"}, "usb.product %q is not a 4-digit hex USB id such as 0164", u.Product)
	}
	if u.Product != "" && u.Vendor == "" {
		add("usb.product", "config.printer_product_needs_vendor", nil, "usb.product needs usb.vendor: a product id means nothing without its vendor")
	}
	if u.WriteTimeout < 0 {
		add("usb.write_timeout", "config.negative", []any{"value", u.WriteTimeout.String()}, "usb.write_timeout %s must not be negative", u.WriteTimeout)
	}
}

// Address is where the printer is, in its transport's terms: a folder,
// host:port, device, vendor:product [serial], or spooler queue.
func (c Config) Address() string {
	switch c.Transport {
	case "file":
		return c.File.Dir
	case "tcp":
		return c.TCP.Address
	case "serial":
		return c.Serial.Device
	case "usb":
		s := c.USB.Vendor + ":" + c.USB.Product
		if c.USB.Serial != "" {
			s += " " + c.USB.Serial
		}
		return s
	case "spool":
		return c.Spool.Queue
	}
	return ""
}

func intStrings(ns []int) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = strconv.Itoa(n)
	}
	return out
}
