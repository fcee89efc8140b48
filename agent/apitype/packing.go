package apitype

import "time"

// The packing station's day: orders, scans and the rules that pick a
// carrier product and a printer for an order.

// OrderAddress is the recipient of an order. Street may hold the house
// number too ("Hauptstraße 4"); a Packstation takes locker_id and
// post_number instead of a street.
type OrderAddress struct {
	Name         string `json:"name"`
	Company      string `json:"company,omitempty"`
	Street       string `json:"street,omitempty"`
	HouseNumber  string `json:"house_number,omitempty"`
	AddressLine2 string `json:"address_line2,omitempty"`
	PostalCode   string `json:"postal_code,omitempty"`
	City         string `json:"city"`
	State        string `json:"state,omitempty"`
	Country      string `json:"country"` // ISO 3166 alpha-2 or alpha-3
	Email        string `json:"email,omitempty"`
	Phone        string `json:"phone,omitempty"`
	LockerID     string `json:"locker_id,omitempty"`   // Packstation number
	PostNumber   string `json:"post_number,omitempty"` // DHL Postnummer
}

// OrderItem is one line of an order's contents (customs papers need them
// outside the EU).
type OrderItem struct {
	Description     string `json:"description"`
	Quantity        int    `json:"quantity"`
	ValueCents      int64  `json:"value_cents"`
	WeightGrams     int    `json:"weight_grams,omitempty"`
	HSCode          string `json:"hs_code,omitempty"`
	CountryOfOrigin string `json:"country_of_origin,omitempty"`
}

// Order is an order to pack, as a shop or an import delivered it.
type Order struct {
	Ref         string       `json:"ref"`
	ShopRef     string       `json:"shop_ref,omitempty"`
	Channel     string       `json:"channel,omitempty"`
	Recipient   OrderAddress `json:"recipient"`
	WeightGrams int          `json:"weight_grams,omitempty"`
	LengthMM    int          `json:"length_mm,omitempty"`
	WidthMM     int          `json:"width_mm,omitempty"`
	HeightMM    int          `json:"height_mm,omitempty"`
	ValueCents  int64        `json:"value_cents,omitempty"`
	Currency    string       `json:"currency,omitempty"`
	Contents    []OrderItem  `json:"contents,omitempty"`
	// ProductHint is what the shop asked for ("express", "letter", "V62KP").
	ProductHint string          `json:"product_hint,omitempty"`
	Received    time.Time       `json:"received,omitzero"`
	Labels      []OrderShipment `json:"labels,omitempty"`
}

// OrderShipment is a label made for an order.
type OrderShipment struct {
	Carrier  string    `json:"carrier"` // dhl, internetmarke, franking
	Product  string    `json:"product"`
	ID       string    `json:"id"` // shipment, purchase or cart id in the agent
	Tracking string    `json:"tracking,omitempty"`
	Rule     string    `json:"rule,omitempty"`
	At       time.Time `json:"at"`
	Reported bool      `json:"reported,omitempty"` // the shop accepted the tracking number
}

// OrderList is orders, newest first.
type OrderList struct {
	Orders []Order `json:"orders"`
}

// OrderImportResult says what an import did.
type OrderImportResult struct {
	Imported int           `json:"imported"`
	Updated  int           `json:"updated"`
	Problems []ImportIssue `json:"problems,omitempty"`
}

// ImportIssue is a row or entry of an import that was not taken.
type ImportIssue struct {
	Row     int    `json:"row"` // 1-based line or entry number
	Ref     string `json:"ref,omitempty"`
	Problem string `json:"problem"` // in the request's language
	// ID and Args are the problem's catalog message, when it has one.
	ID   string         `json:"id,omitempty"`
	Args map[string]any `json:"args,omitempty"`
}

// ScanRequest is a scan at the packing station.
type ScanRequest struct {
	Code string `json:"code"`
	// Reprint prints the label of an order labelled before again.
	Reprint bool `json:"reprint,omitempty"`
	// New makes another label for an order labelled before (a second
	// parcel); without it a repeated scan makes nothing new.
	New bool `json:"new,omitempty"`
	// WeightGrams overrides the scale and the order.
	WeightGrams int `json:"weight_grams,omitempty"`
}

// Scan outcomes.
const (
	ScanPrinted        = "printed"         // a label was made and queued
	ScanReprinted      = "reprinted"       // the earlier label queued again
	ScanAlreadyShipped = "already_shipped" // nothing new: reprint or new needed
	ScanNeedsPayment   = "needs_payment"   // Online Franking: pay the cart first
	ScanRefused        = "refused"         // the carrier or a rule said no
	ScanUnknown        = "outcome_unknown" // the carrier's answer was lost
)

// ScanResult is what a scan did.
type ScanResult struct {
	Code         string   `json:"code"`
	OrderRef     string   `json:"order_ref"`
	Outcome      string   `json:"outcome"`
	Rule         string   `json:"rule,omitempty"`
	Carrier      string   `json:"carrier,omitempty"`
	Product      string   `json:"product,omitempty"`
	Printer      string   `json:"printer,omitempty"`
	Tracking     string   `json:"tracking,omitempty"`
	LabelID      string   `json:"label_id,omitempty"` // shipment, purchase or cart id
	JobIDs       []string `json:"job_ids,omitempty"`
	WeightGrams  int      `json:"weight_grams,omitempty"`
	WeightSource string   `json:"weight_source,omitempty"` // scale, order, request
	PaymentURL   string   `json:"payment_url,omitempty"`
	Message      string   `json:"message,omitempty"`
	// MessageID and MessageArgs are Message's catalog message (as in
	// Change); Message is in the reader's language where they are set.
	MessageID   string         `json:"message_id,omitempty"`
	MessageArgs map[string]any `json:"message_args,omitempty"`
	// Labels lists the order's earlier labels when the outcome is
	// already_shipped.
	Labels []OrderShipment `json:"labels,omitempty"`
	Took   float64         `json:"took_ms"`
}

// RuleCheck is one rule's verdict on an order (rules test).
type RuleCheck struct {
	Rule    string `json:"rule"`
	Matched bool   `json:"matched"`
	// Why names the first condition that failed, or what matched, in the
	// request's language; WhyID and WhyArgs are its catalog message.
	Why     string         `json:"why"`
	WhyID   string         `json:"why_id,omitempty"`
	WhyArgs map[string]any `json:"why_args,omitempty"`
}

// RulesTest is which rule an order gets, and why.
type RulesTest struct {
	Order   string      `json:"order"`
	Rule    string      `json:"rule,omitempty"`
	Carrier string      `json:"carrier,omitempty"`
	Product string      `json:"product,omitempty"`
	Printer string      `json:"printer,omitempty"`
	Checks  []RuleCheck `json:"checks"`
}

// ScaleReading is the scale's current weight.
type ScaleReading struct {
	Configured bool      `json:"configured"`
	Grams      int       `json:"grams,omitempty"`
	Stable     bool      `json:"stable"`
	At         time.Time `json:"at,omitzero"`
	Error      string    `json:"error,omitempty"`
}
