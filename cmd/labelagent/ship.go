package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/dhl/parcel"
)

// countErr is an error whose words depend on a count (plural forms).
type countErr struct {
	id string
	n  int
}

func (e countErr) Error() string                     { return i18n.For(i18n.English).N(e.id, e.n) }
func (e countErr) Localize(l *i18n.Localizer) string { return l.N(e.id, e.n) }

// docSink stores documents fetched from the agent where -o says.
type docSink struct {
	out   string // file (one document) or directory; "" none
	files int
}

func (s *docSink) addFlag(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&s.out, "output", "o", "", "")
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func docExt(d apitype.ShipmentDocument) string {
	switch d.Format {
	case parcel.DocFormatZPL2:
		return ".zpl"
	case "PNG":
		return ".png"
	}
	return ".pdf"
}

// store fetches a shipment's documents from the agent and writes them,
// filling in Documents[].Path.
func (s *docSink) store(ctx context.Context, cl *client.Client, sh *apitype.Shipment) error {
	if s.out == "" {
		return nil
	}
	single := len(sh.Documents) == 1 && !isDir(s.out) && !strings.HasSuffix(s.out, string(os.PathSeparator))
	for i, d := range sh.Documents {
		data, err := cl.ShipmentDocument(ctx, sh.ID, d.Kind)
		if err != nil {
			return err
		}
		path := s.out
		if !single {
			if err := os.MkdirAll(s.out, 0o755); err != nil {
				return err
			}
			name := firstNonEmpty(sh.ShipmentNo, sh.ID)
			if d.Kind != "label" {
				name += "-" + d.Kind
			}
			path = filepath.Join(s.out, name+docExt(d))
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return i18n.Wrap(err, "cli.cannot_write", "file", path)
		}
		sh.Documents[i].Path = path
		s.files++
	}
	return nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func newShipCmd(app *cliApp) *cobra.Command {
	var (
		file, ref, key, printerName         string
		product, country                    string
		receiver                            addressFlags
		weightKG                            float64
		format, printFormat                 string
		validate, allowUnencodable, newShip bool
		reprint, noPrint                    bool
		sink                                docSink
	)
	cmd := &cobra.Command{
		Use:  "ship",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var orders []json.RawMessage
			var refs []string
			if file != "" {
				data, err := readInput(app, file)
				if err != nil {
					return err
				}
				orders, refs, err = splitOrders(data)
				if err != nil {
					return i18n.E("ship.err.bad_order", "file", file, "error", err.Error())
				}
			} else if a := receiver; a.name != "" || a.street != "" || a.postal != "" || a.city != "" {
				if a.name == "" || a.street == "" || a.postal == "" || a.city == "" {
					return &usageError{i18n.E("ship.err.need_recipient")}
				}
				sh := parcel.Shipment{Product: product,
					Consignee: parcel.Consignee{Contact: &parcel.ContactAddress{Name1: a.name, AddressStreet: a.street, AddressHouse: a.house,
						PostalCode: a.postal, City: a.city, Country: strings.ToUpper(country), Email: a.email}},
					Details: parcel.ShipmentDetails{Weight: parcel.Weight{UOM: "kg", Value: weightKG}}}
				b, _ := json.Marshal(sh)
				orders, refs = []json.RawMessage{b}, []string{""}
			} else if ref == "" || !reprint {
				return &usageError{i18n.E("ship.err.need_recipient")}
			}
			if validate {
				return app.validateOrders(cmd.Context(), orders)
			}
			df := strings.ToUpper(format)
			if df == "ZPL" {
				df = parcel.DocFormatZPL2
			}
			print := !noPrint
			mk := func(i int, o json.RawMessage) apitype.ShipmentCreateRequest {
				r := apitype.ShipmentCreateRequest{OrderRef: ref, IdempotencyKey: key, Order: o, NewShipment: newShip, Reprint: reprint,
					Print: &print, Printer: printerName, DocFormat: df, PrintFormat: printFormat, AllowUnencodable: allowUnencodable}
				if len(orders) > 1 {
					r.OrderRef = refs[i]
					if r.OrderRef == "" && ref != "" {
						r.OrderRef = fmt.Sprintf("%s-%d", ref, i+1)
					}
					if key != "" {
						r.IdempotencyKey = fmt.Sprintf("%s-%d", key, i+1)
					}
				} else if r.OrderRef == "" && len(refs) == 1 {
					r.OrderRef = refs[0]
				}
				return r
			}
			if len(orders) == 0 { // --ref X --reprint: the existing shipment
				s, err := app.Client().Shipment(cmd.Context(), ref)
				if err != nil {
					return err
				}
				if s, err = app.Client().ReprintShipment(cmd.Context(), s.ID, "", printerName); err != nil {
					return err
				}
				return app.reportResults(cmd.Context(), []apitype.ShipmentResult{{Shipment: s, Existing: true}}, &sink, false)
			}
			for i := range orders {
				if r := mk(i, orders[i]); r.OrderRef == "" && r.IdempotencyKey == "" {
					return &usageError{i18n.E("ship.err.need_ref")}
				}
			}
			if len(orders) == 1 {
				res, err := app.Client().CreateShipment(cmd.Context(), mk(0, orders[0]))
				if res.Shipment.ID == "" && err != nil {
					return err
				}
				return app.reportResults(cmd.Context(), []apitype.ShipmentResult{res}, &sink, file != "")
			}
			var batch apitype.ShipmentBatchRequest
			for i, o := range orders {
				batch.Shipments = append(batch.Shipments, mk(i, o))
			}
			res, err := app.Client().CreateShipments(cmd.Context(), batch)
			if err != nil {
				return err
			}
			return app.reportResults(cmd.Context(), res.Results, &sink, true)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "file", "f", "", "")
	f.StringVar(&ref, "ref", "", "")
	f.StringVar(&key, "key", "", "")
	f.BoolVar(&newShip, "new", false, "")
	f.BoolVar(&reprint, "reprint", false, "")
	f.BoolVar(&noPrint, "no-print", false, "")
	f.StringVar(&printerName, "printer", "", "")
	f.StringVar(&product, "product", parcel.ProductPaket, "")
	receiver.add(f)
	f.StringVar(&country, "country", "DEU", "")
	decimalVar(f, &weightKG, "weight", 1, "")
	f.StringVar(&format, "format", "", "")
	f.StringVar(&printFormat, "print-format", "", "")
	f.BoolVar(&validate, "validate", false, "")
	f.BoolVar(&allowUnencodable, "allow-unencodable", false, "")
	sink.addFlag(cmd)
	cmd.AddCommand(newShipListCmd(app), newShipShowCmd(app), newShipCancelCmd(app), newShipReprintCmd(app),
		newShipResolveCmd(app), newShipDocumentCmd(app), newShipExportCmd(app))
	return cmd
}

// addressFlags is an address given by flags: the receiver of `ship`, the
// shipper of `return` (their help comes from the catalog per command).
type addressFlags struct{ name, street, house, postal, city, email string }

func (a *addressFlags) add(f *pflag.FlagSet) {
	f.StringVar(&a.name, "name", "", "")
	f.StringVar(&a.street, "street", "", "")
	f.StringVar(&a.house, "house", "", "")
	f.StringVar(&a.postal, "postal-code", "", "")
	f.StringVar(&a.city, "city", "", "")
	f.StringVar(&a.email, "email", "", "")
}

// splitOrders accepts one shipment, a list of shipments or a whole order
// ({"profile":…,"shipments":[…]}); refs are the shipments' refNo, used as
// order references when none is given.
func splitOrders(data []byte) ([]json.RawMessage, []string, error) {
	trimmed := bytes.TrimSpace(data)
	var list []json.RawMessage
	switch {
	case len(trimmed) > 0 && trimmed[0] == '[':
		if err := json.Unmarshal(trimmed, &list); err != nil {
			return nil, nil, i18n.Wrap(err, "ship.err.file_not_list")
		}
	case bytes.Contains(trimmed, []byte(`"shipments"`)):
		var whole struct {
			Shipments []json.RawMessage `json:"shipments"`
		}
		if err := json.Unmarshal(trimmed, &whole); err != nil {
			return nil, nil, i18n.Wrap(err, "ship.err.file_not_order")
		}
		list = whole.Shipments
	default:
		if !json.Valid(trimmed) {
			return nil, nil, i18n.E("ship.err.file_not_json")
		}
		list = []json.RawMessage{trimmed}
	}
	if len(list) == 0 || len(list) > parcel.MaxShipments {
		return nil, nil, i18n.E("ship.err.file_count", "count", len(list), "max", parcel.MaxShipments)
	}
	refs := make([]string, len(list))
	for i, o := range list {
		var r struct {
			RefNo string `json:"refNo"`
		}
		_ = json.Unmarshal(o, &r)
		refs[i] = r.RefNo
	}
	return list, refs, nil
}

// validateOrders asks DHL, through the agent, to check orders.
func (app *cliApp) validateOrders(ctx context.Context, orders []json.RawMessage) error {
	res, err := app.Client().ValidateShipments(ctx, apitype.ShipmentValidateRequest{Orders: orders})
	if err != nil {
		return err
	}
	bad := 0
	for _, v := range res {
		if !v.Valid {
			bad++
		}
	}
	err = app.emit(apitype.ShipmentValidationList{Results: res}, func(w io.Writer) error {
		for _, v := range res {
			id := "ship.valid"
			if !v.Valid {
				id = "ship.invalid"
			}
			fmt.Fprintln(w, app.T(id, "n", v.Index+1))
			app.printMessages(w, v.Messages)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if bad > 0 {
		return &exitError{code: 2, err: countErr{"ship.err.invalid", bad}}
	}
	return nil
}

func (app *cliApp) printMessages(w io.Writer, ms []apitype.ShipmentMessage) {
	for _, m := range ms {
		sev := app.T("ship.severity." + m.Severity)
		if m.Severity != "error" && m.Severity != "warning" {
			sev = m.Severity
		}
		field := m.Field
		if m.FieldText != "" {
			field = m.FieldText // our own check's field, named in the reader's language
		}
		if field != "" {
			fmt.Fprintln(w, app.T("ship.message_field", "severity", sev, "field", apitype.Printable(field), "text", apitype.Printable(m.Text)))
		} else {
			fmt.Fprintln(w, app.T("ship.message", "severity", sev, "text", apitype.Printable(m.Text)))
		}
	}
}

func (app *cliApp) stateWord(s apitype.ShipmentState) string { return app.T("ship.state." + string(s)) }

// action is what to do about a shipment, in the reader's language.
func (app *cliApp) action(s apitype.Shipment) string {
	switch {
	case s.State == apitype.ShipmentUnknown:
		return app.T("ship.action.unknown", "ref", s.OrderRef, "id", s.ID, "time", app.L().Time(s.Created))
	case s.State == apitype.ShipmentFailed && s.ActionID == apitype.ShipmentActionRetry:
		return app.T("ship.action.retry")
	case s.State == apitype.ShipmentFailed:
		return app.T("ship.action.fix")
	case s.State == apitype.ShipmentCreated && !hasLabel(s):
		return app.T("ship.action.no_label", "id", s.ID)
	case s.ActionID == apitype.ShipmentActionReprint && printJobFailed(s):
		// The agent's words (the job's reason, "look at the printer") and the command.
		return app.T("shipjournal.cli.print_job_failed", "text", s.Action, "id", s.ID)
	case s.Action != "":
		return app.T("ship.action.reprint", "id", s.ID)
	}
	return ""
}

// printJobFailed: a print job of s failed (or was held: it may have printed).
func printJobFailed(s apitype.Shipment) bool {
	for _, p := range s.Prints {
		if p.State == apitype.StateFailed {
			return true
		}
	}
	return false
}

// printShipment writes a shipment for a person.
func (app *cliApp) printShipment(w io.Writer, s apitype.Shipment, history bool) {
	head := "ship.head"
	if s.Kind == apitype.ShipmentKindReturn {
		head = "ship.head_return"
	}
	fmt.Fprintln(w, app.T(head, "id", s.ID, "order", firstNonEmpty(s.OrderRef, "-"), "state", app.stateWord(s.State)))
	if s.ShipmentNo != "" {
		fmt.Fprintln(w, app.T("ship.number", "number", s.ShipmentNo))
	}
	if s.RoutingCode != "" {
		fmt.Fprintln(w, app.T("ship.routing", "code", s.RoutingCode))
	}
	if s.Recipient != "" {
		fmt.Fprintln(w, app.T("ship.recipient", "name", apitype.Printable(s.Recipient), "destination", apitype.Printable(s.Destination)))
	}
	if s.Product != "" {
		fmt.Fprintln(w, app.T("ship.product", "product", s.Product, "weight", app.L().Number(s.WeightKG, 2), "day", dayWord(app.L(), s.Day)))
	}
	if s.State == apitype.ShipmentFailed && s.Error != "" && len(s.Messages) == 0 {
		fmt.Fprintln(w, app.T("ship.reason", "reason", apitype.Printable(s.Error)))
	}
	app.printMessages(w, s.Messages)
	if s.ReturnID != "" {
		fmt.Fprintln(w, app.T("return.show_id", "returnid", s.ReturnID))
	}
	if s.QRLink != "" {
		fmt.Fprintln(w, app.T("return.qr_link", "link", s.QRLink))
	}
	for _, d := range s.Documents {
		if d.Path != "" {
			fmt.Fprintln(w, app.T("ship.stored", "path", d.Path))
		}
	}
	for _, p := range s.Prints {
		if p.Error != "" && p.JobID == "" {
			fmt.Fprintln(w, app.T("ship.print_failed", "n", p.N, "document", docWord(app.L(), p.Document), "error", apitype.Printable(p.Error)))
			continue
		}
		fmt.Fprintln(w, app.T("ship.printing", "n", p.N, "document", docWord(app.L(), p.Document), "job", p.JobID, "printer", firstNonEmpty(p.Printer, "-"), "state", firstNonEmpty(stateWord(app.L(), p.State), "-")))
	}
	if len(s.Returns) > 0 {
		fmt.Fprintln(w, app.T("ship.returns", "ids", strings.Join(s.Returns, ", ")))
	}
	if t := s.Tracking; t != nil {
		if t.Error != "" {
			fmt.Fprintln(w, app.T("ship.tracking_error", "error", apitype.Printable(t.Error)))
		} else {
			fmt.Fprintln(w, app.T("ship.tracking", "status", t.Status, "description", apitype.Printable(t.Description), "checked", app.L().Time(t.Checked)))
		}
	}
	if a := app.action(s); a != "" {
		fmt.Fprintln(w, app.T("ship.action", "text", a))
	}
	if history && len(s.History) > 0 {
		fmt.Fprintln(w, app.T("ship.history"))
		for _, h := range s.History {
			fmt.Fprintln(w, app.T("ship.history_line", "time", app.L().Time(h.At), "state", app.stateWord(h.State), "note", apitype.Printable(h.Note)))
		}
	}
}

// reportResults stores documents, prints what happened to each shipment
// and fails (exit 2) when any was not created, with DHL's words.
func (app *cliApp) reportResults(ctx context.Context, results []apitype.ShipmentResult, sink *docSink, batch bool) error {
	failed, unknown, created := 0, 0, 0
	for i := range results {
		r := &results[i]
		switch {
		case r.Shipment.ID == "":
			failed++
		case r.Shipment.State == apitype.ShipmentUnknown:
			unknown++
		case r.Shipment.State == apitype.ShipmentFailed:
			failed++
		case !hasLabel(r.Shipment):
			// Created at DHL, but no usable label came: not done.
			failed++
		default:
			created++
			if err := sink.store(ctx, app.Client(), &r.Shipment); err != nil {
				return err
			}
		}
	}
	out := any(results[0])
	if len(results) > 1 {
		out = apitype.ShipmentBatchResult{Results: results}
	}
	err := app.emit(out, func(w io.Writer) error {
		for _, r := range results {
			if r.Shipment.ID == "" && r.Error != nil {
				fmt.Fprintln(w, app.T("ship.reason", "reason", apitype.Printable(r.Error.Message)))
				continue
			}
			app.printShipment(w, r.Shipment, false)
			if r.Existing {
				fmt.Fprintln(w, app.T("ship.existing"))
			}
			if r.Additional {
				fmt.Fprintln(w, app.T("ship.additional"))
			}
		}
		if batch {
			fmt.Fprintln(w, app.L().N("ship.batch_summary", len(results), "created", created))
		}
		return nil
	})
	if err != nil {
		return err
	}
	switch {
	case failed > 0:
		return &exitError{code: 2, err: countErr{"ship.err.not_created", failed}}
	case unknown > 0:
		return &exitError{code: 3, err: countErr{"ship.err.unknown", unknown}}
	}
	return nil
}

// hasLabel reports whether a shipment's label is stored.
func hasLabel(s apitype.Shipment) bool {
	for _, d := range s.Documents {
		if d.Kind == "label" {
			return true
		}
	}
	return s.Kind == apitype.ShipmentKindReturn
}

func newShipListCmd(app *cliApp) *cobra.Command {
	var q client.ShipmentsQuery
	var state string
	cmd := &cobra.Command{
		Use:  "list",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q.State = apitype.ShipmentState(state)
			list, err := app.Client().Shipments(cmd.Context(), q)
			if err != nil {
				return err
			}
			return app.emit(apitype.ShipmentList{Shipments: list}, func(w io.Writer) error {
				if len(list) == 0 {
					fmt.Fprintln(w, app.T("ship.list.empty"))
					return nil
				}
				tw := newTable(w)
				fmt.Fprintln(tw, app.T("ship.list.header"))
				for _, s := range list {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", s.ID, short(firstNonEmpty(s.OrderRef, "-"), 24), app.stateWord(s.State),
						firstNonEmpty(s.ShipmentNo, "-"), short(firstNonEmpty(s.Recipient, "-"), 24), dayWord(app.L(), s.Day), len(s.Prints))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&q.Day, "day", "", "")
	cmd.Flags().StringVar(&state, "state", "", "")
	cmd.Flags().StringVar(&q.OrderRef, "ref", "", "")
	cmd.Flags().StringVar(&q.Kind, "kind", "", "")
	cmd.Flags().IntVar(&q.Limit, "limit", 50, "")
	return cmd
}

func newShipShowCmd(app *cliApp) *cobra.Command {
	return &cobra.Command{
		Use:  "show ID|SHIPMENT-NUMBER|ORDER-REF",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := app.Client().Shipment(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return app.emit(s, func(w io.Writer) error { app.printShipment(w, s, true); return nil })
		},
	}
}

func newShipCancelCmd(app *cliApp) *cobra.Command {
	return &cobra.Command{
		Use:  "cancel ID|SHIPMENT-NUMBER|ORDER-REF...",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out []apitype.Shipment
			failed := 0
			for _, ref := range args {
				s, err := app.Client().CancelShipment(cmd.Context(), ref)
				if err != nil {
					failed++
					if !app.jsonOut {
						fmt.Fprintln(app.stdout, app.T("ship.not_cancelled", "ref", ref, "error", app.L().Err(err)))
					}
					continue
				}
				out = append(out, s)
				if !app.jsonOut {
					fmt.Fprintln(app.stdout, app.T("ship.cancelled", "id", s.ID, "number", s.ShipmentNo))
				}
			}
			if app.jsonOut {
				if err := app.printJSON(apitype.ShipmentList{Shipments: out}); err != nil {
					return err
				}
			}
			if failed > 0 {
				return &exitError{code: 2, err: countErr{"ship.err.not_cancelled", failed}}
			}
			return nil
		},
	}
}

// printableDocs are the documents a shipment may have to print again.
var printableDocs = []string{"label", "return_label", "customs", "cod"}

func newShipReprintCmd(app *cliApp) *cobra.Command {
	var document, printerName string
	var sink docSink
	cmd := &cobra.Command{
		Use:  "reprint ID|SHIPMENT-NUMBER|ORDER-REF",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(printableDocs, document) {
				return app.refuse("--document", document, printableDocs)
			}
			s, err := app.Client().ReprintShipment(cmd.Context(), args[0], document, printerName)
			if err != nil {
				return err
			}
			if err := sink.store(cmd.Context(), app.Client(), &s); err != nil {
				return err
			}
			return app.emit(s, func(w io.Writer) error { app.printShipment(w, s, false); return nil })
		},
	}
	cmd.Flags().StringVar(&document, "document", "label", "")
	cmd.Flags().StringVar(&printerName, "printer", "", "")
	sink.addFlag(cmd)
	return cmd
}

func newShipResolveCmd(app *cliApp) *cobra.Command {
	var number string
	var notCreated bool
	cmd := &cobra.Command{
		Use:  "resolve ID|ORDER-REF (--shipment-number NUMBER | --not-created)",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (number == "") == !notCreated {
				return &usageError{i18n.E("ship.err.resolve_args")}
			}
			s, err := app.Client().ResolveShipment(cmd.Context(), args[0], apitype.ShipmentResolveRequest{ShipmentNo: number, NotCreated: notCreated})
			if err != nil {
				return err
			}
			return app.emit(s, func(w io.Writer) error { app.printShipment(w, s, false); return nil })
		},
	}
	cmd.Flags().StringVar(&number, "shipment-number", "", "")
	cmd.Flags().BoolVar(&notCreated, "not-created", false, "")
	return cmd
}

func newShipDocumentCmd(app *cliApp) *cobra.Command {
	var kind, out string
	cmd := &cobra.Command{
		Use:  "document ID|SHIPMENT-NUMBER|ORDER-REF",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := app.Client().Shipment(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			var doc *apitype.ShipmentDocument
			for i := range s.Documents {
				if s.Documents[i].Kind == kind {
					doc = &s.Documents[i]
				}
			}
			if doc == nil {
				var have []string
				for _, d := range s.Documents {
					have = append(have, d.Kind)
				}
				return i18n.E("ship.err.no_document", "id", s.ID, "kind", kind, "have", app.L().Or(have))
			}
			data, err := app.Client().ShipmentDocument(cmd.Context(), s.ID, kind)
			if err != nil {
				return err
			}
			if out == "-" {
				_, err := app.stdout.Write(data)
				return err
			}
			if out == "" {
				out = firstNonEmpty(s.ShipmentNo, s.ID) + "-" + kind + docExt(*doc)
			}
			if err := os.WriteFile(out, data, 0o644); err != nil {
				return err
			}
			doc.Path = out
			return app.emit(*doc, func(w io.Writer) error { fmt.Fprintln(w, app.T("ship.stored", "path", out)); return nil })
		},
	}
	cmd.Flags().StringVar(&kind, "kind", "label", "")
	cmd.Flags().StringVarP(&out, "output", "o", "", "")
	return cmd
}

func newShipExportCmd(app *cliApp) *cobra.Command {
	var day, out string
	cmd := &cobra.Command{
		Use:  "export",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			data, err := app.Client().ExportShipments(cmd.Context(), day)
			if err != nil {
				return err
			}
			if out == "" || out == "-" {
				_, err := app.stdout.Write(data)
				return err
			}
			if err := os.WriteFile(out, data, 0o644); err != nil {
				return err
			}
			app.note("dayend.csv_stored", "path", out)
			return nil
		},
	}
	cmd.Flags().StringVar(&day, "day", "", "")
	cmd.Flags().StringVarP(&out, "output", "o", "", "")
	return cmd
}

// ---- day's end ----

func newDayEndCmd(app *cliApp, use string) *cobra.Command {
	var (
		billing, printerName, manifestOut, csvOut string
		noPrint                                   bool
	)
	cmd := &cobra.Command{
		Use:  use,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			print := !noPrint
			de, err := app.Client().DayEnd(cmd.Context(), apitype.DayEndRequest{BillingNumber: billing, Print: &print, Printer: printerName})
			if err != nil {
				return err
			}
			return app.reportDayEnd(cmd.Context(), de, manifestOut, csvOut)
		},
	}
	cmd.Flags().StringVar(&billing, "billing-number", "", "")
	cmd.Flags().BoolVar(&noPrint, "no-print", false, "")
	cmd.Flags().StringVar(&printerName, "printer", "", "")
	cmd.Flags().StringVarP(&manifestOut, "output", "o", "", "")
	cmd.Flags().StringVar(&csvOut, "csv", "", "")
	cmd.AddCommand(newDayEndListCmd(app), newDayEndShowCmd(app))
	return cmd
}

func (app *cliApp) reportDayEnd(ctx context.Context, de apitype.DayEnd, manifestOut, csvOut string) error {
	if manifestOut != "" && de.Manifest != nil {
		pdf, err := app.Client().DayEndManifest(ctx, de.ID)
		if err != nil {
			return err
		}
		if err := app.writeOutput(manifestOut, pdf); err != nil {
			return err
		}
		de.Manifest.Path = manifestOut
	}
	if csvOut != "" {
		data, err := app.Client().DayEndCSV(ctx, de.ID)
		if err != nil {
			return err
		}
		if err := app.writeOutput(csvOut, data); err != nil {
			return err
		}
	}
	if manifestOut == "-" || csvOut == "-" {
		// Standard output holds the document: the summary goes to
		// standard error, where it does not spoil it.
		out := app.stdout
		app.stdout = app.stderr
		defer func() { app.stdout = out }()
	}
	return app.emit(de, func(w io.Writer) error {
		fmt.Fprintln(w, app.L().N("dayend.done", len(de.Closed), "id", de.ID, "day", dayWord(app.L(), de.Day)))
		if len(de.Orphans) > 0 {
			fmt.Fprintln(w, app.L().N("dayend.orphans", len(de.Orphans)))
			for _, o := range de.Orphans {
				fmt.Fprintln(w, app.T("dayend.item", "number", o.ShipmentNo, "status", apitype.Printable(o.Status)))
			}
		}
		if len(de.NotAtDHL) > 0 {
			fmt.Fprintln(w, app.L().N("dayend.not_at_dhl", len(de.NotAtDHL)))
			for _, o := range de.NotAtDHL {
				fmt.Fprintln(w, app.T("dayend.item", "number", o.ShipmentNo, "status", apitype.Printable(o.Status)))
			}
		}
		if len(de.Unknown) > 0 {
			fmt.Fprintln(w, app.T("dayend.unknown", "ids", strings.Join(de.Unknown, ", ")))
		}
		switch {
		case de.Manifest != nil && de.Manifest.Path != "":
			fmt.Fprintln(w, app.T("dayend.manifest_stored", "path", de.Manifest.Path))
		case de.Manifest != nil:
			fmt.Fprintln(w, app.T("dayend.manifest_kept", "id", de.ID))
		}
		if de.ManifestErr != "" {
			fmt.Fprintln(w, app.T("dayend.manifest_error", "error", apitype.Printable(de.ManifestErr)))
		}
		if de.PrintJob != "" {
			fmt.Fprintln(w, app.T("dayend.manifest_printing", "job", de.PrintJob))
		}
		switch {
		case de.NoDocumentPrinter:
			fmt.Fprintln(w, app.T("dayend.no_document_printer"))
		case de.PrintError != "":
			fmt.Fprintln(w, app.T("dayend.print_error", "error", apitype.Printable(de.PrintError)))
		}
		if csvOut != "" {
			fmt.Fprintln(w, app.T("dayend.csv_stored", "path", csvOut))
		}
		if de.NextDay != "" {
			fmt.Fprintln(w, app.T("dayend.next_day", "day", dayWord(app.L(), de.NextDay)))
		}
		return nil
	})
}

func newDayEndListCmd(app *cliApp) *cobra.Command {
	return &cobra.Command{
		Use:  "list",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			des, err := app.Client().DayEnds(cmd.Context())
			if err != nil {
				return err
			}
			return app.emit(apitype.DayEndList{DayEnds: des}, func(w io.Writer) error {
				if len(des) == 0 {
					fmt.Fprintln(w, app.T("dayend.list.empty"))
					return nil
				}
				tw := newTable(w)
				fmt.Fprintln(tw, app.T("dayend.list.header"))
				for _, d := range des {
					m := "-"
					if d.Manifest != nil {
						m = "PDF"
					}
					fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\n", d.ID, dayWord(app.L(), d.Day), len(d.Closed), len(d.Orphans), len(d.Unknown), m)
				}
				return tw.Flush()
			})
		},
	}
}

func newDayEndShowCmd(app *cliApp) *cobra.Command {
	var manifestOut, csvOut string
	cmd := &cobra.Command{
		Use:  "show ID",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			de, err := app.Client().GetDayEnd(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if err := app.reportDayEnd(cmd.Context(), de, manifestOut, csvOut); err != nil {
				return err
			}
			if !app.jsonOut {
				tw := newTable(app.stdout)
				fmt.Fprintln(tw, app.T("ship.list.header"))
				for _, s := range de.Shipments {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", s.ID, short(firstNonEmpty(s.OrderRef, "-"), 24), app.stateWord(s.State),
						firstNonEmpty(s.ShipmentNo, "-"), short(firstNonEmpty(s.Recipient, "-"), 24), dayWord(app.L(), s.Day), len(s.Prints))
				}
				return tw.Flush()
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&manifestOut, "output", "o", "", "")
	cmd.Flags().StringVar(&csvOut, "csv", "", "")
	return cmd
}

// newManifestCmd keeps the old name of the day's end.
func newManifestCmd(app *cliApp) *cobra.Command {
	c := newDayEndCmd(app, "manifest")
	// Its help is dayend's, but for its own one-line description.
	c.Annotations = map[string]string{helpLikeAnnotation: "dayend"}
	return c
}
