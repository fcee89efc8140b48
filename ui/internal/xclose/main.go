//go:build tray && linux

// Command xclose asks the X11 window whose title starts with its argument to
// close, the way a window manager's close button does (a WM_DELETE_WINDOW
// client message). Xvfb runs no window manager; the tray's smoke test uses
// it to close the main window to the tray. `xclose -exists TITLE` only
// says whether such a window is there (exit 0, else 1).
package main

/*
#cgo LDFLAGS: -lX11
#include <stdlib.h>
#include <string.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>

static Window find(Display *d, Window w, const char *prefix) {
	XTextProperty name;
	if (XGetWMName(d, w, &name) && name.value) {
		int ok = name.nitems >= strlen(prefix) && strncmp((char *)name.value, prefix, strlen(prefix)) == 0;
		XFree(name.value);
		if (ok) return w;
	}
	Window root, parent, *kids = NULL;
	unsigned int n = 0;
	Window found = 0;
	if (XQueryTree(d, w, &root, &parent, &kids, &n)) {
		for (unsigned int i = 0; i < n && !found; i++) found = find(d, kids[i], prefix);
		if (kids) XFree(kids);
	}
	return found;
}

static int closeWindow(const char *prefix, int onlyFind) {
	Display *d = XOpenDisplay(NULL);
	if (!d) return 2;
	Window w = find(d, DefaultRootWindow(d), prefix);
	if (!w) { XCloseDisplay(d); return 1; }
	if (onlyFind) { XCloseDisplay(d); return 0; }
	XEvent ev;
	memset(&ev, 0, sizeof ev);
	ev.xclient.type = ClientMessage;
	ev.xclient.window = w;
	ev.xclient.message_type = XInternAtom(d, "WM_PROTOCOLS", False);
	ev.xclient.format = 32;
	ev.xclient.data.l[0] = XInternAtom(d, "WM_DELETE_WINDOW", False);
	ev.xclient.data.l[1] = CurrentTime;
	XSendEvent(d, w, False, NoEventMask, &ev);
	XFlush(d);
	XCloseDisplay(d);
	return 0;
}
*/
import "C"

import (
	"fmt"
	"os"
	"unsafe"
)

func main() {
	args, find := os.Args[1:], C.int(0)
	if len(args) == 2 && args[0] == "-exists" {
		args, find = args[1:], 1
	}
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: xclose [-exists] TITLE-PREFIX")
		os.Exit(2)
	}
	p := C.CString(args[0])
	defer C.free(unsafe.Pointer(p))
	switch C.closeWindow(p, find) {
	case 1:
		fmt.Fprintf(os.Stderr, "xclose: no window titled %q…\n", os.Args[1])
		os.Exit(1)
	case 2:
		fmt.Fprintln(os.Stderr, "xclose: cannot open the display")
		os.Exit(1)
	}
}
