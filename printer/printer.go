// Package printer defines what the agent needs from a label printer: a Printer
// that takes whole jobs and reports a Status a person understands, and the
// Config that names it. Transports live in sub-packages (file, tcp, serial,
// usb, spool); printer/transports opens the right one for a Config.
package printer

import (
	"context"
	"errors"
	"time"
)

// Printer is one configured output device.
//
// Lifecycle: a transport's constructor only validates its Config; Open
// connects (and is called by Write when needed); Write sends exactly one
// job; Status asks the device how it is; Close releases everything. A
// Printer is used by one dispatcher worker at a time, but Status may be
// called concurrently with Write by the status poller, so implementations
// serialise access to the device themselves.
type Printer interface {
	// Open connects to the device. It is idempotent.
	Open(ctx context.Context) error
	// Write sends one complete job. It returns only when every byte has been
	// handed to the device (or the OS driver), or with an error. Honour ctx:
	// a cancelled job must stop writing promptly.
	Write(ctx context.Context, job []byte) error
	// Status queries the device. Transports that cannot read replies return
	// a Status with StateUnknown and an error wrapping ErrNoStatus.
	Status(ctx context.Context) (Status, error)
	// Close disconnects. A closed Printer may be opened again.
	Close() error
}

// ErrNoStatus means the transport or device cannot report its state
// (a one-way link, a spooler queue, a file).
var ErrNoStatus = errors.New("printer cannot report its status")

// ErrClosed is returned by a Printer used after Close without Open.
var ErrClosed = errors.New("printer is closed")

// State is the one-word condition of a printer, as an operator would say it.
type State string

// The states. Several problems can be present at once; Status.State is the
// most important one and Status.Problems lists all of them.
const (
	StateReady      State = "ready"
	StatePaperOut   State = "paper_out"
	StateRibbonOut  State = "ribbon_out"
	StateHeadOpen   State = "head_open"
	StatePaused     State = "paused"
	StateBufferFull State = "buffer_full"
	StateOffline    State = "offline"
	StateUnknown    State = "unknown"
)

// Status is what a printer said about itself at a moment.
type Status struct {
	State    State   `json:"state"`
	Problems []State `json:"problems,omitempty"`
	Detail   string  `json:"detail,omitempty"` // free text for people, e.g. "head open, ribbon out"
	// DetailID and DetailArgs are set by the agent where Detail is its own
	// words, not the printer's (a catalog message id and its arguments):
	// the agent's API words Detail in the reader's language from them.
	// This package never sets them: a printer's words stay as it says them.
	DetailID   string         `json:"detail_id,omitempty"`
	DetailArgs map[string]any `json:"detail_args,omitempty"`
	// Said is what a transport itself said in Detail (see Status.Saying),
	// as codes the agent words in the reader's language; not sent as is:
	// the agent turns it into DetailID and DetailArgs.
	Said    []Said    `json:"-"`
	Checked time.Time `json:"checked"`
	// Buffer is what the printer has received but not yet printed, for
	// printers that say so (ZPL ~HS); nil when it cannot be known.
	Buffer *Buffer `json:"buffer,omitempty"`
	// Odometer is the printer's own count of labels printed in its life,
	// kept through power cycles; nil where the printer has none.
	Odometer *int64 `json:"odometer,omitempty"`
}

// Buffer is the printer's queue of received, unprinted work.
type Buffer struct {
	Formats         int  `json:"formats"`          // label formats received but not printed
	LabelsRemaining int  `json:"labels_remaining"` // labels still to print of them
	Receiving       bool `json:"receiving"`        // a format is arriving (partial)
}

// Empty reports whether nothing waits in the printer.
func (b Buffer) Empty() bool { return b.Formats == 0 && b.LabelsRemaining == 0 && !b.Receiving }

// CanPrint reports whether a job written now would come out. Unknown counts
// as printable: a printer that cannot report status must not hold jobs forever.
func (s Status) CanPrint() bool {
	return s.State == StateReady || s.State == StateUnknown || s.State == ""
}
