package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/dhl/tracking"
)

func newTrackCmd(app *cliApp) *cobra.Command {
	var q tracking.Query
	cmd := &cobra.Command{
		Use:   "track TRACKING-NUMBER...",
		Short: "Show the status and events of DHL shipments (Unified Tracking)",
		Long: `Ask DHL's Unified Tracking API for the status of shipments. Give the recipient's postal code
for the full parcel-de details. The starter quota is 1 call a second and 250 a day: the
command waits between numbers and stops when the day's quota is used up.`,
		Example: `  labelagent track 00340434161094042557 --postal-code 10719`,
		Args:    cobra.RangeArgs(1, 20),
		RunE: func(cmd *cobra.Command, args []string) error {
			tr, err := dhlTransport(app)
			if err != nil {
				return err
			}
			tc := tracking.New(tr, tracking.Options{})
			var all []tracking.Shipment
			var errs []error
			for _, no := range args {
				qq := q
				qq.TrackingNumber = no
				r, err := tc.Track(cmd.Context(), qq)
				if err != nil {
					errs = append(errs, err)
					if errors.Is(err, tracking.ErrQuotaExhausted) {
						break
					}
					continue
				}
				all = append(all, r.Shipments...)
				if app.jsonOut {
					continue
				}
				for _, sh := range r.Shipments {
					fmt.Fprintf(app.stdout, "%s (%s): %s", sh.ID, sh.Service, sh.Status.StatusCode)
					if sh.Status.Description != "" {
						fmt.Fprintf(app.stdout, " — %s", sh.Status.Description)
					}
					fmt.Fprintln(app.stdout)
					if sh.EstimatedTimeOfDelivery != nil && !sh.EstimatedTimeOfDelivery.IsZero() {
						fmt.Fprintf(app.stdout, "  expected: %s\n", localTime(*sh.EstimatedTimeOfDelivery))
					}
					for _, e := range sh.Events {
						where := ""
						if e.Location != nil && e.Location.Address.AddressLocality != "" {
							where = " (" + e.Location.Address.AddressLocality + ")"
						}
						fmt.Fprintf(app.stdout, "  %s  %-11s %s%s\n", localTime(e.Timestamp), e.StatusCode, e.Description, where)
					}
				}
			}
			if app.jsonOut {
				if err := app.printJSON(all); err != nil {
					return err
				}
			}
			fmt.Fprintln(app.stderr, "Delivered by Deutsche Post DHL Group")
			return errors.Join(errs...)
		},
	}
	cmd.Flags().StringVar(&q.RecipientPostalCode, "postal-code", "", "recipient's postal code (full details for parcel-de)")
	cmd.Flags().StringVar(&q.Service, "service", "", "service: parcel-de, post-de, express, … (default: DHL decides)")
	cmd.Flags().StringVar(&q.Language, "lang", "de", "language of the descriptions: de or en")
	return cmd
}

func localTime(t tracking.Time) string {
	if t.DateOnly {
		return t.Format(time.DateOnly)
	}
	return t.Local().Format("2006-01-02 15:04")
}
