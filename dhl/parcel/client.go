package parcel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labelagent/labelagent/dhl/transport"
)

// Client calls the Shipping v2 API.
type Client struct {
	t   *transport.Client
	now func() time.Time
}

// New returns a Shipping v2 client over t.
func New(t *transport.Client) *Client { return &Client{t: t, now: time.Now} }

// SetClock replaces the clock (for shipDate checks in tests).
func (c *Client) SetClock(now func() time.Time) { c.now = now }

// CreateOptions are the query parameters of POST /orders.
type CreateOptions struct {
	// Validate makes the call a dry run: nothing is created or billed.
	Validate bool
	// DocFormat is ZPL2 or PDF (default PDF).
	DocFormat string
	// PrintFormat and RetourePrintFormat name the label stock; empty: the
	// account's setting.
	PrintFormat        string
	RetourePrintFormat string
	// Combine puts label and return label in one document (API default true).
	Combine *bool
	// AllowUnencodable sends mustEncode=false: German addresses that cannot
	// be routed are then labelled anyway (with a warning), and billed. By
	// default mustEncode=true is sent.
	AllowUnencodable bool
	// IncludeDocs is include (default) or URL.
	IncludeDocs string
	// Language is de-DE or en-US for DHL's messages.
	Language string
	// SkipLocalChecks sends the request without checking it here first, to
	// let DHL judge it (diagnosis; DHL's answer still names the fields).
	SkipLocalChecks bool
}

func (o CreateOptions) check() error {
	var errs []error
	if o.DocFormat != "" && o.DocFormat != DocFormatZPL2 && o.DocFormat != DocFormatPDF {
		errs = append(errs, fmt.Errorf("docFormat %q is neither ZPL2 nor PDF", o.DocFormat))
	}
	for _, f := range []struct{ name, v string }{{"printFormat", o.PrintFormat}, {"retourePrintFormat", o.RetourePrintFormat}} {
		if f.v != "" && !contains(PrintFormats, f.v) {
			errs = append(errs, fmt.Errorf("%s %q is not one of %s", f.name, f.v, strings.Join(PrintFormats, ", ")))
		}
	}
	if o.DocFormat == DocFormatZPL2 && o.PrintFormat != "" && !contains(ThermalPrintFormats, o.PrintFormat) {
		errs = append(errs, fmt.Errorf("printFormat %s is a laser format; ZPL2 labels exist for %s", o.PrintFormat, strings.Join(ThermalPrintFormats, ", ")))
	}
	if o.IncludeDocs != "" && o.IncludeDocs != IncludeDocsInclude && o.IncludeDocs != IncludeDocsURL {
		errs = append(errs, fmt.Errorf("includeDocs %q is neither include nor URL", o.IncludeDocs))
	}
	return errors.Join(errs...)
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

func (o CreateOptions) query() url.Values {
	q := url.Values{}
	if o.Validate {
		q.Set("validate", "true")
	}
	q.Set("mustEncode", strconv.FormatBool(!o.AllowUnencodable))
	if o.DocFormat != "" {
		q.Set("docFormat", o.DocFormat)
	}
	if o.PrintFormat != "" {
		q.Set("printFormat", o.PrintFormat)
	}
	if o.RetourePrintFormat != "" {
		q.Set("retourePrintFormat", o.RetourePrintFormat)
	}
	if o.Combine != nil {
		q.Set("combine", strconv.FormatBool(*o.Combine))
	}
	if o.IncludeDocs != "" {
		q.Set("includeDocs", o.IncludeDocs)
	}
	return q
}

func header(lang string) http.Header {
	if lang == "" {
		return nil
	}
	return http.Header{"Accept-Language": {lang}}
}

// berlin is the zone shipDate is counted in; a fixed CET offset is good
// enough where tzdata is missing.
var berlin = func() *time.Location {
	if l, err := time.LoadLocation("Europe/Berlin"); err == nil {
		return l
	}
	return time.FixedZone("CET", 3600)
}()

// CreateOrders checks req locally, then creates (or with opt.Validate
// checks) its shipments. The result has one entry per shipment in request
// order, also when err is not nil but DHL answered per shipment (a 400 that
// names fields: *RejectedError). A 200 or 207 answer returns a nil error
// even when some shipments failed: read each shipment's Outcome (or
// Result.Err). Local problems return address.Errors and no call is made.
func (c *Client) CreateOrders(ctx context.Context, req ShipmentOrderRequest, opt CreateOptions) (*Result, error) {
	if req.Profile == "" {
		req.Profile = c.t.Config().Profile
	}
	req.Normalize()
	if err := opt.check(); err != nil {
		return nil, err
	}
	if !opt.SkipLocalChecks {
		if err := req.Validate(c.now().In(berlin)); err != nil {
			return nil, err
		}
	}
	op := OpCreate
	if opt.Validate {
		op = OpValidate
	}
	res, err := c.call(ctx, transport.Request{
		Method: http.MethodPost, Path: transport.ShippingPath + "/orders", Query: opt.query(),
		JSON: &req, Header: header(opt.Language), Auth: transport.AuthUser,
		// a dry run changes nothing and may be repeated
		Idempotent: opt.Validate,
	}, op, len(req.Shipments), nil)
	var ae *transport.APIError
	if err != nil && res == nil && !opt.Validate && !errors.Is(err, transport.ErrNotSent) && (!errors.As(err, &ae) || ae.StatusCode >= 500) {
		// The order may have been carried out although the answer is
		// missing or an error: sending it again could create and bill the
		// shipments twice.
		return nil, fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
	}
	return res, err
}

// ErrOutcomeUnknown marks a create call whose answer was lost or was a
// server error: the shipments may exist. Look for them (business portal,
// references) before sending the order again.
var ErrOutcomeUnknown = errors.New("the shipments may have been created although DHL's answer was lost or failed; check before sending again")

// LabelOptions are the query parameters of GET /orders (reprint).
type LabelOptions struct {
	DocFormat          string
	PrintFormat        string
	RetourePrintFormat string
	IncludeDocs        string
	Combine            *bool
	Language           string
}

// GetLabels fetches the documents of shipments not yet closed out again.
func (c *Client) GetLabels(ctx context.Context, shipmentNos []string, opt LabelOptions) (*Result, error) {
	if err := checkNumbers(shipmentNos); err != nil {
		return nil, err
	}
	co := CreateOptions{DocFormat: opt.DocFormat, PrintFormat: opt.PrintFormat, RetourePrintFormat: opt.RetourePrintFormat, IncludeDocs: opt.IncludeDocs, Combine: opt.Combine}
	if err := co.check(); err != nil {
		return nil, err
	}
	q := co.query()
	q.Del("mustEncode")
	q["shipment"] = shipmentNos
	return c.call(ctx, transport.Request{
		Method: http.MethodGet, Path: transport.ShippingPath + "/orders", Query: q,
		Header: header(opt.Language), Auth: transport.AuthUser, Idempotent: true,
	}, OpLabels, len(shipmentNos), shipmentNos)
}

// Cancel deletes shipments before the daily closeout. profile "" uses the
// configured one.
func (c *Client) Cancel(ctx context.Context, profile string, shipmentNos ...string) (*Result, error) {
	if err := checkNumbers(shipmentNos); err != nil {
		return nil, err
	}
	if profile == "" {
		profile = c.t.Config().Profile
	}
	q := url.Values{"profile": {profile}, "shipment": shipmentNos}
	return c.call(ctx, transport.Request{
		Method: http.MethodDelete, Path: transport.ShippingPath + "/orders", Query: q,
		Auth: transport.AuthUser, Idempotent: true,
	}, OpCancel, len(shipmentNos), shipmentNos)
}

func checkNumbers(nos []string) error {
	switch {
	case len(nos) == 0:
		return errors.New("no shipment number given")
	case len(nos) > MaxShipments:
		return fmt.Errorf("%d shipment numbers; at most %d per call", len(nos), MaxShipments)
	}
	for i, n := range nos {
		nos[i] = strings.TrimSpace(n)
		if nos[i] == "" || len(nos[i]) > 50 {
			return fmt.Errorf("shipment number %q is not valid", n)
		}
	}
	return nil
}

// Version returns the API's version information.
func (c *Client) Version(ctx context.Context) (*ServiceInformation, error) {
	resp, err := c.t.Do(ctx, transport.Request{Method: http.MethodGet, Path: transport.ShippingPath + "/", Auth: transport.AuthNone, Idempotent: true})
	if err != nil {
		return nil, err
	}
	var si ServiceInformation
	if err := json.Unmarshal(resp.Body, &si); err != nil {
		return nil, fmt.Errorf("version: unreadable answer: %w", err)
	}
	return &si, nil
}
