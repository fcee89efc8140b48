// Package zpl turns labels into the printer's language and back.
//
// It holds the printer profile and media sizes (Profile, ProfileFrom,
// LookupSize), the 1-bit raster type Mono with threshold/dither conversion,
// trimming and rotation, the ^GF graphic encoders and decoders (hex, ACS
// run-length and :Z64:), complete image labels (ImageLabel, PrepareImage,
// MonoLabel, GraphicField), PNG input with size limits checked before
// decoding, PDF input rendered by go-pdfium in WebAssembly mode (no cgo)
// with pdfcpu for page work, DPI conversion of carrier ZPL that refuses
// rather than print at the wrong scale (ConvertDPI, PrepareZPL), and a ZPL
// tokenizer (Tokenize, FieldText). DataMatrix and PDF417 symbols on PDF
// pages that are recognised exactly are sent as native ^BX/^B7 commands.
//
// The Converter is the single entry the agent calls to prepare a job for a
// printer: Prepare or PrepareConfig. Errors that mean the job can never
// print as given wrap ErrBadInput.
//
// The preview renderer lives in zpl/render and barcode scan verification in
// zpl/verify.
package zpl
