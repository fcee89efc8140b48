package main

import (
	"encoding/json"
	"errors"
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
		name, street, house, postal, city, email, ref, key  string
		weightKG                                            float64
		noPrint, newReturn                                  bool
		sink                                                docSink
	)
	cmd := &cobra.Command{
		Use:   "return",
		Short: "Create a DHL return label (PDF) and/or QR code through the agent",
		Long: `Create a return label with the DHL Parcel DE Returns API, through the running agent, which
keeps it in its shipment journal. For a shipment of the journal (--shipment: its id, DHL
shipment number or order reference) the customer's address is taken from it, and asking
again returns the same return label; otherwise give the customer's address. Street and
house number are split automatically. The return id (RET + shipment number) is printed as
text: give it to the customer next to the QR code. A PDF label is printed unless
--no-print; a QR code is handed out (-o stores it).

"labelagent return locations" lists the account's return receivers; the agent asks DHL.`,
		Example: `  labelagent return --shipment 100234 --type BOTH -o returns/
  labelagent return --name "Max Mustermann" --street "Kurfürstendamm 1" --postal-code 10719 --city Berlin --ref 100234
  labelagent return locations`,
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
			case file != "" || name != "":
				var o returns.Order
				if file != "" {
					data, rerr := readInput(app, file)
					if rerr != nil {
						return rerr
					}
					if jerr := json.Unmarshal(data, &o); jerr != nil {
						return fmt.Errorf("%s: not a return order: %w", file, jerr)
					}
				} else {
					if street == "" || postal == "" || city == "" {
						return &usageError{i18n.E("return.err.need_address")}
					}
					o = returns.Order{Shipper: returns.Shipper{Name1: name, AddressStreet: street, AddressHouse: house, PostalCode: postal, City: city, Email: email}}
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
					err = errors.New("the agent answered without a return label")
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
	f.StringVar(&shipmentRef, "shipment", "", "the shipment the return is for (id, DHL shipment number or order reference)")
	f.BoolVar(&newReturn, "new", false, "another return label although the shipment has one")
	f.StringVarP(&file, "file", "f", "", "return order as JSON (- for standard input)")
	f.StringVar(&receiver, "receiver", "", "receiver id (default: the configuration's return_receiver_id, else deu)")
	f.StringVar(&labelType, "type", returns.LabelShipment, "SHIPMENT_LABEL (PDF), QR_LABEL (PNG) or BOTH")
	f.StringVar(&name, "name", "", "customer's first and last name")
	f.StringVar(&street, "street", "", "customer's street (and house number)")
	f.StringVar(&house, "house", "", "house number, if not in --street")
	f.StringVar(&postal, "postal-code", "", "customer's postal code")
	f.StringVar(&city, "city", "", "customer's city")
	f.StringVar(&email, "email", "", "customer's e-mail")
	f.StringVar(&ref, "ref", "", "order reference (printed on the label, at most 30 characters)")
	f.StringVar(&key, "key", "", "idempotency key: the same key returns the same return label")
	f.StringVar(&printerName, "printer", "", "printer for the PDF label")
	f.BoolVar(&noPrint, "no-print", false, "do not print the PDF label")
	decimalVar(f, &weightKG, "weight", 0, "weight in kg (required for returns from DNK, PRT, SWE)")
	sink.addFlag(cmd)
	cmd.AddCommand(newReturnLocationsCmd(app))
	return cmd
}

func newReturnLocationsCmd(app *cliApp) *cobra.Command {
	var q struct{ CountryCode, PostalCode, ReceiverID, BillingNumber string }
	cmd := &cobra.Command{
		Use:   "locations",
		Short: "List the account's return receivers (receiver ids); the agent asks DHL",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			locs, err := app.Client().ReturnLocations(cmd.Context(), q.CountryCode, q.PostalCode, q.ReceiverID, q.BillingNumber)
			if err != nil {
				return err
			}
			if app.jsonOut {
				return app.printJSON(apitype.ReturnLocationList{Locations: locs})
			}
			tw := newTable(app.stdout)
			fmt.Fprintln(tw, "RECEIVER\tBILLING NUMBER\tADDRESS")
			for _, l := range locs {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", l.ReceiverID, l.BillingNumber, strings.TrimSpace(fmt.Sprintf("%s, %s %s, %s %s", l.Name, l.Street, l.HouseNumber, l.PostalCode, l.City)))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&q.CountryCode, "country", "", "sender country (ISO 3166 alpha-3)")
	cmd.Flags().StringVar(&q.PostalCode, "postal-code", "", "sender postal code")
	cmd.Flags().StringVar(&q.ReceiverID, "receiver", "", "one receiver id")
	cmd.Flags().StringVar(&q.BillingNumber, "billing-number", "", "one billing number")
	return cmd
}
