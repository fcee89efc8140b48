//go:build !(linux || darwin || freebsd || openbsd || netbsd)

package serial

import bug "go.bug.st/serial"

// openPort opens the port; flow control is then done by the agent (the
// serial library turns the OS's off on this system).
func openPort(dev string, mode *bug.Mode, flow string) (Port, bool, error) {
	port, err := bug.Open(dev, mode)
	if err != nil {
		return nil, false, err
	}
	return port, false, nil
}
