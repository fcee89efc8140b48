package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/dhl/returns"
)

func newReturnCmd(app *cliApp) *cobra.Command {
	var (
		file, shipmentRef, receiver, labelType, printerName string
		ref, key                                            string
		shipper                                             addressFlags
		weightKG                                            float64
		noPrint, newReturn                                  bool
		sink                                                docSink
	)
	cmd := &cobra.Command{
		Use:  "return",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := apitype.ReturnRequest{OrderRef: ref, IdempotencyKey: key, LabelType: strings.ToUpper(labelType), Printer: printerName, ReceiverID: receiver}
			if noPrint {
				f := false
				req.Print = &f
			}
			var res apitype.ShipmentResult
			var err error
			switch {
			case shipmentRef != "":
				req.New = newReturn
				res, err = app.Client().ReturnShipment(cmd.Context(), shipmentRef, req)
			case file != "" || shipper.name != "":
				var o returns.Order
				if file != "" {
					data, rerr := readInput(app, file)
					if rerr != nil {
						return rerr
					}
					if jerr := json.Unmarshal(data, &o); jerr != nil {
						return i18n.Wrap(jerr, "return.err.not_an_order", "file", file)
					}
				} else {
					a := shipper
					if a.street == "" || a.postal == "" || a.city == "" {
						return &usageError{i18n.E("return.err.need_address")}
					}
					o = returns.Order{Shipper: returns.Shipper{Name1: a.name, AddressStreet: a.street, AddressHouse: a.house, PostalCode: a.postal, City: a.city, Email: a.email}}
					if weightKG > 0 {
						o.ItemWeight = &returns.Weight{UOM: "kg", Value: weightKG}
					}
				}
				b, _ := json.Marshal(o)
				req.Order = b
				res, err = app.Client().CreateReturn(cmd.Context(), req)
			default:
				return &usageError{i18n.E("return.err.need_address")}
			}
			if res.Shipment.ID == "" {
				if err == nil {
					err = i18n.E("return.err.no_label")
				}
				return err
			}
			if res.Shipment.State == apitype.ShipmentCreated {
				if serr := sink.store(cmd.Context(), app.Client(), &res.Shipment); serr != nil {
					return serr
				}
			}
			if perr := app.emit(res, func(w io.Writer) error {
				s := res.Shipment
				if s.State == apitype.ShipmentCreated {
					id := "return.created"
					if res.Existing {
						id = "return.existing"
					}
					fmt.Fprintln(w, app.T(id, "returnid", s.ReturnID, "id", s.ID))
				}
				app.printShipment(w, s, false)
				return nil
			}); perr != nil {
				return perr
			}
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&shipmentRef, "shipment", "", "")
	f.BoolVar(&newReturn, "new", false, "")
	f.StringVarP(&file, "file", "f", "", "")
	f.StringVar(&receiver, "receiver", "", "")
	f.StringVar(&labelType, "type", returns.LabelShipment, "")
	shipper.add(f)
	f.StringVar(&ref, "ref", "", "")
	f.StringVar(&key, "key", "", "")
	f.StringVar(&printerName, "printer", "", "")
	f.BoolVar(&noPrint, "no-print", false, "")
	decimalVar(f, &weightKG, "weight", 0, "")
	sink.addFlag(cmd)
	cmd.AddCommand(newReturnLocationsCmd(app))
	return cmd
}

func newReturnLocationsCmd(app *cliApp) *cobra.Command {
	var q struct{ CountryCode, PostalCode, ReceiverID, BillingNumber string }
	cmd := &cobra.Command{
		Use:  "locations",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			locs, err := app.Client().ReturnLocations(cmd.Context(), q.CountryCode, q.PostalCode, q.ReceiverID, q.BillingNumber)
			if err != nil {
				return err
			}
			if app.jsonOut {
				return app.printJSON(apitype.ReturnLocationList{Locations: locs})
			}
			tw := newTable(app.stdout)
			fmt.Fprintln(tw, app.T("return.locations_header"))
			for _, l := range locs {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", l.ReceiverID, l.BillingNumber, strings.TrimSpace(fmt.Sprintf("%s, %s %s, %s %s", l.Name, l.Street, l.HouseNumber, l.PostalCode, l.City)))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&q.CountryCode, "country", "", "")
	cmd.Flags().StringVar(&q.PostalCode, "postal-code", "", "")
	cmd.Flags().StringVar(&q.ReceiverID, "receiver", "", "")
	cmd.Flags().StringVar(&q.BillingNumber, "billing-number", "", "")
	return cmd
}
