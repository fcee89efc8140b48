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
		Use:  "franking",
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(frankingProductsCmd(app), frankingSyncCmd(app), frankingCreateCmd(app), frankingListCmd(app),
		frankingShowCmd(app), frankingOpenCmd(app), frankingRefreshCmd(app), frankingReprintCmd(app), frankingDocCmd(app))
	return cmd
}

func frankingProductsCmd(app *cliApp) *cobra.Command {
	var search, to, weight string
	c := &cobra.Command{
		Use:  "products",
		Args: cobra.NoArgs,
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
	c.Flags().StringVar(&search, "search", "", "")
	c.Flags().StringVar(&to, "to", "", "")
	c.Flags().StringVar(&weight, "weight", "", "")
	return c
}

func frankingSyncCmd(app *cliApp) *cobra.Command {
	return &cobra.Command{
		Use:  "sync",
		Args: cobra.NoArgs,
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
		return 0, usage(i18n.E("franking.cli.bad_weight", "value", s))
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
		Use:  "create",
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
	f.StringVar(&req.OrderRef, "order", "", "")
	f.StringVar(&req.IdempotencyKey, "key", "", "")
	f.StringVar(&req.ProductID, "product", "", "")
	f.StringSliceVar(&req.Services, "service", nil, "")
	f.StringVar(&weight, "weight", "", "")
	f.StringVar(&name, "name", "", "")
	f.StringVar(&street, "street", "", "")
	f.StringVar(&house, "house-number", "", "")
	f.StringVar(&req.Receiver.Name3, "name3", "", "")
	f.StringVar(&req.Receiver.PostalCode, "postal-code", "", "")
	f.StringVar(&req.Receiver.City, "city", "", "")
	f.StringVar(&req.Receiver.Province, "province", "", "")
	f.StringVar(&req.Receiver.Country, "country", "", "")
	f.StringVar(&req.Receiver.Email, "email", "", "")
	f.StringVar(&packstation, "packstation", "", "")
	f.StringVar(&shop, "parcel-shop", "", "")
	f.StringVar(&postnummer, "postnummer", "", "")
	f.StringVar(&req.Printer, "printer", "", "")
	f.StringVar(&req.Output, "output", "", "")
	f.BoolVar(&open, "open", false, "")
	f.BoolVar(&wait, "wait", false, "")
	f.DurationVar(&timeout, "timeout", 15*time.Minute, "")
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
		Use:  "list",
		Args: cobra.NoArgs,
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
	c.Flags().BoolVar(&open, "open", false, "")
	c.Flags().StringVar(&order, "order", "", "")
	c.Flags().IntVarP(&limit, "limit", "n", 50, "")
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
		fmt.Fprintf(t, "  %s\t%s\t%s\n", l.Time(h.At), cartState(l, h.State), h.Note)
	}
	return t.Flush()
}

// cartState is a cart's state in the reader's words.
func cartState(l *i18n.Localizer, s string) string { return codeWord(l, "franking.state.", s) }

func frankingShowCmd(app *cliApp) *cobra.Command {
	return &cobra.Command{
		Use:  "show CART",
		Args: cobra.ExactArgs(1),
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
		Use:  "open CART",
		Args: cobra.ExactArgs(1),
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
		Use:  "refresh CART",
		Args: cobra.ExactArgs(1),
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
		Use:  "reprint CART",
		Args: cobra.ExactArgs(1),
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
		Use:  "document CART PAKID",
		Args: cobra.ExactArgs(2),
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
	c.Flags().StringVarP(&out, "output", "o", "", "")
	c.Flags().StringVar(&kind, "kind", "qr", "")
	return c
}
