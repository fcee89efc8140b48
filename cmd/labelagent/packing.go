package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/agent/apitype"
)

// newOrdersCmd is "labelagent orders": the orders the packing station
// knows, imported from a file or sent by the shop.
func newOrdersCmd(app *cliApp) *cobra.Command {
	cmd := &cobra.Command{
		Use:  "orders",
		Args: cobra.NoArgs,
	}
	imp := &cobra.Command{
		Use:  "import FILE",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var data []byte
			var err error
			if args[0] == "-" {
				data, err = io.ReadAll(io.LimitReader(app.stdin, 16<<20))
			} else {
				data, err = os.ReadFile(args[0])
			}
			if err != nil {
				return err
			}
			ct := "application/json"
			if t := strings.TrimSpace(string(data)); t != "" && t[0] != '{' && t[0] != '[' {
				ct = "text/csv"
			}
			res, err := app.Client().ImportOrders(cmd.Context(), data, ct)
			if err != nil {
				return err
			}
			return app.emit(res, func(w io.Writer) error {
				fmt.Fprintln(w, app.T("packing.cli.imported", "imported", res.Imported, "updated", res.Updated))
				for _, p := range res.Problems {
					fmt.Fprintln(w, app.T("packing.cli.issue", "row", p.Row, "ref", apitype.Printable(p.Ref), "problem", apitype.Printable(p.Problem)))
				}
				return nil
			})
		},
	}
	var open bool
	var limit int
	list := &cobra.Command{
		Use:  "list",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			orders, err := app.Client().Orders(cmd.Context(), open, limit)
			if err != nil {
				return err
			}
			return app.emit(apitype.OrderList{Orders: orders}, func(w io.Writer) error {
				if len(orders) == 0 {
					fmt.Fprintln(w, app.T("packing.cli.no_orders"))
					return nil
				}
				t := newTable(w)
				fmt.Fprintln(t, app.T("packing.cli.orders_header"))
				for _, o := range orders {
					lab, track := "", ""
					if n := len(o.Labels); n > 0 {
						lab, track = o.Labels[n-1].Carrier+" "+o.Labels[n-1].Product, o.Labels[n-1].Tracking
					}
					fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\t%s\n", apitype.Printable(o.Ref), short(apitype.Printable(o.Recipient.Name), 28),
						o.Recipient.Country, grams(app, o.WeightGrams), lab, track)
				}
				return t.Flush()
			})
		},
	}
	list.Flags().BoolVar(&open, "open", false, "")
	list.Flags().IntVar(&limit, "limit", 100, "")
	show := &cobra.Command{
		Use:  "show REF",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := app.Client().Order(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if app.jsonOut {
				return app.printJSON(o)
			}
			enc := json.NewEncoder(app.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(o)
		},
	}
	cmd.AddCommand(imp, list, show)
	return cmd
}

func grams(app *cliApp, g int) string {
	if g <= 0 {
		return "-"
	}
	return app.L().Number(float64(g)/1000, -1) + " kg"
}

// newScanCmd is "labelagent scan": what the scanner at the packing station
// does, from the command line.
func newScanCmd(app *cliApp) *cobra.Command {
	var req apitype.ScanRequest
	var weight string
	cmd := &cobra.Command{
		Use:  "scan CODE",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Code = args[0]
			if weight != "" {
				g, err := parseKg(weight)
				if err != nil {
					return err
				}
				req.WeightGrams = g
			}
			res, err := app.Client().Scan(cmd.Context(), req)
			if err != nil {
				return err
			}
			return app.emit(res, func(w io.Writer) error {
				switch res.Outcome {
				case apitype.ScanPrinted:
					fmt.Fprintln(w, app.T("packing.cli.printed", "order", res.OrderRef, "carrier", res.Carrier, "product", res.Product,
						"printer", res.Printer, "tracking", res.Tracking, "weight", grams(app, res.WeightGrams), "source", res.WeightSource))
				case apitype.ScanReprinted:
					fmt.Fprintln(w, app.T("packing.cli.reprinted", "order", res.OrderRef, "tracking", res.Tracking))
				case apitype.ScanAlreadyShipped:
					fmt.Fprintln(w, app.T("packing.cli.already", "order", res.OrderRef, "carrier", res.Carrier, "tracking", res.Tracking))
				case apitype.ScanNeedsPayment:
					fmt.Fprintln(w, app.T("packing.cli.payment", "order", res.OrderRef, "url", res.PaymentURL))
				default:
					fmt.Fprintf(w, "%s: %s %s\n", res.OrderRef, res.Outcome, res.Message)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&req.Reprint, "reprint", false, "")
	cmd.Flags().BoolVar(&req.New, "new", false, "")
	cmd.Flags().StringVar(&weight, "weight", "", "")
	return cmd
}

// newRulesCmd is "labelagent rules test ORDER.json".
func newRulesCmd(app *cliApp) *cobra.Command {
	cmd := &cobra.Command{Use: "rules", Args: cobra.NoArgs}
	var weight string
	test := &cobra.Command{
		Use:  "test ORDER.json|REF",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var o apitype.Order
			if data, err := os.ReadFile(args[0]); err == nil {
				if err := json.Unmarshal(data, &o); err != nil {
					return fmt.Errorf("%s: %w", filepath.Base(args[0]), err)
				}
			} else {
				if o, err = app.Client().Order(cmd.Context(), args[0]); err != nil {
					return err
				}
			}
			g, err := parseKg(weight)
			if err != nil {
				return err
			}
			res, err := app.Client().TestRules(cmd.Context(), o, g)
			if err != nil {
				return err
			}
			return app.emit(res, func(w io.Writer) error {
				t := newTable(w)
				for _, c := range res.Checks {
					mark := "✗"
					if c.Matched {
						mark = "✓"
					}
					fmt.Fprintf(t, "%s %s\t%s\n", mark, c.Rule, c.Why)
				}
				t.Flush()
				if res.Rule == "" {
					fmt.Fprintln(w, app.T("packing.cli.no_rule", "order", res.Order))
					return nil
				}
				fmt.Fprintln(w, app.T("packing.cli.rule", "order", res.Order, "rule", res.Rule, "carrier", res.Carrier, "product", res.Product, "printer", res.Printer))
				return nil
			})
		},
	}
	test.Flags().StringVar(&weight, "weight", "", "")
	cmd.AddCommand(test)
	return cmd
}

// newScaleCmd is "labelagent scale": the scale's current weight.
func newScaleCmd(app *cliApp) *cobra.Command {
	return &cobra.Command{
		Use:  "scale",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := app.Client().Scale(cmd.Context())
			if err != nil {
				return err
			}
			return app.emit(r, func(w io.Writer) error {
				switch {
				case !r.Configured:
					fmt.Fprintln(w, app.T("packing.cli.scale_none"))
				case r.Error != "":
					fmt.Fprintln(w, r.Error)
				default:
					fmt.Fprintln(w, app.T("packing.cli.scale", "weight", grams(app, r.Grams)))
				}
				return nil
			})
		},
	}
}
