package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/dhl/parcel"
	"github.com/labelagent/labelagent/dhl/transport"
)

// dhlConfig reads the dhl: section of the configuration (strictly) and the
// LABELAGENT_DHL_* environment variables.
func dhlConfig(app *cliApp) (transport.Config, error) {
	cfg, err := app.Config()
	if err != nil {
		return transport.Config{}, err
	}
	var dc transport.Config
	if cfg != nil {
		if dc, err = transport.DecodeConfig(&cfg.DHL); err != nil {
			return dc, fmt.Errorf("configuration: %w", err)
		}
	}
	return dc.WithEnv(nil), nil
}

// dhlTransport builds the DHL HTTP client from the configuration.
func dhlTransport(app *cliApp) (*transport.Client, error) {
	dc, err := dhlConfig(app)
	if err != nil {
		return nil, err
	}
	tr, err := transport.New(dc, transport.WithLogger(app.Logger()))
	if err != nil {
		return nil, fmt.Errorf("%w\n(set up the dhl: section of the configuration; \"labelagent simulate\" prints one for the local simulator)", err)
	}
	return tr, nil
}

// labelSink stores label bytes the moment they arrive and optionally sends
// them to the agent for printing.
type labelSink struct {
	app     *cliApp
	out     string // file (one document) or directory
	print   bool
	printer string
	files   int
}

func (s *labelSink) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&s.out, "output", "o", "", "where to store the documents: a file (one document) or a directory (default: the current directory)")
	cmd.Flags().BoolVar(&s.print, "print", false, "also print the label through the running agent")
	cmd.Flags().StringVar(&s.printer, "printer", "", "printer for --print (default: the agent's default printer)")
}

// store writes one document; name is used inside a directory.
func (s *labelSink) store(name string, data []byte, single bool) (string, error) {
	path := name
	switch {
	case s.out == "":
	case single && !isDir(s.out):
		path = s.out
	default:
		if err := os.MkdirAll(s.out, 0o755); err != nil {
			return "", err
		}
		path = filepath.Join(s.out, name)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return "", fmt.Errorf("store %s: %w", path, err)
	}
	s.files++
	return path, nil
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// send prints a document through the agent; the key makes a repeated call
// (after a lost answer) print once.
func (s *labelSink) send(ctx context.Context, name, key string, data []byte) error {
	if !s.print {
		return nil
	}
	kind := apitype.KindPDF
	if !bytes.HasPrefix(data, []byte("%PDF")) {
		kind = apitype.KindZPL
	}
	resp, err := s.app.Client().Submit(ctx, apitype.SubmitRequest{Printer: s.printer, Kind: kind, Payload: data, IdempotencyKey: key, Source: "cli", Name: name})
	if err != nil {
		return fmt.Errorf("print %s: %w (the label is stored; print it later with \"labelagent print\")", name, err)
	}
	fmt.Fprintf(s.app.stdout, "  printing as job %s on %s\n", resp.Job.ID, resp.Job.Printer)
	return nil
}

func newShipCmd(app *cliApp) *cobra.Command {
	var (
		file                                 string
		product, name, street, house         string
		postal, city, country, email, ref    string
		weightKG                             float64
		format, printFormat, retourePrint    string
		validate, allowUnencodable, withCN23 bool
		sink                                 = labelSink{app: app}
	)
	cmd := &cobra.Command{
		Use:   "ship",
		Short: "Create DHL shipments and their labels (Parcel DE Shipping v2)",
		Long: `Create one or more DHL shipments, store their labels at once (they cannot be fetched
after the daily closeout) and optionally print them through the agent.

The order comes from --file (a Shipping v2 order: {"profile":…,"shipments":[…]}, a list of
shipments, or one shipment) or from the flags for a single parcel to a street address.
Empty billing numbers and senders are filled in from the dhl: section of the configuration.
Every shipment is reported on its own: a partial success says which failed and why.`,
		Example: `  labelagent ship --name "Maria Musterfrau" --street "Kurfürstendamm 1" --postal-code 10719 --city Berlin --weight 1.2
  labelagent ship --file orders.json --format pdf -o labels/
  labelagent ship --file order.json --validate
  labelagent ship --name "Erika" --street "Hauptstraße 5" --postal-code 53113 --city Bonn --print --printer zebra`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dc, err := dhlConfig(app)
			if err != nil {
				return err
			}
			var req parcel.ShipmentOrderRequest
			if file != "" {
				data, err := readInput(app, file)
				if err != nil {
					return err
				}
				if req, err = parseOrder(data); err != nil {
					return fmt.Errorf("%s: %w", file, err)
				}
			} else {
				if name == "" || street == "" || postal == "" || city == "" {
					return errors.New("give --file, or --name, --street, --postal-code and --city of the recipient")
				}
				sh := parcel.Shipment{Product: product, RefNo: ref,
					Consignee: parcel.Consignee{Contact: &parcel.ContactAddress{Name1: name, AddressStreet: street, AddressHouse: house,
						PostalCode: postal, City: city, Country: strings.ToUpper(country), Email: email}},
					Details: parcel.ShipmentDetails{Weight: parcel.Weight{UOM: "kg", Value: weightKG}}}
				req.Shipments = []parcel.Shipment{sh}
			}
			fillDefaults(&req, dc)
			tr, err := transport.New(dc, transport.WithLogger(app.Logger()))
			if err != nil {
				return fmt.Errorf("%w\n(set up the dhl: section of the configuration; \"labelagent simulate\" prints one for the local simulator)", err)
			}
			opt := parcel.CreateOptions{Validate: validate, DocFormat: strings.ToUpper(format), PrintFormat: printFormat,
				RetourePrintFormat: retourePrint, AllowUnencodable: allowUnencodable}
			if opt.DocFormat == "ZPL" {
				opt.DocFormat = parcel.DocFormatZPL2
			}
			res, err := parcel.New(tr).CreateOrders(cmd.Context(), req, opt)
			if res == nil {
				return err
			}
			return reportShipments(cmd.Context(), app, res, err, &sink, validate, withCN23)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "file", "f", "", "order as JSON (- for standard input)")
	f.StringVar(&product, "product", parcel.ProductPaket, "product: V01PAK, V53WPAK, V54EPAK, V62KP, V66WPI")
	f.StringVar(&name, "name", "", "recipient name")
	f.StringVar(&street, "street", "", "recipient street and house number")
	f.StringVar(&house, "house", "", "house number, if not in --street")
	f.StringVar(&postal, "postal-code", "", "recipient postal code")
	f.StringVar(&city, "city", "", "recipient city")
	f.StringVar(&country, "country", "DEU", "recipient country (ISO 3166 alpha-3)")
	f.StringVar(&email, "email", "", "recipient e-mail for DHL's delivery notice")
	f.StringVar(&ref, "ref", "", "your reference, printed on the label (8–35 characters)")
	f.Float64Var(&weightKG, "weight", 1, "weight in kg")
	f.StringVar(&format, "format", "ZPL2", "label format: ZPL2 or PDF")
	f.StringVar(&printFormat, "print-format", "910-300-600", "label stock: 910-300-600, 910-300-400, 100x70mm, A4, …")
	f.StringVar(&retourePrint, "retoure-print-format", "", "label stock of return labels (default: as --print-format)")
	f.BoolVar(&validate, "validate", false, "only check the order with DHL (dry run: nothing is created or billed)")
	f.BoolVar(&allowUnencodable, "allow-unencodable", false, "label German addresses DHL cannot route (sends mustEncode=false; such parcels may not arrive)")
	f.BoolVar(&withCN23, "print-customs", false, "with --print: print customs documents (CN23, A4) too")
	sink.addFlags(cmd)
	cmd.AddCommand(newShipCancelCmd(app), newShipReprintCmd(app))
	return cmd
}

// parseOrder accepts a whole order, a list of shipments or one shipment.
func parseOrder(data []byte) (parcel.ShipmentOrderRequest, error) {
	var req parcel.ShipmentOrderRequest
	trimmed := bytes.TrimSpace(data)
	switch {
	case len(trimmed) > 0 && trimmed[0] == '[':
		if err := json.Unmarshal(trimmed, &req.Shipments); err != nil {
			return req, fmt.Errorf("not a list of shipments: %w", err)
		}
	case bytes.Contains(trimmed, []byte(`"shipments"`)):
		if err := json.Unmarshal(trimmed, &req); err != nil {
			return req, fmt.Errorf("not a Shipping v2 order: %w", err)
		}
	default:
		var sh parcel.Shipment
		if err := json.Unmarshal(trimmed, &sh); err != nil {
			return req, fmt.Errorf("not a shipment: %w", err)
		}
		req.Shipments = []parcel.Shipment{sh}
	}
	return req, nil
}

// fillDefaults completes billing numbers and senders from the configuration.
func fillDefaults(req *parcel.ShipmentOrderRequest, dc transport.Config) {
	for i := range req.Shipments {
		sh := &req.Shipments[i]
		if sh.Product == "" {
			sh.Product = parcel.ProductPaket
		}
		if sh.BillingNumber == "" {
			sh.BillingNumber = dc.BillingNumbers[sh.Product]
		}
		if sh.Shipper == (parcel.Shipper{}) {
			s := dc.Shipper
			if s.ShipperRef != "" {
				sh.Shipper = parcel.Shipper{ShipperRef: s.ShipperRef}
			} else {
				c := s.Country
				if c == "" {
					c = "DEU"
				}
				sh.Shipper = parcel.Shipper{Name1: s.Name1, Name2: s.Name2, AddressStreet: s.AddressStreet, PostalCode: s.PostalCode, City: s.City, Country: c, Email: s.Email}
			}
		}
	}
}

func labelExt(l *parcel.Label) string {
	if l.Format == parcel.DocFormatZPL2 {
		return ".zpl"
	}
	return ".pdf"
}

// reportShipments stores and prints the documents and says per shipment what happened.
func reportShipments(ctx context.Context, app *cliApp, res *parcel.Result, callErr error, sink *labelSink, validate, printCustoms bool) error {
	docs := 0
	for _, sh := range res.Shipments {
		for _, l := range []*parcel.Label{sh.Label, sh.ReturnLabel, sh.CustomsDoc, sh.CodLabel} {
			if l != nil && len(l.Data) > 0 {
				docs++
			}
		}
	}
	var problems []string
	for _, sh := range res.Shipments {
		head := fmt.Sprintf("shipment %d: %s", sh.Index+1, sh.Outcome)
		if sh.ShipmentNo != "" {
			head += " " + sh.ShipmentNo
		}
		if sh.RoutingCode != "" {
			head += " (Leitcode " + sh.RoutingCode + ")"
		}
		if validate && sh.Outcome != parcel.OutcomeError {
			head += " — valid, nothing created"
		}
		if !app.jsonOut {
			fmt.Fprintln(app.stdout, head)
			for _, m := range sh.Messages {
				fmt.Fprintln(app.stdout, "  "+m.String())
			}
		}
		if sh.Outcome == parcel.OutcomeError {
			why := failureText(sh)
			if !app.jsonOut {
				fmt.Fprintln(app.stdout, "  not done: "+why)
			}
			problems = append(problems, fmt.Sprintf("shipment %d: %s", sh.Index+1, why))
		}
		for _, d := range []struct {
			suffix string
			l      *parcel.Label
			print  bool
		}{{"", sh.Label, true}, {"-return", sh.ReturnLabel, true}, {"-customs", sh.CustomsDoc, printCustoms}, {"-cod", sh.CodLabel, true}} {
			if d.l == nil {
				continue
			}
			if len(d.l.Data) == 0 {
				if d.l.URL != "" && !app.jsonOut {
					fmt.Fprintf(app.stdout, "  %s document: %s\n", strings.TrimPrefix(d.suffix, "-"), d.l.URL)
				}
				continue
			}
			name := sh.ShipmentNo + d.suffix + labelExt(d.l)
			path, err := sink.store(name, d.l.Data, docs == 1)
			if err != nil {
				return err
			}
			if !app.jsonOut {
				fmt.Fprintf(app.stdout, "  stored %s\n", path)
			}
			if d.print {
				if err := sink.send(ctx, name, "dhl-"+name, d.l.Data); err != nil {
					return err
				}
			}
		}
	}
	if app.jsonOut {
		if err := app.printJSON(res); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(app.stdout, res.Summary())
	}
	var rej *parcel.RejectedError
	if callErr != nil && !errors.As(callErr, &rej) {
		return callErr
	}
	if len(problems) > 0 {
		return &exitError{code: 2, msg: "not created: " + strings.Join(problems, ", ")}
	}
	return nil
}

func newShipCancelCmd(app *cliApp) *cobra.Command {
	var profile string
	cmd := &cobra.Command{
		Use:   "cancel SHIPMENT-NUMBER...",
		Short: "Cancel shipments before the daily closeout (nothing is billed for them)",
		Args:  cobra.RangeArgs(1, parcel.MaxShipments),
		RunE: func(cmd *cobra.Command, args []string) error {
			tr, err := dhlTransport(app)
			if err != nil {
				return err
			}
			res, err := parcel.New(tr).Cancel(cmd.Context(), profile, args...)
			if res == nil {
				return err
			}
			failed := 0
			for _, sh := range res.Shipments {
				no := sh.ShipmentNo
				if no == "" && sh.Index < len(args) {
					no = args[sh.Index]
				}
				if sh.Outcome == parcel.OutcomeError {
					failed++
					fmt.Fprintf(app.stdout, "%s: not cancelled: %s\n", no, firstMessage(sh))
				} else {
					fmt.Fprintf(app.stdout, "%s: cancelled\n", no)
				}
			}
			if failed > 0 {
				return &exitError{code: 2, msg: fmt.Sprintf("%d of %d shipments not cancelled", failed, len(res.Shipments))}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&profile, "profile", "", "user-group profile (default: the configuration's, else STANDARD_GRUPPENPROFIL)")
	return cmd
}

func firstMessage(sh parcel.ShipmentResult) string {
	return failureText(sh)
}

// failureText says why a shipment failed: DHL's words, else the client's
// finding (a label that does not decode, no label, no answer).
func failureText(sh parcel.ShipmentResult) string {
	why := sh.Reason
	switch {
	case why == "":
		why = sh.Problem.String()
	case sh.Problem == parcel.ProblemBadDocument || sh.Problem == parcel.ProblemNoLabel:
		why = sh.Problem.String() + ": " + why
	}
	if sh.DecodeErr != nil {
		why += " (" + sh.DecodeErr.Error() + ")"
	}
	if sh.Created {
		why += "; the shipment exists at DHL: reprint or cancel it"
	}
	return why
}

func newShipReprintCmd(app *cliApp) *cobra.Command {
	var (
		format, printFormat string
		sink                = labelSink{app: app}
	)
	cmd := &cobra.Command{
		Use:   "reprint SHIPMENT-NUMBER...",
		Short: "Fetch the labels of shipments again (only before the daily closeout)",
		Args:  cobra.RangeArgs(1, parcel.MaxShipments),
		RunE: func(cmd *cobra.Command, args []string) error {
			tr, err := dhlTransport(app)
			if err != nil {
				return err
			}
			df := strings.ToUpper(format)
			if df == "ZPL" {
				df = parcel.DocFormatZPL2
			}
			res, err := parcel.New(tr).GetLabels(cmd.Context(), args, parcel.LabelOptions{DocFormat: df, PrintFormat: printFormat})
			if res == nil {
				return err
			}
			return reportShipments(cmd.Context(), app, res, err, &sink, false, false)
		},
	}
	cmd.Flags().StringVar(&format, "format", "ZPL2", "label format: ZPL2 or PDF")
	cmd.Flags().StringVar(&printFormat, "print-format", "910-300-600", "label stock")
	sink.addFlags(cmd)
	return cmd
}

func newManifestCmd(app *cliApp) *cobra.Command {
	var (
		all           bool
		billingNumber string
		profile       string
	)
	cmd := &cobra.Command{
		Use:   "manifest [SHIPMENT-NUMBER...]",
		Short: "Close out shipments now (daily closeout) and fetch the day's manifest",
		Long: `Close out the given shipments, those of --billing-number, or all open ones (the default
without arguments). Afterwards they can no longer be cancelled or their labels fetched.
"labelagent manifest get" downloads the manifest PDF of a day.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			tr, err := dhlTransport(app)
			if err != nil {
				return err
			}
			req := parcel.ManifestRequest{Profile: profile, BillingNumber: billingNumber, ShipmentNumbers: args, All: all || (len(args) == 0 && billingNumber == "")}
			res, err := parcel.New(tr).Manifest(cmd.Context(), req)
			if err != nil {
				return err
			}
			if app.jsonOut {
				return app.printJSON(res)
			}
			failed := 0
			for _, it := range res.Shipments {
				msg := it.Outcome.String()
				if it.Status.Detail != "" && it.Outcome != parcel.OutcomeSuccess {
					msg += ": " + it.Status.Detail
				}
				if it.Outcome == parcel.OutcomeError {
					failed++
				}
				fmt.Fprintf(app.stdout, "%s: %s\n", it.ShipmentNo, msg)
			}
			fmt.Fprintf(app.stdout, "%d shipments closed out\n", len(res.Shipments)-failed)
			if failed > 0 {
				return &exitError{code: 2, msg: fmt.Sprintf("%d shipments not closed out", failed)}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "close out all open shipments")
	cmd.Flags().StringVar(&billingNumber, "billing-number", "", "close out the shipments of this billing number")
	cmd.Flags().StringVar(&profile, "profile", "", "user-group profile")
	cmd.AddCommand(newManifestGetCmd(app))
	return cmd
}

func newManifestGetCmd(app *cliApp) *cobra.Command {
	var date, billingNumber, out string
	cmd := &cobra.Command{
		Use:   "get",
		Short: "Download the manifest PDF of a day (default today)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tr, err := dhlTransport(app)
			if err != nil {
				return err
			}
			var day = parseDay(date)
			if date != "" && day.IsZero() {
				return fmt.Errorf("--date %q: use YYYY-MM-DD", date)
			}
			doc, err := parcel.New(tr).GetManifest(cmd.Context(), day, billingNumber)
			if err != nil {
				return err
			}
			if len(doc.PDF) == 0 {
				if doc.URL != "" {
					fmt.Fprintln(app.stdout, doc.URL)
					return nil
				}
				return errors.New("DHL sent no manifest document")
			}
			if out == "" {
				out = "manifest-" + doc.Date + ".pdf"
			}
			if err := os.WriteFile(out, doc.PDF, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(app.stdout, "manifest of %s: %d shipments, stored %s\n", doc.Date, len(doc.Shipments), out)
			return nil
		},
	}
	cmd.Flags().StringVar(&date, "date", "", "day, YYYY-MM-DD (default today)")
	cmd.Flags().StringVar(&billingNumber, "billing-number", "", "only this billing number")
	cmd.Flags().StringVarP(&out, "output", "o", "", "file to store the PDF in (default manifest-DATE.pdf)")
	return cmd
}
