//go:build windows

package spool

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	winprinter "github.com/alexbrainman/printer"

	"github.com/labelagent/labelagent/printer"
)

// Printer prints to a Windows printer with the RAW datatype (XPS_PASS for
// v4 drivers, which is their raw pass-through).
type Printer struct {
	name, queue string
	log         *slog.Logger
	mu          sync.Mutex
}

var _ printer.Printer = (*Printer)(nil)

// New returns the printer for cfg.Spool.Queue (the Windows printer name).
func New(cfg printer.Config, log *slog.Logger) (*Printer, error) {
	if err := check(cfg); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Printer{name: cfg.Name, queue: cfg.Spool.Queue, log: log.With("printer", cfg.Name, "queue", cfg.Spool.Queue)}, nil
}

// Open checks that Windows knows the printer.
func (p *Printer) Open(ctx context.Context) error {
	h, err := winprinter.Open(p.queue)
	if err != nil {
		return fmt.Errorf("printer %q: open Windows printer %q: %w", p.name, p.queue, err)
	}
	return h.Close()
}

// Write spools job as one raw document.
func (p *Printer) Write(ctx context.Context, job []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	h, err := winprinter.Open(p.queue)
	if err != nil {
		return fmt.Errorf("printer %q: open Windows printer %q: %w", p.name, p.queue, err)
	}
	defer h.Close()
	if err := h.StartRawDocument("labelagent"); err != nil {
		return fmt.Errorf("printer %q: start raw document: %w", p.name, err)
	}
	if err := h.StartPage(); err != nil {
		h.EndDocument()
		return fmt.Errorf("printer %q: start page: %w", p.name, err)
	}
	for off := 0; off < len(job); {
		if err := ctx.Err(); err != nil {
			h.EndPage()
			h.EndDocument()
			return fmt.Errorf("printer %q: job cancelled: %w", p.name, err)
		}
		n, err := h.Write(job[off:min(off+64<<10, len(job))])
		if err != nil {
			h.EndPage()
			h.EndDocument()
			return fmt.Errorf("printer %q: write to the spooler after %d of %d bytes: %w", p.name, off, len(job), err)
		}
		off += n
	}
	if err := h.EndPage(); err != nil {
		return fmt.Errorf("printer %q: end page: %w", p.name, err)
	}
	if err := h.EndDocument(); err != nil {
		return fmt.Errorf("printer %q: end document: %w", p.name, err)
	}
	return nil
}

// Status looks at the jobs in the queue: the spooler marks them when the
// printer is offline, out of paper or in error.
func (p *Printer) Status(ctx context.Context) (printer.Status, error) {
	now := time.Now()
	h, err := winprinter.Open(p.queue)
	if err != nil {
		return printer.Status{State: printer.StateOffline, Checked: now}.Saying(printer.Say(printer.DetailSpoolNoPrinter)),
			fmt.Errorf("printer %q: open Windows printer %q: %w", p.name, p.queue, err)
	}
	defer h.Close()
	jobs, err := h.Jobs()
	if err != nil {
		return printer.Status{State: printer.StateUnknown, Checked: now}, fmt.Errorf("printer %q: list jobs: %w", p.name, err)
	}
	st := printer.Status{State: printer.StateReady, Checked: now}.Saying(printer.Say(printer.DetailSpoolJobs, "count", len(jobs)))
	var problems []printer.State
	var notes []printer.Said
	add := func(s printer.State, text printer.Said) {
		for _, x := range problems {
			if x == s {
				return
			}
		}
		problems = append(problems, s)
		notes = append(notes, text)
	}
	for _, j := range jobs {
		c := j.StatusCode
		switch {
		case c&winprinter.JOB_STATUS_PAPEROUT != 0:
			add(printer.StatePaperOut, printer.Say(printer.DetailSpoolPaperOut))
		case c&winprinter.JOB_STATUS_OFFLINE != 0:
			add(printer.StateOffline, printer.Say(printer.DetailSpoolOffline))
		case c&winprinter.JOB_STATUS_ERROR != 0:
			add(printer.StateOffline, printer.Say(printer.DetailSpoolError, "status", strings.TrimSuffix(strings.TrimSpace(j.Status), ",")))
		case c&winprinter.JOB_STATUS_USER_INTERVENTION != 0:
			add(printer.StateOffline, printer.Say(printer.DetailSpoolAttention))
		}
	}
	if len(problems) > 0 {
		st.State, st.Problems = problems[0], problems
		st = st.Saying(notes...)
	}
	return st, nil
}

// Close does nothing: each job opens the printer.
func (p *Printer) Close() error { return nil }

// Queues lists the Windows printers.
func Queues(ctx context.Context) ([]Queue, error) {
	names, err := winprinter.ReadNames()
	if err != nil {
		return nil, fmt.Errorf("list Windows printers: %w", err)
	}
	def, _ := winprinter.Default()
	var qs []Queue
	for _, n := range names {
		q := Queue{Name: n, Default: n == def}
		if h, err := winprinter.Open(n); err == nil {
			if di, err := h.DriverInfo(); err == nil {
				q.Detail = "driver " + di.Name
			}
			h.Close()
		}
		qs = append(qs, q)
	}
	return qs, nil
}
