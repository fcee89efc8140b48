//go:build !cgo || windows

package usb

// Without cgo there is no libusb; on Windows label printers on USB are used
// through the spooler (the maker's driver owns the device), so libusb is
// left out there too.

func newGousbBus() (Bus, error) { return nil, ErrNotInBuild }

const libusbBuilt = false
