//go:build linux || darwin

package emulator

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// OpenPTY serves the printer on a pseudo-terminal pair, like a printer on a
// serial cable: clients open the returned device path with any serial
// library. If link is not empty, it is made a symbolic link to the device
// and returned instead; the link stays valid across a dropped connection
// (the emulator then creates a new pair behind it), the way /dev/ttyUSB0
// comes back when a cable is plugged in again.
func (e *Emulator) OpenPTY(link string) (string, error) {
	master, slave, err := openRaw()
	if err != nil {
		return "", err
	}
	path := slave.Name()
	if link != "" {
		if err := relink(slave.Name(), link); err != nil {
			master.Close()
			slave.Close()
			return "", err
		}
		path = link
	}
	pair := &ptyPair{master: master, slave: slave}
	if !e.track(pair) {
		pair.Close()
		return "", errors.New("emulator is closed")
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		for {
			e.log.Info("serial line ready", "device", pair.slave.Name(), "link", link)
			var next *ptyPair
			err := e.serve(pair.master, "serial", func() {
				// The cable is plugged in again at once: a new pair behind
				// the same link before the old one goes, so the link never
				// dangles.
				m, s, err := openRaw()
				if err == nil && link != "" {
					err = relink(s.Name(), link)
					if err != nil {
						m.Close()
						s.Close()
					}
				}
				if err != nil {
					e.log.Error("cannot recreate the serial line", "err", err)
				} else {
					next = &ptyPair{master: m, slave: s}
				}
				pair.Close()
			})
			pair.Close()
			e.untrack(pair)
			if !errors.Is(err, errDropped) || next == nil {
				e.log.Info("serial line closed", "device", pair.slave.Name(), "reason", err)
				return
			}
			pair = next
			if !e.track(pair) {
				pair.Close()
				return
			}
		}
	}()
	return path, nil
}

type ptyPair struct{ master, slave *os.File }

func (p *ptyPair) Close() error {
	p.master.Close()
	return p.slave.Close()
}

// openRaw opens a pair and puts the device side in raw mode, so that no
// byte is translated or echoed before a client sets its own mode.
func openRaw() (master, slave *os.File, err error) {
	master, slave, err = pty.Open()
	if err != nil {
		return nil, nil, fmt.Errorf("emulator: open a pseudo-terminal: %w", err)
	}
	t, err := unix.IoctlGetTermios(int(slave.Fd()), ioctlGetTermios)
	if err == nil {
		t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
		t.Oflag &^= unix.OPOST
		t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		t.Cflag &^= unix.CSIZE | unix.PARENB
		t.Cflag |= unix.CS8
		err = unix.IoctlSetTermios(int(slave.Fd()), ioctlSetTermios, t)
	}
	if err != nil {
		master.Close()
		slave.Close()
		return nil, nil, fmt.Errorf("emulator: set the pseudo-terminal to raw mode: %w", err)
	}
	return master, slave, nil
}

// relink points link at target, replacing an old link atomically.
func relink(target, link string) error {
	tmp := filepath.Join(filepath.Dir(link), "."+filepath.Base(link)+".new")
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return fmt.Errorf("emulator: link %s to %s: %w", link, target, err)
	}
	if err := os.Rename(tmp, link); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("emulator: link %s to %s: %w", link, target, err)
	}
	return nil
}
