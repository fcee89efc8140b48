package zplstatus

import (
	"bufio"
	"bytes"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"github.com/labelagent/labelagent/printer"
)

// Error flags of ~HQES (group 1 in the low 32 bits, group 2 above).
const (
	ErrMediaOut              uint64 = 0x00000001
	ErrRibbonOut             uint64 = 0x00000002
	ErrHeadOpen              uint64 = 0x00000004
	ErrCutterFault           uint64 = 0x00000008
	ErrHeadOverTemp          uint64 = 0x00000010
	ErrMotorOverTemp         uint64 = 0x00000020
	ErrBadHeadElement        uint64 = 0x00000040
	ErrHeadDetection         uint64 = 0x00000080
	ErrInvalidFirmwareConfig uint64 = 0x00000100
	ErrHeadThermistorOpen    uint64 = 0x00000200
	ErrPaperJamRetract       uint64 = 0x00001000
	ErrPresenterNotRunning   uint64 = 0x00002000
	ErrPaperFeed             uint64 = 0x00004000
	ErrClearPaperPath        uint64 = 0x00008000
	ErrPaused                uint64 = 0x00010000
	ErrRetractTimeout        uint64 = 0x00020000
	ErrMarkCalibrate         uint64 = 0x00040000
	ErrMarkNotFound          uint64 = 0x00080000
)

// Warning flags of ~HQES.
const (
	WarnCalibrateMedia  uint64 = 0x00000001
	WarnCleanHead       uint64 = 0x00000002
	WarnReplaceHead     uint64 = 0x00000004
	WarnPaperNearEnd    uint64 = 0x00000008
	WarnPaperBeforeHead uint64 = 0x00000010
	WarnBlackMark       uint64 = 0x00000020
	WarnPaperAfterHead  uint64 = 0x00000040
	WarnLoopReady       uint64 = 0x00000080
	WarnPresenter       uint64 = 0x00000100
	WarnRetractReady    uint64 = 0x00000200
	WarnInRetract       uint64 = 0x00000400
	WarnAtBin           uint64 = 0x00000800
)

type flagInfo struct {
	bit   uint64
	state printer.State // "" for problems without a state of their own
	text  string
}

// In order of importance: the first one present becomes Status.State.
var errorFlags = []flagInfo{
	{ErrHeadOpen, printer.StateHeadOpen, "printhead open"},
	{ErrMediaOut, printer.StatePaperOut, "paper out"},
	{ErrRibbonOut, printer.StateRibbonOut, "ribbon out"},
	{ErrHeadOverTemp, printer.StateOffline, "printhead too hot"},
	{ErrMotorOverTemp, printer.StateOffline, "motor too hot"},
	{ErrCutterFault, printer.StateOffline, "cutter fault"},
	{ErrBadHeadElement, printer.StateOffline, "bad printhead element"},
	{ErrHeadDetection, printer.StateOffline, "printhead not detected"},
	{ErrHeadThermistorOpen, printer.StateOffline, "printhead thermistor open"},
	{ErrInvalidFirmwareConfig, printer.StateOffline, "invalid firmware configuration"},
	{ErrPaperJamRetract, printer.StateOffline, "paper jam during retract"},
	{ErrPresenterNotRunning, printer.StateOffline, "presenter not running"},
	{ErrPaperFeed, printer.StateOffline, "paper feed error"},
	{ErrClearPaperPath, printer.StateOffline, "clearing the paper path failed"},
	{ErrRetractTimeout, printer.StateOffline, "retract timed out"},
	{ErrMarkCalibrate, printer.StateOffline, "black mark calibration error"},
	{ErrMarkNotFound, printer.StateOffline, "black mark not found"},
	{ErrPaused, printer.StatePaused, "paused"},
}

var warningFlags = []flagInfo{
	{WarnPaperNearEnd, "", "paper almost out"},
	{WarnCalibrateMedia, "", "media needs calibrating"},
	{WarnCleanHead, "", "printhead needs cleaning"},
	{WarnReplaceHead, "", "printhead needs replacing"},
	{WarnPaperBeforeHead, "", "paper before head sensor"},
	{WarnBlackMark, "", "black mark sensor"},
	{WarnPaperAfterHead, "", "paper after head sensor"},
	{WarnLoopReady, "", "loop ready"},
	{WarnPresenter, "", "presenter"},
	{WarnRetractReady, "", "retract ready"},
	{WarnInRetract, "", "in retract"},
	{WarnAtBin, "", "label at bin"},
}

// ExtendedStatus is the ~HQES reply.
type ExtendedStatus struct {
	Errors   uint64
	Warnings uint64
}

// ParseHQES parses the reply to ~HQES:
//
//	<STX><CR><LF>PRINTER STATUS<CR><LF>
//	   ERRORS:         1 00000000 00000005<CR><LF>
//	   WARNINGS:       0 00000000 00000000<CR><LF><ETX>
func ParseHQES(b []byte) (ExtendedStatus, error) {
	var es ExtendedStatus
	frames, _ := Frames(b)
	var body []byte
	for _, f := range frames {
		if bytes.Contains(bytes.ToUpper(f), []byte("ERRORS")) {
			body = f
			break
		}
	}
	if body == nil {
		return es, fmt.Errorf("%w: ~HQES reply has no framed ERRORS line", ErrMalformed)
	}
	var sawErr, sawWarn bool
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		key, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		var dst *uint64
		switch strings.ToUpper(strings.TrimSpace(key)) {
		case "ERRORS":
			dst, sawErr = &es.Errors, true
		case "WARNINGS":
			dst, sawWarn = &es.Warnings, true
		default:
			continue
		}
		v, err := parseFlagGroups(rest)
		if err != nil {
			return ExtendedStatus{}, fmt.Errorf("%w: ~HQES %s line %q: %v", ErrMalformed, strings.TrimSpace(key), line, err)
		}
		*dst = v
	}
	if !sawErr || !sawWarn {
		return ExtendedStatus{}, fmt.Errorf("%w: ~HQES reply lacks an ERRORS or WARNINGS line", ErrMalformed)
	}
	return es, nil
}

// parseFlagGroups reads "1 00000000 00000005": present flag, group 2, group 1.
func parseFlagGroups(s string) (uint64, error) {
	f := strings.Fields(s)
	if len(f) != 3 {
		return 0, fmt.Errorf("want 3 fields, got %d", len(f))
	}
	if f[0] != "0" && f[0] != "1" {
		return 0, fmt.Errorf("present flag %q is not 0 or 1", f[0])
	}
	if len(f[1]) > 8 || len(f[2]) > 8 {
		return 0, fmt.Errorf("flag group longer than 8 hex digits")
	}
	g2, err := strconv.ParseUint(f[1], 16, 32)
	if err != nil {
		return 0, fmt.Errorf("group 2 %q is not hex", f[1])
	}
	g1, err := strconv.ParseUint(f[2], 16, 32)
	if err != nil {
		return 0, fmt.Errorf("group 1 %q is not hex", f[2])
	}
	// The present flag is redundant with the bits; the bits say more.
	return g2<<32 | g1, nil
}

// Bytes encodes the reply as a printer sends it (used by the emulator).
func (es ExtendedStatus) Bytes() []byte {
	group := func(v uint64) string {
		p := 0
		if v != 0 {
			p = 1
		}
		return fmt.Sprintf("%d %08X %08X", p, v>>32, v&0xffffffff)
	}
	return []byte(fmt.Sprintf("\x02\r\nPRINTER STATUS\r\n   ERRORS:         %s\r\n   WARNINGS:       %s\r\n\x03\r\n",
		group(es.Errors), group(es.Warnings)))
}

// Status turns the flags into the agent's status model.
func (es ExtendedStatus) Status(now time.Time) printer.Status {
	var c collector
	known := uint64(0)
	for _, f := range errorFlags {
		known |= f.bit
		if es.Errors&f.bit != 0 {
			c.problem(f.state, f.text)
		}
	}
	if other := es.Errors &^ known; other != 0 {
		c.problem(printer.StateOffline, fmt.Sprintf("printer error 0x%x (%d unlisted flags)", other, bits.OnesCount64(other)))
	}
	for _, f := range warningFlags {
		if es.Warnings&f.bit != 0 {
			c.note(f.text)
		}
	}
	return c.status(now)
}

// Merge combines ~HS and ~HQES into one Status: problems from both, in
// order of importance, and every note once.
func Merge(now time.Time, hs HostStatus, es *ExtendedStatus) printer.Status {
	a := hs.Status(now)
	if es == nil {
		return a
	}
	b := es.Status(now)
	var c collector
	for _, s := range append(append([]printer.State(nil), b.Problems...), a.Problems...) {
		c.problem(s, "")
	}
	c.problems = orderStates(c.problems)
	st := printer.Status{State: printer.StateReady, Checked: now}
	if len(c.problems) > 0 {
		st.State, st.Problems = c.problems[0], c.problems
	}
	seen := map[string]bool{}
	var parts []string
	for _, d := range []string{b.Detail, a.Detail} {
		for _, p := range strings.Split(d, "; ") {
			if p != "" && p != "ready" && !seen[p] {
				seen[p] = true
				parts = append(parts, p)
			}
		}
	}
	if len(parts) == 0 {
		parts = []string{"ready"}
	}
	st.Detail = strings.Join(parts, "; ")
	st.Buffer = a.Buffer
	return st
}

var stateOrder = []printer.State{
	printer.StateHeadOpen, printer.StatePaperOut, printer.StateRibbonOut,
	printer.StateOffline, printer.StatePaused, printer.StateBufferFull,
}

func orderStates(in []printer.State) []printer.State {
	var out []printer.State
	for _, s := range stateOrder {
		for _, t := range in {
			if s == t {
				out = append(out, s)
				break
			}
		}
	}
	return out
}
