//go:build !windows

package spool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os/exec"
	"strings"
	"time"

	"github.com/labelagent/labelagent/printer"
)

// Printer prints to a CUPS queue with lp -o raw.
type Printer struct {
	name, queue string
	log         *slog.Logger
	// Lp and Lpstat are the commands used; tests point them elsewhere.
	Lp, Lpstat string
}

var _ printer.Printer = (*Printer)(nil)

// New returns the printer for cfg.Spool.Queue.
func New(cfg printer.Config, log *slog.Logger) (*Printer, error) {
	if err := check(cfg); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Printer{name: cfg.Name, queue: cfg.Spool.Queue, log: log.With("printer", cfg.Name, "queue", cfg.Spool.Queue),
		Lp: "lp", Lpstat: "lpstat"}, nil
}

// Open checks that CUPS knows the queue.
func (p *Printer) Open(ctx context.Context) error {
	_, err := p.lpstat(ctx, "-p", p.queue)
	return err
}

func (p *Printer) lpstat(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, p.Lpstat, args...)
	cmd.Env = append(cmd.Environ(), "LC_ALL=C") // parse English words
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if notInstalled(err) {
			return "", fmt.Errorf("printer %q: CUPS is not installed (no %s): %w", p.name, p.Lpstat, err)
		}
		return "", fmt.Errorf("printer %q: lpstat %s: %s: %w", p.name, strings.Join(args, " "), strings.TrimSpace(errb.String()), err)
	}
	return out.String(), nil
}

// Write hands job to CUPS as a raw job (no filter touches the bytes).
func (p *Printer) Write(ctx context.Context, job []byte) error {
	cmd := exec.CommandContext(ctx, p.Lp, "-d", p.queue, "-o", "raw", "-t", "labelagent")
	cmd.Env = append(cmd.Environ(), "LC_ALL=C")
	cmd.Stdin = bytes.NewReader(job)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("printer %q: job cancelled: %w", p.name, ctx.Err())
		}
		if notInstalled(err) {
			return fmt.Errorf("printer %q: CUPS is not installed (no %s): %w", p.name, p.Lp, err)
		}
		return fmt.Errorf("printer %q: lp to queue %s: %s: %w", p.name, p.queue, strings.TrimSpace(errb.String()), err)
	}
	p.log.Debug("job queued", "lp", strings.TrimSpace(out.String()))
	return nil
}

// Status reports the queue's state from lpstat.
func (p *Printer) Status(ctx context.Context) (printer.Status, error) {
	out, err := p.lpstat(ctx, "-l", "-p", p.queue, "-a", p.queue)
	if err != nil {
		return printer.Status{State: printer.StateOffline, Detail: err.Error(), Checked: time.Now()}, err
	}
	st, err := ParseLpstat(p.queue, out, time.Now())
	if err != nil {
		return printer.Status{State: printer.StateOffline, Detail: err.Error(), Checked: time.Now()}, fmt.Errorf("printer %q: %w", p.name, err)
	}
	return st, nil
}

// Close does nothing: each job is its own lp run.
func (p *Printer) Close() error { return nil }

// Queues lists the CUPS queues (empty, with an error, without CUPS).
func Queues(ctx context.Context) ([]Queue, error) {
	cmd := exec.CommandContext(ctx, "lpstat", "-p", "-d")
	cmd.Env = append(cmd.Environ(), "LC_ALL=C")
	out, err := cmd.Output()
	if err != nil {
		if notInstalled(err) {
			return nil, fmt.Errorf("CUPS is not installed (no lpstat): %w", err)
		}
		// lpstat exits 1 when there are no queues at all.
		if len(out) == 0 {
			return nil, nil
		}
	}
	return ParseQueues(string(out)), nil
}

func notInstalled(err error) bool {
	return errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist)
}
