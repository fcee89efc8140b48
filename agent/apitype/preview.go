package apitype

// Preview describes a label preview: the labels a printer would print for
// a job or a payload, drawn one pixel per printer dot. The images are
// PNGs fetched one label at a time (GET /api/v1/jobs/{id}/preview?label=N,
// POST /api/v1/preview?label=N); this is the ?format=json answer and the
// output of `labelagent preview --json`.
type Preview struct {
	Job     string         `json:"job,omitempty"`
	Printer string         `json:"printer,omitempty"`
	Kind    Kind           `json:"kind"`
	DPI     int            `json:"dpi"`
	Labels  []PreviewLabel `json:"labels"`
	// Verified is set when the barcodes were checked: true when every
	// barcode on every label scans and was drawn.
	Verified *bool `json:"verified,omitempty"`
}

// PreviewLabel is one label of a preview.
type PreviewLabel struct {
	Index      int              `json:"index"` // 1-based
	WidthDots  int              `json:"width_dots"`
	HeightDots int              `json:"height_dots"`
	File       string           `json:"file,omitempty"` // CLI: the PNG written
	Barcodes   []PreviewBarcode `json:"barcodes,omitempty"`
	// Undrawn lists barcodes (and stored formats) the preview could not
	// draw: the label may differ from the printer's there, and a check
	// fails over them.
	Undrawn  []PreviewUndrawn `json:"undrawn,omitempty"`
	Warnings []string         `json:"warnings,omitempty"` // the renderer's notes, in the reader's language
	// Problems are the check's failures (barcodes that do not scan).
	Problems   []string `json:"problems,omitempty"`
	Unverified []string `json:"unverified,omitempty"` // drawn, but no reader for them (PDF417, MaxiCode)
}

// PreviewBarcode is a barcode drawn on a preview.
type PreviewBarcode struct {
	Symbology string `json:"symbology"` // code128, code39, ean13, itf, pdf417, datamatrix, qr, aztec, maxicode
	Data      string `json:"data"`      // what a scanner reports; GS1 separators as U+001D
	GS1       bool   `json:"gs1,omitempty"`
	Clipped   bool   `json:"clipped,omitempty"` // partly off the label, as on the printer
	X         int    `json:"x"`
	Y         int    `json:"y"`
	Width     int    `json:"width"`
	Height    int    `json:"height"`
}

// PreviewUndrawn is a barcode command the preview could not draw.
type PreviewUndrawn struct {
	Command string `json:"command"` // e.g. "^BA"
	Data    string `json:"data,omitempty"`
	Reason  string `json:"reason"` // in English
}

// Preview headers on PNG answers.
const (
	HeaderPreviewLabels   = "X-Preview-Labels"   // how many labels the preview has
	HeaderPreviewWarnings = "X-Preview-Warnings" // how many warnings the shown label has
	HeaderPreviewUndrawn  = "X-Preview-Undrawn"  // how many barcodes of the shown label are not drawn
)
