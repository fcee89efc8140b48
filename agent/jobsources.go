package agent

import (
	"context"
	"errors"
	"sort"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/sources"
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
		a.sources = append(a.sources, sources.NewHotFolder(h, max, submit, permanentSubmitError, a.log.With("source", h.Name)))
	}
	for _, f := range a.cfg.Sources.Feeds {
		a.sources = append(a.sources, sources.NewFeed(f, max, submit, permanentSubmitError, a.log.With("source", f.Name)))
	}
	for _, s := range a.sources {
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			s.Run(a.runCtx)
		}()
	}
}

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
