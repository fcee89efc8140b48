// Package privateshipping is a client of DHL Parcel DE Private Shipping
// ("DHL Online Franking"): senders without a business contract buy parcel
// labels there and pay in DHL's web frontend. The partner system (here, the
// agent) reads the product catalog, fills a prepaid shopping cart, sends the
// user to the cart's entryUrl to pay, learns that it was paid (DHL calls a
// notify URL, or the cart is polled), loads the paid cart and fetches each
// item's label or QR code by its PAKID.
//
// Source: DHL's API document "DHL Parcel DE Private Shipping v1.0.0"
// (../shared/seeds/001_bc09b67a6de0004f.txt) and ../shared/docs. The
// document names the resources (product catalog with search and filter,
// /shopping-carts, /shopping-carts/{shoppingCartId}, label and QR-code
// access by PAKID, pickup booking), the address fields and types, the
// Latin-1 rule, the notify request and the problem format; it publishes no
// OpenAPI file. Paths and field names it does not spell out are this
// package's reading, kept in one place (paths.go) so they can be corrected
// against the live service without touching the flow.
package privateshipping

import (
	"fmt"
	"strings"
	"time"
)

// Cents is an amount in euro cents.
type Cents int64

func (c Cents) String() string { return fmt.Sprintf("%d,%02d €", c/100, c%100) }

// Product is one entry of the product catalog.
type Product struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Price of the product alone, in euro cents.
	Price Cents `json:"price"`
	// Destinations are ISO 3166 alpha-3 country codes the product ships to.
	Destinations []string `json:"destinations"`
	// MaxWeightGrams is the heaviest parcel allowed (0: not stated).
	MaxWeightGrams int       `json:"maxWeightGrams,omitempty"`
	Services       []Service `json:"services,omitempty"`
	// Pickup is true for the pickup product (booked with or without parcels).
	Pickup bool `json:"pickup,omitempty"`
}

// Service is an extra a product can be bought with.
type Service struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Price Cents  `json:"price"`
}

// Ships reports whether p goes to country (alpha-3).
func (p Product) Ships(country string) bool {
	for _, d := range p.Destinations {
		if strings.EqualFold(d, country) {
			return true
		}
	}
	return false
}

// Service returns the service with the id, if the product offers it.
func (p Product) Service(id string) (Service, bool) {
	for _, s := range p.Services {
		if s.ID == id {
			return s, true
		}
	}
	return Service{}, false
}

// Catalog is the product catalog as DHL answers it.
type Catalog struct {
	Products []Product `json:"products"`
}

// Filter narrows the catalog (the API's search and filter parameters).
type Filter struct {
	Search      string // free text in name or description
	Destination string // alpha-3 country
	WeightGrams int    // products that take at least this weight
}

// Match reports whether p passes the filter (the same rules the simulator
// applies, so a cached catalog answers like the service).
func (f Filter) Match(p Product) bool {
	if f.Search != "" {
		q := strings.ToLower(f.Search)
		if !strings.Contains(strings.ToLower(p.Name), q) && !strings.Contains(strings.ToLower(p.Description), q) &&
			!strings.Contains(strings.ToLower(p.ID), q) {
			return false
		}
	}
	if f.Destination != "" && !p.Ships(f.Destination) {
		return false
	}
	if f.WeightGrams > 0 && p.MaxWeightGrams > 0 && f.WeightGrams > p.MaxWeightGrams {
		return false
	}
	return true
}

// Address is a sender or receiver as DHL Online Franking takes it. Which
// fields mean what depends on the address type (see Type).
type Address struct {
	Name1            string `json:"name1,omitempty" yaml:"name1,omitempty"`
	Name2            string `json:"name2,omitempty" yaml:"name2,omitempty"`
	Name3            string `json:"name3,omitempty" yaml:"name3,omitempty"`
	Street           string `json:"street,omitempty" yaml:"street,omitempty"`
	StreetNumber     string `json:"streetNumber,omitempty" yaml:"street_number,omitempty"`
	AddressAddition1 string `json:"addressAddition1,omitempty" yaml:"address_addition1,omitempty"`
	AddressAddition2 string `json:"addressAddition2,omitempty" yaml:"address_addition2,omitempty"`
	PLZ              string `json:"plz,omitempty" yaml:"postal_code,omitempty"`
	City             string `json:"city,omitempty" yaml:"city,omitempty"`
	Province         string `json:"province,omitempty" yaml:"province,omitempty"`
	Country          string `json:"country,omitempty" yaml:"country,omitempty"`
	Email            string `json:"email,omitempty" yaml:"email,omitempty"`
	Phone            string `json:"phone,omitempty" yaml:"phone,omitempty"`
}

// Addresses of one cart item.
type Addresses struct {
	Sender   Address `json:"sender"`
	Receiver Address `json:"receiver"`
}

// Item is one parcel in a cart request.
type Item struct {
	ProductID   string    `json:"productId"`
	Services    []string  `json:"services,omitempty"`
	WeightGrams int       `json:"weightGrams,omitempty"`
	Address     Addresses `json:"address"`
}

// Pickup asks DHL to collect the parcels (optional; also bookable alone).
type Pickup struct {
	Date     string  `json:"date"` // YYYY-MM-DD
	Address  Address `json:"address"`
	Location string  `json:"location,omitempty"` // where the parcels wait ("Garage")
	Parcels  int     `json:"parcels,omitempty"`
}

// CartRequest fills a prepaid shopping cart.
type CartRequest struct {
	Items  []Item  `json:"items"`
	Pickup *Pickup `json:"pickup,omitempty"`
	// NotifyURL is the cart's own notify URL (the registered endpoint plus a
	// one-time token); DHL calls it after payment. Empty: the cart is polled.
	NotifyURL string `json:"notifyUrl,omitempty"`
}

// Cart statuses. A cart is created unpaid; the user pays in the frontend.
const (
	StatusCreated   = "CREATED"
	StatusPaid      = "PAID"
	StatusCancelled = "CANCELLED"
	StatusExpired   = "EXPIRED"
)

// Download is where the user goes next.
type Download struct {
	EntryURL string `json:"entryUrl"`
}

// CartItem is an item of a cart as DHL returns it; PAKID is set once paid.
type CartItem struct {
	ItemID      string    `json:"itemId"`
	ProductID   string    `json:"productId"`
	Services    []string  `json:"services,omitempty"`
	WeightGrams int       `json:"weightGrams,omitempty"`
	Address     Addresses `json:"address"`
	Price       Cents     `json:"price"`
	PAKID       string    `json:"pakId,omitempty"`
	// ShipmentNo is the parcel's tracking number, once paid.
	ShipmentNo string `json:"shipmentNo,omitempty"`
}

// Cart is a shopping cart.
type Cart struct {
	ShoppingCartID string     `json:"shoppingCartId"`
	Status         string     `json:"status"`
	Download       Download   `json:"download"`
	Items          []CartItem `json:"items"`
	Total          Cents      `json:"total"`
	Created        time.Time  `json:"created,omitzero"`
	PaidAt         time.Time  `json:"paidAt,omitzero"`
	PickupID       string     `json:"pickupId,omitempty"`
}

// Paid reports whether the cart was paid.
func (c *Cart) Paid() bool { return c.Status == StatusPaid }

// PAKIDs lists the PAKIDs of the cart's items, in order.
func (c *Cart) PAKIDs() []string {
	var out []string
	for _, it := range c.Items {
		if it.PAKID != "" {
			out = append(out, it.PAKID)
		}
	}
	return out
}

// PickupBooking is a pickup booked on its own.
type PickupBooking struct {
	PickupID string `json:"pickupId"`
	Date     string `json:"date"`
}
