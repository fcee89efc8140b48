package client

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labelagent/labelagent/agent/apitype"
)

// DHL Online Franking: the agent's /api/v1/franking endpoints.

// FrankingProducts returns the cached product catalog, narrowed by search
// text, destination (ISO alpha-3) and weight (0: any).
func (c *Client) FrankingProducts(ctx context.Context, search, destination string, weightGrams int) (apitype.FrankingCatalog, error) {
	q := url.Values{}
	if search != "" {
		q.Set("search", search)
	}
	if destination != "" {
		q.Set("destination", destination)
	}
	if weightGrams > 0 {
		q.Set("weight_grams", strconv.Itoa(weightGrams))
	}
	var out apitype.FrankingCatalog
	err := c.Do(ctx, http.MethodGet, "/franking/products", q, nil, "", &out)
	return out, err
}

// SyncFrankingCatalog fetches the catalog from DHL now.
func (c *Client) SyncFrankingCatalog(ctx context.Context) (apitype.FrankingCatalog, error) {
	var out apitype.FrankingCatalog
	err := c.postJSON(ctx, "/franking/catalog/sync", nil, &out)
	return out, err
}

// CreateFrankingCart prepares a cart. The same idempotency key (or order
// reference) returns the first cart with Existing set.
func (c *Client) CreateFrankingCart(ctx context.Context, req apitype.FrankingCartRequest) (apitype.FrankingCartResponse, error) {
	var out apitype.FrankingCartResponse
	err := c.postJSON(ctx, "/franking/carts", req, &out)
	return out, err
}

// FrankingCarts lists carts, newest first; open limits to those still
// waiting for payment or printing.
func (c *Client) FrankingCarts(ctx context.Context, open bool, orderRef string, limit int) ([]apitype.FrankingCart, error) {
	q := url.Values{}
	if open {
		q.Set("open", "1")
	}
	if orderRef != "" {
		q.Set("order_ref", orderRef)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out apitype.FrankingCartList
	err := c.Do(ctx, http.MethodGet, "/franking/carts", q, nil, "", &out)
	return out.Carts, err
}

// FrankingCart returns one cart.
func (c *Client) FrankingCart(ctx context.Context, id string) (apitype.FrankingCart, error) {
	var out apitype.FrankingCart
	err := c.Do(ctx, http.MethodGet, "/franking/carts/"+url.PathEscape(id), nil, nil, "", &out)
	return out, err
}

// FrankingOpened records that the operator opened the payment page.
func (c *Client) FrankingOpened(ctx context.Context, id string) (apitype.FrankingCart, error) {
	var out apitype.FrankingCart
	err := c.postJSON(ctx, "/franking/carts/"+url.PathEscape(id)+"/opened", nil, &out)
	return out, err
}

// RefreshFrankingCart asks DHL now whether the cart is paid (and prints it
// if so).
func (c *Client) RefreshFrankingCart(ctx context.Context, id string) (apitype.FrankingCart, error) {
	var out apitype.FrankingCart
	err := c.postJSON(ctx, "/franking/carts/"+url.PathEscape(id)+"/refresh", nil, &out)
	return out, err
}

// ReprintFrankingCart prints a paid cart's labels again.
func (c *Client) ReprintFrankingCart(ctx context.Context, id string) (apitype.FrankingCart, error) {
	var out apitype.FrankingCart
	err := c.postJSON(ctx, "/franking/carts/"+url.PathEscape(id)+"/reprint", nil, &out)
	return out, err
}

// FrankingDocument returns a parcel's label (kind "label", PDF) or QR code
// (kind "qr", PNG).
func (c *Client) FrankingDocument(ctx context.Context, id, pakID, kind string) ([]byte, error) {
	resp, err := c.send(ctx, http.MethodGet, "/franking/carts/"+url.PathEscape(id)+"/documents/"+url.PathEscape(pakID)+"/"+url.PathEscape(kind), nil, nil, "", true)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(io.LimitReader(resp.Body, 32<<20))
}
