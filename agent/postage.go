package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/agent/purchase"
	"github.com/labelagent/labelagent/dhl/internetmarke"
	"github.com/labelagent/labelagent/dhl/privateshipping"
	"github.com/labelagent/labelagent/dhl/transport"
	"github.com/labelagent/labelagent/zpl"
)

// Postage is the agent's INTERNETMARKE service: the Portokasse client and
// the purchase journal that makes sure no stamp is paid twice or lost.
type Postage struct {
	Client  *internetmarke.Client
	Journal *purchase.Journal
	// Profile gives the label profile of a printer ("" is the default one).
	Profile purchase.ProfileFunc
}

// Postage returns the INTERNETMARKE service, or nil when the configuration
// does not enable it.
func (a *Agent) Postage() *Postage { return a.postage }

// reconcileEvery is how often open purchases are checked with Deutsche Post.
const reconcileEvery = time.Minute

// startPostage opens the purchase journal in the job store. Stamps print
// through the agent's own queue, keyed per purchase and print, so a
// purchase resumed after a crash never prints twice.
func (a *Agent) startPostage() error {
	cfg, err := internetmarke.DecodeConfig(&a.cfg.Internetmarke, os.Getenv)
	if err != nil {
		return err
	}
	if !cfg.Enabled {
		return nil
	}
	cl, err := internetmarke.New(cfg, internetmarke.WithLogger(a.log.With("carrier", "internetmarke")), internetmarke.WithClock(a.now))
	if err != nil {
		return fmt.Errorf("INTERNETMARKE: %w", err)
	}
	profile := func(name string) (zpl.Profile, error) {
		if name == "" {
			name = a.cfg.DefaultPrinter
		}
		pc, ok := a.cfg.Printer(name)
		if !ok {
			return zpl.Profile{}, i18n.K(ErrUnknownPrinter, "job.unknown_printer", "printer", name, "allowed", strings.Join(a.printerNames(), ", "))
		}
		return zpl.ProfileFrom(pc.Profile)
	}
	submit := func(ctx context.Context, printerName, key, name string, label []byte) error {
		_, _, err := a.Submit(ctx, apitype.SubmitRequest{
			Printer: printerName, Kind: apitype.KindZPL, Payload: label,
			IdempotencyKey: key, Name: name, Source: "internetmarke",
		})
		return err
	}
	log := a.log.With("part", "postage")
	opts := purchase.OptionsFrom(cfg, purchase.JobPrinter(a.conv, profile, submit, log), log)
	opts.Now = a.now // the agent's clock, as the other journals
	j, err := purchase.Open(a.store.DB(), cl, opts)
	if err != nil {
		return err
	}
	a.postage = &Postage{Client: cl, Journal: j, Profile: profile}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		j.Run(a.runCtx, reconcileEvery)
	}()
	a.log.Info("INTERNETMARKE enabled", "base_url", cfg.BaseURL)
	return nil
}

// checkCarriers decodes the carrier sections strictly, so that a typo is
// found by `config check` and not at the first shipment. Every problem is
// located at its line in the file.
func checkCarriers(cfg *config.Config) []error {
	var errs []error
	im, err := internetmarke.DecodeConfig(&cfg.Internetmarke, os.Getenv)
	errs = append(errs, cfg.SectionProblems("internetmarke", err)...)
	if im.Enabled {
		errs = append(errs, sectionKeyed(internetmarkeKey, im.Validate())...)
	}
	if fr, err := privateshipping.DecodeConfig(&cfg.Franking, os.Getenv); err != nil {
		errs = append(errs, err)
	} else {
		for _, p := range fr.Problems() {
			errs = append(errs, errors.New(p))
		}
	}
	if cfg.DHL.Kind != 0 {
		_, err := transport.DecodeConfig(&cfg.DHL)
		errs = append(errs, cfg.SectionProblems("dhl", err)...)
	}
	return errs
}

var internetmarkeKey = regexp.MustCompile(`^(internetmarke\.[a-z_]+(?:\[\d+\])?(?:\.[a-z_]+)?)`)

// sectionKeyed splits a carrier package's joined validation errors and
// gives each the key its words begin with, so it can be located.
func sectionKeyed(key *regexp.Regexp, err error) []error {
	if err == nil {
		return nil
	}
	list := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	}
	out := make([]error, 0, len(list))
	for _, e := range list {
		p := &config.Problem{Err: e}
		if m := key.FindStringSubmatch(e.Error()); m != nil {
			p.Key = m[1]
		}
		p.Err = carrierWords(e)
		out = append(out, p)
	}
	return out
}

// The carrier packages cannot use the catalog; their usual validation
// sentences are reworded from it, the rest keeps the package's words.
var (
	reEmptyOrEnv = regexp.MustCompile(`^\S+ is empty \(or set (\S+)\)$`)
	reWantOneOf  = regexp.MustCompile(`^\S+ "([^"]*)": want (.+)$`)
)

func carrierWords(e error) error {
	msg := e.Error()
	if m := reEmptyOrEnv.FindStringSubmatch(msg); m != nil {
		return i18n.E("config.empty_or_env", "env", m[1])
	}
	if m := reWantOneOf.FindStringSubmatch(msg); m != nil {
		allowed := strings.Split(strings.ReplaceAll(m[2], " or ", ", "), ", ")
		return i18n.E("config.not_one_of", "value", m[1], "allowed", allowed)
	}
	return e
}
