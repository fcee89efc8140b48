package client

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labelagent/labelagent/agent/apitype"
)

// ImportOrders sends orders as JSON or CSV (contentType text/csv).
func (c *Client) ImportOrders(ctx context.Context, data []byte, contentType string) (apitype.OrderImportResult, error) {
	var out apitype.OrderImportResult
	err := c.Do(ctx, http.MethodPost, "/orders", nil, bytes.NewReader(data), contentType, &out)
	return out, err
}

// Orders lists orders, newest first; open: only those without a label.
func (c *Client) Orders(ctx context.Context, open bool, limit int) ([]apitype.Order, error) {
	q := url.Values{}
	if open {
		q.Set("open", "1")
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out apitype.OrderList
	err := c.Do(ctx, http.MethodGet, "/orders", q, nil, "", &out)
	return out.Orders, err
}

// Order returns one order.
func (c *Client) Order(ctx context.Context, ref string) (apitype.Order, error) {
	var out apitype.Order
	err := c.Do(ctx, http.MethodGet, "/orders/"+url.PathEscape(ref), nil, nil, "", &out)
	return out, err
}

// Scan scans an order at the packing station.
func (c *Client) Scan(ctx context.Context, req apitype.ScanRequest) (apitype.ScanResult, error) {
	var out apitype.ScanResult
	err := c.postJSON(ctx, "/scan", req, &out)
	return out, err
}

// TestRules tells which rule an order gets, and why.
func (c *Client) TestRules(ctx context.Context, o apitype.Order, weightGrams int) (apitype.RulesTest, error) {
	var out apitype.RulesTest
	body, err := json.Marshal(o)
	if err != nil {
		return out, err
	}
	var q url.Values
	if weightGrams > 0 {
		q = url.Values{"weight_grams": {strconv.Itoa(weightGrams)}}
	}
	err = c.Do(ctx, http.MethodPost, "/rules/test", q, bytes.NewReader(body), "application/json", &out)
	return out, err
}

// Scale returns the scale's current weight.
func (c *Client) Scale(ctx context.Context) (apitype.ScaleReading, error) {
	var out apitype.ScaleReading
	err := c.Do(ctx, http.MethodGet, "/scale", nil, nil, "", &out)
	return out, err
}
