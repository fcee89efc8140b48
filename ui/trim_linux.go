//go:build tray && linux && cgo

package ui

/*
#include <malloc.h>
*/
import "C"

// trimCHeap hands the C heap's free pages back to the system (glibc's
// malloc_trim): Mesa, GLFW and Xlib free megabytes when a window and its
// GL context are destroyed, but glibc keeps them mapped.
func trimCHeap() { C.malloc_trim(0) }
