package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labelagent/labelagent/agent/apitype"
)

// DHL shipments: the agent's /api/v1/shipments, /api/v1/returns and
// /api/v1/dayend endpoints.

// resultCall sends in as JSON and decodes the answer into out also when the
// status says a shipment was not created (202 outcome unknown, 207, 4xx/5xx
// with a shipment result): the caller gets the record and DHL's words. The
// error is then an *APIError for the shipment's own error.
func (c *Client) resultCall(ctx context.Context, method, path string, in, out any) (int, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, err
		}
		body = bytes.NewReader(b)
	}
	u := url.URL{Scheme: "http", Host: c.addr(), Path: "/api/v1" + path}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.Lang != "" {
		req.Header.Set("Accept-Language", c.Lang)
	}
	key, err := c.apiKey()
	if err != nil {
		return 0, err
	}
	req.Header.Set(apitype.HeaderAPIKey, key)
	resp, err := c.httpClient().Do(req)
	if err != nil {
		if isRefused(err) {
			return 0, &NotRunningError{Addr: c.addr(), Err: err}
		}
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("read labelagent's answer to %s %s: %w", method, path, err)
	}
	// A shipment result or batch result carries its own errors.
	var probe struct {
		Shipment *json.RawMessage `json:"shipment"`
		Results  *json.RawMessage `json:"results"`
	}
	if json.Unmarshal(data, &probe) == nil && (probe.Shipment != nil || probe.Results != nil) {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("read labelagent's answer to %s %s: %w", method, path, err)
		}
		return resp.StatusCode, nil
	}
	if resp.StatusCode >= 400 {
		var e apitype.Error
		if json.Unmarshal(data, &e) != nil || e.Message == "" {
			e = apitype.Error{Status: resp.StatusCode, Code: "http_" + strconv.Itoa(resp.StatusCode), Message: string(bytes.TrimSpace(data))}
		}
		return resp.StatusCode, &APIError{Status: resp.StatusCode, Code: e.Code, Message: e.Message, ID: e.ID, Args: e.Args}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return resp.StatusCode, fmt.Errorf("read labelagent's answer to %s %s: %w", method, path, err)
	}
	return resp.StatusCode, nil
}

func resultErr(r apitype.ShipmentResult) error {
	if r.Error == nil {
		return nil
	}
	return &APIError{Status: r.Error.Status, Code: r.Error.Code, Message: r.Error.Message, ID: r.Error.ID, Args: r.Error.Args}
}

// CreateShipment asks the agent for the shipment and label of one order.
// The result always carries the journal's record when one was made; its
// error (also returned) says why the shipment was not created: refused by
// DHL (code shipment_refused, DHL's words in the message and the record's
// messages) or outcome unknown (code outcome_unknown, the record's Action
// says what to do).
func (c *Client) CreateShipment(ctx context.Context, req apitype.ShipmentCreateRequest) (apitype.ShipmentResult, error) {
	var r apitype.ShipmentResult
	if _, err := c.resultCall(ctx, http.MethodPost, "/shipments", req, &r); err != nil {
		return r, err
	}
	return r, resultErr(r)
}

// CreateShipments creates up to 30 shipments in one call to DHL; each has
// its own result, in order.
func (c *Client) CreateShipments(ctx context.Context, req apitype.ShipmentBatchRequest) (apitype.ShipmentBatchResult, error) {
	var r apitype.ShipmentBatchResult
	_, err := c.resultCall(ctx, http.MethodPost, "/shipments/batch", req, &r)
	return r, err
}

// ValidateShipments asks DHL to check orders without creating anything.
func (c *Client) ValidateShipments(ctx context.Context, req apitype.ShipmentValidateRequest) ([]apitype.ShipmentValidation, error) {
	var l apitype.ShipmentValidationList
	err := c.postJSON(ctx, "/shipments/validate", req, &l)
	return l.Results, err
}

// ShipmentsQuery filters Shipments.
type ShipmentsQuery struct {
	Day      string // YYYY-MM-DD or "today"
	State    apitype.ShipmentState
	OrderRef string
	Kind     string
	Limit    int
	Before   string
}

// Shipments lists the journal, newest first.
func (c *Client) Shipments(ctx context.Context, f ShipmentsQuery) ([]apitype.Shipment, error) {
	q := url.Values{}
	for k, v := range map[string]string{"day": f.Day, "state": string(f.State), "order_ref": f.OrderRef, "kind": f.Kind, "before": f.Before} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var l apitype.ShipmentList
	err := c.Do(ctx, http.MethodGet, "/shipments", q, nil, "", &l)
	return l.Shipments, err
}

// Shipment returns one shipment with its history; ref is the journal id,
// DHL's shipment number or the order reference (its newest shipment).
func (c *Client) Shipment(ctx context.Context, ref string) (apitype.Shipment, error) {
	var s apitype.Shipment
	err := c.Do(ctx, http.MethodGet, "/shipments/"+url.PathEscape(ref), nil, nil, "", &s)
	return s, err
}

// ShipmentDocument returns a stored document (label, return_label,
// customs, cod, qr) of a shipment.
func (c *Client) ShipmentDocument(ctx context.Context, ref, kind string) ([]byte, error) {
	return c.raw(ctx, "/shipments/"+url.PathEscape(ref)+"/documents/"+url.PathEscape(kind), nil)
}

func (c *Client) raw(ctx context.Context, path string, q url.Values) ([]byte, error) {
	resp, err := c.send(ctx, http.MethodGet, path, q, nil, "", true)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(io.LimitReader(resp.Body, 64<<20))
}

func (c *Client) shipAction(ctx context.Context, ref, action string, in any) (apitype.Shipment, error) {
	var s apitype.Shipment
	err := c.postJSON(ctx, "/shipments/"+url.PathEscape(ref)+"/"+action, in, &s)
	return s, err
}

// ReprintShipment prints a shipment's label (or another stored document)
// again; printer "" is the one it printed on.
func (c *Client) ReprintShipment(ctx context.Context, ref, document, printer string) (apitype.Shipment, error) {
	return c.shipAction(ctx, ref, "reprint", map[string]string{"document": document, "printer": printer})
}

// CancelShipment cancels a shipment at DHL before the day's end.
func (c *Client) CancelShipment(ctx context.Context, ref string) (apitype.Shipment, error) {
	return c.shipAction(ctx, ref, "cancel", nil)
}

// ResolveShipment settles a shipment of unknown outcome.
func (c *Client) ResolveShipment(ctx context.Context, ref string, req apitype.ShipmentResolveRequest) (apitype.Shipment, error) {
	return c.shipAction(ctx, ref, "resolve", req)
}

// TrackShipment asks DHL's tracking for the shipment's status now.
func (c *Client) TrackShipment(ctx context.Context, ref string) (apitype.Shipment, error) {
	return c.shipAction(ctx, ref, "track", nil)
}

// ReturnShipment makes (or returns the existing) return label for a shipment.
func (c *Client) ReturnShipment(ctx context.Context, ref string, req apitype.ReturnRequest) (apitype.ShipmentResult, error) {
	var r apitype.ShipmentResult
	if _, err := c.resultCall(ctx, http.MethodPost, "/shipments/"+url.PathEscape(ref)+"/return", req, &r); err != nil {
		return r, err
	}
	return r, resultErr(r)
}

// CreateReturn makes a return label for an address (req.Order).
func (c *Client) CreateReturn(ctx context.Context, req apitype.ReturnRequest) (apitype.ShipmentResult, error) {
	var r apitype.ShipmentResult
	if _, err := c.resultCall(ctx, http.MethodPost, "/returns", req, &r); err != nil {
		return r, err
	}
	return r, resultErr(r)
}

// DayEnd closes out the day's shipments at DHL, stores and prints the
// manifest and reconciles DHL's list with the journal.
func (c *Client) DayEnd(ctx context.Context, req apitype.DayEndRequest) (apitype.DayEnd, error) {
	var d apitype.DayEnd
	err := c.postJSON(ctx, "/dayend", req, &d)
	return d, err
}

// DayEnds lists the closeouts, newest first.
func (c *Client) DayEnds(ctx context.Context) ([]apitype.DayEnd, error) {
	var l apitype.DayEndList
	err := c.Do(ctx, http.MethodGet, "/dayend", nil, nil, "", &l)
	return l.DayEnds, err
}

// GetDayEnd returns a closeout with its shipments.
func (c *Client) GetDayEnd(ctx context.Context, id string) (apitype.DayEnd, error) {
	var d apitype.DayEnd
	err := c.Do(ctx, http.MethodGet, "/dayend/"+url.PathEscape(id), nil, nil, "", &d)
	return d, err
}

// DayEndManifest returns the stored manifest PDF of a closeout.
func (c *Client) DayEndManifest(ctx context.Context, id string) ([]byte, error) {
	return c.raw(ctx, "/dayend/"+url.PathEscape(id)+"/manifest", nil)
}

// DayEndCSV returns the shipments of a closeout as CSV.
func (c *Client) DayEndCSV(ctx context.Context, id string) ([]byte, error) {
	return c.raw(ctx, "/dayend/"+url.PathEscape(id)+"/csv", nil)
}

// ExportShipments returns the shipments of a day (YYYY-MM-DD, "" today) as CSV.
func (c *Client) ExportShipments(ctx context.Context, day string) ([]byte, error) {
	q := url.Values{}
	if day != "" {
		q.Set("day", day)
	}
	return c.raw(ctx, "/shipments/export", q)
}

// ReturnLocations lists the account's return receivers (the agent asks DHL).
func (c *Client) ReturnLocations(ctx context.Context, country, postalCode, receiver, billing string) ([]apitype.ReturnLocation, error) {
	q := url.Values{}
	for k, v := range map[string]string{"country": country, "postal_code": postalCode, "receiver": receiver, "billing_number": billing} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var out apitype.ReturnLocationList
	err := c.Do(ctx, http.MethodGet, "/returns/locations", q, nil, "", &out)
	return out.Locations, err
}

// TrackNumber tracks a number the agent's journal does not hold; the agent
// asks DHL within its rate limit and daily quota.
func (c *Client) TrackNumber(ctx context.Context, number, postalCode, service, language string) ([]apitype.Shipment, error) {
	q := url.Values{"number": {number}}
	for k, v := range map[string]string{"postal_code": postalCode, "service": service, "language": language} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var out apitype.ShipmentList
	err := c.Do(ctx, http.MethodGet, "/track", q, nil, "", &out)
	return out.Shipments, err
}
