// Package returns is a client of the DHL Parcel DE Returns API v1: return
// labels as PDF, QR code (PNG) or both, with the return id (RET + shipment
// number) as text, customs data for senders outside the EU, and the
// receiver ids of the account (/locations).
package returns

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/labelagent/labelagent/dhl/address"
	"github.com/labelagent/labelagent/dhl/transport"
)

// Label types.
const (
	LabelShipment = "SHIPMENT_LABEL" // PDF label to print
	LabelQR       = "QR_LABEL"       // QR code to show at a DHL counter (German senders)
	LabelBoth     = "BOTH"
)

// Order is the body of POST /orders.
type Order struct {
	ReceiverID        string          `json:"receiverId"`
	CustomerReference string          `json:"customerReference,omitempty"` // printed on the label, at most 30
	ShipmentReference string          `json:"shipmentReference,omitempty"` // shown in the business portal only
	Shipper           Shipper         `json:"shipper"`
	ItemWeight        *Weight         `json:"itemWeight,omitempty"`
	ItemValue         *Value          `json:"itemValue,omitempty"`
	CustomsDetails    *CustomsDetails `json:"customsDetails,omitempty"`
	CreationSoftware  string          `json:"creationSoftware,omitempty"`
}

// Shipper is the customer sending the parcel back. Street and house number
// go in separate fields.
type Shipper struct {
	Name1         string `json:"name1"` // "<first name> <last name>"
	Name2         string `json:"name2,omitempty"`
	Name3         string `json:"name3,omitempty"`
	AddressStreet string `json:"addressStreet"`
	AddressHouse  string `json:"addressHouse"`
	PostalCode    string `json:"postalCode"`
	City          string `json:"city"`
	State         string `json:"state,omitempty"`
	Country       string `json:"country,omitempty"` // ISO 3166 alpha-3; defaults to the receiver's sender country
	Email         string `json:"email,omitempty"`
	Phone         string `json:"phone,omitempty"`
}

// Weight is a value in g or kg.
type Weight struct {
	UOM   string  `json:"uom"`
	Value float64 `json:"value"`
}

// Value is an amount of money.
type Value struct {
	Currency string  `json:"currency"`
	Value    float64 `json:"value"`
}

// CustomsDetails lists the goods (CN23) for senders in CHE and GBR.
type CustomsDetails struct {
	Items []CustomsItem `json:"items"`
}

// CustomsItem is one line of goods.
type CustomsItem struct {
	ItemDescription  string  `json:"itemDescription"`
	PackagedQuantity int     `json:"packagedQuantity"`
	CountryOfOrigin  string  `json:"countryOfOrigin,omitempty"`
	HSCode           string  `json:"hsCode,omitempty"`
	ItemWeight       *Weight `json:"itemWeight"`
	ItemValue        *Value  `json:"itemValue"`
}

// Status is DHL's status object.
type Status struct {
	Title      string `json:"title"`
	StatusCode int    `json:"statusCode,omitempty"`
	Status     int    `json:"status,omitempty"`
	Detail     string `json:"detail,omitempty"`
}

// Document is a base64 document.
type Document struct {
	B64 string `json:"b64,omitempty"`
}

// OrderResponse is the answer of POST /orders.
type OrderResponse struct {
	SStatus                 Status    `json:"sstatus"`
	ShipmentNo              string    `json:"shipmentNo,omitempty"`
	InternationalShipmentNo string    `json:"internationalShipmentNo,omitempty"`
	Label                   *Document `json:"label,omitempty"`
	QRLabel                 *Document `json:"qrLabel,omitempty"`
	RoutingCode             string    `json:"routingCode,omitempty"`
	QRLink                  string    `json:"qrLink,omitempty"`
}

// Location is a return receiver of the account.
type Location struct {
	ReceiverID    string          `json:"receiverId"`
	BillingNumber string          `json:"billingNumber,omitempty"`
	Address       LocationAddress `json:"address"`
}

// LocationAddress is where returns to a receiver go.
type LocationAddress struct {
	Name1         string `json:"name1,omitempty"`
	Name2         string `json:"name2,omitempty"`
	AddressStreet string `json:"addressStreet,omitempty"`
	AddressHouse  string `json:"addressHouse,omitempty"`
	PostalCode    string `json:"postalCode,omitempty"`
	City          string `json:"city,omitempty"`
	Country       string `json:"country,omitempty"`
}

// Usable reports whether labels can be ordered for the receiver (those
// without a billing number belong to "Retoure Selbstzahler").
func (l Location) Usable() bool { return l.BillingNumber != "" }

// Label is a created return label.
type Label struct {
	ShipmentNo              string
	InternationalShipmentNo string
	RoutingCode             string
	QRLink                  string
	PDF                     []byte // SHIPMENT_LABEL or BOTH
	QRCode                  []byte // PNG, QR_LABEL or BOTH
}

// ReturnID is the id to show next to the QR code as copyable text.
func (l *Label) ReturnID() string { return "RET" + l.ShipmentNo }

// SenderCountry returns the country a receiver id stands for (its id is the
// lower-case alpha-3 code of the sender's country in DHL's standard setup).
func SenderCountry(receiverID string) string {
	c := strings.ToUpper(strings.TrimSpace(receiverID))
	if address.IsCountry(c) {
		return c
	}
	return ""
}

var (
	customsCountries = map[string]bool{"CHE": true, "GBR": true}
	weightCountries  = map[string]bool{"DNK": true, "PRT": true, "SWE": true}
	customerRefRE    = regexp.MustCompile(`^[^|\\]*$`)
)

// Normalize trims the order and splits a street line that still carries the
// house number.
func (o *Order) Normalize() {
	s := &o.Shipper
	address.Trim(&o.ReceiverID, &o.CustomerReference, &o.ShipmentReference, &s.Name1, &s.Name2, &s.Name3,
		&s.AddressStreet, &s.AddressHouse, &s.PostalCode, &s.City, &s.State, &s.Country, &s.Email, &s.Phone)
	if s.AddressHouse == "" {
		if street, house, ok := address.SplitStreet(s.AddressStreet); ok {
			s.AddressStreet, s.AddressHouse = street, house
		}
	}
	if r := []rune(o.CustomerReference); len(r) > 30 {
		o.CustomerReference = string(r[:30]) // DHL would cut it too; the label shows what we send
	}
}

// Validate checks the order, naming the fields.
func (o *Order) Validate(labelType string) error {
	ck := address.NewChecker("", problems)
	switch labelType {
	case LabelShipment, LabelQR, LabelBoth:
	default:
		ck.Add("labelType", "returns_not_label_type", "value", labelType)
	}
	ck.Text("receiverId", o.ReceiverID, true, 1, 30)
	ck.Match("customerReference", o.CustomerReference, customerRefRE, "returns_customer_reference")
	ck.Text("shipmentReference", o.ShipmentReference, false, 0, 50)
	s := o.Shipper
	sc := ck.At("shipper")
	sc.Text("name1", s.Name1, true, 1, 50)
	sc.Text("name2", s.Name2, false, 1, 50)
	sc.Text("name3", s.Name3, false, 1, 50)
	sc.Text("addressStreet", s.AddressStreet, true, 1, 50)
	if s.AddressHouse == "" && s.AddressStreet != "" {
		sc.Add("addressHouse", "returns_house_required", "street", s.AddressStreet)
	}
	sc.Text("addressHouse", s.AddressHouse, false, 1, 10)
	country := s.Country
	if country == "" {
		country = SenderCountry(o.ReceiverID)
	}
	sc.Country("country", s.Country, false)
	sc.PostalCode("postalCode", s.PostalCode, country, true)
	sc.Text("city", s.City, true, 1, 40)
	sc.Text("state", s.State, false, 1, 20)
	sc.Text("email", s.Email, false, 3, 80)
	sc.Text("phone", s.Phone, false, 1, 20)
	if (labelType == LabelQR || labelType == LabelBoth) && country != "" && country != "DEU" {
		ck.Add("labelType", "returns_qr_germany_only", "country", country)
	}
	if weightCountries[country] && o.ItemWeight == nil {
		ck.Add("itemWeight", "returns_weight_required", "country", country)
	}
	if o.ItemWeight != nil {
		checkWeight(ck, "itemWeight", o.ItemWeight)
	}
	if o.ItemValue != nil {
		checkValue(ck, "itemValue", o.ItemValue)
	}
	needCustoms := customsCountries[country] && !(country == "GBR" && strings.HasPrefix(strings.ToUpper(s.PostalCode), "BT"))
	switch {
	case needCustoms && (o.CustomsDetails == nil || len(o.CustomsDetails.Items) == 0):
		ck.Add("customsDetails.items", "returns_items_required", "country", country)
	case o.CustomsDetails != nil:
		var currency string
		for i, it := range o.CustomsDetails.Items {
			ic := ck.At(fmt.Sprintf("customsDetails.items[%d]", i))
			ic.Text("itemDescription", it.ItemDescription, true, 1, 50)
			if it.PackagedQuantity < 1 {
				ic.Add("packagedQuantity", "returns_quantity_at_least_one")
			}
			ic.Country("countryOfOrigin", it.CountryOfOrigin, false)
			if it.ItemWeight == nil {
				ic.Add("itemWeight", "required")
			} else {
				checkWeight(ic, "itemWeight", it.ItemWeight)
			}
			if it.ItemValue == nil {
				ic.Add("itemValue", "required")
				continue
			}
			checkValue(ic, "itemValue", it.ItemValue)
			if currency == "" {
				currency = it.ItemValue.Currency
			} else if it.ItemValue.Currency != currency {
				ic.Add("itemValue.currency", "returns_one_currency", "currency", currency)
			}
		}
	}
	return ck.Errs.Err()
}

func checkWeight(ck address.Checker, f string, w *Weight) {
	if w.UOM != "g" && w.UOM != "kg" {
		ck.Add(f+".uom", "returns_not_weight_unit", "value", w.UOM)
	}
	if w.Value <= 0 {
		ck.Add(f+".value", "returns_weight_positive")
	}
}

func checkValue(ck address.Checker, f string, v *Value) {
	if len(v.Currency) != 3 || strings.ToUpper(v.Currency) != v.Currency {
		ck.Add(f+".currency", "returns_not_currency", "value", v.Currency)
	}
	if v.Value < 0 {
		ck.Add(f+".value", "returns_value_negative")
	}
}

// Client calls the Returns API.
type Client struct{ t *transport.Client }

// New returns a Returns client over t.
func New(t *transport.Client) *Client { return &Client{t: t} }

// Create orders a return label. Label creation is free; only parcels
// actually sent are billed, so a retried request costs nothing.
func (c *Client) Create(ctx context.Context, o Order, labelType string) (*Label, error) {
	if labelType == "" {
		labelType = LabelShipment
	}
	o.Normalize()
	if err := o.Validate(labelType); err != nil {
		return nil, err
	}
	resp, err := c.t.Do(ctx, transport.Request{
		Method: http.MethodPost, Path: transport.ReturnsPath + "/orders", Query: url.Values{"labelType": {labelType}},
		JSON: &o, Auth: transport.AuthUser, Idempotent: true,
	})
	if err != nil {
		return nil, fmt.Errorf("return label: %w", err)
	}
	var or OrderResponse
	if err := json.Unmarshal(resp.Body, &or); err != nil {
		return nil, fmt.Errorf("return label: unreadable answer: %w", err)
	}
	if or.ShipmentNo == "" {
		return nil, fmt.Errorf("return label: DHL answered %q without a shipment number", or.SStatus.Title)
	}
	l := &Label{ShipmentNo: or.ShipmentNo, InternationalShipmentNo: or.InternationalShipmentNo, RoutingCode: or.RoutingCode, QRLink: or.QRLink}
	var errs []error
	if or.Label != nil && or.Label.B64 != "" {
		if l.PDF, err = base64.StdEncoding.DecodeString(or.Label.B64); err != nil {
			errs = append(errs, fmt.Errorf("label: %w", err))
		}
	}
	if or.QRLabel != nil && or.QRLabel.B64 != "" {
		if l.QRCode, err = base64.StdEncoding.DecodeString(or.QRLabel.B64); err != nil {
			errs = append(errs, fmt.Errorf("QR code: %w", err))
		}
	}
	if (labelType != LabelQR && l.PDF == nil) || (labelType != LabelShipment && l.QRCode == nil) {
		errs = append(errs, fmt.Errorf("DHL sent no %s document", strings.ToLower(labelType)))
	}
	if err := errors.Join(errs...); err != nil {
		return l, fmt.Errorf("return label %s: %w", l.ReturnID(), err)
	}
	return l, nil
}

// LocationQuery filters /locations.
type LocationQuery struct {
	CountryCode   string // alpha-3 of the sender country
	PostalCode    string
	ReceiverID    string
	BillingNumber string
}

// Locations lists the account's return receivers.
func (c *Client) Locations(ctx context.Context, q LocationQuery) ([]Location, error) {
	v := url.Values{}
	for k, val := range map[string]string{"countryCode": strings.ToLower(q.CountryCode), "postalCode": q.PostalCode, "receiverId": q.ReceiverID, "billingNumber": q.BillingNumber} {
		if val != "" {
			v.Set(k, val)
		}
	}
	resp, err := c.t.Do(ctx, transport.Request{Method: http.MethodGet, Path: transport.ReturnsPath + "/locations", Query: v, Auth: transport.AuthUser, Idempotent: true})
	if err != nil {
		return nil, fmt.Errorf("return receivers: %w", err)
	}
	var locs []Location
	if err := json.Unmarshal(resp.Body, &locs); err != nil {
		return nil, fmt.Errorf("return receivers: unreadable answer: %w", err)
	}
	return locs, nil
}
