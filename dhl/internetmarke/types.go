package internetmarke

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Resolutions and voucher layouts of the v1.30 contract.
const (
	DPI203             = "DPI203"
	DPI300             = "DPI300"
	LayoutAddressZone  = "ADDRESS_ZONE"
	LayoutFrankingZone = "FRANKING_ZONE"
)

// Address is a sender or receiver printed in the address zone of a stamp.
type Address struct {
	Name           string `json:"name" yaml:"name"`
	AdditionalName string `json:"additionalName,omitempty" yaml:"additional_name"`
	AddressLine1   string `json:"addressLine1" yaml:"address_line1"`
	AddressLine2   string `json:"addressLine2,omitempty" yaml:"address_line2"`
	PostalCode     string `json:"postalCode" yaml:"postal_code"`
	City           string `json:"city" yaml:"city"`
	Country        string `json:"country" yaml:"country"` // ISO 3166 alpha-3, e.g. DEU
}

// Validate checks the limits of the contract.
func (a Address) Validate() error {
	var errs []error
	check := func(field, v string, min, max int) {
		n := utf8.RuneCountInString(v)
		if n < min {
			errs = append(errs, &AddressProblem{Field: field, Problem: ProblemRequired})
		} else if n > max {
			errs = append(errs, &AddressProblem{Field: field, Problem: ProblemTooLong, Max: max})
		}
	}
	check("name", a.Name, 1, 50)
	check("additional name", a.AdditionalName, 0, 40)
	check("address line 1", a.AddressLine1, 1, 50)
	check("address line 2", a.AddressLine2, 0, 60)
	check("city", a.City, 1, 40)
	if utf8.RuneCountInString(a.PostalCode) != 5 {
		errs = append(errs, &AddressProblem{Field: "postal code", Problem: ProblemPostalCode, Value: a.PostalCode})
	}
	if len(a.Country) != 3 || strings.ToUpper(a.Country) != a.Country {
		errs = append(errs, &AddressProblem{Field: "country", Problem: ProblemCountry, Value: a.Country})
	}
	return errors.Join(errs...)
}

// Problems of an address, for callers that word them in the reader's
// language.
const (
	ProblemRequired   = "required"
	ProblemTooLong    = "too_long"
	ProblemPostalCode = "postal_code"
	ProblemCountry    = "country"
)

// AddressProblem is one thing wrong with an address: a Problem code, the
// Field as INTERNETMARKE names it, and the limit or the value refused.
type AddressProblem struct {
	Field   string
	Problem string
	Max     int
	Value   string
}

func (p *AddressProblem) Error() string {
	switch p.Problem {
	case ProblemRequired:
		return p.Field + " is required"
	case ProblemTooLong:
		return fmt.Sprintf("%s is longer than %d characters", p.Field, p.Max)
	case ProblemPostalCode:
		return fmt.Sprintf("postal code %q must have 5 characters", p.Value)
	default:
		return fmt.Sprintf("country %q must be an ISO 3166 alpha-3 code such as DEU", p.Value)
	}
}

// AddressProblems returns the problems of an error from Validate.
func AddressProblems(err error) []*AddressProblem {
	var out []*AddressProblem
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, AddressProblems(e)...)
		}
		return out
	}
	var p *AddressProblem
	if errors.As(err, &p) {
		out = append(out, p)
	}
	return out
}

// Login is the answer to POST /user.
type Login struct {
	AccessToken        string
	TokenType          string
	ExpiresIn          time.Duration
	WalletBalance      Cents
	InfoMessage        string
	ShowTerms          bool
	ExternalCustomerID string
	AuthenticatedUser  string
}

// Balance is the Portokasse balance as last reported by the service.
type Balance struct {
	Amount Cents
	At     time.Time // when the service reported it
}

// Profile is the user profile (GET /user/profile).
type Profile struct {
	EKP              string `json:"ekp,omitempty"`
	Company          string `json:"company,omitempty"`
	Salutation       string `json:"salutation,omitempty"`
	Title            string `json:"title,omitempty"`
	InvoiceType      string `json:"invoiceType"`
	InvoiceFrequency string `json:"invoiceFrequency"`
	Mail             string `json:"mail"`
	Firstname        string `json:"firstname,omitempty"`
	Lastname         string `json:"lastname,omitempty"`
	Street           string `json:"street,omitempty"`
	HouseNo          string `json:"houseNo,omitempty"`
	Zip              string `json:"zip,omitempty"`
	City             string `json:"city,omitempty"`
	Country          string `json:"country"`
	Phone            string `json:"phone,omitempty"`
	POBox            string `json:"pobox,omitempty"`
	POBoxZip         string `json:"poboxZip,omitempty"`
	POBoxCity        string `json:"poboxCity,omitempty"`
	EPostBrief       string `json:"epostbrief,omitempty"`
}

// Catalog types for GET /app/catalog.
const (
	CatalogPageFormats      = "PAGE_FORMATS"
	CatalogPublic           = "PUBLIC"
	CatalogPrivate          = "PRIVATE"
	CatalogContractProducts = "CONTRACT_PRODUCTS"
)

// Catalog is the merged answer of GET /app/catalog.
type Catalog struct {
	PageFormats      []PageFormat      `json:"pageFormats,omitempty"`
	Public           []MotifCategory   `json:"publicCatalog,omitempty"`
	Private          []MotifLink       `json:"privateCatalog,omitempty"`
	ContractProducts []ContractProduct `json:"contractProducts,omitempty"`
	Fetched          time.Time         `json:"-"`
}

// PageFormat is a print format for PDF stamps.
type PageFormat struct {
	ID                int        `json:"id"`
	Name              string     `json:"name"`
	Description       string     `json:"description,omitempty"`
	PageType          string     `json:"pageType"`
	IsAddressPossible bool       `json:"isAddressPossible"`
	IsImagePossible   bool       `json:"isImagePossible"`
	PageLayout        PageLayout `json:"pageLayout"`
}

// PageLayout gives sizes in millimetres.
type PageLayout struct {
	Size         Dimension `json:"size"`
	Orientation  string    `json:"orientation"`
	LabelSpacing Dimension `json:"labelSpacing"`
	LabelCount   struct {
		LabelX int `json:"labelX"`
		LabelY int `json:"labelY"`
	} `json:"labelCount"`
	Margin struct {
		Top    float64 `json:"top"`
		Bottom float64 `json:"bottom"`
		Left   float64 `json:"left"`
		Right  float64 `json:"right"`
	} `json:"margin"`
}

// Dimension in millimetres.
type Dimension struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// MotifCategory is a category of public motifs.
type MotifCategory struct {
	Category            string  `json:"category"`
	CategoryDescription string  `json:"categoryDescription"`
	CategoryID          int     `json:"categoryId,omitempty"`
	Images              []Motif `json:"images"`
}

// Motif is a picture that can be printed next to the stamp.
type Motif struct {
	ImageID          int       `json:"imageID"`
	ImageDescription string    `json:"imageDescription"`
	ImageSlogan      string    `json:"imageSlogan"`
	Links            MotifLink `json:"links"`
}

// MotifLink points to a motif picture.
type MotifLink struct {
	Link          string `json:"link"`
	LinkThumbnail string `json:"linkThumbnail"`
}

// ContractProduct is a product with the customer's contract price.
type ContractProduct struct {
	ProductCode int   `json:"productCode"`
	Price       Cents `json:"price"`
}

// Position is one stamp in an order.
type Position struct {
	ProductCode int
	ImageID     int    // 0: no motif
	Layout      string // ADDRESS_ZONE or FRANKING_ZONE; "" = FRANKING_ZONE
	Sender      *Address
	Receiver    *Address // both or neither
	// Label places the stamp on a PDF page (1-based); zero: next free label.
	LabelX, LabelY, Page int
}

// Order is what the client sends to check out a shopping cart.
type Order struct {
	ShopOrderID string // from NewShopOrder; "" = directCheckout
	Positions   []Position
	// Total must equal the service's price for all positions; the client
	// fills it from the price list when zero.
	Total          Cents
	DPI            string // DPI203 or DPI300
	PageFormatID   int    // PDF only
	OptimizePNG    bool   // PNG only
	CreateManifest bool
}

// Stamp file kinds.
const (
	KindPNG = "png" // Files holds one PNG per voucher, in order
	KindPDF = "pdf" // Files holds one PDF
)

// Receipt is a paid order: the vouchers and the stamp files downloaded from
// the short-lived link.
type Receipt struct {
	ShopOrderID   string
	Vouchers      []Voucher
	Link          string
	ManifestLink  string
	WalletBalance *Cents // nil when the service did not report it
	Kind          string
	Files         [][]byte
}

// Voucher is one stamp: VoucherID (20 chars, the first 10 are the
// Portokasse serial) and TrackID for registered mail.
type Voucher struct {
	VoucherID string `json:"voucherId"`
	TrackID   string `json:"trackId,omitempty"`
}

// Preview asks for a free preview of a stamp.
type Preview struct {
	ProductCode  int
	ImageID      int
	Layout       string
	DPI          string
	PageFormatID int // PDF only
}

// PreviewImage is a downloaded preview.
type PreviewImage struct {
	Link string
	Kind string // KindPNG or KindPDF
	Data []byte // one PNG, or a PDF
}

// RefundRequest names what to refund: a whole shop order, or single vouchers.
type RefundRequest struct {
	ShopOrderID string
	VoucherIDs  []string
	TrackIDs    []string
}

// RefundReceipt is the answer to POST /app/retoure.
type RefundReceipt struct {
	ShopRetoureID        string
	RetoureTransactionID string
}

// RefundQuery filters GET /app/retoure; zero fields are left out.
type RefundQuery struct {
	ShopRetoureID        string
	RetoureTransactionID int
	Start, End           time.Time
}

// RefundState is one refund and how far it got.
type RefundState struct {
	RetoureTransactionID int
	ShopRetoureID        string
	TotalCount           int
	CountStillOpen       int
	RetourePrice         Cents
	Created              time.Time // zero when the service's date could not be read
	CreationDateRaw      string
	Serialnumber         string
	Refunded             []Voucher
	NotRefunded          []Voucher
}

// TopUp is the answer to PUT /app/wallet.
type TopUp struct {
	ShopOrderID   string
	WalletBalance *Cents
}

// Version is the answer to GET /.
type Version struct {
	Name, Version, Rev, Env string
}

// ParseRetoureDate reads the service's creationDate, "dMMyyyy-HHmmss" with
// the day not zero-padded (e.g. "6102025-190339" = 6 Oct 2025 19:03:39).
// The date is taken as Europe/Berlin wall time when loc is nil → UTC.
func ParseRetoureDate(s string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	datePart, timePart, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok || len(timePart) != 6 || len(datePart) < 7 || len(datePart) > 8 {
		return time.Time{}, fmt.Errorf("retoure date %q: want dMMyyyy-HHmmss", s)
	}
	for _, r := range datePart + timePart {
		if r < '0' || r > '9' {
			return time.Time{}, fmt.Errorf("retoure date %q: want digits", s)
		}
	}
	// Right-align: the last 6 digits of the date are MMyyyy.
	day := datePart[:len(datePart)-6]
	if len(day) == 1 {
		day = "0" + day
	}
	t, err := time.ParseInLocation("02012006-150405", day+datePart[len(datePart)-6:]+"-"+timePart, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("retoure date %q: %w", s, err)
	}
	return t, nil
}

// FormatRetoureDate writes t the way the service does.
func FormatRetoureDate(t time.Time) string {
	return fmt.Sprintf("%d%s", t.Day(), t.Format("012006-150405"))
}
