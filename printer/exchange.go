package printer

import (
	"context"
	"errors"
	"time"
)

// Exchanger is a Printer that can send a command and return what the
// device answers (bidirectional transports). Web pages written for Zebra
// Browser Print use it to ask ~HS, ~HI or SGD values. The exchange waits
// its turn with jobs and status polls.
type Exchanger interface {
	// Exchange sends cmd and returns everything the device sends back
	// until it has been quiet for a moment, or until wait ends (an empty
	// answer is not an error: some commands have none).
	Exchange(ctx context.Context, cmd []byte, wait time.Duration) ([]byte, error)
}

// ErrNoExchange means the transport cannot read the device's answers.
var ErrNoExchange = errors.New("this printer's connection cannot carry answers back (file, spooler or one-way link)")
