// Package emulator is a ZPL label printer in software, for tests, benchmarks
// and development without hardware. It listens like a network printer on
// TCP (port 9100 style) and like a serial printer on a pseudo-terminal,
// splits what it receives into label formats (^XA…^XZ), "prints" them
// (keeps them in memory and optionally writes each to a folder), answers
// ~HS and ~HQES from its real state, and can be told to fail the ways real
// printers fail: paper out, head open, ribbon out, paused, a dropped
// connection in the middle of a job, a printer that stops reading, and a
// slow serial line.
//
// Like a real printer, it keeps formats received during a fault in its
// buffer and prints them when the fault clears; with Options.PrintDelay it
// takes time per label, so formats wait in its buffer (~HS shows them as
// formats in buffer and labels remaining) and a fault can stop a ^PQ batch
// in the middle. A power cycle loses the buffer and the connections but
// not the label counter (the odometer, read with the SGD variable
// odometer.total_label_count, as on Link-OS printers).
package emulator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labelagent/labelagent/printer/zplstatus"
	"github.com/labelagent/labelagent/zpl"
)

// Options configure a new Emulator.
type Options struct {
	// Dir, if set, receives every printed label as NNNNNN.zpl.
	Dir string
	// BufferFormats is how many unprinted formats the printer holds before
	// it stops reading (and reports "buffer full"); 0 means 256.
	BufferFormats int
	// BytesPerSecond throttles reading, like a serial line; 0: unlimited.
	BytesPerSecond int
	// KeepLabels is how many printed labels stay in memory for Labels
	// (the oldest go first; counters and Dir keep everything); 0 means 10000.
	KeepLabels int
	// Logger gets one line per connection, label and fault; nil: silent.
	Logger *slog.Logger
	// PrintDelay is the time one label takes to print (a 6 ips printer
	// needs about a second for a 150 mm label); 0 prints at once.
	PrintDelay time.Duration
	// NoOdometer makes the printer answer "?" for its label counter, like
	// printers older than Link-OS.
	NoOdometer bool
}

// Label is one format the emulator received and printed.
type Label struct {
	Seq      int       // 1, 2, … in order of arrival
	Data     []byte    // ^XA … ^XZ
	Copies   int       // from ^PQ, at least 1 (0 for a format that only stores itself, ^DF)
	Count    int       // labels of it that came out (fewer than Copies when a power cycle cut the batch)
	Via      string    // "tcp" or "serial"
	Received time.Time // when ^XZ arrived
	Printed  time.Time // when it came out (later than Received after a fault)
	// Downloads are the ~DY commands, as received, of the stored graphics
	// the format prints (^IM, ^XG) as they were when it arrived: with
	// Data, what the printer drew from (see ZPL).
	Downloads []byte
}

// ZPL is the label as the printer drew it: the downloads of the graphics
// it recalls, then the format.
func (l Label) ZPL() []byte {
	if len(l.Downloads) == 0 {
		return l.Data
	}
	return append(append([]byte(nil), l.Downloads...), l.Data...)
}

// storedObject is a graphic downloaded with ~DY.
type storedObject struct {
	device string // R: is lost at power-off
	cmd    []byte // the ~DY command as received
}

// Faults is the printer's condition as a person at the printer would set it.
type Faults struct {
	PaperOut  bool `json:"paper_out"`
	HeadOpen  bool `json:"head_open"`
	RibbonOut bool `json:"ribbon_out"`
	Paused    bool `json:"paused"`
	// StopReading makes the printer stop taking bytes off the line, so
	// that the sender's writes block (back-pressure).
	StopReading bool `json:"stop_reading"`
}

func (f Faults) canPrint() bool { return !f.PaperOut && !f.HeadOpen && !f.RibbonOut && !f.Paused }

// Emulator is one emulated printer. It may be reached over several
// listeners at once; they share its state, as a printer's ports do.
type Emulator struct {
	opts Options
	log  *slog.Logger

	mu              sync.Mutex
	changed         chan struct{} // closed and replaced on every state change
	faults          Faults
	rate            int // bytes per second, 0: unlimited
	disconnectAfter int64
	pending         []Label
	printed         []Label // the last KeepLabels
	formatsPrinted  int
	labelsPrinted   int
	seq             int
	received        int64
	partial         int // connections inside a format
	closed          bool
	closers         map[io.Closer]struct{}
	serialLines     map[io.Writer]struct{} // open serial lines, for XON/XOFF
	xoff            bool
	printConns      map[net.Conn]struct{}   // open printing connections (not the control port)
	power           int                     // power cycles so far: a connection's unfinished format is lost at one
	engine          bool                    // the print engine goroutine runs (PrintDelay > 0)
	objects         map[string]storedObject // ~DY graphics by "NAME.EXT"
	refused         int                     // ~DY downloads the printer would not store

	wg sync.WaitGroup
}

// New returns an emulator with no listeners yet.
func New(opts Options) *Emulator {
	if opts.BufferFormats <= 0 {
		opts.BufferFormats = 256
	}
	if opts.KeepLabels <= 0 {
		opts.KeepLabels = 10000
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Emulator{
		opts:            opts,
		log:             log,
		changed:         make(chan struct{}),
		rate:            opts.BytesPerSecond,
		disconnectAfter: -1,
		closers:         map[io.Closer]struct{}{},
		serialLines:     map[io.Writer]struct{}{},
		printConns:      map[net.Conn]struct{}{},
		objects:         map[string]storedObject{},
	}
}

// download stores a ~DY graphic (a .GRF, or a monochrome .PNG as the ZPL
// II guide requires) under its name, replacing one of the same name, as a
// printer does; other files (fonts) are accepted and not kept. A download
// the printer would not store is logged and counted (RefusedDownloads).
func (e *Emulator) download(data []byte, via string) {
	cmds, _ := zpl.Tokenize(data)
	err := errors.New("no ~DY command")
	var o zpl.Object
	if len(cmds) > 0 {
		if o, err = zpl.ParseDownload(cmds[0]); err == nil && (o.Ext == "PNG" || o.Ext == "GRF") {
			_, err = o.Graphic()
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err != nil {
		e.refused++
		e.log.Warn("download not stored", "err", err, "bytes", len(data), "via", via)
		return
	}
	if o.Ext == "PNG" || o.Ext == "GRF" {
		e.objects[o.Key()] = storedObject{device: o.Device, cmd: data}
	}
	e.log.Info("object stored", "name", o.Device+o.Key(), "bytes", len(o.Data), "via", via)
}

// Objects lists the stored graphics ("R:NAME.PNG").
func (e *Emulator) Objects() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for k, o := range e.objects {
		out = append(out, o.device+k)
	}
	slices.Sort(out)
	return out
}

// RefusedDownloads counts the ~DY downloads not stored (damaged, cut
// short, or a PNG that is not monochrome).
func (e *Emulator) RefusedDownloads() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.refused
}

// recalled is the ~DY bytes of the stored graphics format prints. Call
// with mu held.
func (e *Emulator) recalledLocked(format []byte) []byte {
	if len(e.objects) == 0 {
		return nil
	}
	cmds, _ := zpl.Tokenize(format)
	var out []byte
	seen := map[string]bool{}
	for _, c := range cmds {
		if c.Tilde || (c.Name != "IM" && c.Name != "XG") {
			continue
		}
		name := strings.ToUpper(c.Param(0))
		if i := strings.IndexByte(name, ':'); i >= 0 {
			name = name[i+1:]
		}
		if !strings.Contains(name, ".") {
			name += ".GRF"
		}
		if o, ok := e.objects[name]; ok && !seen[name] {
			seen[name] = true
			out = append(out, o.cmd...)
		}
	}
	return out
}

// notify wakes everything waiting for a state change. Call with mu held.
func (e *Emulator) notify() {
	close(e.changed)
	e.changed = make(chan struct{})
}

// Faults returns the current fault switches.
func (e *Emulator) Faults() Faults {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.faults
}

// SetFaults replaces all fault switches at once. Clearing the last fault
// that stops printing prints the buffered formats.
func (e *Emulator) SetFaults(f Faults) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if f != e.faults {
		e.log.Info("printer condition changed", "paper_out", f.PaperOut, "head_open", f.HeadOpen,
			"ribbon_out", f.RibbonOut, "paused", f.Paused, "stop_reading", f.StopReading)
	}
	e.faults = f
	e.printPendingLocked()
	e.notify()
}

func (e *Emulator) update(fn func(*Faults)) {
	f := e.Faults()
	fn(&f)
	e.SetFaults(f)
}

// SetPaperOut switches the paper-out condition.
func (e *Emulator) SetPaperOut(on bool) { e.update(func(f *Faults) { f.PaperOut = on }) }

// SetHeadOpen switches the head-open condition.
func (e *Emulator) SetHeadOpen(on bool) { e.update(func(f *Faults) { f.HeadOpen = on }) }

// SetRibbonOut switches the ribbon-out condition.
func (e *Emulator) SetRibbonOut(on bool) { e.update(func(f *Faults) { f.RibbonOut = on }) }

// SetPaused pauses or resumes the printer (like its pause button).
func (e *Emulator) SetPaused(on bool) { e.update(func(f *Faults) { f.Paused = on }) }

// SetStopReading makes the printer stop (or resume) reading its input.
func (e *Emulator) SetStopReading(on bool) { e.update(func(f *Faults) { f.StopReading = on }) }

// SetBytesPerSecond throttles input to n bytes per second (0: unlimited).
func (e *Emulator) SetBytesPerSecond(n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if n < 0 {
		n = 0
	}
	e.rate = n
	e.notify()
}

// SetBaud throttles input to what a serial line carries at baud with
// bitsPerChar bits per character on the wire (10 for 8N1: start, 8 data,
// stop).
func (e *Emulator) SetBaud(baud, bitsPerChar int) {
	if bitsPerChar <= 0 {
		bitsPerChar = 10
	}
	e.SetBytesPerSecond(baud / bitsPerChar)
}

// DisconnectAfter makes the printer drop whichever connection has received
// n more bytes from now (the cable pulled in the middle of a job); the
// partial format is lost, as on a real printer. Negative n disarms it.
func (e *Emulator) DisconnectAfter(n int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.disconnectAfter = n
}

// Labels returns the printed labels in order (the last Options.KeepLabels).
func (e *Emulator) Labels() []Label {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Label(nil), e.printed...)
}

// LabelsPrinted counts printed labels, copies included.
func (e *Emulator) LabelsPrinted() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.labelsPrinted
}

// FormatsPrinted counts printed formats (a format with ^PQ3 is one).
func (e *Emulator) FormatsPrinted() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.formatsPrinted
}

// Pending counts formats received but held by a fault.
func (e *Emulator) Pending() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.pending)
}

// Received counts every byte read from every connection.
func (e *Emulator) Received() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.received
}

// WaitLabels blocks until at least n formats have been printed in all and
// returns the labels kept.
func (e *Emulator) WaitLabels(ctx context.Context, n int) ([]Label, error) {
	for {
		e.mu.Lock()
		if e.formatsPrinted >= n {
			out := append([]Label(nil), e.printed...)
			e.mu.Unlock()
			return out, nil
		}
		ch := e.changed
		e.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("emulator printed %d of %d labels: %w", e.FormatsPrinted(), n, ctx.Err())
		}
	}
}

// WaitReceived blocks until at least n bytes have been read in total.
func (e *Emulator) WaitReceived(ctx context.Context, n int64) error {
	for {
		e.mu.Lock()
		got, ch := e.received, e.changed
		e.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("emulator received %d of %d bytes: %w", got, n, ctx.Err())
		}
	}
}

// HostStatus is what the printer answers to ~HS now.
func (e *Emulator) HostStatus() zplstatus.HostStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.hostStatusLocked()
}

func (e *Emulator) hostStatusLocked() zplstatus.HostStatus {
	remaining := 0
	for _, l := range e.pending {
		remaining += l.Copies - l.Count
	}
	return zplstatus.HostStatus{
		CommSettings:     30, // 9600 8N1 XON/XOFF, as a factory-default Zebra reports
		PaperOut:         e.faults.PaperOut,
		Paused:           e.faults.Paused,
		LabelLength:      1218,
		FormatsInBuffer:  min(len(e.pending), 999),
		BufferFull:       len(e.pending) >= e.opts.BufferFormats,
		PartialFormat:    e.partial > 0,
		FunctionSettings: 1,
		HeadOpen:         e.faults.HeadOpen,
		RibbonOut:        e.faults.RibbonOut,
		PrintMode:        '2',
		LabelsRemaining:  min(remaining, 99999999),
		FormatWhilePrint: true,
		Password:         "1234",
	}
}

// ExtendedStatus is what the printer answers to ~HQES now.
func (e *Emulator) ExtendedStatus() zplstatus.ExtendedStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	var es zplstatus.ExtendedStatus
	if e.faults.PaperOut {
		es.Errors |= zplstatus.ErrMediaOut
	}
	if e.faults.RibbonOut {
		es.Errors |= zplstatus.ErrRibbonOut
	}
	if e.faults.HeadOpen {
		es.Errors |= zplstatus.ErrHeadOpen
	}
	if e.faults.Paused {
		es.Errors |= zplstatus.ErrPaused
	}
	return es
}

// format is called by a connection when ^XZ completes a format.
func (e *Emulator) format(data []byte, via string, power int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if power != e.power {
		return // began before a power cycle: lost with it
	}
	e.seq++
	l := Label{Seq: e.seq, Data: data, Copies: copies(data), Via: via, Received: time.Now(), Downloads: e.recalledLocked(data)}
	e.pending = append(e.pending, l)
	if e.opts.PrintDelay > 0 && !e.engine && !e.closed {
		e.engine = true
		e.wg.Add(1)
		go e.run()
	}
	e.printPendingLocked()
	e.notify()
}

// printPendingLocked prints what the buffer holds, at once; with a
// PrintDelay the engine goroutine does it, one label at a time.
func (e *Emulator) printPendingLocked() {
	if !e.faults.canPrint() || e.opts.PrintDelay > 0 {
		return
	}
	for len(e.pending) > 0 {
		l := &e.pending[0]
		e.labelsPrinted += l.Copies - l.Count
		l.Count = l.Copies
		e.donePendingLocked()
	}
}

// donePendingLocked moves the head of the buffer to the printed labels.
func (e *Emulator) donePendingLocked() {
	l := e.pending[0]
	e.pending = e.pending[1:]
	l.Printed = time.Now()
	e.printed = append(e.printed, l)
	if len(e.printed) > e.opts.KeepLabels {
		e.printed = append(e.printed[:0:0], e.printed[len(e.printed)-e.opts.KeepLabels:]...)
	}
	e.formatsPrinted++
	e.log.Info("label printed", "seq", l.Seq, "bytes", len(l.Data), "copies", l.Copies, "count", l.Count, "via", l.Via)
	if e.opts.Dir != "" {
		name := filepath.Join(e.opts.Dir, fmt.Sprintf("%06d.zpl", l.Seq))
		if err := os.WriteFile(name, l.ZPL(), 0o644); err != nil {
			e.log.Error("cannot store label", "file", name, "err", err)
		}
	}
}

// run is the print engine: it prints the buffer one label per PrintDelay
// while no fault stops it. A fault stops it between labels (the label in
// progress is not counted), a power cycle empties the buffer under it.
func (e *Emulator) run() {
	defer e.wg.Done()
	e.mu.Lock()
	defer e.mu.Unlock()
	for !e.closed {
		if len(e.pending) == 0 || !e.faults.canPrint() {
			ch := e.changed
			e.mu.Unlock()
			<-ch
			e.mu.Lock()
			continue
		}
		if e.pending[0].Count >= e.pending[0].Copies { // ^DF: stores, prints nothing
			e.donePendingLocked()
			e.notify()
			continue
		}
		seq, power := e.pending[0].Seq, e.power
		e.mu.Unlock()
		time.Sleep(e.opts.PrintDelay)
		e.mu.Lock()
		if e.closed || power != e.power || !e.faults.canPrint() || len(e.pending) == 0 || e.pending[0].Seq != seq {
			continue // the label in progress did not come out
		}
		e.pending[0].Count++
		e.labelsPrinted++
		if e.pending[0].Count >= e.pending[0].Copies {
			e.donePendingLocked()
		}
		e.notify()
	}
}

// PowerCycle switches the printer off and on: the buffer (formats waiting
// and the rest of a ^PQ batch) and every connection are lost, the label
// counter and the physical faults (paper, ribbon, head) stay, a pause does
// not.
func (e *Emulator) PowerCycle() {
	e.mu.Lock()
	lost, remaining := len(e.pending), 0
	for _, l := range e.pending {
		remaining += l.Copies - l.Count
	}
	e.pending = nil
	e.power++
	for k, o := range e.objects {
		if o.device == "R:" { // RAM
			delete(e.objects, k)
		}
	}
	e.faults.Paused, e.faults.StopReading = false, false
	e.xoff = false
	conns := make([]net.Conn, 0, len(e.printConns))
	for c := range e.printConns {
		conns = append(conns, c)
	}
	e.notify()
	e.mu.Unlock()
	e.log.Info("power cycle: buffer lost", "formats", lost, "labels", remaining)
	for _, c := range conns {
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0) // reset, as a printer that lost power
		}
		c.Close()
	}
}

// Odometer is the printer's life-time label counter.
func (e *Emulator) Odometer() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return int64(e.labelsPrinted)
}

// control handles ~ commands outside formats; it returns the reply to send.
func (e *Emulator) control(cmd string) []byte {
	switch cmd {
	case "HS":
		return e.HostStatus().Bytes()
	case "HQES":
		return e.ExtendedStatus().Bytes()
	case "HI":
		return []byte("\x02ZT410-203dpi,V75.20.01Z,8,8192KB\x03\r\n")
	case "PP":
		e.SetPaused(true)
	case "PS":
		e.SetPaused(false)
	case "JA": // cancel all: drop what waits in the buffer
		e.mu.Lock()
		e.pending = nil
		e.notify()
		e.mu.Unlock()
	}
	return nil
}

// sgd answers a Set-Get-Do line ("! U1 getvar "name""): the label counter
// where the printer has one, "?" for anything else, nothing for what is
// not a getvar (setvar and do have no answer).
func (e *Emulator) sgd(line string) []byte {
	f := strings.Fields(line)
	if len(f) < 4 || f[0] != "!" || !strings.EqualFold(f[1], "U1") || !strings.EqualFold(f[2], "getvar") {
		return nil
	}
	name := strings.Trim(strings.ToLower(f[3]), `"`)
	e.mu.Lock()
	defer e.mu.Unlock()
	if name == "odometer.total_label_count" && !e.opts.NoOdometer {
		return []byte(fmt.Sprintf("\"%d\"", e.labelsPrinted))
	}
	return []byte(`"?"`)
}

// track registers something to close on Close; it reports false when the
// emulator is already closed.
func (e *Emulator) track(c io.Closer) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	e.closers[c] = struct{}{}
	return true
}

func (e *Emulator) untrack(c io.Closer) {
	e.mu.Lock()
	delete(e.closers, c)
	e.mu.Unlock()
}

// Close stops every listener and connection and waits for them.
func (e *Emulator) Close() error {
	e.mu.Lock()
	e.closed = true
	cs := make([]io.Closer, 0, len(e.closers))
	for c := range e.closers {
		cs = append(cs, c)
	}
	e.notify()
	e.mu.Unlock()
	for _, c := range cs {
		c.Close()
	}
	e.wg.Wait()
	return nil
}

// ListenTCP serves raw printing on addr ("127.0.0.1:0" picks a port) until
// Close, and returns the address it listens on.
func (e *Emulator) ListenTCP(addr string) (net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("emulator: listen on %s: %w", addr, err)
	}
	if !e.track(ln) {
		ln.Close()
		return nil, errors.New("emulator is closed")
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer e.untrack(ln)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if !e.track(c) {
				c.Close()
				return
			}
			if tc, ok := c.(*net.TCPConn); ok {
				// Printers have small network buffers; loopback would
				// otherwise soak up megabytes the "printer" has not read.
				tc.SetReadBuffer(64 << 10)
			}
			e.mu.Lock()
			e.printConns[c] = struct{}{}
			e.mu.Unlock()
			e.wg.Add(1)
			go func() {
				defer e.wg.Done()
				defer e.untrack(c)
				defer func() {
					e.mu.Lock()
					delete(e.printConns, c)
					e.mu.Unlock()
				}()
				e.log.Info("connection", "remote", c.RemoteAddr().String())
				err := e.serve(c, "tcp", func() {
					if tc, ok := c.(*net.TCPConn); ok {
						tc.SetLinger(0) // reset, like a printer that lost power
					}
					c.Close()
				})
				c.Close()
				e.log.Info("connection closed", "remote", c.RemoteAddr().String(), "reason", err)
			}()
		}
	}()
	return ln.Addr(), nil
}

// SetXoff makes the printer send XOFF (on) or XON (off) on its serial
// lines, as a printer set to software handshake does when its buffer
// fills. It keeps reading: a sender that ignores XOFF is not held back.
func (e *Emulator) SetXoff(on bool) {
	e.mu.Lock()
	e.xoff = on
	lines := make([]io.Writer, 0, len(e.serialLines))
	for w := range e.serialLines {
		lines = append(lines, w)
	}
	e.mu.Unlock()
	c := []byte{0x11} // XON
	if on {
		c = []byte{0x13} // XOFF
	}
	for _, w := range lines {
		w.Write(c)
	}
}

// errDropped ends a connection the emulator was told to drop.
var errDropped = errors.New("dropped by fault injection")

// serve reads one connection until it ends. rw is the line; drop cuts it.
func (e *Emulator) serve(rw io.ReadWriter, via string, drop func()) error {
	if via == "serial" {
		e.mu.Lock()
		e.serialLines[rw] = struct{}{}
		xoff := e.xoff
		e.mu.Unlock()
		defer func() {
			e.mu.Lock()
			delete(e.serialLines, rw)
			e.mu.Unlock()
		}()
		if xoff {
			rw.Write([]byte{0x13})
		}
	}
	var sp splitter
	e.mu.Lock()
	power := e.power
	e.mu.Unlock()
	buf := make([]byte, 32*1024)
	var next time.Time // throttle: when the line may deliver the next byte
	inFormat := false
	defer func() {
		if inFormat {
			e.mu.Lock()
			e.partial--
			e.mu.Unlock()
		}
	}()
	for {
		rate, ok := e.waitReadable()
		if !ok {
			return errors.New("emulator closed")
		}
		n := len(buf)
		if rate > 0 {
			n = max(16, min(n, rate/200)) // about 5 ms of line time per read keeps the pace smooth
		}
		readAt := time.Now()
		got, err := rw.Read(buf[:n])
		if got > 0 {
			// A read that was waiting when the printer stopped reading
			// keeps its bytes until it reads again, like a UART buffer.
			// The line's pace is the one in force when the bytes arrive: a
			// read that began before SetBaud must not let them through free.
			if rate, ok = e.waitReadable(); !ok {
				return errors.New("emulator closed")
			}
			now := time.Now()
			if rate > 0 {
				// An idle line earns no credit for the pause; a reader that
				// fell behind under load may catch up, by up to a second.
				if next.Before(now) && (now.Sub(readAt) > 20*time.Millisecond || now.Sub(next) > time.Second) {
					next = now
				}
				next = next.Add(time.Duration(got) * time.Second / time.Duration(rate))
				time.Sleep(time.Until(next))
			}
			data := buf[:got]
			e.mu.Lock()
			cut := false
			if e.disconnectAfter >= 0 {
				if int64(got) >= e.disconnectAfter {
					data = data[:e.disconnectAfter]
					cut = true
					e.disconnectAfter = -1
				} else {
					e.disconnectAfter -= int64(got)
				}
			}
			e.received += int64(len(data))
			if power != e.power { // switched off and on: what was half received is gone
				power, sp = e.power, splitter{}
			}
			e.notify()
			e.mu.Unlock()
			for _, ev := range sp.feed(data) {
				switch ev.kind {
				case evFormat:
					e.format(ev.data, via, power)
				case evDownload:
					e.download(ev.data, via)
				case evSGD:
					if reply := e.sgd(ev.cmd); reply != nil {
						if _, err := rw.Write(reply); err != nil {
							return fmt.Errorf("reply: %w", err)
						}
					}
				case evDropped:
					if ev.ja {
						e.log.Info("unfinished format cancelled by ~JA", "bytes", len(ev.data), "via", via)
						if inFormat { // no longer receiving, for the ~HS that may follow
							inFormat = false
							e.mu.Lock()
							e.partial--
							e.mu.Unlock()
						}
						continue
					}
					e.log.Warn("unfinished format discarded: a new ^XA came before ^XZ", "bytes", len(ev.data), "via", via)
				case evControl:
					if ev.in != inFormat { // the status must see the format as it is now
						inFormat = ev.in
						e.mu.Lock()
						if inFormat {
							e.partial++
						} else {
							e.partial--
						}
						e.mu.Unlock()
					}
					if reply := e.control(ev.cmd); reply != nil {
						if _, err := rw.Write(reply); err != nil {
							return fmt.Errorf("reply: %w", err)
						}
					}
				}
			}
			if sp.inFormat != inFormat {
				inFormat = sp.inFormat
				e.mu.Lock()
				if inFormat {
					e.partial++
				} else {
					e.partial--
				}
				e.mu.Unlock()
			}
			if cut {
				e.log.Info("dropping the connection in the middle of a job", "via", via)
				drop()
				return errDropped
			}
		}
		if err != nil {
			return err
		}
	}
}

// waitReadable blocks while the printer does not read (told to stop, or
// its buffer is full); it returns the throttle rate, or false once closed.
func (e *Emulator) waitReadable() (int, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for (e.faults.StopReading || len(e.pending) >= e.opts.BufferFormats) && !e.closed {
		ch := e.changed
		e.mu.Unlock()
		<-ch
		e.mu.Lock()
	}
	return e.rate, !e.closed
}

// copies reads ^PQ's quantity from a format; 1 when absent or odd, 0 for
// a format that stores itself (^DF) instead of printing.
func copies(format []byte) int {
	if bytes.Contains(bytes.ToUpper(format), []byte("^DF")) {
		return 0
	}
	for i := 0; i+3 < len(format); i++ {
		if (format[i] == '^') && (format[i+1] == 'P' || format[i+1] == 'p') && (format[i+2] == 'Q' || format[i+2] == 'q') {
			n := 0
			for j := i + 3; j < len(format) && format[j] >= '0' && format[j] <= '9' && n < 1e8; j++ {
				n = n*10 + int(format[j]-'0')
			}
			if n > 0 {
				return n
			}
		}
	}
	return 1
}
