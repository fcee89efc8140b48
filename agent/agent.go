// Package agent is labelagent's core: it accepts print jobs, keeps them in a
// durable store, prepares them for their printer and writes them there, one
// worker per printer, and tells everyone what happened through an event bus.
// It is embeddable: New, Start, Stop, Wait. HTTP lives in agent/api.
package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/agent/packing"
	"github.com/labelagent/labelagent/agent/shipment"
	"github.com/labelagent/labelagent/agent/sources"
	"github.com/labelagent/labelagent/agent/station"
	"github.com/labelagent/labelagent/agent/store"
	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/printer/transports"
	"github.com/labelagent/labelagent/zpl"
)

// Options configure an Agent. Only Config is required.
type Options struct {
	Config  *config.Config
	Logger  *slog.Logger
	Version string
	// OpenPrinter makes a Printer for a configured entry (default: transports.New).
	OpenPrinter func(printer.Config, *slog.Logger) (printer.Printer, error)
	// Preparer converts payloads for printers (default: the zpl package's
	// converter, with its PDF renderer cache in the data directory).
	Preparer Preparer
	// HoldPoll is how often a printer that cannot print is asked again (default 1s).
	HoldPoll time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// ShipmentCrash, for crash tests of the real binary: called at each
	// step of a shipment ("intent", "answered", "stored", "printing",
	// "dayend-intent", "dayend-closed"); it may end the process there.
	ShipmentCrash func(step string) error
	// PrepareRenderer compiles the PDF renderer into its cache in the
	// background at start when the cache is empty (the installed service's
	// first start), so the first PDF label prints without that wait.
	PrepareRenderer bool
}

// Agent is the running core.
type Agent struct {
	cfg           *config.Config
	log           *slog.Logger
	version       string
	now           func() time.Time
	open          func(printer.Config, *slog.Logger) (printer.Printer, error)
	preparer      Preparer
	holdPoll      time.Duration
	prepareRender bool

	store    *store.Store
	conv     *zpl.Converter // PDF/PNG conversion, shared by jobs and stamps
	postage  *Postage       // nil unless INTERNETMARKE is configured
	franking *Franking      // nil unless Online Franking is configured
	bus      *bus
	packing  *packing.Service
	station  *station.Station // nil unless nats: is configured
	srcMu    sync.Mutex
	sources  []sources.Source   // hot folders, feeds, NATS
	workers  map[string]*worker // fixed after Start
	started  time.Time
	// shipments is the DHL shipment journal; nil without a dhl: section.
	shipments     *shipment.Journal
	shipmentCrash func(step string) error

	runCtx      context.Context // ends: take no new work
	runCancel   context.CancelFunc
	writeCtx    context.Context // ends: abandon the write in progress
	writeCancel context.CancelFunc
	wg          sync.WaitGroup

	stopOnce sync.Once
	done     chan struct{}
	stopErr  error
	// dashboard is where the browser surface serves the dashboard (set by
	// whoever started it, SetDashboard).
	dashboard atomic.Pointer[string]
}

// Errors the API maps to answers.
var (
	ErrNotFound       = errors.New("not found")
	ErrUnknownPrinter = errors.New("unknown printer")
	ErrInvalid        = errors.New("invalid request")
	ErrTooLarge       = errors.New("payload too large")
	ErrConflict       = errors.New("conflict")
	// ErrKeyReused: an idempotency key came back with a different request.
	ErrKeyReused = errors.New("idempotency key reused for a different job")
	ErrStopped   = errors.New("agent is stopping")
)

// New checks the options; nothing is opened until Start.
func New(opts Options) (*Agent, error) {
	if opts.Config == nil {
		return nil, errors.New("agent: no configuration")
	}
	if errs := CheckConfig(opts.Config); len(errs) > 0 {
		return nil, opts.Config.Locate(errs)
	}
	a := &Agent{
		cfg:           opts.Config,
		log:           opts.Logger,
		version:       opts.Version,
		now:           opts.Now,
		open:          opts.OpenPrinter,
		preparer:      opts.Preparer,
		holdPoll:      opts.HoldPoll,
		prepareRender: opts.PrepareRenderer,
		done:          make(chan struct{}),

		shipmentCrash: opts.ShipmentCrash,
	}
	if a.log == nil {
		a.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.open == nil {
		a.open = transports.New
	}
	a.conv = zpl.NewConverter(zpl.ConverterOptions{CacheDir: filepath.Join(a.cfg.DataDir, "cache"), Logger: a.log})
	if a.preparer == nil {
		a.preparer = &zplPreparer{conv: a.conv}
	}
	if a.holdPoll <= 0 {
		a.holdPoll = time.Second
	}
	if a.version == "" {
		a.version = "dev"
	}
	a.bus = newBus(a.now)
	return a, nil
}

// Config is the configuration the agent runs with.
func (a *Agent) Config() *config.Config { return a.cfg }

// Store is the durable store (open between Start and Stop). Other parts of
// the agent keep their own buckets in it (see store.Store.DB).
func (a *Agent) Store() *store.Store { return a.store }

// Logger is the agent's logger.
func (a *Agent) Logger() *slog.Logger { return a.log }

// Start opens the store, recovers unfinished jobs and starts the workers.
func (a *Agent) Start(ctx context.Context) error {
	if err := os.MkdirAll(a.cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("create data directory %s: %w", a.cfg.DataDir, err)
	}
	st, err := store.Open(a.cfg.DataDir)
	if err != nil {
		return err
	}
	a.store = st
	a.started = a.now()
	a.runCtx, a.runCancel = context.WithCancel(context.Background())
	a.writeCtx, a.writeCancel = context.WithCancel(context.Background())

	a.workers = make(map[string]*worker, len(a.cfg.Printers))
	for _, pc := range a.cfg.Printers {
		p, err := a.open(pc, a.log.With("printer", pc.Name))
		if err != nil {
			a.closeAll()
			return fmt.Errorf("printer %q: %w", pc.Name, err)
		}
		w := newWorker(a, pc, p)
		if v, _ := st.Setting(pausedKey(pc.Name)); v != "" {
			w.paused = true
		}
		a.workers[pc.Name] = w
	}
	if err := a.recover(); err != nil {
		a.closeAll()
		return err
	}
	if err := a.startPostage(); err != nil {
		a.closeAll()
		return err
	}
	if err := a.startFranking(); err != nil {
		a.closeAll()
		return err
	}
	if err := a.startShipments(); err != nil {
		a.closeAll()
		return err
	}
	if err := a.startPacking(); err != nil {
		a.closeAll()
		return err
	}
	for _, w := range a.workers {
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			w.run(a.runCtx)
		}()
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.pruneLoop(a.runCtx)
	}()
	a.startSources()
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.backupLoop(a.runCtx)
	}()
	if a.prepareRender {
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			a.prepareRenderer(a.runCtx)
		}()
	}
	a.log.Info("agent started", "data_dir", a.cfg.DataDir, "printers", len(a.workers), "version", a.version)
	return nil
}

// recover puts every unfinished job back in its printer's queue. A job
// whose bytes had begun to go to the printer when the agent died (its
// record has Sending) is not simply printed again: its worker first asks
// the printer what it printed (see worker.resume).
func (a *Agent) recover() error {
	jobs, err := a.store.Active()
	if err != nil {
		return fmt.Errorf("read unfinished jobs: %w", err)
	}
	requeued := 0
	for _, j := range jobs {
		w, ok := a.workers[j.Printer]
		if !ok {
			j = a.transition(j, apitype.StateFailed, msg("queuewords.printer_gone_note", "printer", j.Printer))
			setLastError(&j, i18n.E("queuewords.printer_gone", "printer", j.Printer))
			if err := a.store.Put(j); err != nil {
				return err
			}
			continue
		}
		if j.State != apitype.StateQueued {
			note := msg("queuewords.recovered", "state", stateWord(j.State))
			if j.Sending != nil {
				note = msg("queuewords.recovered_sending")
			}
			j = a.transition(j, apitype.StateQueued, note)
			if err := a.store.Put(j); err != nil {
				return err
			}
		}
		w.enqueue(j.ID)
		requeued++
	}
	if requeued > 0 {
		a.log.Info("resuming unfinished jobs", "count", requeued)
	}
	return nil
}

// Stop stops taking work, lets the job being written finish until ctx ends
// (then abandons it: it stays queued and prints again next start), and
// closes printers and store. It is safe to call more than once.
func (a *Agent) Stop(ctx context.Context) error {
	a.stopOnce.Do(func() {
		if a.runCancel == nil { // never started
			close(a.done)
			return
		}
		a.runCancel()
		finished := make(chan struct{})
		go func() { a.wg.Wait(); close(finished) }()
		select {
		case <-finished:
		case <-ctx.Done():
			a.log.Warn("stop: abandoning the job being written; it will print again on the next start")
			a.writeCancel()
			<-finished
		}
		a.writeCancel()
		// A clean stop (reboot, upgrade) leaves a current backup copy.
		if _, err := a.store.Backup(); err != nil {
			a.log.Error("backup copy of the job store failed", "err", err)
		}
		a.stopErr = a.closeAll()
		a.bus.closeAll()
		a.log.Info("agent stopped")
		close(a.done)
	})
	return a.stopErr
}

func (a *Agent) closeAll() error {
	var errs []error
	for name, w := range a.workers {
		if err := w.p.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close printer %q: %w", name, err))
		}
	}
	if err := a.conv.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close label converter: %w", err))
	}
	if a.store != nil {
		if err := a.store.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Wait blocks until Stop has finished.
func (a *Agent) Wait() error {
	<-a.done
	return a.stopErr
}

// Subscribe returns a stream of job and printer events. Close it when done.
func (a *Agent) Subscribe(buffer int) *Subscription { return a.bus.subscribe(buffer) }

// Health reports the agent's basics.
func (a *Agent) Health() apitype.Health {
	return apitype.Health{
		OK:        a.runCtx != nil && a.runCtx.Err() == nil,
		Version:   a.version,
		Started:   a.started,
		DataDir:   a.cfg.DataDir,
		OutputDir: a.cfg.OutputDir(),
		Config:    a.cfg.Source(),
		Dashboard: a.Dashboard(),
	}
}

// SetDashboard records the dashboard's address once the browser surface
// listens ("" when it does not), for Health: the tray offers to open it.
func (a *Agent) SetDashboard(url string) { a.dashboard.Store(&url) }

// Dashboard is the address SetDashboard recorded, or "".
func (a *Agent) Dashboard() string {
	if p := a.dashboard.Load(); p != nil {
		return *p
	}
	return ""
}

// Printers reports every configured printer, sorted by name.
func (a *Agent) Printers() []apitype.Printer {
	out := make([]apitype.Printer, 0, len(a.workers))
	for _, w := range a.workers {
		out = append(out, w.snapshot())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Printer reports one printer.
func (a *Agent) Printer(name string) (apitype.Printer, error) {
	w, ok := a.workers[name]
	if !ok {
		return apitype.Printer{}, i18n.K(ErrUnknownPrinter, "job.unknown_printer", "printer", name, "allowed", strings.Join(a.printerNames(), ", "))
	}
	return w.snapshot(), nil
}

// PausePrinter stops a printer taking new jobs (the job being printed
// finishes). The pause survives restarts.
func (a *Agent) PausePrinter(name string) (apitype.Printer, error) {
	return a.setPaused(name, true)
}

// ResumePrinter lets a paused printer continue.
func (a *Agent) ResumePrinter(name string) (apitype.Printer, error) {
	return a.setPaused(name, false)
}

func (a *Agent) setPaused(name string, paused bool) (apitype.Printer, error) {
	w, ok := a.workers[name]
	if !ok {
		return apitype.Printer{}, i18n.K(ErrUnknownPrinter, "job.unknown_printer", "printer", name, "allowed", strings.Join(a.printerNames(), ", "))
	}
	v := ""
	if paused {
		v = "1"
	}
	if err := a.store.SetSetting(pausedKey(name), v); err != nil {
		return apitype.Printer{}, fmt.Errorf("save pause of printer %q: %w", name, err)
	}
	w.setPaused(paused)
	return w.snapshot(), nil
}

func pausedKey(printerName string) string { return "printer/" + printerName + "/paused" }

func (a *Agent) pruneLoop(ctx context.Context) {
	every := a.cfg.Jobs.Retention / 10
	if every > time.Hour {
		every = time.Hour
	}
	if every < time.Second {
		every = time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		a.Prune()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Prune removes finished jobs older than the retention now.
func (a *Agent) Prune() {
	n, err := a.store.Prune(a.now().Add(-a.cfg.Jobs.Retention))
	if err != nil {
		a.log.Error("pruning old jobs failed", "err", err)
		return
	}
	if n > 0 {
		a.log.Info("pruned finished jobs", "count", n, "retention", a.cfg.Jobs.Retention)
	}
}

// BackupInterval is how often the running store is copied to the rotating
// backup (store.BackupKeep copies are kept). The first copy is taken at
// start, right after the store passed its check.
const BackupInterval = 6 * time.Hour

func (a *Agent) backupLoop(ctx context.Context) {
	t := time.NewTicker(BackupInterval)
	defer t.Stop()
	for {
		if path, err := a.store.Backup(); err != nil {
			a.log.Error("backup copy of the job store failed", "err", err)
		} else {
			a.log.Debug("backup copy of the job store written", "path", path)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// prepareRenderer compiles the PDF renderer into its cache in the
// background at the first start after an install or upgrade, so that the
// first PDF label does not wait seconds for the compiler.
func (a *Agent) prepareRenderer(ctx context.Context) {
	start := a.now()
	compiled, err := a.conv.PrepareCache(ctx)
	switch {
	case err != nil && ctx.Err() == nil:
		a.log.Warn("preparing the PDF renderer failed; the first PDF label will prepare it", "err", err)
	case compiled:
		a.log.Info("PDF renderer prepared", "took", a.now().Sub(start).Round(time.Millisecond))
	}
}
