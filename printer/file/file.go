// Package file is the printer transport for machines without a printer: each
// job becomes one file in a folder, written atomically so that a file that
// exists is complete.
package file

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/labelagent/labelagent/printer"
)

// Printer writes jobs to Dir.
type Printer struct {
	dir string
	now func() time.Time

	mu   sync.Mutex
	open bool
}

var _ printer.Printer = (*Printer)(nil)

// New returns a file printer for cfg.File.Dir.
func New(cfg printer.Config) (*Printer, error) {
	if cfg.File.Dir == "" {
		return nil, fmt.Errorf("printer %q: file.dir is empty", cfg.Name)
	}
	return &Printer{dir: cfg.File.Dir, now: time.Now}, nil
}

// Dir is the output folder.
func (p *Printer) Dir() string { return p.dir }

// Open creates the folder.
func (p *Printer) Open(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.open {
		return nil
	}
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		return fmt.Errorf("create output folder: %w", err)
	}
	// A crash during a write leaves a partial temporary file: it never
	// became a label (the job prints again), so it goes.
	if stale, err := filepath.Glob(filepath.Join(p.dir, ".writing-*")); err == nil {
		for _, f := range stale {
			os.Remove(f)
		}
	}
	p.open = true
	return nil
}

// Write stores job as a new file named by time and a random suffix, so that
// a job printed twice leaves two files, as a real printer would print twice.
func (p *Printer) Write(ctx context.Context, job []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := p.Open(ctx); err != nil {
		return err
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	name := p.now().UTC().Format("20060102-150405.000000") + "-" + hex.EncodeToString(rnd[:]) + ".prn"
	tmp, err := os.CreateTemp(p.dir, ".writing-*")
	if err != nil {
		return fmt.Errorf("write label file: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(job); err != nil {
		tmp.Close()
		return fmt.Errorf("write label file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write label file: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil { // CreateTemp makes 0600; labels are for everyone at the station
		return fmt.Errorf("write label file: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(p.dir, name)); err != nil {
		return fmt.Errorf("write label file: %w", err)
	}
	return nil
}

// Status: a folder has no paper to run out of, but it can be impossible to
// create or write (a removed network drive, wrong permissions).
func (p *Printer) Status(ctx context.Context) (printer.Status, error) {
	st := printer.Status{State: printer.StateReady, Checked: p.now()}
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		st.State = printer.StateOffline
		st = st.Saying(printer.Say(printer.DetailFolderNotCreated, "folder", p.dir, "reason", err.Error()))
	}
	return st, nil
}

// Close does nothing: there is nothing held open between jobs.
func (p *Printer) Close() error {
	p.mu.Lock()
	p.open = false
	p.mu.Unlock()
	return nil
}
