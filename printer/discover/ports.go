//go:build !darwin || cgo

package discover

import "go.bug.st/serial/enumerator"

func serialPorts() ([]Port, error) {
	list, err := enumerator.GetDetailedPortsList()
	var out []Port
	for _, p := range list {
		out = append(out, Port{Name: p.Name, USB: p.IsUSB, VID: p.VID, PID: p.PID, Serial: p.SerialNumber, Model: p.Product})
	}
	return out, err
}
