package agent

import (
	"fmt"
	"os"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/agent/packing"
	"github.com/labelagent/labelagent/dhl/internetmarke"
	"github.com/labelagent/labelagent/dhl/transport"
	"github.com/labelagent/labelagent/printer/scale"
)

// Packing returns the packing station's service: orders, scans, rules.
func (a *Agent) Packing() *packing.Service { return a.packing }

// startPacking opens the order store and starts the scale and the reports
// to the shop. It runs after the carrier services, which scans use.
func (a *Agent) startPacking() error {
	pc := a.cfg.Packing
	opt := packing.Options{Config: pc, Now: a.now, Log: a.log.With("part", "packing"),
		Publish: func(r apitype.ScanResult) {
			r = packing.MessageIn(r, a.Words()) // the bus speaks the agent's language
			a.bus.publish(apitype.Event{Type: apitype.EventScan, Scan: &r})
		}}
	if a.cfg.DHL.Kind != 0 {
		if dc, err := transport.DecodeConfig(&a.cfg.DHL); err == nil {
			opt.DHL = dc.WithEnv(os.Getenv)
		}
	}
	if a.shipments != nil {
		opt.Shipments = a.shipments
	}
	if a.postage != nil {
		opt.Stamps = a.postage.Journal
		if ic, err := internetmarke.DecodeConfig(&a.cfg.Internetmarke, os.Getenv); err == nil && ic.Sender != nil {
			opt.StampSender = ic.Sender
		} else if sh := opt.DHL.Shipper; sh.Name1 != "" && sh.AddressStreet != "" {
			c := sh.Country
			if c == "" {
				c = "DEU"
			}
			opt.StampSender = &internetmarke.Address{Name: sh.Name1, AddressLine1: sh.AddressStreet, PostalCode: sh.PostalCode, City: sh.City, Country: c}
		}
	}
	if a.franking != nil {
		opt.Carts = a.franking.Journal
	}
	if pc.Scale.Device != "" {
		opt.Scale = scale.NewReader(pc.Scale, a.log.With("part", "scale"))
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			opt.Scale.Run(a.runCtx)
		}()
	}
	svc, err := packing.Open(a.store.DB(), opt)
	if err != nil {
		return err
	}
	a.packing = svc
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		svc.Run(a.runCtx)
	}()
	return nil
}

// checkRules reports rules that can never match and orders no rule covers.
func checkRules(cfg *config.Config) []error {
	var errs []error
	for _, f := range packing.Analyze(cfg.Packing.Rules) {
		if f.Rule < 0 {
			errs = append(errs, &config.Problem{Key: "packing.rules", Err: i18n.E("config.rule_uncovered", "example", f.Example)})
			continue
		}
		errs = append(errs, &config.Problem{Key: fmt.Sprintf("packing.rules[%d]", f.Rule),
			Err: i18n.E("config.rule_unreachable", "rule", f.Name, "reason", f.Reason)})
	}
	return errs
}
