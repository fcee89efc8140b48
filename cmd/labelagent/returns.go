package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/dhl/returns"
)

func parseDay(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

func newReturnCmd(app *cliApp) *cobra.Command {
	var (
		file, receiver, labelType                     string
		name, street, house, postal, city, email, ref string
		weightKG                                      float64
		sink                                          = labelSink{app: app}
	)
	cmd := &cobra.Command{
		Use:   "return",
		Short: "Create a DHL return label (PDF) and/or QR code for a customer",
		Long: `Create a return label with the DHL Parcel DE Returns API. The customer's street and house
number are split automatically where needed. The return id (RET + shipment number) is
printed as text: give it to the customer next to the QR code.`,
		Example: `  labelagent return --name "Max Mustermann" --street "Kurfürstendamm 1" --postal-code 10719 --city Berlin --type BOTH
  labelagent return --file return.json -o returns/
  labelagent return locations`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dc, err := dhlConfig(app)
			if err != nil {
				return err
			}
			var o returns.Order
			if file != "" {
				data, err := readInput(app, file)
				if err != nil {
					return err
				}
				if err := json.Unmarshal(data, &o); err != nil {
					return fmt.Errorf("%s: not a return order: %w", file, err)
				}
			} else {
				if name == "" || street == "" || postal == "" || city == "" {
					return errors.New("give --file, or --name, --street, --postal-code and --city of the customer")
				}
				o = returns.Order{CustomerReference: ref, Shipper: returns.Shipper{Name1: name, AddressStreet: street, AddressHouse: house, PostalCode: postal, City: city, Email: email}}
				if weightKG > 0 {
					o.ItemWeight = &returns.Weight{UOM: "kg", Value: weightKG}
				}
			}
			if receiver != "" {
				o.ReceiverID = receiver
			}
			if o.ReceiverID == "" {
				o.ReceiverID = dc.ReturnReceiverID
			}
			if o.ReceiverID == "" {
				o.ReceiverID = "deu"
			}
			tr, err := dhlTransport(app)
			if err != nil {
				return err
			}
			l, err := returns.New(tr).Create(cmd.Context(), o, strings.ToUpper(labelType))
			if l == nil {
				return err
			}
			if app.jsonOut {
				if err := app.printJSON(map[string]string{"returnId": l.ReturnID(), "shipmentNo": l.ShipmentNo, "internationalShipmentNo": l.InternationalShipmentNo, "qrLink": l.QRLink}); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(app.stdout, "return id: %s\n", l.ReturnID())
				if l.InternationalShipmentNo != "" {
					fmt.Fprintf(app.stdout, "international shipment number: %s\n", l.InternationalShipmentNo)
				}
				if l.QRLink != "" {
					fmt.Fprintf(app.stdout, "QR link for the Post & DHL app: %s\n", l.QRLink)
				}
			}
			single := (l.PDF == nil) != (l.QRCode == nil)
			if l.PDF != nil {
				path, serr := sink.store(l.ReturnID()+".pdf", l.PDF, single)
				if serr != nil {
					return serr
				}
				if !app.jsonOut {
					fmt.Fprintf(app.stdout, "stored %s\n", path)
				}
				if serr := sink.send(cmd.Context(), l.ReturnID()+".pdf", "dhl-"+l.ReturnID(), l.PDF); serr != nil {
					return serr
				}
			}
			if l.QRCode != nil {
				path, serr := sink.store(l.ReturnID()+"-qr.png", l.QRCode, single)
				if serr != nil {
					return serr
				}
				if !app.jsonOut {
					fmt.Fprintf(app.stdout, "stored %s\n", path)
				}
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "file", "f", "", "return order as JSON (- for standard input)")
	f.StringVar(&receiver, "receiver", "", "receiver id (default: the configuration's return_receiver_id, else deu)")
	f.StringVar(&labelType, "type", returns.LabelShipment, "SHIPMENT_LABEL (PDF), QR_LABEL (PNG) or BOTH")
	f.StringVar(&name, "name", "", "customer's first and last name")
	f.StringVar(&street, "street", "", "customer's street (and house number)")
	f.StringVar(&house, "house", "", "house number, if not in --street")
	f.StringVar(&postal, "postal-code", "", "customer's postal code")
	f.StringVar(&city, "city", "", "customer's city")
	f.StringVar(&email, "email", "", "customer's e-mail")
	f.StringVar(&ref, "ref", "", "customer reference printed on the label (at most 30 characters)")
	f.Float64Var(&weightKG, "weight", 0, "weight in kg (required for returns from DNK, PRT, SWE)")
	sink.addFlags(cmd)
	cmd.AddCommand(newReturnLocationsCmd(app))
	return cmd
}

func newReturnLocationsCmd(app *cliApp) *cobra.Command {
	var q returns.LocationQuery
	cmd := &cobra.Command{
		Use:   "locations",
		Short: "List the account's return receivers (receiver ids)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tr, err := dhlTransport(app)
			if err != nil {
				return err
			}
			locs, err := returns.New(tr).Locations(cmd.Context(), q)
			if err != nil {
				return err
			}
			if app.jsonOut {
				return app.printJSON(locs)
			}
			tw := newTable(app.stdout)
			fmt.Fprintln(tw, "RECEIVER\tBILLING NUMBER\tADDRESS")
			for _, l := range locs {
				a := l.Address
				fmt.Fprintf(tw, "%s\t%s\t%s\n", l.ReceiverID, l.BillingNumber, strings.TrimSpace(fmt.Sprintf("%s, %s %s, %s %s", a.Name1, a.AddressStreet, a.AddressHouse, a.PostalCode, a.City)))
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
