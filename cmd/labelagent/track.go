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
		Use:   "track ID|SHIPMENT-NUMBER|ORDER-REF...",
		Short: "Show the status of DHL shipments (Unified Tracking)",
		Long: `Ask DHL's Unified Tracking for the status of shipments. For the agent's own shipments the
agent asks (within the API's rate limit and daily quota, which it shares with its own
refresh of shipments under way) and keeps the newest status on the shipment.

Numbers the agent's journal does not hold (parcels from other systems) are asked of DHL by
the agent too, within the same limits, without being recorded. Give the recipient's postal
code for the full parcel-de details. The starter quota is 1 call a second and 250 a day.`,
		Example: `  labelagent track 100234
  labelagent track 00340434161094042557 --postal-code 10719`,
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
	cmd.Flags().StringVar(&q.RecipientPostalCode, "postal-code", "", "recipient's postal code (full details for parcel-de; numbers the agent does not hold)")
	cmd.Flags().StringVar(&q.Service, "service", "", "service: parcel-de, post-de, express, … (numbers the agent does not hold; default: DHL decides)")
	cmd.Flags().StringVar(&q.Language, "description-lang", "de", "language of DHL's descriptions: de or en (numbers the agent does not hold)")
	return cmd
}
