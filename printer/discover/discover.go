// Package discover finds printers an operator could configure: USB label
// printers (libusb), serial ports, and the OS print queues (CUPS, Windows),
// each with the configuration entry that uses it.
package discover

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/printer/spool"
	"github.com/labelagent/labelagent/printer/usb"
)

// Found is one printer or port that could be configured.
type Found struct {
	Kind        string         `json:"kind"` // usb, serial, spool
	Description string         `json:"description"`
	Likely      bool           `json:"likely"` // looks like a label printer
	Config      printer.Config `json:"config"`
}

// Snippet is the YAML entry for the printers: list of the config file.
func (f Found) Snippet() string {
	b, err := yaml.Marshal([]printer.Config{f.Config})
	if err != nil {
		return fmt.Sprintf("# cannot render: %v\n", err)
	}
	return string(b)
}

// Sources chooses what to look at; all are on in Everything.
type Sources struct {
	USB, Serial, Spool bool
}

// Everything looks at all sources.
var Everything = Sources{USB: true, Serial: true, Spool: true}

// Discover lists what it finds. A source that fails (no libusb in this
// build, no CUPS) adds an error and does not hide the others.
func Discover(ctx context.Context, s Sources) ([]Found, []error) {
	var out []Found
	var errs []error
	if s.USB {
		f, err := USB()
		out = append(out, f...)
		if err != nil {
			errs = append(errs, fmt.Errorf("USB: %w", err))
		}
	}
	if s.Serial {
		f, err := Serial()
		out = append(out, f...)
		if err != nil {
			errs = append(errs, fmt.Errorf("serial ports: %w", err))
		}
	}
	if s.Spool {
		f, err := Spool(ctx)
		out = append(out, f...)
		if err != nil {
			errs = append(errs, fmt.Errorf("print queues: %w", err))
		}
	}
	unique(out)
	return out, errs
}

// USB lists label printers on USB.
func USB() ([]Found, error) {
	bus, err := usb.OpenBus()
	if err != nil {
		return nil, err
	}
	defer bus.Close()
	devs, err := usb.List(bus)
	return FromUSB(devs), err
}

// FromUSB turns USB devices into config entries matched by vendor, product
// and (when the device has one) serial number.
func FromUSB(devs []usb.DeviceInfo) []Found {
	var out []Found
	for _, d := range devs {
		name := d.ProductName
		if name == "" {
			name = usb.Vendors[d.Vendor] + "-" + fmt.Sprintf("%04x", d.Product)
		}
		out = append(out, Found{
			Kind:        "usb",
			Description: d.String(),
			Likely:      true,
			Config: printer.Config{Name: Name(name), Transport: "usb", USB: printer.USBConfig{
				Vendor: fmt.Sprintf("%04x", d.Vendor), Product: fmt.Sprintf("%04x", d.Product), Serial: d.Serial,
			}},
		})
	}
	return out
}

// Port is a serial port as the enumerator reports it.
type Port struct {
	Name          string
	USB           bool
	VID, PID      string
	Serial, Model string
}

// Serial lists serial ports.
func Serial() ([]Found, error) {
	ports, err := serialPorts()
	return FromPorts(ports), err
}

// FromPorts turns serial ports into config entries at 9600 8N1, the
// factory setting of ZPL printers. Ports of label-printer makers (USB CDC
// printers appear as /dev/ttyACM* or COM ports) come first.
func FromPorts(ports []Port) []Found {
	var out []Found
	for _, p := range ports {
		desc := p.Name
		likely := false
		if p.USB {
			desc += fmt.Sprintf(" (USB %s:%s", strings.ToLower(p.VID), strings.ToLower(p.PID))
			if p.Model != "" {
				desc += " " + p.Model
			}
			if p.Serial != "" {
				desc += " serial " + p.Serial
			}
			desc += ")"
			if v, err := strconv.ParseUint(p.VID, 16, 16); err == nil {
				if maker, ok := usb.Vendors[uint16(v)]; ok {
					likely = true
					desc += " — " + maker
				}
			}
		}
		base := p.Name[strings.LastIndexAny(p.Name, `/\`)+1:]
		out = append(out, Found{
			Kind: "serial", Description: desc, Likely: likely,
			Config: printer.Config{Name: Name("serial-" + base), Transport: "serial",
				Serial: printer.SerialConfig{Device: p.Name, Baud: 9600}},
		})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Likely && !out[j].Likely })
	return out
}

// Spool lists CUPS queues or Windows printers.
func Spool(ctx context.Context) ([]Found, error) {
	qs, err := spool.Queues(ctx)
	return FromQueues(qs), err
}

var labelWords = regexp.MustCompile(`(?i)zebra|zd\d|zt\d|gk4|gx4|zpl|tsc|honeywell|intermec|citizen|godex|label|etikett|sato|bixolon`)

// FromQueues turns print queues into config entries.
func FromQueues(qs []spool.Queue) []Found {
	var out []Found
	for _, q := range qs {
		desc := q.Name
		if q.Detail != "" {
			desc += " (" + q.Detail + ")"
		}
		if q.Default {
			desc += ", default printer"
		}
		out = append(out, Found{Kind: "spool", Description: desc, Likely: labelWords.MatchString(q.Name + " " + q.Detail),
			Config: printer.Config{Name: Name(q.Name), Transport: "spool", Spool: printer.SpoolConfig{Queue: q.Name}}})
	}
	return out
}

var notName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Name makes a valid printer name (printer.ValidateName) from a label.
func Name(s string) string {
	n := strings.Trim(notName.ReplaceAllString(strings.ToLower(strings.TrimSpace(s)), "-"), "-._")
	if len(n) > 64 {
		n = strings.Trim(n[:64], "-._")
	}
	if n == "" {
		n = "printer"
	}
	return n
}

// unique makes suggested names distinct: two identical printers become
// zebra-zd420 and zebra-zd420-2.
func unique(fs []Found) {
	seen := map[string]int{}
	for i := range fs {
		n := fs[i].Config.Name
		seen[n]++
		if c := seen[n]; c > 1 {
			fs[i].Config.Name = Name(n + "-" + strconv.Itoa(c))
		}
	}
}
