//go:build tray && !(linux && cgo)

package ui

// trimCHeap: only glibc keeps freed memory this way.
func trimCHeap() {}
