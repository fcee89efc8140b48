package usb

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/printer/internal/link"
	"github.com/labelagent/labelagent/printer/zplstatus"
)

var (
	zebraIntf = Interface{Config: 1, Number: 0, Class: ClassPrinter, OutEndpoint: 0x01, InEndpoint: 0x82, MaxPacket: 512}
	zebra     = DeviceInfo{Bus: 1, Address: 5, Vendor: 0x0a5f, Product: 0x0164, Serial: "D4J123", Manufacturer: "Zebra", ProductName: "ZD420", Interfaces: []Interface{zebraIntf}}
	zebra2    = DeviceInfo{Bus: 1, Address: 6, Vendor: 0x0a5f, Product: 0x0164, Serial: "D4J999", Interfaces: []Interface{zebraIntf}}
	// TSC with a vendor-specific interface class.
	tsc    = DeviceInfo{Bus: 2, Address: 3, Vendor: 0x1203, Product: 0x0230, Interfaces: []Interface{{Config: 1, Class: 0xff, OutEndpoint: 0x02}}}
	mouse  = DeviceInfo{Bus: 1, Address: 2, Vendor: 0x046d, Product: 0xc077, Interfaces: []Interface{{Config: 1, Class: 3, InEndpoint: 0x81}}}
	office = DeviceInfo{Bus: 3, Address: 4, Vendor: 0x03f0, Product: 0x1234, Interfaces: []Interface{{Config: 1, Class: 0xff, OutEndpoint: 1}, {Config: 1, Number: 1, Class: ClassPrinter, OutEndpoint: 0x03}}}
	// A device of a known maker without any bulk OUT endpoint (a scanner).
	noOut = DeviceInfo{Bus: 1, Address: 9, Vendor: 0x0a5f, Product: 0x0001, Interfaces: []Interface{{Config: 1, Class: 3, InEndpoint: 0x81}}}
)

func TestPrinterInterface(t *testing.T) {
	for _, tt := range []struct {
		d    DeviceInfo
		ok   bool
		want int
	}{
		{zebra, true, 0}, {tsc, true, 0}, {mouse, false, 0}, {office, true, 1}, {noOut, false, 0},
	} {
		intf, ok := PrinterInterface(tt.d)
		if ok != tt.ok || ok && intf.Number != tt.want {
			t.Errorf("%s: %+v %v", tt.d, intf, ok)
		}
	}
}

func TestMatch(t *testing.T) {
	all := []DeviceInfo{mouse, zebra, tsc, office, noOut}
	tests := []struct {
		name    string
		cfg     printer.USBConfig
		devs    []DeviceInfo
		want    *DeviceInfo
		wantErr string
	}{
		{"by vendor and product", printer.USBConfig{Vendor: "0a5f", Product: "0164"}, all, &zebra, ""},
		{"0x prefix and case", printer.USBConfig{Vendor: "0x0A5F"}, all, &zebra, ""},
		{"serial", printer.USBConfig{Vendor: "0a5f", Serial: "d4j999"}, []DeviceInfo{zebra, zebra2}, &zebra2, ""},
		{"two alike need a serial", printer.USBConfig{Vendor: "0a5f"}, []DeviceInfo{zebra, zebra2}, nil, "2 USB printers match vendor 0a5f"},
		{"vendor-specific class of a known maker", printer.USBConfig{Vendor: "1203"}, all, &tsc, ""},
		{"nothing configured: the only label printer", printer.USBConfig{}, []DeviceInfo{mouse, zebra}, &zebra, ""},
		{"not connected", printer.USBConfig{Vendor: "0a5f", Product: "0999"}, all, nil, "USB printer not connected (looking for vendor 0a5f, product 0999)"},
		{"wrong serial", printer.USBConfig{Serial: "X"}, all, nil, "serial X"},
		{"not a printer", printer.USBConfig{Vendor: "046d"}, all, nil, "not connected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := NewMatcher(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			d, _, err := m.Match(tt.devs)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || d.Bus != tt.want.Bus || d.Address != tt.want.Address {
				t.Fatalf("got %s, %v", d, err)
			}
		})
	}
}

func TestParseID(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want uint16
		ok   bool
	}{{"0a5f", 0x0a5f, true}, {"0x1203", 0x1203, true}, {"A5F", 0x0a5f, true}, {"", 0, false}, {"0a5f0", 0, false}, {"zebra", 0, false}, {"-1", 0, false}} {
		got, err := ParseID(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("%q: %x %v", tt.in, got, err)
		}
	}
	if _, err := NewMatcher(printer.USBConfig{Product: "x"}); err == nil || !strings.Contains(err.Error(), "usb.product") {
		t.Fatal(err)
	}
}

// fakeBus is a USB bus with printers that can be unplugged and plugged in
// again; each open device answers ~HS from a status the test sets.
type fakeBus struct {
	mu      sync.Mutex
	devs    []DeviceInfo
	writes  [][]byte // every bulk OUT transfer, in order
	status  zplstatus.HostStatus
	stall   bool
	opened  int
	handles []*fakeHandle
}

func (b *fakeBus) Devices() ([]DeviceInfo, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]DeviceInfo(nil), b.devs...), nil
}

func (b *fakeBus) Open(d DeviceInfo, intf Interface) (Handle, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, x := range b.devs {
		if x.Bus == d.Bus && x.Address == d.Address {
			b.opened++
			h := &fakeHandle{bus: b, dev: d}
			b.handles = append(b.handles, h)
			return h, nil
		}
	}
	return nil, ErrGone
}

func (b *fakeBus) Close() error { return nil }

// unplug removes the device; its open handles fail from now on.
func (b *fakeBus) unplug() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.devs = nil
}

func (b *fakeBus) plug(d DeviceInfo) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.devs = append(b.devs, d)
}

type fakeHandle struct {
	bus     *fakeBus
	dev     DeviceInfo
	pending []byte
	closed  bool
}

func (h *fakeHandle) present() bool {
	for _, x := range h.bus.devs {
		if x.Bus == h.dev.Bus && x.Address == h.dev.Address {
			return true
		}
	}
	return false
}

func (h *fakeHandle) Write(ctx context.Context, b []byte) (int, error) {
	h.bus.mu.Lock()
	stall := h.bus.stall
	h.bus.mu.Unlock()
	if stall {
		<-ctx.Done()
		return 0, ctx.Err()
	}
	h.bus.mu.Lock()
	defer h.bus.mu.Unlock()
	if !h.present() || h.closed {
		return 0, ErrGone
	}
	h.bus.writes = append(h.bus.writes, append([]byte(nil), b...))
	if string(b) == "~HS" {
		h.pending = append(h.pending, h.bus.status.Bytes()...)
	}
	return len(b), nil
}

func (h *fakeHandle) Read(ctx context.Context, b []byte) (int, error) {
	h.bus.mu.Lock()
	defer h.bus.mu.Unlock()
	if !h.present() {
		return 0, ErrGone
	}
	// Like a bulk IN endpoint: one packet at most per transfer.
	n := copy(b[:min(len(b), 64)], h.pending)
	h.pending = h.pending[n:]
	if n == 0 {
		return 0, context.DeadlineExceeded
	}
	return n, nil
}

func (h *fakeHandle) Close() error { h.closed = true; return nil }

func newTest(t *testing.T, bus *fakeBus, cfg printer.USBConfig) *Printer {
	t.Helper()
	p, err := NewWithBus(printer.Config{Name: "usb-zebra", Transport: "usb", USB: cfg}, nil, func() (Bus, error) { return bus, nil })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestChunking(t *testing.T) {
	bus := &fakeBus{devs: []DeviceInfo{mouse, zebra}}
	p := newTest(t, bus, printer.USBConfig{Vendor: "0a5f"})
	job := bytes.Repeat([]byte("0123456789ABCDEF"), 5000) // 80000 bytes
	if err := p.Write(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	if len(bus.writes) != 5 {
		t.Fatalf("%d transfers, want 5 of at most 16 KiB", len(bus.writes))
	}
	for _, w := range bus.writes[:4] {
		if len(w) != chunkSize || len(w)%zebraIntf.MaxPacket != 0 {
			t.Fatalf("transfer of %d bytes", len(w))
		}
	}
	if !bytes.Equal(bytes.Join(bus.writes, nil), job) {
		t.Fatal("bytes differ")
	}
}

func TestReconnectAfterReplug(t *testing.T) {
	bus := &fakeBus{devs: []DeviceInfo{zebra2, zebra}}
	p := newTest(t, bus, printer.USBConfig{Vendor: "0a5f", Product: "0164", Serial: "D4J123"})
	ctx := context.Background()
	if err := p.Write(ctx, []byte("^XA^FDone^XZ")); err != nil {
		t.Fatal(err)
	}
	bus.unplug()
	err := p.Write(ctx, []byte("^XA^FDtwo^XZ"))
	if !errors.Is(err, ErrGone) {
		t.Fatalf("write to an unplugged printer: %v", err)
	}
	if err := p.Write(ctx, []byte("^XA^FDtwo^XZ")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("write while unplugged: %v", err)
	}
	st, _ := p.Status(ctx)
	if st.State != printer.StateOffline || st.Detail != "not connected" {
		t.Fatalf("status while unplugged: %+v", st)
	}
	// Plugged in again: new address, and the other Zebra is back first.
	back := zebra
	back.Address = 17
	bus.plug(zebra2)
	bus.plug(back)
	if err := p.Write(ctx, []byte("^XA^FDtwo^XZ")); err != nil {
		t.Fatalf("write after replug: %v", err)
	}
	if d := p.Device(); d.Address != 17 || d.Serial != "D4J123" {
		t.Fatalf("printing to %s", d)
	}
	last := bus.writes[len(bus.writes)-1]
	if string(last) != "^XA^FDtwo^XZ" {
		t.Fatalf("last transfer %q", last)
	}
}

func TestStatusOverBulkIn(t *testing.T) {
	bus := &fakeBus{devs: []DeviceInfo{zebra}, status: zplstatus.HostStatus{PaperOut: true, PrintMode: '2'}}
	p := newTest(t, bus, printer.USBConfig{})
	st, err := p.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.State != printer.StatePaperOut {
		t.Fatalf("%+v", st)
	}
	bus.status.PaperOut = false
	if st, _ := p.Status(context.Background()); st.State != printer.StateReady {
		t.Fatalf("%+v", st)
	}
	// A printer without bulk IN cannot report.
	bus2 := &fakeBus{devs: []DeviceInfo{tsc}}
	p2 := newTest(t, bus2, printer.USBConfig{})
	if _, err := p2.Status(context.Background()); !errors.Is(err, printer.ErrNoStatus) {
		t.Fatalf("%v", err)
	}
}

func TestStall(t *testing.T) {
	bus := &fakeBus{devs: []DeviceInfo{zebra}, stall: true}
	p := newTest(t, bus, printer.USBConfig{WriteTimeout: 100 * time.Millisecond})
	err := p.Write(context.Background(), []byte("^XA^XZ"))
	if !errors.Is(err, link.ErrStalled) {
		t.Fatalf("%v", err)
	}
}
