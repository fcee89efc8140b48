package parcel

import (
	"context"
	"encoding/base64"
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
// names fields). Local problems return address.Errors and no call is made.
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
	res, err := c.call(ctx, transport.Request{
		Method: http.MethodPost, Path: transport.ShippingPath + "/orders", Query: opt.query(),
		JSON: &req, Header: header(opt.Language), Auth: transport.AuthUser,
		// a dry run changes nothing and may be repeated
		Idempotent: opt.Validate,
	}, len(req.Shipments))
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
	}, len(shipmentNos))
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
	}, len(shipmentNos))
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

// call sends req and turns a 200, 207 or 400 answer into per-shipment results.
func (c *Client) call(ctx context.Context, req transport.Request, n int) (*Result, error) {
	resp, err := c.t.Do(ctx, req)
	if err != nil {
		var ae *transport.APIError
		if errors.As(err, &ae) && ae.StatusCode == http.StatusBadRequest {
			var ldr LabelDataResponse
			if json.Unmarshal(ae.Body, &ldr) == nil && len(ldr.Items) > 0 {
				res := newResult(ae.StatusCode, &ldr)
				return res, &RejectedError{APIError: ae, Result: res}
			}
		}
		return nil, err
	}
	var ldr LabelDataResponse
	if err := json.Unmarshal(resp.Body, &ldr); err != nil {
		return nil, fmt.Errorf("%s %s: unreadable answer: %w", req.Method, req.Path, err)
	}
	res := newResult(resp.StatusCode, &ldr)
	if len(res.Shipments) != n {
		return res, fmt.Errorf("%s %s: DHL answered for %d shipments, %d were sent; check each shipment in the business portal before retrying",
			req.Method, req.Path, len(res.Shipments), n)
	}
	return res, nil
}

// RejectedError is a 400 answer that says per shipment what is wrong.
type RejectedError struct {
	*transport.APIError
	Result *Result
}

func (e *RejectedError) Error() string {
	var parts []string
	for _, s := range e.Result.Shipments {
		for _, m := range s.Messages {
			parts = append(parts, fmt.Sprintf("shipment %d: %s", s.Index+1, m))
		}
		if len(s.Messages) == 0 && s.Outcome == OutcomeError {
			parts = append(parts, fmt.Sprintf("shipment %d: %s", s.Index+1, s.Status.Detail))
		}
	}
	return e.APIError.Error() + ": " + strings.Join(parts, "; ")
}

func (e *RejectedError) Unwrap() error { return e.APIError }

// UnmarshalJSON accepts "status" as DHL's object or as a problem document's number.
func (r *LabelDataResponse) UnmarshalJSON(b []byte) error {
	var raw struct {
		Status json.RawMessage `json:"status"`
		Items  []ResponseItem  `json:"items"`
		Title  string          `json:"title"`
		Detail string          `json:"detail"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*r = LabelDataResponse{Items: raw.Items, Title: raw.Title, Detail: raw.Detail}
	if len(raw.Status) > 0 && raw.Status[0] == '{' {
		var st RequestStatus
		if err := json.Unmarshal(raw.Status, &st); err != nil {
			return err
		}
		r.Status = &st
	} else if n, err := strconv.Atoi(string(raw.Status)); err == nil {
		r.Status = &RequestStatus{Title: raw.Title, Status: n, StatusCode: n, Detail: raw.Detail}
	}
	return nil
}

// Outcome of one shipment.
type Outcome int

// Outcomes.
const (
	OutcomeSuccess Outcome = iota // created (or valid), nothing to note
	OutcomeWarning                // created (or valid), with warnings to read
	OutcomeError                  // not created
)

func (o Outcome) String() string {
	switch o {
	case OutcomeSuccess:
		return "ok"
	case OutcomeWarning:
		return "warning"
	}
	return "error"
}

// Message is one finding about a shipment.
type Message struct {
	Field    string // the property DHL names, e.g. shipments[0].consignee.postalCode
	Text     string
	Severity Outcome // OutcomeWarning or OutcomeError
}

func (m Message) String() string {
	sev := "warning"
	if m.Severity == OutcomeError {
		sev = "error"
	}
	if m.Field == "" {
		return sev + ": " + m.Text
	}
	return sev + ": " + m.Field + ": " + m.Text
}

// Label is a document's bytes, decoded.
type Label struct {
	Format      string // ZPL2 or PDF
	PrintFormat string
	Data        []byte // ZPL text or PDF bytes; empty when only URL is set
	URL         string
}

// ShipmentResult is the outcome for one shipment.
type ShipmentResult struct {
	Index             int // position in the request
	Outcome           Outcome
	Status            RequestStatus
	ShipmentNo        string
	ReturnShipmentNo  string
	RoutingCode       string
	ReturnRoutingCode string
	ShipmentRefNo     string
	Label             *Label
	ReturnLabel       *Label
	CustomsDoc        *Label
	CodLabel          *Label
	Messages          []Message
	// DecodeErr is set when a document could not be decoded.
	DecodeErr error
}

// Result is the whole answer.
type Result struct {
	HTTPStatus int
	Status     RequestStatus
	Shipments  []ShipmentResult
}

// Counts returns how many shipments succeeded, succeeded with warnings, failed.
func (r *Result) Counts() (ok, warned, failed int) {
	for _, s := range r.Shipments {
		switch s.Outcome {
		case OutcomeSuccess:
			ok++
		case OutcomeWarning:
			warned++
		default:
			failed++
		}
	}
	return
}

// Partial reports whether some shipments failed and others did not.
func (r *Result) Partial() bool {
	ok, w, f := r.Counts()
	return f > 0 && ok+w > 0
}

// Summary is a one-line account for an operator.
func (r *Result) Summary() string {
	ok, w, f := r.Counts()
	switch {
	case f == 0 && w == 0:
		return fmt.Sprintf("all %d shipments ok", ok)
	case f == 0:
		return fmt.Sprintf("%d shipments ok, %d of them with warnings", ok+w, w)
	case ok+w == 0:
		return fmt.Sprintf("all %d shipments failed", f)
	}
	return fmt.Sprintf("partial success: %d ok, %d with warnings, %d failed", ok, w, f)
}

func newResult(httpStatus int, ldr *LabelDataResponse) *Result {
	res := &Result{HTTPStatus: httpStatus}
	if ldr.Status != nil {
		res.Status = *ldr.Status
	}
	for i, it := range ldr.Items {
		sr := ShipmentResult{
			Index: i, Status: it.SStatus, ShipmentNo: it.ShipmentNo, ReturnShipmentNo: it.ReturnShipmentNo,
			RoutingCode: it.RoutingCode, ReturnRoutingCode: it.ReturnRoutingCode, ShipmentRefNo: it.ShipmentRefNo,
		}
		code := it.SStatus.Code()
		if code == 0 {
			code = httpStatus
		}
		sr.Outcome = OutcomeSuccess
		if code >= 400 {
			sr.Outcome = OutcomeError
		}
		for _, vm := range it.ValidationMessages {
			m := Message{Field: vm.Property, Text: vm.ValidationMessage, Severity: OutcomeWarning}
			if strings.EqualFold(vm.ValidationState, "error") {
				m.Severity = OutcomeError
				sr.Outcome = OutcomeError
			} else if sr.Outcome == OutcomeSuccess {
				sr.Outcome = OutcomeWarning
			}
			sr.Messages = append(sr.Messages, m)
		}
		if it.PropertyPath != "" || it.Message != "" {
			sr.Outcome = OutcomeError
			sr.Messages = append(sr.Messages, Message{Field: it.PropertyPath, Text: it.Message, Severity: OutcomeError})
		}
		if sr.Outcome == OutcomeError && len(sr.Messages) == 0 {
			sr.Messages = append(sr.Messages, Message{Text: firstNonEmpty(it.SStatus.Detail, it.SStatus.Title, "rejected"), Severity: OutcomeError})
		}
		var errs []error
		sr.Label = decodeDoc(it.Label, &errs)
		sr.ReturnLabel = decodeDoc(it.ReturnLabel, &errs)
		sr.CustomsDoc = decodeDoc(it.CustomsDoc, &errs)
		sr.CodLabel = decodeDoc(it.CodLabel, &errs)
		sr.DecodeErr = errors.Join(errs...)
		res.Shipments = append(res.Shipments, sr)
	}
	return res
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func decodeDoc(d *Document, errs *[]error) *Label {
	if d == nil {
		return nil
	}
	l := &Label{Format: d.FileFormat, PrintFormat: d.PrintFormat, URL: d.URL}
	switch {
	case d.ZPL2 != "":
		l.Data = []byte(d.ZPL2)
		if l.Format == "" {
			l.Format = DocFormatZPL2
		}
	case d.B64 != "":
		b, err := base64.StdEncoding.DecodeString(d.B64)
		if err != nil {
			*errs = append(*errs, fmt.Errorf("document is not valid base64: %w", err))
			return l
		}
		l.Data = b
		if l.Format == "" {
			l.Format = DocFormatPDF
		}
	}
	return l
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
