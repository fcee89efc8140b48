package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
	"github.com/labelagent/labelagent/dhl/tracking"
)

func newTrackCmd(app *cliApp) *cobra.Command {
	var q tracking.Query
	cmd := &cobra.Command{
		Use:   "track ID|SHIPMENT-NUMBER|ORDER-REF...",
		Short: "Show the status of DHL shipments (Unified Tracking)",
		Long: `Ask DHL's Unified Tracking for the status of shipments. For the agent's own shipments the
agent asks (within the API's rate limit and daily quota, which it shares with its own
refresh of shipments under way) and keeps the newest status on the shipment.

Numbers the agent does not know, or all numbers when no agent runs, are asked directly
with the dhl: section (this works without the agent). Give the recipient's postal code
for the full parcel-de details. The starter quota is 1 call a second and 250 a day.`,
		Example: `  labelagent track 100234
  labelagent track 00340434161094042557 --postal-code 10719`,
		Args: cobra.RangeArgs(1, 20),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out []apitype.Shipment
			var errs []error
			var direct *tracking.Client
			for _, ref := range args {
				s, err := app.Client().Shipment(cmd.Context(), ref)
				var nr *client.NotRunningError
				switch {
				case err == nil && s.ShipmentNo != "":
					s, err = app.Client().TrackShipment(cmd.Context(), s.ID)
					if err != nil && s.ID == "" {
						errs = append(errs, err)
						continue
					}
					out = append(out, s)
					continue
				case err != nil && !client.IsNotFound(err) && !errors.As(err, &nr):
					errs = append(errs, err)
					continue
				}
				// Not a shipment of the agent: ask DHL directly.
				if direct == nil {
					tr, err := dhlTransport(app)
					if err != nil {
						return err
					}
					direct = tracking.New(tr, tracking.Options{})
				}
				if !app.jsonOut {
					app.note("track.direct", "number", ref)
				}
				qq := q
				qq.TrackingNumber = ref
				r, err := direct.Track(cmd.Context(), qq)
				if err != nil {
					errs = append(errs, err)
					if errors.Is(err, tracking.ErrQuotaExhausted) {
						break
					}
					continue
				}
				for _, sh := range r.Shipments {
					out = append(out, fromTracking(sh))
				}
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
	cmd.Flags().StringVar(&q.RecipientPostalCode, "postal-code", "", "recipient's postal code (full details for parcel-de; direct look-ups)")
	cmd.Flags().StringVar(&q.Service, "service", "", "service: parcel-de, post-de, express, … (direct look-ups; default: DHL decides)")
	cmd.Flags().StringVar(&q.Language, "description-lang", "de", "language of DHL's descriptions: de or en (direct look-ups)")
	return cmd
}

// fromTracking shows a directly tracked shipment like one of the agent's.
func fromTracking(sh tracking.Shipment) apitype.Shipment {
	t := &apitype.ShipmentTracking{Status: sh.Status.StatusCode, Description: firstNonEmpty(sh.Status.Description, sh.Status.Status), Checked: time.Now()}
	if !sh.Status.Timestamp.IsZero() {
		at := sh.Status.Timestamp.Time
		t.At = &at
	}
	if sh.Status.Location != nil {
		t.Location = sh.Status.Location.Address.AddressLocality
	}
	if sh.EstimatedTimeOfDelivery != nil && !sh.EstimatedTimeOfDelivery.IsZero() {
		e := sh.EstimatedTimeOfDelivery.Time
		t.EstimatedAt = &e
	}
	return apitype.Shipment{ShipmentNo: sh.ID, Kind: apitype.ShipmentKindOutbound, Tracking: t}
}
