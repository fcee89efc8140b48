//go:build tray

package ui

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
)

// pendingBuy is a purchase whose answer never came (the agent stopped,
// the request timed out): buying the same again reuses its key, so the
// agent's journal answers with that purchase instead of buying twice.
type pendingBuy struct {
	Key      string `json:"key"`
	Product  int    `json:"product"`
	Quantity int    `json:"quantity"`
}

// startService asks the service manager to start the agent's service and
// shows what came of it; the model reconnects once it answers.
func (w *Window) startService() {
	l := w.m.L()
	w.StartSvc.Disable()
	w.SvcOut.SetText(l.T("tray.service.starting"))
	w.SvcOut.Show()
	go func() {
		msg, err := w.m.StartService(context.Background())
		if err != nil {
			msg = ErrorText(l, err)
		}
		w.do(func() {
			w.SvcOut.SetText(msg)
			w.SvcOut.Show()
			w.StartSvc.Enable()
		})
	}()
}

// buyDialog reads the price list, asks for product and quantity, confirms
// the total and buys through the agent.
func (w *Window) buyDialog() {
	l := w.m.L()
	w.BuyB.Disable()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		products, err := w.m.StampProducts(ctx)
		w.do(func() {
			w.BuyB.Enable()
			if err != nil || len(products) == 0 {
				if err == nil {
					err = errors.New("–")
				}
				w.PurchOut.SetText(l.T("tray.buy.no_products", "error", ErrorText(l, err)))
				return
			}
			w.showBuyForm(products)
		})
	}()
}

func (w *Window) showBuyForm(products []apitype.StampProduct) {
	l := w.m.L()
	names := make([]string, len(products))
	chosen := 0
	for i, p := range products {
		names[i] = ProductText(l, p)
		if p.Default {
			chosen = i
		}
	}
	sel := widget.NewSelect(names, nil)
	sel.SetSelectedIndex(chosen)
	qty := widget.NewEntry()
	qty.SetText("1")
	qty.Validator = func(s string) error {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err != nil || n < 1 || n > 100 {
			return errors.New(l.T("tray.buy.bad_quantity"))
		}
		return nil
	}
	items := []*widget.FormItem{widget.NewFormItem(l.T("tray.buy.product_label"), sel), widget.NewFormItem(l.T("tray.buy.quantity_label"), qty)}
	d := dialog.NewForm(l.T("tray.buy.title"), l.T("tray.buy.ok"), l.T("tray.buy.cancel"), items, func(ok bool) {
		if !ok || sel.SelectedIndex() < 0 {
			return
		}
		p := products[sel.SelectedIndex()]
		n, _ := strconv.Atoi(strings.TrimSpace(qty.Text))
		total := l.Money(int64(p.PriceCents) * int64(n))
		w.confirm(l.T("tray.buy.title"), l.T("tray.buy.confirm", "quantity", n, "product", apitype.Printable(p.Name), "total", total), func() {
			w.buy(p.Code, n)
		})
	}, w.W)
	d.Resize(fyne.NewSize(480, 0))
	d.Show()
}

// buy buys n stamps of product through the agent and says what came of it.
func (w *Window) buy(product, n int) {
	l := w.m.L()
	if b := w.h.vs.BuyKey; b.Key == "" || b.Product != product || b.Quantity != n {
		w.h.vs.BuyKey = pendingBuy{Key: NewPurchaseKey(), Product: product, Quantity: n}
	}
	key := w.h.vs.BuyKey.Key
	w.h.report(false) // the key reaches the tray before the money is asked for
	w.PurchOut.SetText(l.T("tray.buy.buying"))
	w.BuyB.Disable()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		p, err := w.m.BuyStamps(ctx, key, product, n)
		text := ""
		var ae *client.APIError
		switch {
		case err == nil:
			text = BoughtText(l, p)
		default:
			text = l.T("tray.action_failed", "error", ErrorText(l, err))
		}
		w.do(func() {
			// Only an answer from the agent settles the purchase; without
			// one the next "buy" of the same asks again under this key.
			if err == nil || errors.As(err, &ae) && ae.Status < 500 {
				w.h.vs.BuyKey = pendingBuy{}
			}
			w.PurchOut.SetText(text)
			w.BuyB.Enable()
		})
	}()
}
