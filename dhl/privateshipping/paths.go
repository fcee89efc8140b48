package privateshipping

import "net/url"

// Hosts and base path. The document names the resources but not the URL
// prefix; the prefix follows the scheme of the other Parcel DE APIs
// (/parcel/de/shipping/…).
const (
	ProductionURL = "https://api-eu.dhl.com"
	SandboxURL    = "https://api-sandbox.dhl.com"
	BasePath      = "/parcel/de/shipping/private/v1"
)

// Resource paths below BasePath.
const (
	pathProducts = "/products"
	pathCarts    = "/shopping-carts"
	pathLabels   = "/labels"   // /labels/{pakId}: the label as PDF
	pathQRCodes  = "/qr-codes" // /qr-codes/{pakId}: the QR code as PNG
	pathPickups  = "/pickups"
)

// CartPath is the path of a cart below the host.
func CartPath(id string) string { return BasePath + pathCarts + "/" + url.PathEscape(id) }

// LabelPath and QRPath are the document paths of an item below the host.
func LabelPath(pakID string) string { return BasePath + pathLabels + "/" + url.PathEscape(pakID) }

// QRPath is the QR code's path below the host.
func QRPath(pakID string) string { return BasePath + pathQRCodes + "/" + url.PathEscape(pakID) }

// ProductsPath, CartsPath and PickupsPath are collection paths below the host.
const (
	ProductsPath = BasePath + pathProducts
	CartsPath    = BasePath + pathCarts
	PickupsPath  = BasePath + pathPickups
)

// Notify parameters DHL appends to the notify URL.
const (
	NotifyPartnerParam = "dhlPartner"
	NotifyPartner      = "DEUANON"
	NotifyCartParam    = "shoppingCartId"
)
