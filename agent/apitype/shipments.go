package apitype

import (
	"encoding/json"
	"time"
)

// DHL shipment wire types: the control API's /api/v1/shipments and
// /api/v1/dayend endpoints, used by the CLI ("labelagent ship …"), the tray,
// the browser API and the packing workflow.

// Error codes of the shipment endpoints.
const (
	CodeShipmentNotConfigured = "shipment_not_configured" // no dhl: section
	CodeShipmentRefused       = "shipment_refused"        // DHL refused; nothing was created
	CodeOutcomeUnknown        = "outcome_unknown"         // DHL's answer was lost; the shipment may exist
)

// ShipmentState is where a shipment stands with DHL.
type ShipmentState string

// Shipment states.
//
//	requested ─► created ─► closed
//	    │           │
//	    ▼           ▼
//	failed /     cancelled
//	unknown ─(operator resolves)─► created | failed
const (
	ShipmentRequested ShipmentState = "requested" // recorded; the call to DHL is under way
	ShipmentUnknown   ShipmentState = "unknown"   // DHL's answer was lost: the shipment may exist
	ShipmentFailed    ShipmentState = "failed"    // DHL refused it; nothing was created or billed
	ShipmentCreated   ShipmentState = "created"   // DHL created it; its documents are stored
	ShipmentCancelled ShipmentState = "cancelled" // cancelled before the closeout; not billed
	ShipmentClosed    ShipmentState = "closed"    // closed out (manifested) at the day's end
)

// Valid reports whether s is a known state.
func (s ShipmentState) Valid() bool {
	switch s {
	case ShipmentRequested, ShipmentUnknown, ShipmentFailed, ShipmentCreated, ShipmentCancelled, ShipmentClosed:
		return true
	}
	return false
}

// Live reports whether a shipment in state s stands for its order: another
// request for the same order returns it instead of creating a new one.
func (s ShipmentState) Live() bool {
	switch s {
	case ShipmentRequested, ShipmentUnknown, ShipmentCreated, ShipmentClosed:
		return true
	}
	return false
}

// Shipment kinds.
const (
	ShipmentKindOutbound = "shipment" // a parcel to a customer (Shipping v2)
	ShipmentKindReturn   = "return"   // a return label for a customer (Returns v1)
)

// What the operator can do about a shipment (Shipment.ActionID).
const (
	ShipmentActionResolve = "resolve" // outcome unknown: look in DHL's portal, then resolve
	ShipmentActionRetry   = "retry"   // refused before DHL created anything: send the same request again
	ShipmentActionFix     = "fix"     // refused: correct the order and send it again
	ShipmentActionRefetch = "refetch" // created without a usable label: reprint fetches it, or cancel
	ShipmentActionReprint = "reprint" // printing failed: reprint the stored documents
)

// ShipmentCreateRequest asks the agent for the label of one order.
//
// Order is a Shipping v2 shipment as DHL defines it (product, consignee,
// details, services, customs …); empty billing number and shipper are filled
// in from the dhl: section of the configuration.
type ShipmentCreateRequest struct {
	// OrderRef is the shop's order reference; a second request for an order
	// that already has a live shipment returns that shipment.
	OrderRef string `json:"order_ref,omitempty"`
	// IdempotencyKey makes a request safe to send again (a retry after a
	// lost answer returns the first result). Also taken from the
	// Idempotency-Key header. At least one of order_ref and idempotency_key.
	IdempotencyKey string          `json:"idempotency_key,omitempty"`
	Order          json.RawMessage `json:"order"`
	// NewShipment creates a further shipment for an order that already has
	// one (a second parcel). It needs an idempotency key.
	NewShipment bool `json:"new_shipment,omitempty"`
	// Print sends the label to the printer (default true; false: only store).
	Print   *bool  `json:"print,omitempty"`
	Printer string `json:"printer,omitempty"`
	// Reprint prints the label of an existing shipment again when the
	// request finds one (a scan of an order that was labelled before).
	Reprint bool `json:"reprint,omitempty"`
	// DocFormat ZPL2 or PDF; empty: ZPL2 for 203 dpi printers, else PDF.
	DocFormat   string `json:"doc_format,omitempty"`
	PrintFormat string `json:"print_format,omitempty"`
	// AllowUnencodable labels German addresses DHL cannot route (mustEncode=false).
	AllowUnencodable bool `json:"allow_unencodable,omitempty"`
}

// ShipmentValidateRequest checks orders with DHL without creating anything.
type ShipmentValidateRequest struct {
	Orders []json.RawMessage `json:"orders"`
}

// ShipmentValidation is DHL's verdict on one order of a validation.
type ShipmentValidation struct {
	Index    int               `json:"index"`
	Valid    bool              `json:"valid"`
	Messages []ShipmentMessage `json:"messages,omitempty"`
}

// ShipmentValidationList answers a validation.
type ShipmentValidationList struct {
	Results []ShipmentValidation `json:"results"`
}

// ShipmentBatchRequest creates several shipments in one call to DHL (at most 30).
type ShipmentBatchRequest struct {
	Shipments []ShipmentCreateRequest `json:"shipments"`
}

// ShipmentBatchResult is the outcome of a batch: one entry per request, in
// order. The HTTP status is 207 when the outcomes differ.
type ShipmentBatchResult struct {
	Results []ShipmentResult `json:"results"`
}

// ShipmentResult is one request's outcome.
type ShipmentResult struct {
	Shipment Shipment `json:"shipment"`
	// Existing: the request found a shipment made before (same key or order).
	Existing bool `json:"existing,omitempty"`
	// Additional: a further shipment for an order that had one (new_shipment).
	Additional bool `json:"additional,omitempty"`
	// Error is why this shipment was not created, in DHL's words.
	Error *Error `json:"error,omitempty"`
}

// ShipmentMessage is a finding of DHL about a shipment.
type ShipmentMessage struct {
	Field    string `json:"field,omitempty"` // JSON path, as DHL names it
	Text     string `json:"text"`
	Severity string `json:"severity"` // error or warning
	// FieldText names the field in the reader's language (our own checks
	// only; DHL's messages keep DHL's field path).
	FieldText string `json:"field_text,omitempty"`
	// ID and Args are the catalog message of our own checks' problems
	// (dhlcheck.*): the API words Text with them per Accept-Language.
	// Empty for DHL's messages, which stay in DHL's words.
	ID   string         `json:"id,omitempty"`
	Args map[string]any `json:"args,omitempty"`
}

// ShipmentDocument is a document kept in the journal.
type ShipmentDocument struct {
	Kind        string `json:"kind"`   // label, return_label, customs, cod, qr
	Format      string `json:"format"` // ZPL2, PDF or PNG
	PrintFormat string `json:"print_format,omitempty"`
	Size        int    `json:"size"`
	// Path is where the CLI stored the document (CLI output only).
	Path string `json:"path,omitempty"`
}

// ShipmentPrint is one print of a document through the job queue.
type ShipmentPrint struct {
	N        int      `json:"n"`
	Document string   `json:"document"`
	JobID    string   `json:"job_id,omitempty"`
	Printer  string   `json:"printer,omitempty"`
	State    JobState `json:"state,omitempty"`
	Error    string   `json:"error,omitempty"` // in the reader's language where the agent words it
	// ErrorID and ErrorArgs name Error's catalog message, where it has one.
	ErrorID   string         `json:"error_id,omitempty"`
	ErrorArgs map[string]any `json:"error_args,omitempty"`
	At        time.Time      `json:"at"`
}

// ShipmentTracking is the latest tracking status.
type ShipmentTracking struct {
	Status      string     `json:"status"` // pre-transit, transit, delivered, failure, unknown
	Description string     `json:"description,omitempty"`
	Location    string     `json:"location,omitempty"`
	At          *time.Time `json:"at,omitempty"`
	EstimatedAt *time.Time `json:"estimated_at,omitempty"`
	Checked     time.Time  `json:"checked"`
	Error       string     `json:"error,omitempty"`    // in the reader's language where the agent words it
	ErrorID     string     `json:"error_id,omitempty"` // Error's catalog message, where it has one
}

// ShipmentStep is one step of a shipment's history.
type ShipmentStep struct {
	At    time.Time     `json:"at"`
	State ShipmentState `json:"state,omitempty"`
	// Note is the step in the reader's language (Accept-Language).
	Note string `json:"note"`
	// ID and Args are Note's catalog message and its arguments (a
	// message inside them is {"id", "args"} again), for clients that word
	// it themselves; empty for steps recorded before.
	ID   string         `json:"id,omitempty"`
	Args map[string]any `json:"args,omitempty"`
}

// Shipment is one record of the shipment journal.
type Shipment struct {
	ID             string        `json:"id"`
	Kind           string        `json:"kind"` // shipment or return
	OrderRef       string        `json:"order_ref,omitempty"`
	IdempotencyKey string        `json:"idempotency_key,omitempty"`
	State          ShipmentState `json:"state"`
	Day            string        `json:"day"` // the shipping day (Europe/Berlin), YYYY-MM-DD
	Product        string        `json:"product,omitempty"`
	BillingNumber  string        `json:"billing_number,omitempty"`
	WeightKG       float64       `json:"weight_kg,omitempty"`
	Recipient      string        `json:"recipient,omitempty"`
	Destination    string        `json:"destination,omitempty"` // country postal-code city
	ShipmentNo     string        `json:"shipment_no,omitempty"`
	ReturnShipNo   string        `json:"return_shipment_no,omitempty"`
	RoutingCode    string        `json:"routing_code,omitempty"`
	// ReturnID is RET + the shipment number of a return label, to be given
	// to the customer next to the QR code.
	ReturnID  string             `json:"return_id,omitempty"`
	QRLink    string             `json:"qr_link,omitempty"`
	ForID     string             `json:"for_id,omitempty"` // a return: the shipment it is for
	Returns   []string           `json:"returns,omitempty"`
	BatchID   string             `json:"batch_id,omitempty"`
	Messages  []ShipmentMessage  `json:"messages,omitempty"`
	Error     string             `json:"error,omitempty"`
	Documents []ShipmentDocument `json:"documents,omitempty"`
	Printer   string             `json:"printer,omitempty"`
	Prints    []ShipmentPrint    `json:"prints,omitempty"`
	// Action says what the operator can do about a shipment that needs
	// attention (an unknown outcome, a failed print), in the reader's
	// language; ActionID names it for programs (one of the ShipmentAction*
	// values).
	Action    string            `json:"action,omitempty"`
	ActionID  string            `json:"action_id,omitempty"`
	Tracking  *ShipmentTracking `json:"tracking,omitempty"`
	DayEndID  string            `json:"dayend_id,omitempty"`
	Created   time.Time         `json:"created"`
	Updated   time.Time         `json:"updated"`
	Cancelled *time.Time        `json:"cancelled,omitempty"`
	Closed    *time.Time        `json:"closed,omitempty"`
	History   []ShipmentStep    `json:"history,omitempty"`
}

// ShipmentList is a page of shipments, newest first.
type ShipmentList struct {
	Shipments []Shipment `json:"shipments"`
}

// ShipmentResolveRequest settles a shipment whose outcome is unknown, after
// the operator looked in DHL's business portal: either the shipment number
// found there (the label is fetched, stored and printed) or not_created.
type ShipmentResolveRequest struct {
	ShipmentNo string `json:"shipment_no,omitempty"`
	NotCreated bool   `json:"not_created,omitempty"`
}

// ReturnRequest asks for a return label: for a shipment of the journal (the
// customer's address is taken from it) or for an address.
type ReturnRequest struct {
	OrderRef       string `json:"order_ref,omitempty"`
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	LabelType      string `json:"label_type,omitempty"` // SHIPMENT_LABEL (default), QR_LABEL, BOTH
	Print          *bool  `json:"print,omitempty"`      // default: print a SHIPMENT_LABEL
	Printer        string `json:"printer,omitempty"`
	ReceiverID     string `json:"receiver_id,omitempty"`
	// New: another return label although the shipment has one.
	New   bool            `json:"new,omitempty"`
	Order json.RawMessage `json:"order,omitempty"` // a Returns v1 order, for an address
}

// DayEndRequest closes out the day's shipments.
type DayEndRequest struct {
	BillingNumber string `json:"billing_number,omitempty"` // empty: all
	Print         *bool  `json:"print,omitempty"`          // print the manifest (default true)
	Printer       string `json:"printer,omitempty"`
}

// DayEndOrphan is a shipment DHL closed out that the journal does not know.
type DayEndOrphan struct {
	ShipmentNo string `json:"shipment_no"`
	Status     string `json:"status,omitempty"`
}

// DayEnd is one closeout.
type DayEnd struct {
	ID            string `json:"id"`
	Day           string `json:"day"`
	BillingNumber string `json:"billing_number,omitempty"`
	// Closed lists the journal's shipments DHL closed out.
	Closed []string `json:"closed"`
	// Orphans are shipments DHL closed out that the journal does not know:
	// look at Unknown for the orders they may belong to.
	Orphans []DayEndOrphan `json:"orphans,omitempty"`
	// NotAtDHL are shipments the journal holds as created that DHL did not
	// close out (unknown to DHL, or DHL refused), with DHL's words.
	NotAtDHL []DayEndOrphan `json:"not_at_dhl,omitempty"`
	// Unknown are journal shipments of the day whose outcome is unknown.
	Unknown      []string          `json:"unknown,omitempty"`
	Manifest     *ShipmentDocument `json:"manifest,omitempty"`
	ManifestDate string            `json:"manifest_date,omitempty"`
	PrintJob     string            `json:"print_job,omitempty"`
	PrintError   string            `json:"print_error,omitempty"`
	// NoDocumentPrinter: the manifest was not printed because no document
	// printer is configured (an A4 list does not belong on a label printer).
	NoDocumentPrinter bool       `json:"no_document_printer,omitempty"`
	ManifestErr       string     `json:"manifest_error,omitempty"`
	NextDay           string     `json:"next_day"` // where new shipments go now
	At                time.Time  `json:"at"`
	Shipments         []Shipment `json:"shipments,omitempty"`
}

// DayEndList lists closeouts, newest first.
type DayEndList struct {
	DayEnds []DayEnd `json:"dayends"`
}

// ReturnLocation is a return receiver of the account (Returns /locations).
type ReturnLocation struct {
	ReceiverID    string `json:"receiver_id"`
	BillingNumber string `json:"billing_number,omitempty"`
	Name          string `json:"name,omitempty"`
	Street        string `json:"street,omitempty"`
	HouseNumber   string `json:"house_number,omitempty"`
	PostalCode    string `json:"postal_code,omitempty"`
	City          string `json:"city,omitempty"`
}

// ReturnLocationList is every return receiver DHL named.
type ReturnLocationList struct {
	Locations []ReturnLocation `json:"locations"`
}
