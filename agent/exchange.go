package agent

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/printer"
)

// Exchange sends a query (~HS, ~HI, an SGD getvar) to a printer and
// returns its answer. It is not a job: nothing is printed or journaled; it
// waits its turn with the printer's jobs. Printers whose connection cannot
// carry answers (file, spooler) fail with printer.ErrNoExchange.
func (a *Agent) Exchange(ctx context.Context, printerName string, cmd []byte) ([]byte, error) {
	w, ok := a.workers[printerName]
	if !ok {
		return nil, i18n.K(ErrUnknownPrinter, "job.unknown_printer", "printer", printerName, "allowed", strings.Join(a.printerNames(), ", "))
	}
	x, ok := w.p.(printer.Exchanger)
	if !ok {
		return nil, fmt.Errorf("printer %q: %w", printerName, printer.ErrNoExchange)
	}
	return x.Exchange(ctx, cmd, 2*time.Second)
}
