// Package transports opens the Printer a Config names. It is the one place
// that knows every transport package.
package transports

import (
	"fmt"
	"log/slog"

	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/printer/file"
)

// New returns the printer for cfg without connecting to it.
func New(cfg printer.Config, log *slog.Logger) (printer.Printer, error) {
	if errs := cfg.Validate(); len(errs) > 0 {
		return nil, errs[0]
	}
	switch cfg.Transport {
	case "file":
		return file.New(cfg)
	default:
		return nil, fmt.Errorf("printer %q: transport %q is not available in this build", cfg.Name, cfg.Transport)
	}
}
