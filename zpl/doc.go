// Package zpl turns labels into the printer's language and back.
//
// It holds the printer profile and media sizes (Profile, LookupSize), the
// 1-bit raster type Mono with threshold/dither conversion, trimming and
// rotation, the ^GF graphic encoders and decoders (hex, ACS run-length and
// :Z64:), complete image labels (ImageLabel), PNG and PDF input (PDF through
// go-pdfium in WebAssembly mode, no cgo), DPI conversion of carrier ZPL, and a
// ZPL tokenizer. The Converter is the single entry the agent calls to prepare
// a job for a printer.
//
// The preview renderer lives in zpl/render and barcode scan verification in
// zpl/verify.
package zpl
