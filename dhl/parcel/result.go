package parcel

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/labelagent/labelagent/dhl/transport"
)

// Op is what a call asked of DHL; it words the batch summary.
type Op int

// Operations of POST, GET and DELETE /orders.
const (
	OpCreate   Op = iota + 1 // POST /orders
	OpValidate               // POST /orders?validate=true
	OpCancel                 // DELETE /orders
	OpLabels                 // GET /orders (reprint)
)

func (o Op) String() string {
	switch o {
	case OpCreate:
		return "create"
	case OpValidate:
		return "validate"
	case OpCancel:
		return "cancel"
	case OpLabels:
		return "labels"
	}
	return "unknown"
}

// Outcome of one shipment.
type Outcome int

// Outcomes. Only a shipment whose own status (sstatus) is 200 succeeds.
const (
	OutcomeSuccess Outcome = iota // done (created, valid, cancelled, fetched), nothing to note
	OutcomeWarning                // done, with messages to read
	OutcomeError                  // not done; Reason and Problem say why
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

// OK reports whether the shipment was done (with or without warnings).
func (o Outcome) OK() bool { return o == OutcomeSuccess || o == OutcomeWarning }

// Problem is this client's reason, as a code, why a shipment is not ok; the
// words an operator reads are chosen by the caller (the agent's catalog has
// them as dhl.problem.<code>, the summary as dhl.summary.<op>). DHL's own
// words are in ShipmentResult.Reason and Messages.
type Problem string

// Problems.
const (
	ProblemNone Problem = ""
	// ProblemRefused: DHL's status for this shipment is not 200 (e.g. 400
	// Bad Request, 204 UnknownShipmentNumber, 206 GeneralShipmentError).
	ProblemRefused Problem = "refused"
	// ProblemSchema: DHL refused the request because fields of this shipment
	// break the schema (400 with propertyPath items; see Messages).
	ProblemSchema Problem = "schema"
	// ProblemBatchRefused: DHL refused the whole request for errors of other
	// shipments or of the request itself; this shipment was not processed.
	ProblemBatchRefused Problem = "batch_refused"
	// ProblemNoStatus: DHL's item for this shipment carries no status.
	ProblemNoStatus Problem = "no_status"
	// ProblemNotAnswered: DHL's answer has no item for this shipment.
	ProblemNotAnswered Problem = "not_answered"
	// ProblemNoLabel: DHL reports success but sent no label (create, reprint).
	ProblemNoLabel Problem = "no_label"
	// ProblemBadDocument: a document in the answer cannot be decoded
	// (DecodeErr says which); the operator has no usable label.
	ProblemBadDocument Problem = "bad_document"
)

// String is an English account of the problem, for logs and callers without
// a catalog.
func (p Problem) String() string {
	switch p {
	case ProblemNone:
		return ""
	case ProblemRefused:
		return "refused by DHL"
	case ProblemSchema:
		return "the request breaks DHL's schema"
	case ProblemBatchRefused:
		return "not processed: DHL refused the whole request"
	case ProblemNoStatus:
		return "DHL's answer has no status for this shipment"
	case ProblemNotAnswered:
		return "DHL's answer says nothing about this shipment"
	case ProblemNoLabel:
		return "DHL sent no label"
	case ProblemBadDocument:
		return "DHL's label cannot be decoded"
	}
	return string(p)
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

// Usable reports whether the document can be printed or downloaded.
func (l *Label) Usable() bool { return l != nil && (len(l.Data) > 0 || l.URL != "") }

// ShipmentResult is the outcome for one shipment.
type ShipmentResult struct {
	Index   int // position in the request
	Outcome Outcome
	// Problem is the code for why the shipment is not ok (empty when ok).
	Problem Problem
	// Reason is DHL's own words for a shipment that is not ok: its status's
	// detail or title, or the schema findings that name it.
	Reason string
	// Created reports that DHL created the shipment (create only: its status
	// is 200 and it has a number) — also when its label is missing or broken,
	// so the shipment exists and is billed unless cancelled.
	Created           bool
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

// HasLabel reports whether a usable shipping label came with the shipment.
func (s ShipmentResult) HasLabel() bool { return s.Label.Usable() }

// Result is the whole answer.
type Result struct {
	Op         Op
	HTTPStatus int
	// Status is DHL's status of the whole answer; its Detail is DHL's own
	// summary, e.g. "1 of 2 shipments successfully created.".
	Status    RequestStatus
	Shipments []ShipmentResult
	// Messages are DHL's findings that name no shipment sent (e.g. a schema
	// error of the request itself).
	Messages []Message
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

// Succeeded returns how many shipments were done (with or without warnings).
func (r *Result) Succeeded() int {
	ok, w, _ := r.Counts()
	return ok + w
}

// OK reports whether every shipment was done.
func (r *Result) OK() bool {
	_, _, f := r.Counts()
	return f == 0 && len(r.Shipments) > 0
}

// Partial reports whether some shipments failed and others did not.
func (r *Result) Partial() bool {
	ok, w, f := r.Counts()
	return f > 0 && ok+w > 0
}

// Summary is a one-line account worded as DHL words its own ("1 of 2
// shipments successfully created."), counted from the shipments' outcomes.
// It agrees with DHL's Status.Detail unless this client found a shipment
// DHL calls done unusable (a label that does not decode).
func (r *Result) Summary() string {
	n := len(r.Shipments)
	noun := "shipments"
	if n == 1 {
		noun = "shipment"
	}
	verb := map[Op]string{OpCreate: "successfully created", OpValidate: "validated OK", OpCancel: "successfully canceled", OpLabels: "with documents retrieved"}[r.Op]
	if verb == "" {
		verb = "ok"
	}
	return fmt.Sprintf("%d of %d %s %s.", r.Succeeded(), n, noun, verb)
}

// Err returns nil when every shipment was done, else a *ShipmentsError that
// names each failed shipment with DHL's words.
func (r *Result) Err() error {
	if r.OK() {
		return nil
	}
	return &ShipmentsError{Result: r}
}

// ShipmentsError says which shipments of an answer were not done.
type ShipmentsError struct{ Result *Result }

func (e *ShipmentsError) Error() string {
	return "DHL: " + e.Result.Summary() + " " + describeFailures(e.Result)
}

// describeFailures lists the failed shipments with DHL's words.
func describeFailures(r *Result) string {
	var parts []string
	for _, s := range r.Shipments {
		if s.Outcome.OK() {
			continue
		}
		who := fmt.Sprintf("shipment %d", s.Index+1)
		if s.ShipmentNo != "" {
			who += " (" + s.ShipmentNo + ")"
		}
		why := s.Reason
		if why == "" {
			why = s.Problem.String()
		} else if s.Problem == ProblemBadDocument || s.Problem == ProblemNoLabel {
			why = s.Problem.String() + ": " + why
		}
		if s.DecodeErr != nil {
			why += ": " + s.DecodeErr.Error()
		}
		parts = append(parts, who+": "+why)
	}
	for _, m := range r.Messages {
		parts = append(parts, m.Field+": "+m.Text)
	}
	return strings.Join(parts, "; ")
}

// RejectedError is a 400 answer that says per shipment what is wrong.
type RejectedError struct {
	*transport.APIError
	Result *Result
}

func (e *RejectedError) Error() string {
	d := describeFailures(e.Result)
	if d == "" {
		return e.APIError.Error()
	}
	return e.APIError.Error() + " — " + d
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

// call sends req and turns a 200, 207 or 400 answer into one result per
// shipment sent (n; nos are the numbers of a cancel or reprint).
func (c *Client) call(ctx context.Context, req transport.Request, op Op, n int, nos []string) (*Result, error) {
	resp, err := c.t.Do(ctx, req)
	if err != nil {
		var ae *transport.APIError
		if errors.As(err, &ae) && ae.StatusCode == http.StatusBadRequest {
			var ldr LabelDataResponse
			if json.Unmarshal(ae.Body, &ldr) == nil && len(ldr.Items) > 0 {
				res := newResult(op, ae.StatusCode, &ldr, n, nos)
				return res, &RejectedError{APIError: ae, Result: res}
			}
		}
		return nil, err
	}
	var ldr LabelDataResponse
	if err := json.Unmarshal(resp.Body, &ldr); err != nil {
		return nil, fmt.Errorf("%s %s: unreadable answer: %w", req.Method, req.Path, err)
	}
	res := newResult(op, resp.StatusCode, &ldr, n, nos)
	if len(ldr.Items) != n {
		return res, fmt.Errorf("%s %s: DHL answered for %d shipments, %d were sent; check each shipment in the business portal before retrying",
			req.Method, req.Path, len(ldr.Items), n)
	}
	return res, nil
}

// shipmentIndex finds "shipments[3]" (or "shipments.3") in a property path.
var shipmentIndex = regexp.MustCompile(`^shipments(?:\[(\d+)\]|\.(\d+))`)

// isSchemaItem tells a schema finding ({propertyPath, message}) from a
// shipment's item (which always carries sstatus).
func isSchemaItem(it ResponseItem) bool {
	return (it.PropertyPath != "" || it.Message != "") && it.SStatus.Code() == 0 && it.SStatus.Title == ""
}

// newResult maps DHL's items onto the n shipments sent: items with a status
// by their position (or DHL's requestIndex), schema findings by the index in
// their propertyPath.
func newResult(op Op, httpStatus int, ldr *LabelDataResponse, n int, nos []string) *Result {
	res := &Result{Op: op, HTTPStatus: httpStatus, Shipments: make([]ShipmentResult, n)}
	if ldr.Status != nil {
		res.Status = *ldr.Status
	}
	if res.Status.Title == "" && res.Status.Detail == "" {
		res.Status.Title, res.Status.Detail = ldr.Title, ldr.Detail
	}
	answered := make([]bool, n)
	schema := make([][]Message, n)
	anySchema := false
	pos := 0
	byRequestIndex := numbered(ldr.Items, n, func(it ResponseItem) int { return it.RequestIndex })
	bySequence := numbered(ldr.Items, n, func(it ResponseItem) int { return it.SequenceNumber })
	for _, it := range ldr.Items {
		if isSchemaItem(it) {
			anySchema = true
			m := Message{Field: it.PropertyPath, Text: it.Message, Severity: OutcomeError}
			if i, ok := pathIndex(it.PropertyPath); ok && i < n {
				schema[i] = append(schema[i], m)
			} else {
				res.Messages = append(res.Messages, m)
			}
			continue
		}
		i := pos
		pos++
		switch {
		case byRequestIndex:
			i = it.RequestIndex - 1
		case bySequence:
			i = it.SequenceNumber - 1
		}
		if i >= n || answered[i] {
			continue // DHL answered for more shipments than were sent; call reports it
		}
		answered[i] = true
		res.Shipments[i] = itemResult(op, httpStatus, it, n)
	}
	for i := range res.Shipments {
		sr := &res.Shipments[i]
		sr.Index = i
		if sr.ShipmentNo == "" && i < len(nos) {
			sr.ShipmentNo = nos[i]
		}
		if len(schema[i]) > 0 {
			sr.Messages = append(sr.Messages, schema[i]...)
			if !answered[i] || sr.Outcome.OK() {
				sr.Outcome, sr.Problem, sr.Created = OutcomeError, ProblemSchema, false
				sr.Reason = joinMessages(schema[i])
			}
			continue
		}
		if answered[i] {
			continue
		}
		sr.Outcome = OutcomeError
		if anySchema || (httpStatus == http.StatusBadRequest && len(res.Messages) > 0) {
			sr.Problem = ProblemBatchRefused
			sr.Reason = firstNonEmpty(res.Status.Detail, res.Status.Title)
			if len(res.Messages) > 0 {
				sr.Reason = strings.TrimRight(sr.Reason, ".: ") + ": " + joinMessages(res.Messages)
			}
		} else {
			sr.Problem = ProblemNotAnswered
		}
	}
	return res
}

// numbered reports whether the answer's items with a status carry their
// own request numbers (from 1) — all of them, each once, none beyond n —
// so that they can be placed by them rather than by position.
func numbered(items []ResponseItem, n int, num func(ResponseItem) int) bool {
	seen := map[int]bool{}
	for _, it := range items {
		if isSchemaItem(it) {
			continue
		}
		k := num(it)
		if k < 1 || k > n || seen[k] {
			return false
		}
		seen[k] = true
	}
	return len(seen) > 0
}

func pathIndex(p string) (int, bool) {
	m := shipmentIndex.FindStringSubmatch(p)
	if m == nil {
		return 0, false
	}
	i, err := strconv.Atoi(m[1] + m[2])
	return i, err == nil
}

func joinMessages(ms []Message) string {
	var parts []string
	for _, m := range ms {
		if m.Field != "" {
			parts = append(parts, m.Field+": "+m.Text)
		} else {
			parts = append(parts, m.Text)
		}
	}
	return strings.Join(parts, "; ")
}

// itemResult judges one shipment by its own status: only 200 is success.
func itemResult(op Op, httpStatus int, it ResponseItem, n int) ShipmentResult {
	sr := ShipmentResult{
		Status: it.SStatus, ShipmentNo: string(it.ShipmentNo), ReturnShipmentNo: string(it.ReturnShipmentNo),
		RoutingCode: it.RoutingCode, ReturnRoutingCode: it.ReturnRoutingCode, ShipmentRefNo: it.ShipmentRefNo,
	}
	for _, vm := range it.ValidationMessages {
		m := Message{Field: vm.Property, Text: vm.ValidationMessage, Severity: OutcomeWarning}
		if strings.EqualFold(vm.ValidationState, "error") {
			m.Severity = OutcomeError
		}
		sr.Messages = append(sr.Messages, m)
	}
	if it.PropertyPath != "" || it.Message != "" {
		sr.Messages = append(sr.Messages, Message{Field: it.PropertyPath, Text: it.Message, Severity: OutcomeError})
	}
	code := it.SStatus.Code()
	if code == 0 && httpStatus == http.StatusOK && n == 1 {
		code = http.StatusOK // a single answer of 200 without an item status
	}
	switch {
	case code == http.StatusOK:
		sr.Outcome = OutcomeSuccess
		if len(sr.Messages) > 0 {
			sr.Outcome = OutcomeWarning
		}
		sr.Created = op == OpCreate && sr.ShipmentNo != ""
	case code == 0:
		sr.Outcome, sr.Problem = OutcomeError, ProblemNoStatus
	default:
		sr.Outcome, sr.Problem = OutcomeError, ProblemRefused
		sr.Reason = statusReason(it.SStatus, sr.Messages)
	}
	var errs []error
	sr.Label = decodeDoc(it.Label, &errs, "label")
	sr.ReturnLabel = decodeDoc(it.ReturnLabel, &errs, "return label")
	sr.CustomsDoc = decodeDoc(it.CustomsDoc, &errs, "customs document")
	sr.CodLabel = decodeDoc(it.CodLabel, &errs, "COD label")
	sr.DecodeErr = errors.Join(errs...)
	if sr.Outcome.OK() {
		switch {
		case sr.DecodeErr != nil:
			sr.Outcome, sr.Problem = OutcomeError, ProblemBadDocument
		case (op == OpCreate || op == OpLabels) && !sr.HasLabel():
			sr.Outcome, sr.Problem = OutcomeError, ProblemNoLabel
		}
	}
	return sr
}

// statusReason picks DHL's words for a refused shipment: the status detail,
// else its title; a bare "Bad Request" gives way to the findings.
func statusReason(st RequestStatus, ms []Message) string {
	r := firstNonEmpty(st.Detail, st.Title)
	generic := r == "" || strings.EqualFold(r, http.StatusText(st.Code())) || strings.EqualFold(r, "Bad Request")
	if generic && len(ms) > 0 {
		return joinMessages(ms)
	}
	if r == "" {
		return fmt.Sprintf("status %d", st.Code())
	}
	return r
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// decodeDoc decodes a document and checks that it is what it says: a PDF
// starts with %PDF, a ZPL label has ^XA. what names it in errors.
func decodeDoc(d *Document, errs *[]error, what string) *Label {
	if d == nil {
		return nil
	}
	l := &Label{Format: firstNonEmpty(d.FileFormat, d.Format), PrintFormat: d.PrintFormat, URL: d.URL}
	switch {
	case d.ZPL2 != "":
		l.Data = []byte(d.ZPL2)
		if l.Format == "" {
			l.Format = DocFormatZPL2
		}
		if !hasXA(l.Data) {
			*errs = append(*errs, fmt.Errorf("%s: the ZPL has no ^XA (no label format in it)", what))
			l.Data = nil
		}
	case d.B64 != "":
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(d.B64))
		if err != nil {
			*errs = append(*errs, fmt.Errorf("%s is not valid base64: %w", what, err))
			return l
		}
		if l.Format == "" {
			l.Format = DocFormatPDF
		}
		switch {
		case strings.EqualFold(l.Format, DocFormatZPL2) && hasXA(b):
		case bytes.HasPrefix(bytes.TrimLeft(b, "\x00\r\n\t "), []byte("%PDF-")):
		default:
			*errs = append(*errs, fmt.Errorf("%s: the decoded %s is not a %s document", what, l.Format, l.Format))
			return l
		}
		l.Data = b
	}
	return l
}

// hasXA reports whether ZPL text starts a label format (^XA, any case).
func hasXA(b []byte) bool {
	return bytes.Contains(b, []byte("^XA")) || bytes.Contains(b, []byte("^xa"))
}
