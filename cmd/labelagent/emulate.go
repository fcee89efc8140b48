package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/printer/emulator"
)

// EmulatorEvent is one line of `emulate --json` (JSON Lines): where the
// printer listens, and its status at start, after each command typed on
// standard input, and when it stops.
type EmulatorEvent struct {
	Event     string          `json:"event"`               // listening, storing, status, help, error, stopped
	Transport string          `json:"transport,omitempty"` // listening: tcp, serial or control
	Address   string          `json:"address,omitempty"`   // listening: host:port, or the serial device
	Dir       string          `json:"dir,omitempty"`       // storing: where labels are written
	Command   string          `json:"command,omitempty"`   // status, error: the command typed
	Error     *CLIError       `json:"error,omitempty"`     // error: why the command was refused
	Text      string          `json:"text,omitempty"`      // help: the commands, in the reader's language
	Status    *EmulatorStatus `json:"status,omitempty"`    // status, stopped
}

// EmulatorStatus is the emulated printer's condition and counters.
type EmulatorStatus struct {
	State          string `json:"state"` // ready, paper_out, head_open, ribbon_out, paused, …
	Detail         string `json:"detail,omitempty"`
	PaperOut       bool   `json:"paper_out"`
	HeadOpen       bool   `json:"head_open"`
	RibbonOut      bool   `json:"ribbon_out"`
	Paused         bool   `json:"paused"`
	StopReading    bool   `json:"stop_reading"`
	FormatsPrinted int    `json:"formats_printed"`
	LabelsPrinted  int    `json:"labels_printed"`
	Buffered       int    `json:"buffered"`
	BytesReceived  int64  `json:"bytes_received"`
}

// emulateOut prints what the emulator says, as JSON Lines with --json, else
// in the reader's words; lines from the command reader and the main
// goroutine do not interleave.
type emulateOut struct {
	app *cliApp
	mu  sync.Mutex
}

func (o *emulateOut) event(ev EmulatorEvent, human func(*i18n.Localizer) string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.app.jsonOut {
		_ = o.app.printJSONLine(ev)
		return
	}
	fmt.Fprintln(o.app.stdout, human(o.app.L()))
}

func emulatorStatus(e *emulator.Emulator) EmulatorStatus {
	st := e.HostStatus().Status(time.Now())
	f := e.Faults()
	return EmulatorStatus{
		State: string(st.State), Detail: st.Detail,
		PaperOut: f.PaperOut, HeadOpen: f.HeadOpen, RibbonOut: f.RibbonOut, Paused: f.Paused, StopReading: f.StopReading,
		FormatsPrinted: e.FormatsPrinted(), LabelsPrinted: e.LabelsPrinted(), Buffered: e.Pending(), BytesReceived: e.Received(),
	}
}

// status reports the printer's condition (event "status" or "stopped"),
// after command if one was typed.
func (o *emulateOut) status(event, command string, e *emulator.Emulator) {
	st := emulatorStatus(e)
	o.event(EmulatorEvent{Event: event, Command: command, Status: &st}, func(l *i18n.Localizer) string {
		return l.T("emulate."+event, "state", printerStateWord(l, printer.State(st.State)),
			"formats", st.FormatsPrinted, "labels", st.LabelsPrinted, "buffered", st.Buffered, "bytes", st.BytesReceived)
	})
}

// command runs one line typed on standard input and reports the outcome.
func (o *emulateOut) command(e *emulator.Emulator, line string) {
	word := strings.ToLower(strings.TrimSpace(line))
	if word == "" {
		return
	}
	_, err := e.Command(line)
	var ce *emulator.CommandError
	switch {
	case err == nil && word == "help":
		text := o.app.T("emulate.commands_title") + "\n" + o.app.T("emulate.commands")
		o.event(EmulatorEvent{Event: "help", Command: word, Text: text}, func(*i18n.Localizer) string { return text })
	case err == nil:
		o.status("status", word, e)
	case errors.As(err, &ce):
		id := emulatorRefusal(ce.Code)
		if id == "" {
			o.report(word, err)
			return
		}
		o.report(word, i18n.E(id, "command", ce.Command, "value", ce.Value))
	default:
		o.report(word, err)
	}
}

// emulatorRefusal is the catalog key of an emulator's refusal of a control
// command ("" for a code newer than this CLI).
func emulatorRefusal(code string) string {
	switch code {
	case emulator.CmdNeedsOnOff:
		return "emulate.cmd_needs_on_off"
	case emulator.CmdNotOnOff:
		return "emulate.cmd_not_on_off"
	case emulator.CmdNeedsNumber:
		return "emulate.cmd_needs_number"
	case emulator.CmdNotNumber:
		return "emulate.cmd_not_number"
	case emulator.CmdUnknown:
		return "emulate.cmd_unknown"
	}
	return ""
}

func (o *emulateOut) report(command string, err error) {
	ce := o.app.cliError(err)
	o.event(EmulatorEvent{Event: "error", Command: command, Error: &ce}, func(l *i18n.Localizer) string {
		return l.T("emulate.refused", "message", l.Err(err))
	})
}

func newEmulateCmd(app *cliApp) *cobra.Command {
	var (
		tcpAddr, ptyLink, dir, control string
		pty, noTCP                     bool
		faults                         emulator.Faults
		baud, bits                     int
		disconnectAfter                int64
	)
	cmd := &cobra.Command{
		Use:  "emulate",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if dir != "" {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return i18n.Wrap(err, "emulate.no_dir", "dir", dir)
				}
			}
			e := emulator.New(emulator.Options{Dir: dir, Logger: app.Logger()})
			defer e.Close()
			e.SetFaults(faults)
			if baud > 0 {
				e.SetBaud(baud, bits)
			}
			if disconnectAfter > 0 {
				e.DisconnectAfter(disconnectAfter)
			}
			out := &emulateOut{app: app}
			if !noTCP {
				addr, err := e.ListenTCP(tcpAddr)
				if err != nil {
					return err
				}
				out.event(EmulatorEvent{Event: "listening", Transport: "tcp", Address: addr.String()}, func(l *i18n.Localizer) string {
					return l.T("emulate.tcp", "addr", addr.String()) +
						fmt.Sprintf("\n  - name: emulator\n    transport: tcp\n    tcp:\n      address: %q", addr.String())
				})
			}
			if pty || ptyLink != "" {
				dev, err := e.OpenPTY(ptyLink)
				if err != nil {
					return err
				}
				out.event(EmulatorEvent{Event: "listening", Transport: "serial", Address: dev}, func(l *i18n.Localizer) string {
					s := l.T("emulate.serial", "device", dev) +
						fmt.Sprintf("\n  - name: emulator-serial\n    transport: serial\n    serial:\n      device: %q", dev)
					if baud > 0 {
						s += fmt.Sprintf("\n      baud: %d", baud)
					}
					return s
				})
			}
			if control != "" {
				ln, err := net.Listen("tcp", control)
				if err != nil {
					return i18n.Wrap(err, "emulate.no_control", "addr", control)
				}
				e.ServeControl(ln)
				out.event(EmulatorEvent{Event: "listening", Transport: "control", Address: ln.Addr().String()}, func(l *i18n.Localizer) string {
					return l.T("emulate.control", "addr", ln.Addr().String())
				})
			}
			if dir != "" {
				out.event(EmulatorEvent{Event: "storing", Dir: dir}, func(l *i18n.Localizer) string {
					return l.T("emulate.dir", "dir", dir)
				})
			}
			out.status("status", "", e)
			// Commands typed on standard input; its end (a pipe, /dev/null)
			// does not stop the printer, an interrupt does.
			go func() {
				sc := bufio.NewScanner(app.stdin)
				for sc.Scan() {
					out.command(e, sc.Text())
				}
			}()
			<-ctx.Done()
			out.status("stopped", "", e)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&tcpAddr, "tcp", "127.0.0.1:9100", "")
	f.BoolVar(&noTCP, "no-tcp", false, "")
	f.BoolVar(&pty, "pty", false, "")
	f.StringVar(&ptyLink, "pty-link", "", "")
	f.StringVar(&dir, "dir", "", "")
	f.StringVar(&control, "control", "", "")
	f.BoolVar(&faults.PaperOut, "paper-out", false, "")
	f.BoolVar(&faults.HeadOpen, "head-open", false, "")
	f.BoolVar(&faults.RibbonOut, "ribbon-out", false, "")
	f.BoolVar(&faults.Paused, "paused", false, "")
	f.BoolVar(&faults.StopReading, "stop-reading", false, "")
	f.IntVar(&baud, "baud", 0, "")
	f.IntVar(&bits, "bits-per-char", 10, "")
	f.Int64Var(&disconnectAfter, "disconnect-after", 0, "")
	return cmd
}
