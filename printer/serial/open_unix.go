//go:build linux || darwin || freebsd || openbsd || netbsd

package serial

import (
	"fmt"

	bug "go.bug.st/serial"
	"golang.org/x/sys/unix"
)

// openPort opens the port and lets the kernel do flow control (CRTSCTS,
// IXON/IXOFF). go.bug.st/serial switches both off and then takes the port
// exclusively, so the settings go through a second descriptor opened just
// before it; termios settings belong to the device, not the descriptor.
// hw reports that the kernel handles flow control.
func openPort(dev string, mode *bug.Mode, flow string) (Port, bool, error) {
	pre := -1
	if flow != "none" {
		fd, err := unix.Open(dev, unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err == nil {
			pre = fd
			defer unix.Close(pre)
		}
	}
	port, err := bug.Open(dev, mode)
	if err != nil {
		return nil, false, err
	}
	if flow == "none" || pre < 0 {
		return port, false, nil
	}
	t, err := unix.IoctlGetTermios(pre, ioctlGetTermios)
	if err != nil {
		return port, false, nil
	}
	switch flow {
	case "rtscts":
		t.Cflag |= unix.CRTSCTS
	case "xonxoff":
		t.Iflag |= unix.IXON | unix.IXOFF
		t.Iflag &^= unix.IXANY
		t.Cc[unix.VSTART], t.Cc[unix.VSTOP] = xon, xoff
	}
	if err := unix.IoctlSetTermios(pre, ioctlSetTermios, t); err != nil {
		port.Close()
		return nil, false, fmt.Errorf("set %s flow control: %w", flow, err)
	}
	return port, true, nil
}
