package sim

// Documents for the other simulators (Online Franking): the same label
// renderer and QR codes the Shipping and Returns simulators use, so every
// simulated DHL document looks and decodes alike.

// Label is what a simulated parcel label shows.
type Label struct {
	Title       string // product name
	Date        string
	Weight      string
	Sender      []string
	Receiver    []string
	RoutingCode string // Leitcode; may be empty
	ShipmentNo  string
	Reference   string
	Notes       []string
}

// LabelPDF renders a 103×199 mm parcel label as PDF, its Code 128 and
// PDF417 readable like the Shipping simulator's.
func LabelPDF(l Label) ([]byte, error) {
	fs, err := newFontSet()
	if err != nil {
		return nil, err
	}
	_, pdf, err := fs.shippingLabel(labelData(l), "PDF", "910-300-600")
	return pdf, err
}

// QRCodePNG renders content as a QR code PNG with a quiet zone.
func QRCodePNG(content string) ([]byte, error) { return qrPNG(content) }
