// Package usb prints to USB label printers through libusb (gousb): it
// finds printer-class interfaces (class 7) and the interfaces of known
// label-printer makers, writes jobs to the bulk OUT endpoint in chunks,
// reads ~HS replies from bulk IN, and finds the printer again after it was
// unplugged, by vendor, product and serial number.
//
// libusb needs cgo: in a CGO_ENABLED=0 build New returns ErrNotInBuild.
// On Windows USB printers are reached through the spooler (package spool).
//
// The logic sits on a small seam (Bus, Handle) so matching, chunking and
// reconnecting are tested without hardware; gousb implements the seam.
package usb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/printer/internal/link"
	"github.com/labelagent/labelagent/printer/zplstatus"
)

// ErrNotInBuild is returned where libusb is not compiled in.
var ErrNotInBuild = errors.New("USB printing through libusb is not in this build (it needs cgo); use the spool transport or a build with cgo")

// ErrNotFound means no connected device matches the config.
var ErrNotFound = errors.New("USB printer not connected")

// ErrGone means the device went away during a transfer (unplugged, off).
var ErrGone = errors.New("USB printer disconnected")

// ClassPrinter is the USB interface class of printers.
const ClassPrinter = 7

// Vendors are USB vendor IDs of label printer makers, with their names.
var Vendors = map[uint16]string{
	0x0a5f: "Zebra",
	0x1203: "TSC",
	0x0c2e: "Honeywell",
	0x067e: "Intermec (Honeywell)",
	0x1d90: "Citizen",
	0x2730: "Citizen",
	0x195f: "Godex",
	0x0828: "SATO",
	0x1504: "Bixolon",
	0x08a6: "Toshiba TEC",
	0x04f9: "Brother",
	0x0922: "Dymo",
}

// Interface is one interface setting of a device, as the seam reports it.
type Interface struct {
	Config, Number, Alt int
	Class               uint8
	OutEndpoint         int // bulk OUT endpoint address, 0: none
	InEndpoint          int // bulk IN endpoint address, 0: none
	MaxPacket           int // of the OUT endpoint
}

// DeviceInfo describes a connected device.
type DeviceInfo struct {
	Bus, Address    int
	Vendor, Product uint16
	Serial          string // "" when it cannot be read
	Manufacturer    string
	ProductName     string
	Interfaces      []Interface
}

// String names the device for people.
func (d DeviceInfo) String() string {
	name := strings.TrimSpace(d.Manufacturer + " " + d.ProductName)
	if name == "" {
		name = Vendors[d.Vendor]
	}
	s := fmt.Sprintf("%04x:%04x", d.Vendor, d.Product)
	if name != "" {
		s = name + " (" + s + ")"
	}
	if d.Serial != "" {
		s += " serial " + d.Serial
	}
	return s + fmt.Sprintf(" on bus %d address %d", d.Bus, d.Address)
}

// Bus lists and opens devices; gousb implements it, tests fake it.
type Bus interface {
	Devices() ([]DeviceInfo, error)
	Open(d DeviceInfo, intf Interface) (Handle, error)
	Close() error
}

// Handle is a claimed interface of an open device.
type Handle interface {
	// Write is one bulk OUT transfer.
	Write(ctx context.Context, b []byte) (int, error)
	// Read is one bulk IN transfer.
	Read(ctx context.Context, b []byte) (int, error)
	Close() error
}

// PrinterInterface picks the interface to print on: a printer-class one
// with a bulk OUT endpoint, or, on a known label-printer maker's device,
// any interface with one (some use vendor-specific classes).
func PrinterInterface(d DeviceInfo) (Interface, bool) {
	var fallback *Interface
	for i := range d.Interfaces {
		intf := d.Interfaces[i]
		if intf.OutEndpoint == 0 {
			continue
		}
		if intf.Class == ClassPrinter {
			return intf, true
		}
		if fallback == nil {
			fallback = &d.Interfaces[i]
		}
	}
	if fallback != nil {
		if _, known := Vendors[d.Vendor]; known {
			return *fallback, true
		}
	}
	return Interface{}, false
}

// ParseID reads a USB id written as hex ("0a5f", "0x0A5F").
func ParseID(s string) (uint16, error) {
	t := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "0x"), "0X")
	if t == "" || len(t) > 4 {
		return 0, fmt.Errorf("%q is not a 4-digit hex USB id such as 0a5f", s)
	}
	v, err := strconv.ParseUint(t, 16, 16)
	if err != nil {
		return 0, fmt.Errorf("%q is not a 4-digit hex USB id such as 0a5f", s)
	}
	return uint16(v), nil
}

// Matcher selects the configured printer among connected devices.
type Matcher struct {
	Vendor, Product uint16 // 0: any
	Serial          string // "": any
}

// NewMatcher reads the ids of a config.
func NewMatcher(c printer.USBConfig) (Matcher, error) {
	var m Matcher
	var err error
	if c.Vendor != "" {
		if m.Vendor, err = ParseID(c.Vendor); err != nil {
			return m, fmt.Errorf("usb.vendor: %w", err)
		}
	}
	if c.Product != "" {
		if m.Product, err = ParseID(c.Product); err != nil {
			return m, fmt.Errorf("usb.product: %w", err)
		}
	}
	m.Serial = strings.TrimSpace(c.Serial)
	return m, nil
}

// Match returns the one device that matches, with its printer interface.
// Several matching devices without a serial number in the config are an
// error: printing to the wrong one of two printers is worse than not
// printing.
func (m Matcher) Match(devs []DeviceInfo) (DeviceInfo, Interface, error) {
	var found []DeviceInfo
	var intfs []Interface
	for _, d := range devs {
		if m.Vendor != 0 && d.Vendor != m.Vendor || m.Product != 0 && d.Product != m.Product {
			continue
		}
		if m.Serial != "" && !strings.EqualFold(d.Serial, m.Serial) {
			continue
		}
		intf, ok := PrinterInterface(d)
		if !ok {
			continue
		}
		found = append(found, d)
		intfs = append(intfs, intf)
	}
	switch len(found) {
	case 0:
		return DeviceInfo{}, Interface{}, fmt.Errorf("%w (looking for %s)", ErrNotFound, m)
	case 1:
		return found[0], intfs[0], nil
	}
	var names []string
	for _, d := range found {
		names = append(names, d.String())
	}
	sort.Strings(names)
	return DeviceInfo{}, Interface{}, fmt.Errorf("%d USB printers match %s: %s; set usb.serial to choose one",
		len(found), m, strings.Join(names, "; "))
}

func (m Matcher) String() string {
	var parts []string
	if m.Vendor != 0 {
		parts = append(parts, fmt.Sprintf("vendor %04x", m.Vendor))
	}
	if m.Product != 0 {
		parts = append(parts, fmt.Sprintf("product %04x", m.Product))
	}
	if m.Serial != "" {
		parts = append(parts, "serial "+m.Serial)
	}
	if len(parts) == 0 {
		return "any USB label printer"
	}
	return strings.Join(parts, ", ")
}

// Defaults.
const (
	DefaultWriteTimeout = 15 * time.Second
	chunkSize           = 16 << 10 // a multiple of every bulk packet size
)

// Printer is one USB printer.
type Printer struct {
	name         string
	match        Matcher
	writeTimeout time.Duration
	log          *slog.Logger
	newBus       func() (Bus, error)

	lock   link.Lock
	bus    Bus
	handle Handle
	dev    DeviceInfo
	intf   Interface
}

var _ printer.Printer = (*Printer)(nil)

// New returns the printer for cfg.USB. Nothing is opened yet.
func New(cfg printer.Config, log *slog.Logger) (*Printer, error) {
	if !libusbBuilt {
		return nil, fmt.Errorf("printer %q: %w", cfg.Name, ErrNotInBuild)
	}
	return newPrinter(cfg, log, newGousbBus)
}

// NewWithBus is New over another Bus (tests, other USB stacks).
func NewWithBus(cfg printer.Config, log *slog.Logger, bus func() (Bus, error)) (*Printer, error) {
	return newPrinter(cfg, log, bus)
}

func newPrinter(cfg printer.Config, log *slog.Logger, bus func() (Bus, error)) (*Printer, error) {
	m, err := NewMatcher(cfg.USB)
	if err != nil {
		return nil, fmt.Errorf("printer %q: %w", cfg.Name, err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	wt := cfg.USB.WriteTimeout
	if wt == 0 {
		wt = DefaultWriteTimeout
	}
	return &Printer{name: cfg.Name, match: m, writeTimeout: wt, newBus: bus,
		log: log.With("printer", cfg.Name), lock: link.NewLock()}, nil
}

// Device is the device in use (zero before the first Open).
func (p *Printer) Device() DeviceInfo {
	p.lock <- struct{}{}
	defer p.lock.Unlock()
	return p.dev
}

// Open finds the printer and claims its interface.
func (p *Printer) Open(ctx context.Context) error {
	if err := p.lock.Lock(ctx); err != nil {
		return err
	}
	defer p.lock.Unlock()
	return p.openLocked()
}

func (p *Printer) openLocked() error {
	if p.handle != nil {
		return nil
	}
	if p.bus == nil {
		bus, err := p.newBus()
		if err != nil {
			return fmt.Errorf("printer %q: %w", p.name, err)
		}
		p.bus = bus
	}
	devs, err := p.bus.Devices()
	if err != nil && len(devs) == 0 {
		return fmt.Errorf("printer %q: list USB devices: %w", p.name, err)
	}
	dev, intf, err := p.match.Match(devs)
	if err != nil {
		return fmt.Errorf("printer %q: %w", p.name, err)
	}
	h, err := p.bus.Open(dev, intf)
	if err != nil {
		return fmt.Errorf("printer %q: open %s: %w", p.name, dev, err)
	}
	if p.dev.Bus != dev.Bus || p.dev.Address != dev.Address {
		p.log.Info("USB printer found", "device", dev.String(), "interface", intf.Number)
	}
	p.handle, p.dev, p.intf = h, dev, intf
	return nil
}

func (p *Printer) dropLocked() {
	if p.handle != nil {
		p.handle.Close()
		p.handle = nil
	}
}

// Write sends job in bulk transfers of 16 KiB. A transfer that moves
// nothing for the write timeout is a stall; a device that went away is
// found again (by its ids) on the next Write.
func (p *Printer) Write(ctx context.Context, job []byte) error {
	if err := p.lock.Lock(ctx); err != nil {
		return err
	}
	defer p.lock.Unlock()
	if err := p.openLocked(); err != nil {
		return err
	}
	total := 0
	for total < len(job) {
		end := min(total+chunkSize, len(job))
		tctx, cancel := context.WithTimeout(ctx, p.writeTimeout)
		n, err := p.handle.Write(tctx, job[total:end])
		cancel()
		total += n
		if err == nil && n == 0 {
			err = errors.New("device took no data")
		}
		if err != nil {
			p.dropLocked()
			switch {
			case ctx.Err() != nil:
				return fmt.Errorf("printer %q: job cancelled after %d of %d bytes: %w", p.name, total, len(job), ctx.Err())
			case errors.Is(err, context.DeadlineExceeded) || errors.Is(tctx.Err(), context.DeadlineExceeded):
				return fmt.Errorf("printer %q (%s): %w for %s after %d of %d bytes (paused, out of memory, or not reading)",
					p.name, p.dev, link.ErrStalled, p.writeTimeout, total, len(job))
			case errors.Is(err, ErrGone):
				return fmt.Errorf("printer %q (%s): %w after %d of %d bytes: %w", p.name, p.dev, ErrGone, total, len(job), err)
			}
			return fmt.Errorf("printer %q (%s): write failed after %d of %d bytes: %w", p.name, p.dev, total, len(job), err)
		}
	}
	return nil
}

// Status asks ~HS over bulk OUT and reads the reply from bulk IN. A device
// that is not connected is offline; one without a bulk IN endpoint cannot
// tell (ErrNoStatus).
func (p *Printer) Status(ctx context.Context) (printer.Status, error) {
	now := time.Now()
	if err := p.lock.Lock(ctx); err != nil {
		return printer.Status{State: printer.StateUnknown, Checked: now}, err
	}
	defer p.lock.Unlock()
	if err := p.openLocked(); err != nil {
		st := printer.Status{State: printer.StateOffline, Checked: now}
		switch {
		case errors.Is(err, ErrNotInBuild):
			st.Detail = ErrNotInBuild.Error()
		case errors.Is(err, ErrNotFound):
			st = st.Saying(printer.Say(printer.DetailUSBNotConnected))
		default:
			st.Detail = err.Error()
		}
		return st, err
	}
	if p.intf.InEndpoint == 0 {
		return printer.Status{State: printer.StateUnknown, Checked: now}.Saying(printer.Say(printer.DetailNoUSBStatus)),
			fmt.Errorf("printer %q: %w", p.name, printer.ErrNoStatus)
	}
	reply, err := p.ask(ctx, zplstatus.QueryHS, zplstatus.HSComplete, 2*time.Second)
	if err != nil {
		return printer.Status{State: printer.StateOffline, Detail: err.Error(), Checked: now}, err
	}
	hs, err := zplstatus.ParseHS(reply)
	if err != nil {
		return printer.Status{State: printer.StateUnknown, Detail: err.Error(), Checked: now}, fmt.Errorf("printer %q: %w", p.name, err)
	}
	return hs.Status(time.Now()), nil
}

// ask writes a query and reads bulk IN until complete says the reply is whole.
func (p *Printer) ask(ctx context.Context, q string, complete func([]byte) (int, bool), timeout time.Duration) ([]byte, error) {
	qctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := p.handle.Write(qctx, []byte(q)); err != nil {
		p.dropLocked()
		return nil, fmt.Errorf("printer %q: send %s: %w", p.name, q, err)
	}
	var buf []byte
	tmp := make([]byte, 512)
	for {
		n, err := p.handle.Read(qctx, tmp)
		buf = append(buf, tmp[:n]...)
		if end, ok := complete(buf); ok {
			return buf[:end], nil
		}
		if err != nil {
			if qctx.Err() != nil && ctx.Err() == nil {
				return nil, fmt.Errorf("printer %q: %w within %s (%s)", p.name, link.ErrNoReply, timeout, q)
			}
			p.dropLocked()
			return nil, fmt.Errorf("printer %q: read reply to %s: %w", p.name, q, err)
		}
		if len(buf) > 64<<10 {
			return nil, fmt.Errorf("printer %q: no complete reply to %s in 64 KiB", p.name, q)
		}
	}
}

// Close releases the device and libusb.
func (p *Printer) Close() error {
	p.lock <- struct{}{}
	defer p.lock.Unlock()
	p.dropLocked()
	if p.bus != nil {
		err := p.bus.Close()
		p.bus = nil
		return err
	}
	return nil
}

// List returns the connected USB devices that look like label printers:
// a printer-class interface or a known label-printer maker.
func List(bus Bus) ([]DeviceInfo, error) {
	devs, err := bus.Devices()
	var out []DeviceInfo
	for _, d := range devs {
		if _, ok := PrinterInterface(d); ok {
			out = append(out, d)
		}
	}
	return out, err
}

// OpenBus opens libusb (ErrNotInBuild without cgo).
func OpenBus() (Bus, error) { return newGousbBus() }

var _ printer.Exchanger = (*Printer)(nil)

// Exchange sends cmd over bulk OUT and collects bulk IN until the printer
// has been quiet for 150 ms after its first byte, or wait passed with none.
func (p *Printer) Exchange(ctx context.Context, cmd []byte, wait time.Duration) ([]byte, error) {
	if err := p.lock.Lock(ctx); err != nil {
		return nil, err
	}
	defer p.lock.Unlock()
	if err := p.openLocked(); err != nil {
		return nil, err
	}
	if p.intf.InEndpoint == 0 {
		return nil, fmt.Errorf("printer %q: %w", p.name, printer.ErrNoExchange)
	}
	wctx, cancel := context.WithTimeout(ctx, p.writeTimeout)
	_, err := p.handle.Write(wctx, cmd)
	cancel()
	if err != nil {
		p.dropLocked()
		return nil, fmt.Errorf("printer %q: send command: %w", p.name, err)
	}
	const quiet = 150 * time.Millisecond
	var out []byte
	tmp := make([]byte, 512)
	until := time.Now().Add(wait)
	for time.Now().Before(until) {
		rctx, cancel := context.WithDeadline(ctx, until)
		n, err := p.handle.Read(rctx, tmp)
		cancel()
		if n > 0 {
			out = append(out, tmp[:n]...)
			until = time.Now().Add(quiet)
			if len(out) > 64<<10 {
				return out, fmt.Errorf("printer %q: answer longer than 64 KiB", p.name)
			}
		}
		switch {
		case ctx.Err() != nil:
			return out, ctx.Err()
		case err == nil:
		case errors.Is(err, context.DeadlineExceeded):
			if n == 0 {
				time.Sleep(10 * time.Millisecond) // a transfer that timed out early
			}
		default:
			p.dropLocked()
			return out, fmt.Errorf("printer %q: read answer: %w", p.name, err)
		}
	}
	return out, nil
}
