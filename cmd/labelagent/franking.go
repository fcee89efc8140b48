package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pkg/browser"
	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
)

// newFrankingCmd is "labelagent franking": DHL Online Franking (Parcel DE
// Private Shipping) carts through the running agent.
func newFrankingCmd(app *cliApp) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "franking",
		Short: "DHL Online Franking: prepare a cart, pay it in DHL's page, print the label or keep the QR code",
		Long: `Buy DHL parcel labels without a business contract, through the running agent.

The agent prepares a prepaid DHL Online Franking cart for the order; you pay it in DHL's web page
(opened in your browser); when DHL confirms the payment (its notify call, or the agent asking every
poll interval) the agent prints the label on the thermal printer, or keeps the QR code for drop-off
at a Packstation or Postfiliale. Every label prints exactly once, also after a crash.

Addresses: a street address takes --name, --street, --house-number, --postal-code, --city;
a Packstation takes --packstation NUMBER with --postnummer and --name; a Postfiliale/Paketshop
--parcel-shop NUMBER with --postnummer and --name. Only ISO-8859-1 (Latin-1) characters are
accepted, none of ?*^!#%$:{}[]; a refused character is named with a replacement.
Configure the franking: section (or LABELAGENT_FRANKING_API_KEY).`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(frankingProductsCmd(app), frankingSyncCmd(app), frankingCreateCmd(app), frankingListCmd(app),
		frankingShowCmd(app), frankingOpenCmd(app), frankingRefreshCmd(app), frankingReprintCmd(app), frankingDocCmd(app))
	return cmd
}

func frankingProductsCmd(app *cliApp) *cobra.Command {
	var search, to, weight string
	c := &cobra.Command{
		Use:   "products",
		Short: "List the product catalog (cached by the agent, refreshed daily)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			grams, err := parseKg(weight)
			if err != nil {
				return err
			}
			cat, err := app.Client().FrankingProducts(cmd.Context(), search, strings.ToUpper(to), grams)
			if err != nil {
				return err
			}
			if app.jsonOut {
				return app.printJSON(cat)
			}
			l := app.L()
			t := newTable(app.stdout)
			fmt.Fprintln(t, l.T("franking.cli.products_header"))
			for _, p := range cat.Products {
				max := "-"
				if p.MaxWeightGrams > 0 {
					max = l.Number(float64(p.MaxWeightGrams)/1000, -1) + " kg"
				}
				fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\n", p.ID, p.Name, l.Money(p.PriceCents), max, short(strings.Join(p.Destinations, ","), 30))
			}
			return t.Flush()
		},
	}
	c.Flags().StringVar(&search, "search", "", "text in the product's name or description")
	c.Flags().StringVar(&to, "to", "", "destination country (ISO alpha-3, e.g. DEU, AUT)")
	c.Flags().StringVar(&weight, "weight", "", "parcel weight in kg (1,5 or 1.5)")
	return c
}

func frankingSyncCmd(app *cliApp) *cobra.Command {
	return &cobra.Command{
		Use:   "sync",
		Short: "Fetch the product catalog from DHL now",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cat, err := app.Client().SyncFrankingCatalog(cmd.Context())
			if err != nil {
				return err
			}
			if app.jsonOut {
				return app.printJSON(cat)
			}
			fmt.Fprintln(app.stdout, app.L().N("franking.cli.synced", len(cat.Products), "at", app.L().Time(cat.Fetched)))
			return nil
		},
	}
}

// parseKg reads a weight in kg as a German or English reader types it.
func parseKg(s string) (int, error) {
	if strings.TrimSpace(s) == "" {
		return 0, nil
	}
	v, err := i18n.ParseDecimal(strings.TrimSuffix(strings.TrimSpace(s), "kg"))
	if err != nil || v <= 0 || v > 1000 {
		return 0, i18n.E("franking.cli.bad_weight", "value", s)
	}
	return int(v*1000 + 0.5), nil
}

func frankingCreateCmd(app *cliApp) *cobra.Command {
	var (
		req                           apitype.FrankingCartRequest
		name, street, house, weight   string
		packstation, shop, postnummer string
		open, wait                    bool
		timeout                       time.Duration
	)
	c := &cobra.Command{
		Use:   "create",
		Short: "Prepare a cart for an order and open its payment page",
		Example: `  labelagent franking create --order 1001 --product PAKET_5KG_DE --weight 2,5 \
      --name "Max Mustermann" --street Hauptstraße --house-number 4 --postal-code 10115 --city Berlin --open --wait
  labelagent franking create --order 1002 --packstation 150 --postnummer 12341887 --name "Selma Sender" \
      --postal-code 53113 --city Bonn --output qr`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l := app.L()
			g, err := parseKg(weight)
			if err != nil {
				return err
			}
			req.WeightGrams = g
			r := &req.Receiver
			switch {
			case packstation != "" || shop != "":
				r.Street, r.StreetNumber = "Packstation", packstation
				if shop != "" {
					r.Street, r.StreetNumber = "Postfiliale", shop
				}
				r.Name1, r.Name2 = name, postnummer
			default:
				r.Name2, r.Street, r.StreetNumber = name, street, house
			}
			resp, err := app.Client().CreateFrankingCart(cmd.Context(), req)
			if err != nil {
				return err
			}
			cart := resp.Cart
			if app.jsonOut && !wait {
				return app.printJSON(resp)
			}
			switch {
			case resp.Existing:
				fmt.Fprintln(app.stdout, l.T("franking.cli.existing", "order", cart.OrderRef, "id", cart.ID, "state", cartState(l, cart.State)))
			case cart.State == apitype.FrankingUnknown:
				fmt.Fprintln(app.stdout, l.T("franking.cli.state", "id", cart.ID, "state", cartState(l, cart.State)))
			default:
				fmt.Fprintln(app.stdout, l.T("franking.cli.created", "id", cart.ID, "total", l.Money(cart.TotalCents)))
			}
			if cart.Action != "" {
				fmt.Fprintln(app.stdout, l.T("franking.cli.action", "action", cart.Action))
			}
			if cart.State == apitype.FrankingCreated {
				fmt.Fprintln(app.stdout, l.T("franking.cli.pay_at", "url", cart.EntryURL))
				if open {
					if err := openPayment(cmd.Context(), app, cart); err != nil {
						return err
					}
				}
			}
			if !wait {
				return nil
			}
			return waitCart(cmd.Context(), app, cart.ID, timeout)
		},
	}
	f := c.Flags()
	f.StringVar(&req.OrderRef, "order", "", "the shop's order number (also the idempotency key unless --key is given)")
	f.StringVar(&req.IdempotencyKey, "key", "", "idempotency key: the same key returns the same cart")
	f.StringVar(&req.ProductID, "product", "", "product id from 'labelagent franking products' (default: franking.default_product)")
	f.StringSliceVar(&req.Services, "service", nil, "service id of the product (repeatable)")
	f.StringVar(&weight, "weight", "", "parcel weight in kg (1,5 or 1.5)")
	f.StringVar(&name, "name", "", "receiver's first and last name")
	f.StringVar(&street, "street", "", "street")
	f.StringVar(&house, "house-number", "", "house number")
	f.StringVar(&req.Receiver.Name3, "name3", "", "address addition (c/o …)")
	f.StringVar(&req.Receiver.PostalCode, "postal-code", "", "postal code")
	f.StringVar(&req.Receiver.City, "city", "", "city")
	f.StringVar(&req.Receiver.Province, "province", "", "province or state (abroad)")
	f.StringVar(&req.Receiver.Country, "country", "", "ISO alpha-3 country code (default DEU)")
	f.StringVar(&req.Receiver.Email, "email", "", "receiver's email (optional)")
	f.StringVar(&packstation, "packstation", "", "Packstation number (with --postnummer)")
	f.StringVar(&shop, "parcel-shop", "", "Postfiliale / Paketshop number (with --postnummer)")
	f.StringVar(&postnummer, "postnummer", "", "the receiver's DHL Postnummer")
	f.StringVar(&req.Printer, "printer", "", "printer for the label (default: franking.printer)")
	f.StringVar(&req.Output, "output", "", "label (print it) or qr (keep the QR code for drop-off)")
	f.BoolVar(&open, "open", false, "open the payment page in the browser")
	f.BoolVar(&wait, "wait", false, "wait until the cart is paid and its label printed")
	f.DurationVar(&timeout, "timeout", 15*time.Minute, "how long --wait waits")
	return c
}

func openPayment(ctx context.Context, app *cliApp, cart apitype.FrankingCart) error {
	l := app.L()
	browser.Stdout, browser.Stderr = io.Discard, io.Discard
	if err := browser.OpenURL(cart.EntryURL); err != nil {
		fmt.Fprintln(app.stdout, l.T("franking.cli.open_failed", "err", err))
		return nil
	}
	if _, err := app.Client().FrankingOpened(ctx, cart.ID); err != nil {
		return err
	}
	fmt.Fprintln(app.stdout, l.T("franking.cli.opened"))
	return nil
}

// waitCart asks the agent to look at the cart every few seconds until it
// is done (or cannot get there by itself).
func waitCart(ctx context.Context, app *cliApp, id string, timeout time.Duration) error {
	l := app.L()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if !app.jsonOut {
		fmt.Fprintln(app.stdout, l.T("franking.cli.waiting"))
	}
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		cart, err := app.Client().RefreshFrankingCart(ctx, id)
		if err != nil {
			return err
		}
		switch cart.State {
		case "done":
			if app.jsonOut {
				return app.printJSON(cart)
			}
			for _, it := range cart.Items {
				if cart.Output == "qr" {
					file := filepath.Join(".", "qr-"+it.PAKID+".png")
					png, err := app.Client().FrankingDocument(ctx, cart.ID, it.PAKID, "qr")
					if err != nil {
						return err
					}
					if err := os.WriteFile(file, png, 0o644); err != nil {
						return err
					}
					fmt.Fprintln(app.stdout, l.T("franking.cli.done_qr", "shipment", it.ShipmentNo, "file", file))
				} else {
					fmt.Fprintln(app.stdout, l.T("franking.cli.done_label", "shipment", it.ShipmentNo, "job", it.JobID))
				}
			}
			return nil
		case "expired", "failed", "unknown":
			if app.jsonOut {
				_ = app.printJSON(cart)
			}
			return fmt.Errorf("%s: %s", l.T("franking.cli.state", "id", cart.ID, "state", cartState(l, cart.State)), cart.Action)
		}
		select {
		case <-ctx.Done():
			if ctx.Err() == context.DeadlineExceeded {
				return i18n.E("franking.cli.timeout", "id", id, "state", cartState(l, cart.State), "timeout", timeout.String())
			}
			return nil // Ctrl+C: stop waiting, the agent carries on
		case <-tick.C:
		}
	}
}

func frankingListCmd(app *cliApp) *cobra.Command {
	var open bool
	var order string
	var limit int
	c := &cobra.Command{
		Use:   "list",
		Short: "List carts, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			carts, err := app.Client().FrankingCarts(cmd.Context(), open, order, limit)
			if err != nil {
				return err
			}
			if app.jsonOut {
				return app.printJSON(apitype.FrankingCartList{Carts: carts})
			}
			l := app.L()
			if len(carts) == 0 {
				fmt.Fprintln(app.stdout, l.T("franking.cli.no_carts"))
				return nil
			}
			t := newTable(app.stdout)
			fmt.Fprintln(t, l.T("franking.cli.list_header"))
			for _, c := range carts {
				var nos []string
				for _, it := range c.Items {
					if it.ShipmentNo != "" {
						nos = append(nos, it.ShipmentNo)
					}
				}
				fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, cartState(l, c.State), c.OrderRef, l.Money(c.TotalCents),
					strings.Join(nos, ","), l.Time(c.Created), short(c.Action, 60))
			}
			return t.Flush()
		},
	}
	c.Flags().BoolVar(&open, "open", false, "only carts still waiting for payment or printing")
	c.Flags().StringVar(&order, "order", "", "only the carts of this order")
	c.Flags().IntVarP(&limit, "limit", "n", 50, "at most this many")
	return c
}

func (app *cliApp) printCart(c apitype.FrankingCart) error {
	if app.jsonOut {
		return app.printJSON(c)
	}
	l := app.L()
	t := newTable(app.stdout)
	row := func(id string, v any) { fmt.Fprintf(t, "%s\t%v\n", l.T(id), v) }
	row("franking.cli.row.cart", c.ID)
	row("franking.cli.row.state", cartState(l, c.State))
	if c.OrderRef != "" {
		row("franking.cli.row.order", c.OrderRef)
	}
	if c.ShoppingCartID != "" {
		row("franking.cli.row.dhl_cart", c.ShoppingCartID)
	}
	row("franking.cli.row.total", l.Money(c.TotalCents))
	if c.EntryURL != "" && c.State == apitype.FrankingCreated {
		row("franking.cli.row.payment_page", c.EntryURL)
	}
	for _, it := range c.Items {
		fmt.Fprintf(t, "%s\t%s\n", l.T("franking.cli.row.parcel", "item", it.ItemID),
			l.T("franking.cli.parcel", "product", it.ProductID, "shipment", it.ShipmentNo, "pakid", it.PAKID, "job", it.JobID))
	}
	if c.Error != "" {
		row("franking.cli.row.error", c.Error)
	}
	if c.Action != "" {
		row("franking.cli.row.action", c.Action)
	}
	if len(c.History) > 0 {
		fmt.Fprintln(t, l.T("franking.cli.row.history"))
	}
	for _, h := range c.History {
		fmt.Fprintf(t, "  %s\t%s\n", l.Time(h.At), strings.TrimSpace(cartState(l, h.State)+" "+h.Note))
	}
	return t.Flush()
}

// cartState is a cart's state in the reader's words.
func cartState(l *i18n.Localizer, s string) string { return codeWord(l, "franking.state.", s) }

func frankingShowCmd(app *cliApp) *cobra.Command {
	return &cobra.Command{
		Use:   "show CART",
		Short: "Show a cart with its parcels and history",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := app.Client().FrankingCart(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return app.printCart(c)
		},
	}
}

func frankingOpenCmd(app *cliApp) *cobra.Command {
	return &cobra.Command{
		Use:   "open CART",
		Short: "Open a cart's payment page in the browser",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := app.Client().FrankingCart(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if c.State != apitype.FrankingCreated {
				return app.printCart(c)
			}
			fmt.Fprintln(app.stdout, app.L().T("franking.cli.pay_at", "url", c.EntryURL))
			return openPayment(cmd.Context(), app, c)
		},
	}
}

func frankingRefreshCmd(app *cliApp) *cobra.Command {
	return &cobra.Command{
		Use:   "refresh CART",
		Short: "Ask DHL now whether the cart is paid (the agent also asks every poll interval)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := app.Client().RefreshFrankingCart(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return app.printCart(c)
		},
	}
}

func frankingReprintCmd(app *cliApp) *cobra.Command {
	return &cobra.Command{
		Use:   "reprint CART",
		Short: "Print a paid cart's labels again",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := app.Client().ReprintFrankingCart(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return app.printCart(c)
		},
	}
}

func frankingDocCmd(app *cliApp) *cobra.Command {
	var out, kind string
	c := &cobra.Command{
		Use:   "document CART PAKID",
		Short: "Save a parcel's label (PDF) or QR code (PNG); -o - writes to standard output",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := app.Client().FrankingDocument(cmd.Context(), args[0], args[1], kind)
			if err != nil {
				return err
			}
			if out == "-" {
				_, err := app.stdout.Write(b)
				return err
			}
			if out == "" {
				ext := ".pdf"
				if kind == "qr" {
					ext = ".png"
				}
				out = kind + "-" + args[1] + ext
			}
			if err := app.writeOutput(out, b); err != nil {
				return err
			}
			if out != "-" {
				fmt.Fprintln(app.stderr, app.L().T("franking.cli.saved", "file", out))
			}
			return nil
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "", "file to write (default KIND-PAKID.pdf/.png; - is standard output)")
	c.Flags().StringVar(&kind, "kind", "qr", "label or qr")
	return c
}
