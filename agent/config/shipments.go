package config

import "time"

// ShipmentsConfig is the shipments: section: how the agent prints and
// follows the DHL shipments it creates (the dhl: section holds the account).
type ShipmentsConfig struct {
	// Printer receives shipping labels ("" the default printer).
	Printer string `yaml:"printer,omitempty"`
	// DocumentPrinter receives A4 documents: customs papers (CN23) and the
	// day's manifest. Empty: customs papers are stored but not printed, and
	// the manifest goes to the label printer as a PDF.
	DocumentPrinter string `yaml:"document_printer,omitempty"`
	// DocFormat is ZPL2, PDF or auto (default): ZPL2 for 203 dpi printers,
	// PDF (rendered at the printer's resolution) for others, since DHL's
	// ZPL is laid out for 203 dpi.
	DocFormat string `yaml:"doc_format,omitempty"`
	// PrintFormat is the label stock (default 910-300-600, 103 x 199 mm).
	PrintFormat string `yaml:"print_format,omitempty"`
	// TrackEvery is how often the tracking of shipments under way is
	// refreshed (default 4h; a negative value turns it off).
	TrackEvery time.Duration `yaml:"track_every,omitempty"`
	// TrackDays is how long after creation a shipment is tracked (default 14).
	TrackDays int `yaml:"track_days,omitempty"`
	// TrackReserve is how many calls of the daily tracking quota are kept
	// for the operator's own look-ups (default 50).
	TrackReserve int `yaml:"track_reserve,omitempty"`
	// KeepDocuments is how long the labels and customs papers of settled
	// shipments (closed out, cancelled, failed) are kept (default 2160h, 90
	// days); the records stay.
	KeepDocuments time.Duration `yaml:"keep_documents,omitempty"`
	// Postage is the price per product for the day's list, e.g.
	// V01PAK: "4,99" (DHL's API does not say what a shipment costs).
	Postage map[string]string `yaml:"postage,omitempty"`
}
