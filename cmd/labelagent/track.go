package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
)

func newTrackCmd(app *cliApp) *cobra.Command {
	var q struct{ RecipientPostalCode, Service, Language string }
	cmd := &cobra.Command{
		Use:  "track ID|SHIPMENT-NUMBER|ORDER-REF...",
		Args: cobra.RangeArgs(1, 20),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out []apitype.Shipment
			var errs []error
			for _, ref := range args {
				s, err := app.Client().Shipment(cmd.Context(), ref)
				switch {
				case err == nil && s.ShipmentNo != "":
					s, err = app.Client().TrackShipment(cmd.Context(), s.ID)
					if err != nil && s.ID == "" {
						errs = append(errs, err)
						continue
					}
					out = append(out, s)
					continue
				case err != nil && !client.IsNotFound(err):
					errs = append(errs, err)
					continue
				}
				// Not a shipment of the agent: the agent asks DHL for it.
				if !app.jsonOut {
					app.note("track.direct", "number", ref)
				}
				list, err := app.Client().TrackNumber(cmd.Context(), ref, q.RecipientPostalCode, q.Service, q.Language)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				out = append(out, list...)
			}
			err := app.emit(apitype.ShipmentList{Shipments: out}, func(w io.Writer) error {
				for _, s := range out {
					t := s.Tracking
					if t == nil {
						continue
					}
					if t.Error != "" {
						fmt.Fprintln(w, app.T("track.line", "number", s.ShipmentNo, "status", "?", "description", apitype.Printable(t.Error)))
						continue
					}
					fmt.Fprintln(w, app.T("track.line", "number", s.ShipmentNo, "status", t.Status, "description", apitype.Printable(t.Description)))
					if t.Location != "" && t.At != nil {
						fmt.Fprintln(w, app.T("track.location", "location", apitype.Printable(t.Location), "time", app.L().Time(*t.At)))
					}
					if t.EstimatedAt != nil {
						fmt.Fprintln(w, app.T("track.expected", "time", app.L().Time(*t.EstimatedAt)))
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			app.note("track.credit")
			return errors.Join(errs...)
		},
	}
	cmd.Flags().StringVar(&q.RecipientPostalCode, "postal-code", "", "")
	cmd.Flags().StringVar(&q.Service, "service", "", "")
	cmd.Flags().StringVar(&q.Language, "description-lang", "de", "")
	return cmd
}
