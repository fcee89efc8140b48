package purchase

import (
	"context"
	"fmt"
	"log/slog"

	im "github.com/labelagent/labelagent/dhl/internetmarke"
	"github.com/labelagent/labelagent/zpl"
)

// ProfileFunc returns the printer profile of a printer ("" = the default).
type ProfileFunc func(printer string) (zpl.Profile, error)

// SubmitFunc queues a complete ZPL label stream on a printer as one job,
// idempotently under key: a second call with the same key queues nothing.
// The agent implements it with its job queue (Agent.Submit).
type SubmitFunc func(ctx context.Context, printer, key, name string, zpl []byte) error

// JobPrinter is a Printer that converts the stamps for the purchase's
// printer and submits them as one print job with the idempotency key
// "stamp-<purchase id>-<print number>". Because the job queue answers a repeated key with
// the first job, the journal may call it again after a crash (set
// Options.IdempotentPrinter) without a second print.
func JobPrinter(conv *zpl.Converter, profile ProfileFunc, submit SubmitFunc, log *slog.Logger) Printer {
	if log == nil {
		log = slog.Default()
	}
	return func(ctx context.Context, p *Purchase) error {
		prof, err := profile(p.Request.Printer)
		if err != nil {
			return fmt.Errorf("stamp printer: %w", err)
		}
		label, warns, err := StampLabels(ctx, conv, p.Kind, p.Request.DPI, p.Files, prof)
		if err != nil {
			return fmt.Errorf("converting the stamps for %s: %w", prof, err)
		}
		for _, w := range warns {
			log.Warn("stamp label", "purchase", p.ID, "warning", w)
		}
		name := fmt.Sprintf("INTERNETMARKE %s", im.ProductName(p.Request.ProductCode))
		if p.Request.Reference != "" {
			name += " " + p.Request.Reference
		}
		// One key per print: a resumed print reuses it, a reprint gets the next.
		return submit(ctx, p.Request.Printer, fmt.Sprintf("stamp-%s-%d", p.ID, p.Prints+1), name, label)
	}
}

// OptionsFrom fills the journal's defaults from the internetmarke: section,
// for a printer made with JobPrinter (which is idempotent).
func OptionsFrom(cfg im.Config, printer Printer, log *slog.Logger) Options {
	return Options{
		Printer: printer, Log: log, IdempotentPrinter: true,
		DefaultDPI: cfg.DPI, DefaultFormat: cfg.Format, DefaultLayout: cfg.Layout, DefaultPageFormat: cfg.PageFormat,
	}
}
