//go:build cgo && !windows

package usb

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/gousb"
)

const libusbBuilt = true

// gousbBus is the Bus over libusb.
type gousbBus struct{ ctx *gousb.Context }

func newGousbBus() (b Bus, err error) {
	// gousb panics when libusb cannot start (no usbfs in a container).
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("start libusb: %v", r)
		}
	}()
	return &gousbBus{ctx: gousb.NewContext()}, nil
}

func (b *gousbBus) Close() error { return b.ctx.Close() }

func info(desc *gousb.DeviceDesc) DeviceInfo {
	d := DeviceInfo{Bus: desc.Bus, Address: desc.Address, Vendor: uint16(desc.Vendor), Product: uint16(desc.Product)}
	for _, cfg := range desc.Configs {
		for _, intf := range cfg.Interfaces {
			for _, alt := range intf.AltSettings {
				i := Interface{Config: cfg.Number, Number: alt.Number, Alt: alt.Alternate, Class: uint8(alt.Class)}
				for _, ep := range alt.Endpoints {
					if ep.TransferType != gousb.TransferTypeBulk {
						continue
					}
					if ep.Direction == gousb.EndpointDirectionOut && i.OutEndpoint == 0 {
						i.OutEndpoint, i.MaxPacket = int(ep.Address), ep.MaxPacketSize
					}
					if ep.Direction == gousb.EndpointDirectionIn && i.InEndpoint == 0 {
						i.InEndpoint = int(ep.Address)
					}
				}
				d.Interfaces = append(d.Interfaces, i)
			}
		}
	}
	return d
}

// Devices lists every device; printers are opened briefly to read their
// serial number and names (others are left alone).
func (b *gousbBus) Devices() ([]DeviceInfo, error) {
	var out []DeviceInfo
	devs, err := b.ctx.OpenDevices(func(desc *gousb.DeviceDesc) bool {
		d := info(desc)
		_, printer := PrinterInterface(d)
		if !printer {
			out = append(out, d)
		}
		return printer
	})
	for _, dev := range devs {
		d := info(dev.Desc)
		d.Serial, _ = dev.SerialNumber()
		d.Manufacturer, _ = dev.Manufacturer()
		d.ProductName, _ = dev.Product()
		dev.Close()
		out = append(out, d)
	}
	if err != nil {
		// Some devices could not be opened (permissions): the others count.
		err = fmt.Errorf("some USB devices could not be opened (on Linux install the udev rule from docs/hardware-testing.md): %w", err)
	}
	return out, err
}

func (b *gousbBus) Open(d DeviceInfo, intf Interface) (Handle, error) {
	devs, err := b.ctx.OpenDevices(func(desc *gousb.DeviceDesc) bool {
		return desc.Bus == d.Bus && desc.Address == d.Address
	})
	if len(devs) == 0 {
		if err == nil {
			err = ErrNotFound
		}
		return nil, gone(err)
	}
	dev := devs[0]
	for _, extra := range devs[1:] {
		extra.Close()
	}
	h := &gousbHandle{dev: dev}
	fail := func(what string, err error) (Handle, error) {
		h.Close()
		return nil, fmt.Errorf("%s: %w", what, gone(err))
	}
	// The kernel's usblp driver holds printer interfaces; detach it while
	// we print and give it back on Close.
	if err := dev.SetAutoDetach(true); err != nil {
		return fail("detach kernel driver", err)
	}
	if h.cfg, err = dev.Config(intf.Config); err != nil {
		return fail("select configuration", err)
	}
	if h.intf, err = h.cfg.Interface(intf.Number, intf.Alt); err != nil {
		return fail("claim interface", err)
	}
	if h.out, err = h.intf.OutEndpoint(intf.OutEndpoint & 0x0f); err != nil {
		return fail("open bulk OUT endpoint", err)
	}
	if intf.InEndpoint != 0 {
		if h.in, err = h.intf.InEndpoint(intf.InEndpoint & 0x0f); err != nil {
			return fail("open bulk IN endpoint", err)
		}
	}
	return h, nil
}

type gousbHandle struct {
	dev  *gousb.Device
	cfg  *gousb.Config
	intf *gousb.Interface
	out  *gousb.OutEndpoint
	in   *gousb.InEndpoint
}

func (h *gousbHandle) Write(ctx context.Context, b []byte) (int, error) {
	n, err := h.out.WriteContext(ctx, b)
	return n, transferErr(ctx, err)
}

func (h *gousbHandle) Read(ctx context.Context, b []byte) (int, error) {
	if h.in == nil {
		return 0, errors.New("no bulk IN endpoint")
	}
	n, err := h.in.ReadContext(ctx, b)
	return n, transferErr(ctx, err)
}

func (h *gousbHandle) Close() error {
	if h.intf != nil {
		h.intf.Close()
	}
	if h.cfg != nil {
		h.cfg.Close()
	}
	return h.dev.Close()
}

// transferErr turns libusb's errors into ErrGone and context errors.
func transferErr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return gone(err)
}

func gone(err error) error {
	var ue gousb.Error
	var ts gousb.TransferStatus
	switch {
	case errors.As(err, &ue) && (ue == gousb.ErrorNoDevice || ue == gousb.ErrorNotFound),
		errors.As(err, &ts) && ts == gousb.TransferNoDevice:
		return fmt.Errorf("%w: %w", ErrGone, err)
	}
	return err
}
