package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/printer/discover"
)

func newPrintersDiscoverCmd(app *cliApp) *cobra.Command {
	var only []string
	cmd := &cobra.Command{
		Use:   "discover",
		Short: "List USB label printers, serial ports and print queues, with the config entry for each",
		Long: `Look for printers this machine can reach: USB label printers (through libusb; on Windows
use the queue of the printer's driver instead), serial ports, and CUPS or Windows print queues.
Each comes with the entry to add under printers: in the configuration file. Works without a
running agent.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			src := discover.Sources{}
			if len(only) == 0 {
				src = discover.Everything
			}
			for _, o := range only {
				switch strings.ToLower(o) {
				case "usb":
					src.USB = true
				case "serial":
					src.Serial = true
				case "spool", "cups", "windows":
					src.Spool = true
				default:
					return fmt.Errorf("--only %q: use usb, serial or spool", o)
				}
			}
			found, errs := discover.Discover(cmd.Context(), src)
			if app.jsonOut {
				type result struct {
					Found    []discover.Found `json:"found"`
					Problems []string         `json:"problems,omitempty"`
				}
				r := result{Found: found}
				for _, e := range errs {
					r.Problems = append(r.Problems, e.Error())
				}
				return app.printJSON(r)
			}
			out := app.stdout
			if len(found) == 0 {
				fmt.Fprintln(out, "No printers or ports found.")
			}
			for _, f := range found {
				mark := ""
				if f.Likely {
					mark = "  (looks like a label printer)"
				}
				fmt.Fprintf(out, "%s: %s%s\n", f.Kind, f.Description, mark)
				for _, line := range strings.Split(strings.TrimRight(f.Snippet(), "\n"), "\n") {
					fmt.Fprintln(out, "    "+line)
				}
				fmt.Fprintln(out)
			}
			for _, e := range errs {
				fmt.Fprintf(app.stderr, "note: %v\n", e)
			}
			if len(found) > 0 {
				fmt.Fprintln(out, "Add an entry under printers: in the configuration file, then run: labelagent config check")
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&only, "only", nil, "look only at these: usb, serial, spool")
	return cmd
}
