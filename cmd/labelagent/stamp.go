package main

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
	im "github.com/labelagent/labelagent/dhl/internetmarke"
)

// newStampCmd is "labelagent stamp": INTERNETMARKE postage through the
// running agent, whose purchase journal makes buying safe.
func newStampCmd(app *cliApp) *cobra.Command {
	cmd := &cobra.Command{
		Use:  "stamp",
		Args: cobra.NoArgs,
	}

	var refresh bool
	balance := &cobra.Command{
		Use:  "balance",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := app.Client().StampBalance(cmd.Context(), refresh)
			if err != nil {
				return err
			}
			if app.jsonOut {
				return app.printJSON(b)
			}
			app.say("cli.stamp_balance", "balance", app.L().Money(int64(b.Cents)), "ago", app.ago(b.At))
			return nil
		},
	}
	balance.Flags().BoolVar(&refresh, "refresh", false, "")

	products := &cobra.Command{
		Use:  "products",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ps, err := app.Client().StampProducts(cmd.Context())
			if err != nil {
				return err
			}
			if app.jsonOut {
				return app.printJSON(apitype.StampProductList{Products: ps})
			}
			t := newTable(app.stdout)
			fmt.Fprintln(t, app.T("cli.stamp.products_header"))
			for _, p := range ps {
				def := ""
				if p.Default {
					def = app.T("cli.stamp.default")
				}
				fmt.Fprintf(t, "%d\t%s\t%s\t%s\n", p.Code, p.Name, app.L().Money(int64(p.PriceCents)), def)
			}
			return t.Flush()
		},
	}

	formats := &cobra.Command{
		Use:  "formats",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fs, err := app.Client().StampFormats(cmd.Context())
			if err != nil {
				return err
			}
			if app.jsonOut {
				return app.printJSON(apitype.StampFormatList{Formats: fs})
			}
			t := newTable(app.stdout)
			fmt.Fprintln(t, app.T("cli.stamp.formats_header"))
			for _, lp := range []bool{true, false} {
				for _, f := range fs {
					if (f.PageType == "LABELPRINTER") != lp {
						continue
					}
					l := app.L()
					fmt.Fprintf(t, "%d\t%s\t%s\t%s\t%d\t%s\n", f.ID, codeWord(l, "stamp.page_type.", strings.ToLower(f.PageType)),
						sizeMM(l, f.WidthMM, f.HeightMM), yesNo(l, f.AddressPossible), f.LabelsPerPage, f.Name)
				}
			}
			return t.Flush()
		},
	}

	var pv apitype.StampPreviewRequest
	var pvOut string
	preview := &cobra.Command{
		Use:  "preview",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := app.Client().StampPreview(cmd.Context(), pv)
			if err != nil {
				return err
			}
			out := pvOut
			if out == "" {
				out = "stamp-preview." + p.Kind
			}
			if err := app.writeOutput(out, p.Data); err != nil {
				return err
			}
			if out != "-" {
				return app.emit(SavedJSON{File: out}, func(io.Writer) error { app.say("cli.saved", "file", out); return nil })
			}
			return nil
		},
	}
	preview.Flags().IntVar(&pv.Product, "product", 0, "")
	preview.Flags().StringVar(&pv.Layout, "layout", "", "")
	preview.Flags().StringVar(&pv.Format, "format", "", "")
	preview.Flags().Var(stampDPI{&pv.DPI}, "dpi", "")
	preview.Flags().IntVar(&pv.PageFormat, "page-format", 0, "")
	preview.Flags().StringVarP(&pvOut, "output", "o", "", "")

	var br apitype.StampBuyRequest
	var to stampAddressFlags
	buy := &cobra.Command{
		Use:  "buy",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if br.IdempotencyKey == "" {
				var b [8]byte
				_, _ = rand.Read(b[:])
				br.IdempotencyKey = "cli-" + hex.EncodeToString(b[:])
				app.note("cli.stamp.key_made", "key", br.IdempotencyKey)
			}
			br.Receiver = to.address()
			p, err := app.Client().BuyStamps(cmd.Context(), br)
			if err != nil {
				return err
			}
			if err := app.printPurchase(p); err != nil {
				return err
			}
			if p.Pending {
				return i18n.E("cli.stamp.pending", "id", p.ID)
			}
			return nil
		},
	}
	bf := buy.Flags()
	bf.StringVar(&br.IdempotencyKey, "key", "", "idempotency key, e.g. the order number")
	bf.IntVar(&br.Product, "product", 0, "product code (default: the configured one)")
	bf.IntVar(&br.Quantity, "quantity", 1, "number of stamps")
	bf.StringVar(&br.Layout, "layout", "", "ADDRESS_ZONE or FRANKING_ZONE (default: ADDRESS_ZONE with --to-name, else the configured one)")
	bf.StringVar(&br.Format, "format", "", "png (best for thermal printers) or pdf")
	bf.Var(stampDPI{&br.DPI}, "dpi", "printer resolution: 203 or 300 (default: the printer's)")
	bf.IntVar(&br.PageFormat, "page-format", 0, "page format id for PDF stamps")
	bf.StringVarP(&br.Printer, "printer", "p", "", "printer (default: the configured stamp printer)")
	bf.StringVar(&br.Reference, "reference", "", "note for the operator, e.g. the order number")
	to.register(buy)

	var listOpen bool
	var listLimit int
	list := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ps, err := app.Client().StampPurchases(cmd.Context(), listOpen, listLimit)
			if err != nil {
				return err
			}
			if app.jsonOut {
				return app.printJSON(apitype.StampPurchaseList{Purchases: ps})
			}
			if len(ps) == 0 {
				app.say("cli.stamp.none")
				return nil
			}
			t := newTable(app.stdout)
			fmt.Fprintln(t, app.T("cli.stamp.list_header"))
			for _, p := range ps {
				note := p.Error
				if note == "" {
					note = p.PrintError
				}
				fmt.Fprintf(t, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", p.ID, codeWord(app.L(), "tray.purchase_state.", p.State), short(p.ProductName, 24), p.Quantity, app.L().Money(int64(p.TotalCents)), p.ShopOrderID, app.ago(p.Created), short(note, 60))
			}
			return t.Flush()
		},
	}
	list.Flags().BoolVar(&listOpen, "open", false, "")
	list.Flags().IntVarP(&listLimit, "limit", "n", 20, "")

	show := &cobra.Command{
		Use:  "show ID",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := app.Client().StampPurchase(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return app.printPurchase(p)
		},
	}

	var refundYes bool
	refund := &cobra.Command{
		Use:  "refund ID",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !refundYes {
				p, err := app.Client().StampPurchase(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				ok, err := app.confirm(app.T("cli.stamp.refund_ask", "qty", p.Quantity, "product", p.ProductName, "total", app.L().Money(int64(p.TotalCents))))
				if err != nil || !ok {
					return err
				}
			}
			p, err := app.Client().RefundStamps(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return app.printPurchase(p)
		},
	}
	refund.Flags().BoolVarP(&refundYes, "yes", "y", false, "")

	reprint := &cobra.Command{
		Use:  "reprint ID",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := app.Client().ReprintStamps(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return app.printPurchase(p)
		},
	}
	retry := &cobra.Command{
		Use:  "retry ID",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := app.Client().RetryStamps(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return app.printPurchase(p)
		},
	}

	var fileOut string
	var fileN int
	file := &cobra.Command{
		Use:  "file ID",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := app.Client().StampFile(cmd.Context(), args[0], fileN)
			if err != nil {
				return err
			}
			out := fileOut
			if out == "" {
				ext := "png"
				if strings.HasPrefix(string(data), "%PDF") {
					ext = "pdf"
				}
				out = fmt.Sprintf("stamp-%s-%d.%s", args[0], fileN, ext)
			}
			if err := app.writeOutput(out, data); err != nil {
				return err
			}
			if out != "-" {
				return app.emit(SavedJSON{File: out}, func(io.Writer) error { app.say("cli.saved", "file", out); return nil })
			}
			return nil
		},
	}
	file.Flags().IntVar(&fileN, "index", 0, "")
	file.Flags().StringVarP(&fileOut, "output", "o", "", "")

	var topYes bool
	topup := &cobra.Command{
		Use:  "topup AMOUNT",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			amount, err := im.ParseCents(args[0])
			if err != nil {
				// ParseCents's own words are English: say it in the reader's.
				return &usageError{i18n.E("cli.stamp.bad_amount", "value", args[0])}
			}
			if amount < 1 {
				return i18n.E("cli.stamp.amount_min", "min", app.L().Money(1))
			}
			if !topYes {
				ok, err := app.confirm(app.T("cli.stamp.topup_ask", "amount", app.L().Money(int64(amount))))
				if err != nil || !ok {
					return err
				}
			}
			t, err := app.Client().TopUpPortokasse(cmd.Context(), int(amount))
			if err != nil {
				return err
			}
			if app.jsonOut {
				return app.printJSON(t)
			}
			balance := t.Balance
			if t.BalanceCents != nil {
				balance = app.L().Money(int64(*t.BalanceCents))
			}
			app.say("cli.stamp.topped_up", "amount", app.L().Money(int64(amount)), "order", t.ShopOrderID, "balance", balance)
			return nil
		},
	}
	topup.Flags().BoolVarP(&topYes, "yes", "y", false, "")

	cmd.AddCommand(balance, products, formats, preview, buy, list, show, refund, reprint, retry, file, topup)
	return cmd
}

// confirm asks a yes/no question on the terminal; anything but yes is no.
func (app *cliApp) confirm(question string) (bool, error) {
	fmt.Fprintf(app.stderr, "%s %s ", question, app.T("cli.confirm_choices"))
	line, err := bufio.NewReader(app.stdin).ReadString('\n')
	if err != nil && line == "" {
		return false, i18n.E("cli.confirm_none")
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes", "j", "ja":
		return true, nil
	}
	app.note("cli.confirm_cancelled")
	return false, nil
}

type stampAddressFlags struct {
	name, name2, street, street2, zip, city, country string
}

func (f *stampAddressFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.name, "to-name", "", "")
	fl.StringVar(&f.name2, "to-name2", "", "")
	fl.StringVar(&f.street, "to-street", "", "")
	fl.StringVar(&f.street2, "to-street2", "", "")
	fl.StringVar(&f.zip, "to-postal-code", "", "")
	fl.StringVar(&f.city, "to-city", "", "")
	fl.StringVar(&f.country, "to-country", "DEU", "")
}

// address is the receiver given by the flags, nil without any. The agent
// checks it and says what is wrong in the reader's language.
func (f *stampAddressFlags) address() *apitype.StampAddress {
	if f.name == "" && f.street == "" && f.zip == "" && f.city == "" {
		return nil
	}
	a := &apitype.StampAddress{Name: f.name, AdditionalName: f.name2, AddressLine1: f.street, AddressLine2: f.street2,
		PostalCode: f.zip, City: f.city, Country: strings.ToUpper(f.country)}
	return a
}

func (app *cliApp) printPurchase(p apitype.StampPurchase) error {
	if app.jsonOut {
		return app.printJSON(p)
	}
	l := app.L()
	t := newTable(app.stdout)
	row := func(id string, v any) { fmt.Fprintf(t, "%s\t%v\n", l.T(id), v) }
	row("cli.stamp.purchase", p.ID)
	row("cli.stamp.state", codeWord(l, "tray.purchase_state.", p.State))
	row("cli.stamp.product", fmt.Sprintf("%d× %s (%d)", p.Quantity, p.ProductName, p.Product))
	row("cli.stamp.total", l.Money(int64(p.TotalCents)))
	if p.ShopOrderID != "" {
		row("cli.stamp.order", p.ShopOrderID)
	}
	for _, v := range p.Vouchers {
		line := v.VoucherID
		if v.TrackID != "" {
			line += " (" + l.T("cli.stamp.track", "id", v.TrackID) + ")"
		}
		row("cli.stamp.voucher", line)
	}
	if p.Printer != "" {
		row("cli.stamp.printer", p.Printer)
	}
	if p.Reference != "" {
		row("cli.stamp.reference", p.Reference)
	}
	row("cli.stamp.prints", p.Prints)
	if p.Error != "" {
		row("cli.stamp.error", p.Error)
	}
	if p.Retryable {
		fmt.Fprintf(t, "\t%s\n", l.T("cli.stamp.retryable", "id", p.ID))
	}
	if p.PrintError != "" {
		row("cli.stamp.print_error", p.PrintError)
	}
	if p.ShopRetoureID != "" {
		row("cli.stamp.refund", p.ShopRetoureID)
	}
	row("cli.stamp.created", l.Time(p.Created))
	return t.Flush()
}

// SavedJSON is the --json answer of a command that wrote a file.
type SavedJSON struct {
	File string `json:"file"`
}

// stampDPI takes --dpi as everywhere else (203, 300) and sends
// INTERNETMARKE's names for it (DPI203, DPI300).
type stampDPI struct{ v *string }

func (d stampDPI) String() string {
	if d.v == nil {
		return ""
	}
	return strings.TrimPrefix(*d.v, "DPI")
}

func (d stampDPI) Set(s string) error {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "203", "DPI203":
		*d.v = im.DPI203
	case "300", "DPI300":
		*d.v = im.DPI300
	default:
		return i18n.E("cli.bad_value", "flag", "--dpi", "value", s, "allowed", []string{"203", "300"})
	}
	return nil
}

func (stampDPI) Type() string { return "dpi" }
