package client

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labelagent/labelagent/agent/apitype"
)

// INTERNETMARKE: the agent's /api/v1/stamps endpoints.

func (c *Client) postJSON(ctx context.Context, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	return c.Do(ctx, http.MethodPost, path, nil, body, "application/json", out)
}

// StampBalance returns the Portokasse balance; refresh asks Deutsche Post
// instead of using the figure of the last login or purchase.
func (c *Client) StampBalance(ctx context.Context, refresh bool) (apitype.StampBalance, error) {
	var b apitype.StampBalance
	var q url.Values
	if refresh {
		q = url.Values{"refresh": {"1"}}
	}
	err := c.Do(ctx, http.MethodGet, "/stamps/balance", q, nil, "", &b)
	return b, err
}

// StampProducts returns the price list.
func (c *Client) StampProducts(ctx context.Context) ([]apitype.StampProduct, error) {
	var l apitype.StampProductList
	err := c.Do(ctx, http.MethodGet, "/stamps/products", nil, nil, "", &l)
	return l.Products, err
}

// StampFormats returns the page formats for PDF stamps.
func (c *Client) StampFormats(ctx context.Context) ([]apitype.StampPageFormat, error) {
	var l apitype.StampFormatList
	err := c.Do(ctx, http.MethodGet, "/stamps/formats", nil, nil, "", &l)
	return l.Formats, err
}

// StampPreview fetches a free preview.
func (c *Client) StampPreview(ctx context.Context, req apitype.StampPreviewRequest) (apitype.StampPreview, error) {
	var p apitype.StampPreview
	err := c.postJSON(ctx, "/stamps/preview", req, &p)
	return p, err
}

// BuyStamps buys and prints stamps. Give an idempotency key so that a
// retried call cannot buy twice. A purchase whose outcome is not known yet
// comes back with Pending set; the agent finishes it.
func (c *Client) BuyStamps(ctx context.Context, req apitype.StampBuyRequest) (apitype.StampPurchase, error) {
	var p apitype.StampPurchase
	err := c.postJSON(ctx, "/stamps/purchases", req, &p)
	return p, err
}

// StampPurchases lists purchases, newest first (only open ones if open).
func (c *Client) StampPurchases(ctx context.Context, open bool, limit int) ([]apitype.StampPurchase, error) {
	q := url.Values{}
	if open {
		q.Set("open", "1")
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var l apitype.StampPurchaseList
	err := c.Do(ctx, http.MethodGet, "/stamps/purchases", q, nil, "", &l)
	return l.Purchases, err
}

// StampPurchase returns one purchase.
func (c *Client) StampPurchase(ctx context.Context, id string) (apitype.StampPurchase, error) {
	var p apitype.StampPurchase
	err := c.Do(ctx, http.MethodGet, "/stamps/purchases/"+url.PathEscape(id), nil, nil, "", &p)
	return p, err
}

// StampFile returns stamp file n (a PNG per voucher, or the PDF) of a purchase.
func (c *Client) StampFile(ctx context.Context, id string, n int) ([]byte, error) {
	resp, err := c.send(ctx, http.MethodGet, "/stamps/purchases/"+url.PathEscape(id)+"/files/"+strconv.Itoa(n), nil, nil, "", true)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(io.LimitReader(resp.Body, 64<<20))
}

// RefundStamps asks Deutsche Post to refund a purchase that will not be used.
func (c *Client) RefundStamps(ctx context.Context, id string) (apitype.StampPurchase, error) {
	var p apitype.StampPurchase
	err := c.postJSON(ctx, "/stamps/purchases/"+url.PathEscape(id)+"/refund", nil, &p)
	return p, err
}

// ReprintStamps prints a purchase's stamps again.
func (c *Client) ReprintStamps(ctx context.Context, id string) (apitype.StampPurchase, error) {
	var p apitype.StampPurchase
	err := c.postJSON(ctx, "/stamps/purchases/"+url.PathEscape(id)+"/reprint", nil, &p)
	return p, err
}

// RetryStamps tries a refused purchase again (after a top-up, say) under
// the same shop order, so it can never be charged twice.
func (c *Client) RetryStamps(ctx context.Context, id string) (apitype.StampPurchase, error) {
	var p apitype.StampPurchase
	err := c.postJSON(ctx, "/stamps/purchases/"+url.PathEscape(id)+"/retry", nil, &p)
	return p, err
}

// TopUpPortokasse charges the Portokasse by amountCents from the SEPA
// mandate. This moves real money: call it only after the operator confirmed.
func (c *Client) TopUpPortokasse(ctx context.Context, amountCents int) (apitype.StampTopUp, error) {
	var t apitype.StampTopUp
	err := c.postJSON(ctx, "/stamps/topup", apitype.StampTopUpRequest{AmountCents: amountCents, Confirm: true}, &t)
	return t, err
}
