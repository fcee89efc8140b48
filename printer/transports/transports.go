// Package transports opens the Printer a Config names. It is the one place
// that knows every transport package.
package transports

import (
	"fmt"
	"log/slog"

	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/printer/file"
	"github.com/labelagent/labelagent/printer/serial"
	"github.com/labelagent/labelagent/printer/spool"
	"github.com/labelagent/labelagent/printer/tcp"
	"github.com/labelagent/labelagent/printer/usb"
)

// New returns the printer for cfg without connecting to it.
func New(cfg printer.Config, log *slog.Logger) (printer.Printer, error) {
	if errs := cfg.Validate(); len(errs) > 0 {
		return nil, errs[0]
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	switch cfg.Transport {
	case "file":
		return check(file.New(cfg))
	case "tcp":
		return check(tcp.New(cfg, log))
	case "serial":
		return check(serial.New(cfg, log))
	case "usb":
		return check(usb.New(cfg, log)) // ErrNotInBuild without cgo
	case "spool":
		return check(spool.New(cfg, log))
	default:
		return nil, fmt.Errorf("printer %q: transport %q is not available in this build", cfg.Name, cfg.Transport)
	}
}

// check keeps a failed constructor's nil pointer out of the interface.
func check[P printer.Printer](p P, err error) (printer.Printer, error) {
	if err != nil {
		return nil, err
	}
	return p, nil
}
