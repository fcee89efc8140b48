package zpl

import "bytes"

// DetectKind guesses a job's kind from its content: "pdf", "png", "zpl"
// (a ^XA or ~ command near the start) or "raw".
func DetectKind(data []byte) string {
	head := data[:min(len(data), 4096)]
	trim := bytes.TrimLeft(head, "\x00\t\r\n ")
	switch {
	case bytes.HasPrefix(trim, []byte("%PDF-")):
		return KindPDF
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return KindPNG
	case bytes.Contains(bytes.ToUpper(head), []byte("^XA")), bytes.HasPrefix(trim, []byte("~")):
		return KindZPL
	}
	return KindRaw
}
