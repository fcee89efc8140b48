package main

import (
	"bufio"
	"fmt"
	"net"
	"os"

	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/printer/emulator"
)

func newEmulateCmd(app *cliApp) *cobra.Command {
	var (
		tcpAddr, ptyLink, dir, control string
		pty, noTCP                     bool
		faults                         emulator.Faults
		baud, bits                     int
		disconnectAfter                int64
	)
	cmd := &cobra.Command{
		Use:   "emulate",
		Short: "Run a ZPL label printer emulator (TCP 9100 and serial) for development without hardware",
		Long: `Run a ZPL printer in software until interrupted. It takes jobs like a network printer on
--tcp and, with --pty, like a serial printer on a pseudo-terminal (Linux, macOS), splits them into
labels (^XA…^XZ), stores each label in --dir, and answers ~HS and ~HQES from its state.

Faults can be set at start (--paper-out, --head-open, …) and changed while it runs by typing
commands on standard input or sending them to --control (one per line, e.g. with nc):
` + emulator.ControlHelp + `

While the paper is out (or the head open, the ribbon out, the printer paused) it keeps the
labels it receives and prints them when the fault is cleared, as a real printer does.`,
		Example: `  labelagent emulate --tcp 127.0.0.1:9100 --dir /tmp/labels
  labelagent emulate --pty --pty-link /tmp/ttyZebra --baud 9600 --paper-out
  echo "paper-out off" | nc 127.0.0.1 9101`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if dir != "" {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return fmt.Errorf("--dir: %w", err)
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
			out := app.stdout
			if !noTCP {
				addr, err := e.ListenTCP(tcpAddr)
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "network printer on %s; configure it as:\n", addr)
				fmt.Fprintf(out, "  - name: emulator\n    transport: tcp\n    tcp:\n      address: %q\n", addr.String())
			}
			if pty || ptyLink != "" {
				dev, err := e.OpenPTY(ptyLink)
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "serial printer on %s; configure it as:\n", dev)
				fmt.Fprintf(out, "  - name: emulator-serial\n    transport: serial\n    serial:\n      device: %q\n", dev)
				if baud > 0 {
					fmt.Fprintf(out, "      baud: %d\n", baud)
				}
			}
			if control != "" {
				ln, err := net.Listen("tcp", control)
				if err != nil {
					return fmt.Errorf("--control: %w", err)
				}
				e.ServeControl(ln)
				fmt.Fprintf(out, "control commands on %s (one per line; try help)\n", ln.Addr())
			}
			fmt.Fprintf(out, "printer: %s\n", e.Summary())
			if dir != "" {
				fmt.Fprintf(out, "labels are stored in %s\n", dir)
			}
			// Commands typed on standard input; its end (a pipe, /dev/null)
			// does not stop the printer, an interrupt does.
			go func() {
				sc := bufio.NewScanner(app.stdin)
				for sc.Scan() {
					answer, err := e.Command(sc.Text())
					if err != nil {
						answer = "error: " + err.Error()
					}
					if answer != "" {
						fmt.Fprintln(out, answer)
					}
				}
			}()
			<-ctx.Done()
			fmt.Fprintf(out, "stopped: %s\n", e.Summary())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&tcpAddr, "tcp", "127.0.0.1:9100", "address to take network jobs on (port 0 picks a free one)")
	f.BoolVar(&noTCP, "no-tcp", false, "do not listen on TCP")
	f.BoolVar(&pty, "pty", false, "also be a serial printer on a pseudo-terminal; prints the device path")
	f.StringVar(&ptyLink, "pty-link", "", "make this path a symbolic link to the serial device (stays valid when the line is dropped and comes back); implies --pty")
	f.StringVar(&dir, "dir", "", "folder to store every printed label in (NNNNNN.zpl)")
	f.StringVar(&control, "control", "", "address for control commands, e.g. 127.0.0.1:9101")
	f.BoolVar(&faults.PaperOut, "paper-out", false, "start with the paper out")
	f.BoolVar(&faults.HeadOpen, "head-open", false, "start with the printhead open")
	f.BoolVar(&faults.RibbonOut, "ribbon-out", false, "start with the ribbon out")
	f.BoolVar(&faults.Paused, "paused", false, "start paused")
	f.BoolVar(&faults.StopReading, "stop-reading", false, "start not reading input (senders block)")
	f.IntVar(&baud, "baud", 0, "read no faster than a serial line at this baud rate (0: unlimited)")
	f.IntVar(&bits, "bits-per-char", 10, "bits per character on the line for --baud (10 = 8N1)")
	f.Int64Var(&disconnectAfter, "disconnect-after", 0, "drop the connection after this many bytes (0: never)")
	return cmd
}
