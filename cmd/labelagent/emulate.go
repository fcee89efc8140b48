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
		Use:  "emulate",
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
