package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/printer"
	"github.com/labelagent/labelagent/zpl"
)

// Preparer turns a job's payload into the bytes its printer understands:
// ZPL completed for the media, PDF and PNG converted to graphics.
type Preparer interface {
	Prepare(ctx context.Context, kind apitype.Kind, payload []byte, profile printer.ProfileConfig) ([]byte, error)
}

// ErrCannotPrepare marks a payload that can never print as given (a broken
// PDF, an unsupported kind). Such a job fails at once instead of retrying.
var ErrCannotPrepare = errors.New("cannot prepare the label for this printer")

// PreparerFunc adapts a function to Preparer.
type PreparerFunc func(ctx context.Context, kind apitype.Kind, payload []byte, profile printer.ProfileConfig) ([]byte, error)

// Prepare calls f.
func (f PreparerFunc) Prepare(ctx context.Context, kind apitype.Kind, payload []byte, profile printer.ProfileConfig) ([]byte, error) {
	return f(ctx, kind, payload, profile)
}

// withCopies repeats a prepared job: every printer language prints a
// concatenation of formats, and one write keeps the copies together.
func withCopies(data []byte, copies int) []byte {
	if copies <= 1 {
		return data
	}
	return bytes.Repeat(data, copies)
}

// zplPreparer is the default: the zpl package completes ZPL for the media,
// converts it between resolutions, and renders PDF and PNG. Its PDF
// renderer starts on the first PDF job and keeps its compiled form in the
// data directory, so later starts are fast.
type zplPreparer struct {
	conv *zpl.Converter
}

// RendererStarted reports whether PDF jobs convert without waiting for the
// renderer to start.
func (z *zplPreparer) RendererStarted() bool { return z.conv.RendererStarted() }

func (z *zplPreparer) Prepare(ctx context.Context, kind apitype.Kind, payload []byte, profile printer.ProfileConfig) ([]byte, error) {
	p, err := zpl.ProfileFrom(profile)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCannotPrepare, err)
	}
	return z.conv.Prepare(ctx, string(kind), payload, p)
}

// CheckConfig lists every problem of a configuration, including what only
// the agent knows: printer profiles the label converter cannot use.
func CheckConfig(cfg *config.Config) []error {
	errs := append([]error(nil), cfg.DecodeProblems()...)
	v := cfg.Validate()
	errs = append(errs, v...)
	errs = append(errs, checkCarriers(cfg)...)
	errs = append(errs, checkRules(cfg)...)
	errs = append(errs, checkShipments(cfg)...)
	for i, pc := range cfg.Printers {
		if hasProblemAt(v, fmt.Sprintf("printers[%d].profile", i)) {
			continue // the entry's own check has said what is wrong
		}
		if _, err := zpl.ProfileFrom(pc.Profile); err != nil {
			errs = append(errs, &config.Problem{Key: fmt.Sprintf("printers[%d].profile", i), Err: i18n.Wrap(errors.New(strings.TrimPrefix(err.Error(), "printer profile: ")), "config.profile")})
		}
	}
	return errs
}

func hasProblemAt(errs []error, key string) bool {
	for _, e := range errs {
		var p *config.Problem
		if errors.As(e, &p) && strings.HasPrefix(p.Key, key) {
			return true
		}
	}
	return false
}
