// Package zplstatus reads what a ZPL printer says about itself: the three
// framed strings of the ~HS host status reply and the error and warning
// flags of ~HQES, turned into a printer.Status an operator understands.
package zplstatus

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/labelagent/labelagent/printer"
)

// Framing bytes of printer replies.
const (
	STX = 0x02
	ETX = 0x03
)

// Commands the host sends to ask for status.
const (
	QueryHS   = "~HS"
	QueryHQES = "~HQES"
)

// ErrMalformed wraps every parse failure.
var ErrMalformed = errors.New("malformed printer status reply")

// HostStatus is the ~HS reply, field by field as the ZPL manual names them.
type HostStatus struct {
	// String 1: aaa,b,c,dddd,eee,f,g,h,iii,j,k,l
	CommSettings    int  // aaa: interface settings bit field
	PaperOut        bool // b
	Paused          bool // c
	LabelLength     int  // dddd: dots
	FormatsInBuffer int  // eee: formats received but not yet printed
	BufferFull      bool // f
	CommDiagMode    bool // g: communications diagnostics mode
	PartialFormat   bool // h: a format is being received
	CorruptRAM      bool // j: configuration data lost
	UnderTemp       bool // k
	OverTemp        bool // l

	// String 2: mmm,n,o,p,q,r,s,t,uuuuuuuu,v,www
	FunctionSettings int  // mmm
	HeadOpen         bool // o: head up
	RibbonOut        bool // p
	ThermalTransfer  bool // q: thermal transfer (ribbon) mode
	PrintMode        byte // r: 0 rewind, 1 peel-off, 2 tear-off, 3 cutter, 4 applicator, …
	PrintWidthMode   int  // s
	LabelWaiting     bool // t: a label waits to be taken in peel-off mode
	LabelsRemaining  int  // uuuuuuuu: labels still to print in the batch
	FormatWhilePrint bool // v
	GraphicsStored   int  // www

	// String 3: xxxx,y
	Password  string // xxxx
	StaticRAM bool   // y
}

// Frames returns the payloads of the complete STX…ETX frames in b, in order,
// and how many bytes of b they used (bytes before the first STX are skipped,
// an unterminated frame at the end is left for more input).
func Frames(b []byte) (frames [][]byte, used int) {
	for {
		s := bytes.IndexByte(b[used:], STX)
		if s < 0 {
			return frames, used
		}
		e := bytes.IndexByte(b[used+s+1:], ETX)
		if e < 0 {
			return frames, used + s
		}
		frames = append(frames, b[used+s+1:used+s+1+e])
		used += s + 1 + e + 1
	}
}

// HSComplete reports whether buf holds a whole ~HS reply (three frames) and
// how many bytes of buf it spans; transports use it to know when to stop
// reading.
func HSComplete(buf []byte) (int, bool) {
	n := 0
	for i := 0; i < 3; i++ {
		s := bytes.IndexByte(buf[n:], STX)
		if s < 0 {
			return 0, false
		}
		e := bytes.IndexByte(buf[n+s+1:], ETX)
		if e < 0 {
			return 0, false
		}
		n += s + 1 + e + 1
	}
	return n, true
}

// HQESComplete reports whether buf holds a whole ~HQES reply (one frame
// mentioning ERRORS).
func HQESComplete(buf []byte) (int, bool) {
	frames, used := Frames(buf)
	for _, f := range frames {
		if bytes.Contains(bytes.ToUpper(f), []byte("ERRORS")) {
			return used, true
		}
	}
	return 0, false
}

// ParseHS parses a ~HS reply: three STX…ETX framed strings, optionally
// followed by CR LF each.
func ParseHS(b []byte) (HostStatus, error) {
	var hs HostStatus
	frames, _ := Frames(b)
	if len(frames) < 3 {
		return hs, fmt.Errorf("%w: ~HS reply has %d of 3 framed strings", ErrMalformed, len(frames))
	}
	f1 := fields(frames[0])
	f2 := fields(frames[1])
	f3 := fields(frames[2])
	if len(f1) != 12 {
		return hs, fmt.Errorf("%w: ~HS string 1 has %d fields, want 12: %q", ErrMalformed, len(f1), frames[0])
	}
	if len(f2) != 11 {
		return hs, fmt.Errorf("%w: ~HS string 2 has %d fields, want 11: %q", ErrMalformed, len(f2), frames[1])
	}
	if len(f3) != 2 {
		return hs, fmt.Errorf("%w: ~HS string 3 has %d fields, want 2: %q", ErrMalformed, len(f3), frames[2])
	}
	p := parser{}
	hs.CommSettings = p.num(f1[0], "1", "aaa")
	hs.PaperOut = p.flag(f1[1], "1", "paper out")
	hs.Paused = p.flag(f1[2], "1", "pause")
	hs.LabelLength = p.num(f1[3], "1", "label length")
	hs.FormatsInBuffer = p.num(f1[4], "1", "formats in buffer")
	hs.BufferFull = p.flag(f1[5], "1", "buffer full")
	hs.CommDiagMode = p.flag(f1[6], "1", "diagnostics mode")
	hs.PartialFormat = p.flag(f1[7], "1", "partial format")
	_ = p.num(f1[8], "1", "iii")
	hs.CorruptRAM = p.flag(f1[9], "1", "corrupt RAM")
	hs.UnderTemp = p.flag(f1[10], "1", "under temperature")
	hs.OverTemp = p.flag(f1[11], "1", "over temperature")

	hs.FunctionSettings = p.num(f2[0], "2", "mmm")
	hs.HeadOpen = p.flag(f2[2], "2", "head up")
	hs.RibbonOut = p.flag(f2[3], "2", "ribbon out")
	hs.ThermalTransfer = p.flag(f2[4], "2", "thermal transfer")
	if len(f2[5]) != 1 {
		p.fail("2", "print mode", f2[5])
	} else {
		hs.PrintMode = f2[5][0]
	}
	hs.PrintWidthMode = p.num(f2[6], "2", "print width mode")
	hs.LabelWaiting = p.flag(f2[7], "2", "label waiting")
	hs.LabelsRemaining = p.num(f2[8], "2", "labels remaining")
	hs.FormatWhilePrint = p.flag(f2[9], "2", "format while printing")
	hs.GraphicsStored = p.num(f2[10], "2", "graphics stored")

	hs.Password = f3[0]
	hs.StaticRAM = p.flag(f3[1], "3", "static RAM")
	if p.err != nil {
		return HostStatus{}, p.err
	}
	return hs, nil
}

// Bytes encodes the reply as a printer sends it (used by the emulator).
func (hs HostStatus) Bytes() []byte {
	b := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	mode := hs.PrintMode
	if mode == 0 {
		mode = '2'
	}
	pw := hs.Password
	if pw == "" {
		pw = "1234"
	}
	return []byte(fmt.Sprintf("\x02%03d,%d,%d,%04d,%03d,%d,%d,%d,000,%d,%d,%d\x03\r\n"+
		"\x02%03d,0,%d,%d,%d,%c,%d,%d,%08d,%d,%03d\x03\r\n"+
		"\x02%s,%d\x03\r\n",
		hs.CommSettings, b(hs.PaperOut), b(hs.Paused), hs.LabelLength, hs.FormatsInBuffer,
		b(hs.BufferFull), b(hs.CommDiagMode), b(hs.PartialFormat), b(hs.CorruptRAM),
		b(hs.UnderTemp), b(hs.OverTemp),
		hs.FunctionSettings, b(hs.HeadOpen), b(hs.RibbonOut), b(hs.ThermalTransfer), mode,
		hs.PrintWidthMode, b(hs.LabelWaiting), hs.LabelsRemaining, b(hs.FormatWhilePrint), hs.GraphicsStored,
		pw, b(hs.StaticRAM)))
}

func fields(frame []byte) []string {
	parts := strings.Split(string(frame), ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

type parser struct{ err error }

func (p *parser) fail(str, name, v string) {
	if p.err == nil {
		p.err = fmt.Errorf("%w: ~HS string %s field %s is %q", ErrMalformed, str, name, v)
	}
}

func (p *parser) num(v, str, name string) int {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || len(v) > 9 {
		p.fail(str, name, v)
		return 0
	}
	return n
}

func (p *parser) flag(v, str, name string) bool {
	switch v {
	case "0":
		return false
	case "1":
		return true
	}
	p.fail(str, name, v)
	return false
}

// Status turns the reply into the agent's status model. State is the most
// important problem (a person must act on it first); Problems lists all
// that stop printing; Detail names everything, including warnings.
func (hs HostStatus) Status(now time.Time) printer.Status {
	var c collector
	if hs.HeadOpen {
		c.problem(printer.StateHeadOpen, "printhead open")
	}
	if hs.PaperOut {
		c.problem(printer.StatePaperOut, "paper out")
	}
	if hs.RibbonOut {
		c.problem(printer.StateRibbonOut, "ribbon out")
	}
	if hs.OverTemp {
		c.problem(printer.StateOffline, "printhead too hot")
	}
	if hs.Paused {
		c.problem(printer.StatePaused, "paused")
	}
	if hs.BufferFull {
		c.problem(printer.StateBufferFull, "receive buffer full")
	}
	if hs.UnderTemp {
		c.note("printhead too cold (prints may be faint)")
	}
	if hs.CorruptRAM {
		c.note("configuration lost (corrupt RAM), check the printer settings")
	}
	if hs.CommDiagMode {
		c.note("in communications diagnostics mode (prints what it receives as hex)")
	}
	if hs.PartialFormat {
		c.note("receiving a label")
	}
	if hs.LabelWaiting {
		c.note("a label waits to be taken")
	}
	if hs.FormatsInBuffer > 0 {
		c.note(plural(hs.FormatsInBuffer, "label format", "label formats") + " waiting in the printer")
	}
	if hs.LabelsRemaining > 0 {
		c.note(plural(hs.LabelsRemaining, "label", "labels") + " still to print")
	}
	st := c.status(now)
	st.Buffer = &printer.Buffer{Formats: hs.FormatsInBuffer, LabelsRemaining: hs.LabelsRemaining, Receiving: hs.PartialFormat}
	return st
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

type collector struct {
	problems []printer.State
	problem1 []string
	notes    []string
}

func (c *collector) problem(s printer.State, text string) {
	seen := false
	for _, p := range c.problems {
		seen = seen || p == s
	}
	if !seen {
		c.problems = append(c.problems, s)
	}
	c.problem1 = append(c.problem1, text)
}

func (c *collector) note(text string) { c.notes = append(c.notes, text) }

func (c *collector) status(now time.Time) printer.Status {
	st := printer.Status{State: printer.StateReady, Checked: now}
	if len(c.problems) > 0 {
		st.State = c.problems[0]
		st.Problems = c.problems
	}
	parts := c.problem1
	if len(parts) == 0 {
		parts = []string{"ready"}
	}
	st.Detail = strings.Join(append(append([]string(nil), parts...), c.notes...), "; ")
	return st
}
