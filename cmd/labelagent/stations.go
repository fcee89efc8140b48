package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/printer"
)

// newStationsCmd is "labelagent stations": the warehouse's packing stations
// from the NATS key-value bucket, through the running agent.
func newStationsCmd(app *cliApp) *cobra.Command {
	return &cobra.Command{
		Use:  "stations",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			list, err := app.Client().Stations(cmd.Context())
			if err != nil {
				return err
			}
			return app.emit(list, func(w io.Writer) error {
				if list.Connected {
					fmt.Fprintln(w, app.T("nats.cli.connected", "server", list.Server))
				} else {
					fmt.Fprintln(w, app.T("nats.cli.disconnected", "err", list.Error, "buffered", list.Buffered))
				}
				if list.Dropped > 0 {
					fmt.Fprintln(w, app.L().N("nats.events_dropped", int(list.Dropped)))
				}
				if len(list.Stations) == 0 {
					fmt.Fprintln(w, app.T("nats.cli.none"))
					return nil
				}
				t := newTable(w)
				fmt.Fprintln(t, app.T("nats.cli.header"))
				for _, s := range list.Stations {
					var ps []string
					for _, p := range s.Printers {
						ps = append(ps, p.Name+": "+printerStateWord(app.L(), printer.State(p.State)))
					}
					fmt.Fprintf(t, "%s\t%s\t%s\t%d\t%d\t%s\t%s\n", apitype.Printable(s.Station), strings.Join(s.Pools, ","),
						apitype.Printable(strings.Join(ps, " ")), s.Queued, s.Buffered, app.L().Time(s.Heartbeat), s.Version)
				}
				return t.Flush()
			})
		},
	}
}
