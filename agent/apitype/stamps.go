package apitype

import "time"

// INTERNETMARKE wire types: the control API's /api/v1/stamps endpoints, used
// by the CLI ("labelagent stamp …") and the tray. Amounts are eurocents, with
// a formatted text ("0,95 €") beside them for display.

// Error codes of the stamp endpoints.
const (
	CodeStampRefused       = "stamp_refused"        // Deutsche Post refused; nothing was charged
	CodeStampNotConfigured = "stamp_not_configured" // no internetmarke: section, or disabled
	CodeCarrierAuth        = "carrier_unauthorized" // Portokasse login refused / app not approved
	CodeRateLimited        = "rate_limited"
	CodeCarrierUnavailable = "carrier_unavailable"
)

// StampBalance is the Portokasse balance as last reported by Deutsche Post.
type StampBalance struct {
	Cents int       `json:"cents"`
	Text  string    `json:"text"`
	At    time.Time `json:"at"`
	// LowBelowCents is the configuration's tray.low_balance: below it the
	// tray notifies the operator (0: never). Low says the balance is below.
	LowBelowCents int  `json:"low_below_cents,omitempty"`
	Low           bool `json:"low,omitempty"`
}

// StampProduct is a product of the price list.
type StampProduct struct {
	Code       int    `json:"code"`
	Name       string `json:"name"`
	PriceCents int    `json:"price_cents"`
	Price      string `json:"price"`
	Default    bool   `json:"default,omitempty"`
}

// StampProductList is the price list.
type StampProductList struct {
	Products []StampProduct `json:"products"`
}

// StampPageFormat is a print format for PDF stamps.
type StampPageFormat struct {
	ID              int     `json:"id"`
	Name            string  `json:"name"`
	PageType        string  `json:"page_type"`
	WidthMM         float64 `json:"width_mm"`
	HeightMM        float64 `json:"height_mm"`
	AddressPossible bool    `json:"address_possible"`
	LabelsPerPage   int     `json:"labels_per_page"`
}

// StampFormatList lists the page formats.
type StampFormatList struct {
	Formats []StampPageFormat `json:"formats"`
}

// StampAddress is a sender or receiver printed in the address zone.
type StampAddress struct {
	Name           string `json:"name"`
	AdditionalName string `json:"additional_name,omitempty"`
	AddressLine1   string `json:"address_line1"`
	AddressLine2   string `json:"address_line2,omitempty"`
	PostalCode     string `json:"postal_code"`
	City           string `json:"city"`
	Country        string `json:"country,omitempty"` // ISO 3166 alpha-3, default DEU
}

// StampPreviewRequest asks for a free preview.
type StampPreviewRequest struct {
	Product    int    `json:"product,omitempty"` // 0: the configured default
	Layout     string `json:"layout,omitempty"`  // ADDRESS_ZONE or FRANKING_ZONE
	Format     string `json:"format,omitempty"`  // png or pdf
	DPI        string `json:"dpi,omitempty"`
	PageFormat int    `json:"page_format,omitempty"`
}

// StampPreview is a preview image (PNG) or document (PDF).
type StampPreview struct {
	Kind string `json:"kind"`
	Data []byte `json:"data"`
}

// StampBuyRequest buys stamps and prints them. Send an idempotency key: a
// repeated request with the same key returns the first purchase.
type StampBuyRequest struct {
	IdempotencyKey string        `json:"idempotency_key,omitempty"`
	Product        int           `json:"product,omitempty"` // 0: the configured default
	Quantity       int           `json:"quantity,omitempty"`
	Layout         string        `json:"layout,omitempty"`
	Sender         *StampAddress `json:"sender,omitempty"` // default: the configured sender
	Receiver       *StampAddress `json:"receiver,omitempty"`
	Format         string        `json:"format,omitempty"`
	DPI            string        `json:"dpi,omitempty"` // default: the printer's resolution
	PageFormat     int           `json:"page_format,omitempty"`
	Printer        string        `json:"printer,omitempty"`
	Reference      string        `json:"reference,omitempty"`
}

// StampVoucher is one bought stamp.
type StampVoucher struct {
	VoucherID string `json:"voucher_id"`
	TrackID   string `json:"track_id,omitempty"`
}

// StampPurchase is a purchase in the agent's journal.
type StampPurchase struct {
	ID            string         `json:"id"`
	State         string         `json:"state"` // intent, ordered, paid, stored, printing, printed, failed, refund_requested, refunded
	Pending       bool           `json:"pending,omitempty"`
	Product       int            `json:"product"`
	ProductName   string         `json:"product_name"`
	Quantity      int            `json:"quantity"`
	TotalCents    int            `json:"total_cents"`
	Total         string         `json:"total"`
	ShopOrderID   string         `json:"shop_order_id,omitempty"`
	Vouchers      []StampVoucher `json:"vouchers,omitempty"`
	Kind          string         `json:"kind,omitempty"`
	Files         int            `json:"files,omitempty"`
	Printer       string         `json:"printer,omitempty"`
	Reference     string         `json:"reference,omitempty"`
	Error         string         `json:"error,omitempty"`
	Retryable     bool           `json:"retryable,omitempty"`
	PrintError    string         `json:"print_error,omitempty"`
	PrintUnknown  bool           `json:"print_unknown,omitempty"`
	Prints        int            `json:"prints"`
	ShopRetoureID string         `json:"shop_retoure_id,omitempty"`
	Created       time.Time      `json:"created"`
	Updated       time.Time      `json:"updated"`
	PaidAt        *time.Time     `json:"paid_at,omitempty"`
	PrintedAt     *time.Time     `json:"printed_at,omitempty"`
	RefundedAt    *time.Time     `json:"refunded_at,omitempty"`
}

// StampPurchaseList is a page of purchases, newest first.
type StampPurchaseList struct {
	Purchases []StampPurchase `json:"purchases"`
}

// StampTopUpRequest charges the Portokasse from the SEPA mandate. Confirm
// must be true: this moves real money.
type StampTopUpRequest struct {
	AmountCents int  `json:"amount_cents"`
	Confirm     bool `json:"confirm"`
}

// StampTopUp is the answer to a top-up.
type StampTopUp struct {
	ShopOrderID  string `json:"shop_order_id"`
	BalanceCents *int   `json:"balance_cents,omitempty"`
	Balance      string `json:"balance,omitempty"`
}
