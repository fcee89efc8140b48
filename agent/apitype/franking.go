package apitype

import "time"

// Online Franking (DHL Parcel DE Private Shipping) wire types: carts the
// agent prepares, the operator pays in DHL's frontend, and whose labels the
// agent prints (or whose QR codes it keeps for drop-off).

// FrankingAddress is a sender or receiver. Which fields mean what depends
// on the type: a Packstation or Postfiliale receiver has street
// "Packstation"/"Postfiliale", street_number its number, name1 the person
// and name2 the Postnummer; a street address has name2 the person.
type FrankingAddress struct {
	Name1            string `json:"name1,omitempty"`
	Name2            string `json:"name2,omitempty"`
	Name3            string `json:"name3,omitempty"`
	Street           string `json:"street,omitempty"`
	StreetNumber     string `json:"street_number,omitempty"`
	AddressAddition1 string `json:"address_addition1,omitempty"`
	AddressAddition2 string `json:"address_addition2,omitempty"`
	PostalCode       string `json:"postal_code,omitempty"`
	City             string `json:"city,omitempty"`
	Province         string `json:"province,omitempty"`
	Country          string `json:"country,omitempty"` // ISO 3166 alpha-3, e.g. DEU
	Email            string `json:"email,omitempty"`
	Phone            string `json:"phone,omitempty"`
}

// FrankingCartRequest asks the agent to prepare a cart for one parcel.
type FrankingCartRequest struct {
	// IdempotencyKey: the same key returns the first cart. Empty: derived
	// from OrderRef ("order:REF"), else random.
	IdempotencyKey string           `json:"idempotency_key,omitempty"`
	OrderRef       string           `json:"order_ref,omitempty"`
	ProductID      string           `json:"product_id,omitempty"` // empty: franking.default_product
	Services       []string         `json:"services,omitempty"`
	WeightGrams    int              `json:"weight_grams,omitempty"`
	Receiver       FrankingAddress  `json:"receiver"`
	Sender         *FrankingAddress `json:"sender,omitempty"` // empty: franking.sender
	Printer        string           `json:"printer,omitempty"`
	Output         string           `json:"output,omitempty"` // label (default) or qr
}

// FrankingItem is one parcel of a cart.
type FrankingItem struct {
	ItemID     string `json:"item_id"`
	ProductID  string `json:"product_id"`
	PriceCents int64  `json:"price_cents"`
	PAKID      string `json:"pakid,omitempty"`
	ShipmentNo string `json:"shipment_no,omitempty"`
	HasLabel   bool   `json:"has_label,omitempty"`
	HasQR      bool   `json:"has_qr,omitempty"`
	JobID      string `json:"job_id,omitempty"`
}

// FrankingChange is one step of a cart's history.
type FrankingChange struct {
	At    time.Time `json:"at"`
	State string    `json:"state"`
	Note  string    `json:"note,omitempty"`
}

// Cart states: intent, sending, unknown, created, paid, done, expired, failed.
const (
	FrankingCreated = "created"
	FrankingPaid    = "paid"
	FrankingDone    = "done"
	FrankingUnknown = "unknown"
)

// FrankingCart is a cart in the agent's journal.
type FrankingCart struct {
	ID             string          `json:"id"`
	OrderRef       string          `json:"order_ref,omitempty"`
	State          string          `json:"state"`
	ShoppingCartID string          `json:"shopping_cart_id,omitempty"`
	EntryURL       string          `json:"entry_url,omitempty"` // the payment page
	TotalCents     int64           `json:"total_cents"`
	Output         string          `json:"output"`
	Printer        string          `json:"printer,omitempty"`
	Receiver       FrankingAddress `json:"receiver"`
	Items          []FrankingItem  `json:"items,omitempty"`
	PaymentOpened  *time.Time      `json:"payment_opened,omitempty"`
	PaidAt         *time.Time      `json:"paid_at,omitempty"`
	PaidVia        string          `json:"paid_via,omitempty"` // notify or poll
	DoneAt         *time.Time      `json:"done_at,omitempty"`
	Error          string          `json:"error,omitempty"`
	Action         string          `json:"action,omitempty"` // what the operator can do, in the request's language
	// ActionID and ActionArgs are the action's catalog message (agent/i18n),
	// for a client that words it itself (events are worded in English).
	ActionID   string            `json:"action_id,omitempty"`
	ActionArgs map[string]string `json:"action_args,omitempty"`
	Created    time.Time         `json:"created"`
	Updated    time.Time         `json:"updated"`
	History    []FrankingChange  `json:"history,omitempty"`
}

// FrankingCartResponse answers a create: Existing is true when the key (or
// order) already had a cart, which is returned instead.
type FrankingCartResponse struct {
	Cart     FrankingCart `json:"cart"`
	Existing bool         `json:"existing"`
}

// FrankingCartList is carts, newest first.
type FrankingCartList struct {
	Carts []FrankingCart `json:"carts"`
}

// FrankingService is an extra of a product.
type FrankingService struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	PriceCents int64  `json:"price_cents"`
}

// FrankingProduct is a product of DHL's catalog.
type FrankingProduct struct {
	ID             string            `json:"id"`
	Name           string            `json:"name"`
	Description    string            `json:"description,omitempty"`
	PriceCents     int64             `json:"price_cents"`
	Destinations   []string          `json:"destinations"`
	MaxWeightGrams int               `json:"max_weight_grams,omitempty"`
	Services       []FrankingService `json:"services,omitempty"`
}

// FrankingCatalog is the cached catalog (refreshed about daily).
type FrankingCatalog struct {
	Products []FrankingProduct `json:"products"`
	Fetched  time.Time         `json:"fetched"`
	Error    string            `json:"error,omitempty"` // the last failed refresh
}
