// Package parcel is a client of the DHL Parcel DE Shipping API v2: typed
// models of the whole contract, shipment creation (and its validate dry
// run), label reprints, cancellation before closeout, and the daily manifest.
// Requests are checked locally first, with messages that name the field; a
// multi-status (207) answer becomes one result per shipment, in request order.
package parcel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Products of the Shipping v2 API.
const (
	ProductPaket                  = "V01PAK" // DHL Paket
	ProductPaketInternational     = "V53WPAK"
	ProductEuropaket              = "V54EPAK"
	ProductWarenpost              = "V62WP" // replaced by Kleinpaket from 2025
	ProductKleinpaket             = "V62KP"
	ProductWarenpostInternational = "V66WPI"
	ProfileStandard               = "STANDARD_GRUPPENPROFIL"
	DocFormatZPL2                 = "ZPL2"
	DocFormatPDF                  = "PDF"
	IncludeDocsInclude            = "include"
	IncludeDocsURL                = "URL"
	PrintFormat910300600          = "910-300-600" // thermal 103 x 199 mm
	PrintFormat910300400          = "910-300-400" // thermal 103 x 150 mm
	PrintFormat100x70             = "100x70mm"
	PrintFormatA4                 = "A4"
	// MaxShipments is how many shipments one call may carry.
	MaxShipments = 30
)

// PrintFormats are the values printFormat and retourePrintFormat accept.
var PrintFormats = []string{"A4", "910-300-600", "910-300-610", "910-300-700", "910-300-700-oz", "910-300-710",
	"910-300-300", "910-300-300-oz", "910-300-400", "910-300-410", "100x70mm"}

// ThermalPrintFormats are the formats a ZPL2 label can be laid out for.
var ThermalPrintFormats = []string{"910-300-600", "910-300-400", "100x70mm"}

// ShipmentOrderRequest is the body of POST /orders.
type ShipmentOrderRequest struct {
	Profile   string     `json:"profile"`
	Shipments []Shipment `json:"shipments"`
}

// Shipment is one parcel to create.
type Shipment struct {
	Product          string          `json:"product"`
	BillingNumber    string          `json:"billingNumber"`
	RefNo            string          `json:"refNo,omitempty"`
	CostCenter       string          `json:"costCenter,omitempty"`
	CreationSoftware string          `json:"creationSoftware,omitempty"`
	ShipDate         string          `json:"shipDate,omitempty"` // YYYY-MM-DD
	Shipper          Shipper         `json:"shipper"`
	Consignee        Consignee       `json:"consignee"`
	Details          ShipmentDetails `json:"details"`
	Services         *VAS            `json:"services,omitempty"`
	Customs          *CustomsDetails `json:"customs,omitempty"`
}

// Shipper is the sender: an address, or a reference to one kept in the
// business portal (ShipperRef) — exactly one of the two.
type Shipper struct {
	ShipperRef    string `json:"shipperRef,omitempty"`
	Name1         string `json:"name1,omitempty"`
	Name2         string `json:"name2,omitempty"`
	Name3         string `json:"name3,omitempty"`
	AddressStreet string `json:"addressStreet,omitempty"`
	AddressHouse  string `json:"addressHouse,omitempty"`
	PostalCode    string `json:"postalCode,omitempty"`
	City          string `json:"city,omitempty"`
	Country       string `json:"country,omitempty"`
	ContactName   string `json:"contactName,omitempty"`
	Email         string `json:"email,omitempty"`
}

// ContactAddress is a doorstep address (also the return address of DHL Retoure).
type ContactAddress struct {
	Name1                         string `json:"name1"`
	Name2                         string `json:"name2,omitempty"`
	Name3                         string `json:"name3,omitempty"`
	DispatchingInformation        string `json:"dispatchingInformation,omitempty"`
	AddressStreet                 string `json:"addressStreet"`
	AddressHouse                  string `json:"addressHouse,omitempty"`
	AdditionalAddressInformation1 string `json:"additionalAddressInformation1,omitempty"`
	AdditionalAddressInformation2 string `json:"additionalAddressInformation2,omitempty"`
	PostalCode                    string `json:"postalCode,omitempty"`
	City                          string `json:"city"`
	State                         string `json:"state,omitempty"`
	Country                       string `json:"country"`
	ContactName                   string `json:"contactName,omitempty"`
	Phone                         string `json:"phone,omitempty"`
	Email                         string `json:"email,omitempty"`
}

// Locker is a Packstation.
type Locker struct {
	Name       string `json:"name"`
	LockerID   int    `json:"lockerID"`
	PostNumber string `json:"postNumber"`
	PostalCode string `json:"postalCode"`
	City       string `json:"city"`
	Country    string `json:"country,omitempty"`
}

// PostOffice is a Postfiliale or Paketshop.
type PostOffice struct {
	Name       string `json:"name"`
	RetailID   int    `json:"retailID"`
	PostNumber string `json:"postNumber,omitempty"`
	Email      string `json:"email,omitempty"`
	PostalCode string `json:"postalCode"`
	City       string `json:"city"`
	Country    string `json:"country,omitempty"`
}

// POBox is a Postfach.
type POBox struct {
	Name1      string `json:"name1"`
	Name2      string `json:"name2,omitempty"`
	Name3      string `json:"name3,omitempty"`
	POBoxID    int    `json:"poBoxID"`
	Email      string `json:"email,omitempty"`
	PostalCode string `json:"postalCode"`
	City       string `json:"city"`
	Country    string `json:"country,omitempty"`
}

// Consignee is one of the four address shapes. Set exactly one pointer; when
// decoded from JSON the shape is chosen by validation (see Validate).
type Consignee struct {
	Contact    *ContactAddress
	Locker     *Locker
	PostOffice *PostOffice
	POBox      *POBox

	raw json.RawMessage // as decoded, to judge every shape
}

// MarshalJSON writes the shape that is set.
func (c Consignee) MarshalJSON() ([]byte, error) {
	switch {
	case c.Contact != nil:
		return json.Marshal(c.Contact)
	case c.Locker != nil:
		return json.Marshal(c.Locker)
	case c.PostOffice != nil:
		return json.Marshal(c.PostOffice)
	case c.POBox != nil:
		return json.Marshal(c.POBox)
	case c.raw != nil:
		return c.raw, nil
	}
	return []byte("{}"), nil
}

// UnmarshalJSON keeps the object and picks the shape by its identifying
// field (lockerID, retailID, poBoxID, else a doorstep address); Validate
// then checks it against all four shapes.
func (c *Consignee) UnmarshalJSON(b []byte) error {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return fmt.Errorf("consignee must be an object: %w", err)
	}
	*c = Consignee{raw: append(json.RawMessage(nil), b...)}
	var err error
	switch {
	case keys["lockerID"] != nil:
		c.Locker = &Locker{}
		err = lenientUnmarshal(b, c.Locker)
	case keys["retailID"] != nil:
		c.PostOffice = &PostOffice{}
		err = lenientUnmarshal(b, c.PostOffice)
	case keys["poBoxID"] != nil:
		c.POBox = &POBox{}
		err = lenientUnmarshal(b, c.POBox)
	default:
		c.Contact = &ContactAddress{}
		err = lenientUnmarshal(b, c.Contact)
	}
	return err
}

// lenientUnmarshal accepts numbers given as strings ("lockerID": "118") and
// the other way round, as order files from shops often have them.
func lenientUnmarshal(b []byte, v any) error {
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return err
	}
	for _, k := range []string{"lockerID", "retailID", "poBoxID"} {
		if s, ok := m[k].(string); ok {
			if n, err := strconv.Atoi(s); err == nil {
				m[k] = n
			}
		}
	}
	for _, k := range []string{"postNumber", "postalCode"} {
		if n, ok := m[k].(json.Number); ok {
			m[k] = n.String()
		}
	}
	nb, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return json.Unmarshal(nb, v)
}

// ShipmentDetails holds weight and dimensions.
type ShipmentDetails struct {
	Dim    *Dimensions `json:"dim,omitempty"`
	Weight Weight      `json:"weight"`
}

// Dimensions of the parcel; all three or none.
type Dimensions struct {
	UOM    string `json:"uom"` // cm or mm
	Height int    `json:"height"`
	Length int    `json:"length"`
	Width  int    `json:"width"`
}

// Weight is a value in g or kg.
type Weight struct {
	UOM   string  `json:"uom"`
	Value float64 `json:"value"`
}

// Grams returns the weight in grams.
func (w Weight) Grams() float64 {
	if w.UOM == "kg" {
		return w.Value * 1000
	}
	return w.Value
}

// Value is an amount of money.
type Value struct {
	Currency string  `json:"currency"`
	Value    float64 `json:"value"`
}

// VAS are the value-added services.
type VAS struct {
	PreferredNeighbour          string             `json:"preferredNeighbour,omitempty"`
	PreferredLocation           string             `json:"preferredLocation,omitempty"`
	VisualCheckOfAge            string             `json:"visualCheckOfAge,omitempty"` // A16, A18
	NamedPersonOnly             bool               `json:"namedPersonOnly,omitempty"`
	IdentCheck                  *VASIdentCheck     `json:"identCheck,omitempty"`
	SignedForByRecipient        bool               `json:"signedForByRecipient,omitempty"`
	Endorsement                 string             `json:"endorsement,omitempty"` // RETURN, ABANDON
	PreferredDay                string             `json:"preferredDay,omitempty"`
	NoNeighbourDelivery         bool               `json:"noNeighbourDelivery,omitempty"`
	AdditionalInsurance         *Value             `json:"additionalInsurance,omitempty"`
	BulkyGoods                  bool               `json:"bulkyGoods,omitempty"`
	CashOnDelivery              *VASCashOnDelivery `json:"cashOnDelivery,omitempty"`
	IndividualSenderRequirement string             `json:"individualSenderRequirement,omitempty"`
	Premium                     bool               `json:"premium,omitempty"`
	ClosestDropPoint            bool               `json:"closestDropPoint,omitempty"`
	ParcelOutletRouting         string             `json:"parcelOutletRouting,omitempty"`
	GoGreenPlus                 bool               `json:"goGreenPlus,omitempty"`
	DHLRetoure                  *VASDhlRetoure     `json:"dhlRetoure,omitempty"`
	PostalDeliveryDutyPaid      bool               `json:"postalDeliveryDutyPaid,omitempty"`
}

// VASIdentCheck is the Ident-Check service.
type VASIdentCheck struct {
	FirstName   string `json:"firstName"`
	LastName    string `json:"lastName"`
	DateOfBirth string `json:"dateOfBirth,omitempty"`
	MinimumAge  string `json:"minimumAge,omitempty"`
}

// VASCashOnDelivery is Nachnahme.
type VASCashOnDelivery struct {
	Amount           *Value       `json:"amount,omitempty"`
	BankAccount      *BankAccount `json:"bankAccount,omitempty"`
	AccountReference string       `json:"accountReference,omitempty"`
	TransferNote1    string       `json:"transferNote1"`
	TransferNote2    string       `json:"transferNote2,omitempty"`
}

// BankAccount for cash on delivery.
type BankAccount struct {
	AccountHolder string `json:"accountHolder"`
	BankName      string `json:"bankName,omitempty"`
	IBAN          string `json:"iban"`
	BIC           string `json:"bic,omitempty"`
}

// VASDhlRetoure orders a return label with the shipment.
type VASDhlRetoure struct {
	BillingNumber string          `json:"billingNumber"`
	RefNo         string          `json:"refNo,omitempty"`
	ReturnAddress *ContactAddress `json:"returnAddress,omitempty"`
	GoGreenPlus   bool            `json:"goGreenPlus,omitempty"`
}

// CustomsDetails is the customs declaration (CN22/CN23).
type CustomsDetails struct {
	InvoiceNo                       string      `json:"invoiceNo,omitempty"`
	ExportType                      string      `json:"exportType"`
	ExportDescription               string      `json:"exportDescription,omitempty"`
	ShippingConditions              string      `json:"shippingConditions,omitempty"`
	PermitNo                        string      `json:"permitNo,omitempty"`
	AttestationNo                   string      `json:"attestationNo,omitempty"`
	HasElectronicExportNotification *bool       `json:"hasElectronicExportNotification,omitempty"`
	MRN                             string      `json:"MRN,omitempty"`
	PostalCharges                   Value       `json:"postalCharges"`
	OfficeOfOrigin                  string      `json:"officeOfOrigin,omitempty"`
	ShipperCustomsRef               string      `json:"shipperCustomsRef,omitempty"`
	ConsigneeCustomsRef             string      `json:"consigneeCustomsRef,omitempty"`
	Items                           []Commodity `json:"items"`
}

// Commodity is one line of goods.
type Commodity struct {
	ItemDescription  string     `json:"itemDescription"`
	CountryOfOrigin  string     `json:"countryOfOrigin,omitempty"`
	HSCode           FlexString `json:"hsCode,omitempty"`
	PackagedQuantity int        `json:"packagedQuantity"`
	ItemValue        Value      `json:"itemValue"`
	ItemWeight       Weight     `json:"itemWeight"`
}

// FlexString is a string that also accepts a JSON number on input (tariff
// numbers like 61099090 are often written as numbers, even in DHL's own
// examples) and is always sent as a string.
type FlexString string

// UnmarshalJSON accepts a string or a number.
func (f *FlexString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = FlexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("expected a string or a number, got %s", b)
	}
	*f = FlexString(n.String())
	return nil
}

// RequestStatus is DHL's status object (status, deprecated statusCode).
type RequestStatus struct {
	Title      string `json:"title"`
	StatusCode int    `json:"statusCode"`
	Status     int    `json:"status,omitempty"`
	Instance   string `json:"instance,omitempty"`
	Detail     string `json:"detail,omitempty"`
}

// Code returns status, falling back to the deprecated statusCode.
func (s RequestStatus) Code() int {
	if s.Status != 0 {
		return s.Status
	}
	return s.StatusCode
}

// LabelDataResponse is the answer of POST, GET and DELETE /orders.
type LabelDataResponse struct {
	Status *RequestStatus `json:"status,omitempty"`
	Items  []ResponseItem `json:"items,omitempty"`
	Title  string         `json:"title,omitempty"`  // problem documents put these at the top
	Detail string         `json:"detail,omitempty"` // instead of in status
}

// ResponseItem is the answer for one shipment.
type ResponseItem struct {
	// Shipment numbers are strings in the schema but numbers in the
	// contract's own example (340434310428091700): both are read, digit-exact.
	ShipmentNo         FlexString          `json:"shipmentNo,omitempty"`
	RoutingCode        string              `json:"routingCode,omitempty"`
	ReturnRoutingCode  string              `json:"returnRoutingCode,omitempty"`
	ReturnShipmentNo   FlexString          `json:"returnShipmentNo,omitempty"`
	SStatus            RequestStatus       `json:"sstatus"`
	ShipmentRefNo      string              `json:"shipmentRefNo,omitempty"`
	Label              *Document           `json:"label,omitempty"`
	ReturnLabel        *Document           `json:"returnLabel,omitempty"`
	CustomsDoc         *Document           `json:"customsDoc,omitempty"`
	CodLabel           *Document           `json:"codLabel,omitempty"`
	ValidationMessages []ValidationMessage `json:"validationMessages,omitempty"`
	// Schema errors name the property this way instead.
	PropertyPath string `json:"propertyPath,omitempty"`
	Message      string `json:"message,omitempty"`
	// Some answers number their items (from 1) in the request's order.
	RequestIndex   int `json:"-"`
	SequenceNumber int `json:"-"`
}

// UnmarshalJSON reads an item, taking requestIndex and sequenceNumber as
// numbers or strings and ignoring them when they are neither.
func (it *ResponseItem) UnmarshalJSON(b []byte) error {
	type plain ResponseItem
	var raw struct {
		plain
		RequestIndex   json.RawMessage `json:"requestIndex"`
		SequenceNumber json.RawMessage `json:"sequenceNumber"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*it = ResponseItem(raw.plain)
	it.RequestIndex = looseInt(raw.RequestIndex)
	it.SequenceNumber = looseInt(raw.SequenceNumber)
	return nil
}

func looseInt(b json.RawMessage) int {
	var f FlexString
	if len(b) == 0 || json.Unmarshal(b, &f) != nil {
		return 0
	}
	n, err := strconv.Atoi(string(f))
	if err != nil {
		return 0
	}
	return n
}

// ValidationMessage is a per-shipment message from DHL's checks.
type ValidationMessage struct {
	Property          string `json:"property,omitempty"`
	ValidationMessage string `json:"validationMessage,omitempty"`
	ValidationState   string `json:"validationState,omitempty"` // Error or Warning
}

// Document is a label or customs document.
type Document struct {
	B64         string `json:"b64,omitempty"`
	ZPL2        string `json:"zpl2,omitempty"`
	URL         string `json:"url,omitempty"`
	FileFormat  string `json:"fileFormat,omitempty"`
	PrintFormat string `json:"printFormat,omitempty"`
	// Format is how the contract's own example names fileFormat.
	Format string `json:"format,omitempty"`
}

// ServiceInformation is the answer of GET / (the version).
type ServiceInformation struct {
	Amp struct {
		Name    string     `json:"name,omitempty"`
		Env     string     `json:"env,omitempty"`
		Version string     `json:"version,omitempty"`
		Rev     FlexString `json:"rev,omitempty"` // a number in the contract's example
	} `json:"amp"`
	Backend struct {
		Env     string `json:"env,omitempty"`
		Version string `json:"version,omitempty"`
	} `json:"backend"`
}

// ShipmentManifestingRequest is the body of POST /manifests.
type ShipmentManifestingRequest struct {
	Profile         string   `json:"profile"`
	ShipmentNumbers []string `json:"shipmentNumbers,omitempty"`
	BillingNumber   string   `json:"billingNumber,omitempty"`
}

// MultipleManifestResponse is the answer of POST /manifests.
type MultipleManifestResponse struct {
	Status *RequestStatus      `json:"status,omitempty"`
	Items  []ShortResponseItem `json:"items,omitempty"`
}

// ShortResponseItem is the status of one shipment without labels.
type ShortResponseItem struct {
	ShipmentNo FlexString    `json:"shipmentNo,omitempty"`
	SStatus    RequestStatus `json:"sstatus"`
}

// SingleManifestResponse is the answer of GET /manifests.
type SingleManifestResponse struct {
	Status       *RequestStatus        `json:"status,omitempty"`
	ManifestDate string                `json:"manifestDate,omitempty"`
	Manifest     []Document            `json:"manifest,omitempty"`
	SheetNo      []BillingNoToSheetNo  `json:"sheetNo,omitempty"`
	Items        []ShipmentNoToSheetNo `json:"items,omitempty"`
}

// BillingNoToSheetNo maps a billing number to its manifest sheet.
type BillingNoToSheetNo struct {
	BillingNumber string `json:"billingNumber,omitempty"`
	SheetNo       string `json:"sheetNo,omitempty"`
}

// ShipmentNoToSheetNo maps a shipment to its manifest sheet.
type ShipmentNoToSheetNo struct {
	ShipmentNo string         `json:"shipmentNo,omitempty"`
	SheetNo    string         `json:"sheetNo,omitempty"`
	SStatus    *RequestStatus `json:"sstatus,omitempty"`
}
