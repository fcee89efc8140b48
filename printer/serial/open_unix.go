//go:build linux || darwin || freebsd || openbsd || netbsd

package serial

import (
	"fmt"
	"os"
	"time"

	bug "go.bug.st/serial"
	"golang.org/x/sys/unix"
)

// openPort opens the port with go.bug.st/serial (line settings, exclusive
// access, reading) plus a second, non-blocking descriptor opened just
// before it, which is used for two things go.bug.st/serial cannot do:
//
//   - flow control by the kernel (CRTSCTS, IXON/IXOFF): the library turns
//     both off, and termios settings belong to the device, not to one
//     descriptor, so they are set through the second one;
//   - writing through Go's poller, so a write to a printer that stopped
//     reading can time out or be cancelled. A blocking write(2) on a
//     terminal cannot be interrupted by flushing or closing the port.
//
// out is nil when the second descriptor cannot be had; writes then go
// through port. hw reports that the kernel does the flow control.
func openPort(dev string, mode *bug.Mode, flow string) (port Port, out *os.File, hw bool, err error) {
	fd, ferr := unix.Open(dev, unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	p, err := bug.Open(dev, mode)
	if err != nil {
		if ferr == nil {
			unix.Close(fd)
		}
		return nil, nil, false, err
	}
	if ferr != nil {
		return p, nil, false, nil
	}
	if flow != "none" {
		t, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
		if err == nil {
			switch flow {
			case "rtscts":
				t.Cflag |= unix.CRTSCTS
			case "xonxoff":
				t.Iflag |= unix.IXON | unix.IXOFF
				t.Iflag &^= unix.IXANY
				t.Cc[unix.VSTART], t.Cc[unix.VSTOP] = xon, xoff
			}
			err = unix.IoctlSetTermios(fd, ioctlSetTermios, t)
		}
		if err != nil {
			unix.Close(fd)
			p.Close()
			return nil, nil, false, fmt.Errorf("set %s flow control: %w", flow, err)
		}
		hw = true
	}
	out = os.NewFile(uintptr(fd), dev) // non-blocking: registered with the poller
	if err := out.SetWriteDeadline(time.Time{}); err != nil {
		out.Close() // not pollable: write through port instead
		out = nil
	}
	return p, out, hw, nil
}
