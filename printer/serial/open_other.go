//go:build !(linux || darwin || freebsd || openbsd || netbsd)

package serial

import (
	"os"

	bug "go.bug.st/serial"
)

// openPort opens the port; flow control is then done by the agent (the
// serial library turns the OS's off on this system), and writes go
// through the port, whose pending writes ResetOutputBuffer aborts.
func openPort(dev string, mode *bug.Mode, flow string) (Port, *os.File, bool, error) {
	port, err := bug.Open(dev, mode)
	if err != nil {
		return nil, nil, false, err
	}
	return port, nil, false, nil
}
