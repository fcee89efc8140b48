package emulator

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// ControlHelp lists the commands of the control protocol.
const ControlHelp = `commands (one per line):
  status                          condition, buffered and printed labels
  paper-out|head-open|ribbon-out|pause|stop-reading on|off
  xoff on|off                     send XOFF / XON on serial lines (software handshake)
  clear                           clear every fault
  power-cycle                     switch off and on: the buffer and connections are lost
  baud N [BITS]                   throttle to a serial line (BITS per char, default 10 = 8N1)
  rate N                          throttle to N bytes per second (0: unlimited)
  disconnect-after N              drop the connection after N more bytes
  help`

// Why a control command was refused (CommandError.Code).
const (
	CmdNeedsOnOff  = "needs_on_off"
	CmdNotOnOff    = "not_on_off"
	CmdNeedsNumber = "needs_number"
	CmdNotNumber   = "not_number"
	CmdUnknown     = "unknown"
)

// CommandError is a control command the emulator refused. Code says why, so
// that a caller words it in its reader's language; Error is the control
// protocol's own (English) answer.
type CommandError struct {
	Code    string
	Command string
	Value   string // the value refused, for CmdNotOnOff and CmdNotNumber
}

func (e *CommandError) Error() string {
	switch e.Code {
	case CmdNeedsOnOff:
		return e.Command + " needs on or off"
	case CmdNotOnOff:
		return fmt.Sprintf("%s: %q is not on or off", e.Command, e.Value)
	case CmdNeedsNumber:
		return e.Command + " needs a number"
	case CmdNotNumber:
		return fmt.Sprintf("%s: %q is not a number >= 0", e.Command, e.Value)
	}
	return fmt.Sprintf("unknown command %q (try help)", e.Command)
}

// Command runs one line of the control protocol and returns its answer.
// It is how `labelagent emulate` is steered by hand (or by a script over
// its control port) while jobs are printing.
func (e *Emulator) Command(line string) (string, error) {
	f := strings.Fields(strings.ToLower(line))
	if len(f) == 0 {
		return "", nil
	}
	onOff := func() (bool, error) {
		if len(f) != 2 {
			return false, &CommandError{Code: CmdNeedsOnOff, Command: f[0]}
		}
		switch f[1] {
		case "on", "1", "true", "yes":
			return true, nil
		case "off", "0", "false", "no":
			return false, nil
		}
		return false, &CommandError{Code: CmdNotOnOff, Command: f[0], Value: f[1]}
	}
	number := func(i int) (int, error) {
		if len(f) <= i {
			return 0, &CommandError{Code: CmdNeedsNumber, Command: f[0]}
		}
		n, err := strconv.Atoi(f[i])
		if err != nil || n < 0 {
			return 0, &CommandError{Code: CmdNotNumber, Command: f[0], Value: f[i]}
		}
		return n, nil
	}
	switch f[0] {
	case "paper-out", "head-open", "ribbon-out", "pause", "stop-reading":
		on, err := onOff()
		if err != nil {
			return "", err
		}
		map[string]func(bool){
			"paper-out": e.SetPaperOut, "head-open": e.SetHeadOpen, "ribbon-out": e.SetRibbonOut,
			"pause": e.SetPaused, "stop-reading": e.SetStopReading,
		}[f[0]](on)
	case "xoff":
		on, err := onOff()
		if err != nil {
			return "", err
		}
		e.SetXoff(on)
	case "clear":
		e.SetFaults(Faults{})
	case "power-cycle":
		e.PowerCycle()
	case "baud":
		baud, err := number(1)
		if err != nil {
			return "", err
		}
		bits := 10
		if len(f) > 2 {
			if bits, err = number(2); err != nil {
				return "", err
			}
		}
		e.SetBaud(baud, bits)
	case "rate":
		n, err := number(1)
		if err != nil {
			return "", err
		}
		e.SetBytesPerSecond(n)
	case "disconnect-after":
		n, err := number(1)
		if err != nil {
			return "", err
		}
		e.DisconnectAfter(int64(n))
	case "status":
	case "help":
		return ControlHelp, nil
	default:
		return "", &CommandError{Code: CmdUnknown, Command: f[0]}
	}
	return e.Summary(), nil
}

// Summary is one line about the printer for people.
func (e *Emulator) Summary() string {
	st := e.HostStatus().Status(time.Now())
	e.mu.Lock()
	defer e.mu.Unlock()
	rate := "unlimited"
	if e.rate > 0 {
		rate = strconv.Itoa(e.rate) + " bytes/s"
	}
	reading := "reading"
	if e.faults.StopReading {
		reading = "not reading"
	}
	return fmt.Sprintf("%s (%s); %d formats printed (%d labels), %d buffered; %d bytes received; input %s, %s; %d power cycles",
		st.State, st.Detail, e.formatsPrinted, e.labelsPrinted, len(e.pending), e.received, rate, reading, e.power)
}

// ServeControl answers control commands on ln, one line in, one line out,
// until ln is closed or the emulator is closed.
func (e *Emulator) ServeControl(ln net.Listener) {
	if !e.track(ln) {
		ln.Close()
		return
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
			e.wg.Add(1)
			go func() {
				defer e.wg.Done()
				defer e.untrack(c)
				defer c.Close()
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					out, err := e.Command(sc.Text())
					if err != nil {
						out = "error: " + err.Error()
					}
					if _, err := fmt.Fprintln(c, out); err != nil {
						return
					}
				}
			}()
		}
	}()
}
