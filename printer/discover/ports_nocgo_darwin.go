//go:build darwin && !cgo

package discover

import "go.bug.st/serial"

// Without cgo macOS gives names only (no USB details).
func serialPorts() ([]Port, error) {
	names, err := serial.GetPortsList()
	var out []Port
	for _, n := range names {
		out = append(out, Port{Name: n})
	}
	return out, err
}
