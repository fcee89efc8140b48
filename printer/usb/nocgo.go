//go:build !cgo

package usb

func newGousbBus() (Bus, error) { return nil, ErrNotInBuild }

const libusbBuilt = false
