package agent

import (
	"context"
	"errors"
	"sort"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/packing"
	"github.com/labelagent/labelagent/agent/sources"
	"github.com/labelagent/labelagent/agent/station"
)

// permanentSubmitError reports whether a submission can never succeed as it
// is (bad payload, unknown printer, too large, a reused key), so a source
// refuses the entry instead of trying again.
func permanentSubmitError(err error) bool {
	return errors.Is(err, ErrInvalid) || errors.Is(err, ErrTooLarge) || errors.Is(err, ErrUnknownPrinter) ||
		errors.Is(err, ErrKeyReused)
}

// startSources starts the configured hot folders and feeds.
func (a *Agent) startSources() {
	submit := func(ctx context.Context, req apitype.SubmitRequest) (apitype.Job, bool, error) {
		return a.Submit(ctx, req)
	}
	max := int64(a.cfg.Jobs.MaxPayload)
	for _, h := range a.cfg.Sources.HotFolders {
		a.sources = append(a.sources, sources.NewHotFolder(h, max, submit, permanentSubmitError, a.log.With("source", h.Name)).WordsIn(a.Words()))
	}
	for _, f := range a.cfg.Sources.Feeds {
		fd := sources.NewFeed(f, max, submit, permanentSubmitError, a.log.With("source", f.Name))
		if a.packing != nil {
			fd.WithOrders(func(_ context.Context, o apitype.Order) error {
				if err := packing.CheckOrder(&o); err != nil {
					return err
				}
				_, _, err := a.packing.Orders().Put([]apitype.Order{o})
				return err
			})
		}
		a.sources = append(a.sources, fd)
	}
	if a.cfg.NATS.Enabled() {
		sub := a.Subscribe(4096)
		st, err := station.New(station.Options{Config: a.cfg.NATS, Submit: submit, Permanent: permanentSubmitError,
			Events: sub.C(), Printers: a.Printers, DB: a.store.DB(), Version: a.version, Log: a.log.With("source", "nats"), Now: a.now})
		if err != nil {
			a.log.Error("nats: station not started", "err", err)
			sub.Close()
		} else {
			a.station = st
			a.sources = append(a.sources, st)
		}
	}
	for _, s := range a.sources {
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			s.Run(a.runCtx)
		}()
	}
}

// Station is the station's NATS connection, or nil when nats: is not set.
func (a *Agent) Station() *station.Station { return a.station }

// AddSource starts another job source (NATS, or one a test brings).
func (a *Agent) AddSource(s sources.Source) {
	a.srcMu.Lock()
	a.sources = append(a.sources, s)
	a.srcMu.Unlock()
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		s.Run(a.runCtx)
	}()
}

// Sources reports every job source.
func (a *Agent) Sources() []apitype.SourceStatus {
	a.srcMu.Lock()
	defer a.srcMu.Unlock()
	out := make([]apitype.SourceStatus, 0, len(a.sources))
	for _, s := range a.sources {
		out = append(out, s.Status())
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out
}
