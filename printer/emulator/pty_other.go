//go:build !linux && !darwin

package emulator

import "errors"

// OpenPTY is not available on this system: it has no pseudo-terminals the
// emulator supports. Use ListenTCP.
func (e *Emulator) OpenPTY(link string) (string, error) {
	return "", errors.New("emulator: serial emulation needs pseudo-terminals (Linux or macOS)")
}
