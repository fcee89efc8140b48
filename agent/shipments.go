package agent

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/agent/shipment"
	"github.com/labelagent/labelagent/dhl/parcel"
	"github.com/labelagent/labelagent/dhl/returns"
	"github.com/labelagent/labelagent/dhl/tracking"
	"github.com/labelagent/labelagent/dhl/transport"
	"github.com/labelagent/labelagent/zpl"
)

// Shipments returns the DHL shipment service (journal, labels, returns,
// tracking, day's end), or nil when the configuration has no dhl: section.
// The packing workflow, the browser API and the tray build on it.
func (a *Agent) Shipments() *shipment.Journal { return a.shipments }

// Shipments' defaults.
const (
	defaultTrackEvery   = 4 * time.Hour
	defaultTrackDays    = 14
	defaultTrackReserve = 50
	// Labels and manifests of settled shipments are kept 90 days: long
	// enough for claims and reprints, bounded for a busy station's disk.
	defaultKeepDocuments = 90 * 24 * time.Hour
)

// startShipments opens the shipment journal in the job store and marks
// creates the last run left unanswered as "outcome unknown" before any new
// request can arrive; the rest of the recovery (labels stored but not yet
// printed, interrupted day's ends) runs in the background.
func (a *Agent) startShipments() error {
	if a.cfg.DHL.Kind == 0 {
		return nil
	}
	dc, err := transport.DecodeConfig(&a.cfg.DHL)
	if err != nil {
		return err
	}
	dc = dc.WithEnv(os.Getenv)
	tr, err := transport.New(dc, transport.WithLogger(a.log.With("carrier", "dhl")))
	if err != nil {
		return fmt.Errorf("DHL: %w", err)
	}
	sc := a.cfg.Shipments
	postage, err := parsePostage(sc.Postage)
	if err != nil {
		return err
	}
	log := a.log.With("part", "shipments")
	pc := parcel.New(tr)
	opts := shipment.Options{
		Lang:    i18n.Detect(os.Getenv, a.cfg.Language),
		Parcel:  pc,
		Returns: returns.New(tr),
		Tracker: tracking.New(tr, tracking.Options{}),
		Submit: func(ctx context.Context, p shipment.PrintRequest) (string, error) {
			printer := p.Printer
			if printer == "" {
				printer = sc.Printer
			}
			job, _, err := a.Submit(ctx, apitype.SubmitRequest{Printer: printer, Kind: p.Kind, Payload: p.Data,
				IdempotencyKey: p.Key, Name: p.Name, Source: "dhl"})
			return job.ID, err
		},
		Job:      a.Job,
		Defaults: func(s *parcel.Shipment) { FillShipmentDefaults(s, dc) },
		DocFormat: func(printer string) string {
			return a.shipmentDocFormat(printer)
		},
		PrintFormat:      sc.PrintFormat,
		DocumentPrinter:  sc.DocumentPrinter,
		ReturnReceiverID: dc.ReturnReceiverID,
		Profile:          dc.Profile,
		Postage:          postage,
		OnChange: func(s apitype.Shipment) {
			a.bus.publish(apitype.Event{Type: apitype.EventShipment, Shipment: &s})
		},
		Log: log,
		Now: a.now,
	}
	if a.shipmentCrash != nil {
		opts.SetCrash(a.shipmentCrash)
	}
	j, err := shipment.Open(a.store.DB(), opts)
	if err != nil {
		return err
	}
	if err := j.MarkInterrupted(); err != nil {
		return err
	}
	a.shipments = j
	every := sc.TrackEvery
	if every == 0 {
		every = defaultTrackEvery
	}
	days := sc.TrackDays
	if days <= 0 {
		days = defaultTrackDays
	}
	reserve := sc.TrackReserve
	if reserve <= 0 {
		reserve = defaultTrackReserve
	}
	keep := sc.KeepDocuments
	if keep == 0 {
		keep = defaultKeepDocuments
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		j.Run(a.runCtx, shipment.RunOptions{TrackEvery: every, TrackMaxAge: time.Duration(days) * 24 * time.Hour,
			TrackReserve: reserve, KeepDocuments: keep})
	}()
	a.log.Info("DHL shipments enabled", "base_url", dc.WithDefaults().BaseURL)
	return nil
}

// shipmentDocFormat picks the label format for a printer: DHL lays its ZPL
// out for 203 dpi, so other printers get the PDF, rendered at their resolution.
func (a *Agent) shipmentDocFormat(printer string) string {
	switch f := strings.ToUpper(a.cfg.Shipments.DocFormat); f {
	case "ZPL", parcel.DocFormatZPL2:
		return parcel.DocFormatZPL2
	case parcel.DocFormatPDF:
		return parcel.DocFormatPDF
	}
	if printer == "" {
		printer = a.cfg.Shipments.Printer
	}
	if printer == "" {
		printer = a.cfg.DefaultPrinter
	}
	pc, ok := a.cfg.Printer(printer)
	if !ok {
		return parcel.DocFormatZPL2
	}
	prof, err := zpl.ProfileFrom(pc.Profile)
	if err != nil || prof.DPI == 203 {
		return parcel.DocFormatZPL2
	}
	return parcel.DocFormatPDF
}

// FillShipmentDefaults completes a shipment from the dhl: section: the
// product's billing number and the sender.
func FillShipmentDefaults(sh *parcel.Shipment, dc transport.Config) {
	if sh.Product == "" {
		sh.Product = parcel.ProductPaket
	}
	if sh.BillingNumber == "" {
		sh.BillingNumber = dc.BillingNumbers[sh.Product]
	}
	if sh.Shipper == (parcel.Shipper{}) {
		s := dc.Shipper
		if s.ShipperRef != "" {
			sh.Shipper = parcel.Shipper{ShipperRef: s.ShipperRef}
			return
		}
		c := s.Country
		if c == "" {
			c = "DEU"
		}
		sh.Shipper = parcel.Shipper{Name1: s.Name1, Name2: s.Name2, AddressStreet: s.AddressStreet, PostalCode: s.PostalCode, City: s.City, Country: c, Email: s.Email}
	}
}

func parsePostage(m map[string]string) (map[string]int64, error) {
	out := map[string]int64{}
	for product, v := range m {
		f, err := i18n.ParseDecimal(v)
		if err != nil || f < 0 || f > 10000 {
			return nil, fmt.Errorf("shipments.postage.%s: %q is not an amount in euro (e.g. 4,99)", product, v)
		}
		out[product] = int64(f*100 + 0.5)
	}
	return out, nil
}

// checkShipments checks the shipments: section for `config check`.
func checkShipments(cfg *config.Config) []error {
	sc := cfg.Shipments
	var errs []error
	for _, p := range []struct{ key, name string }{{"printer", sc.Printer}, {"document_printer", sc.DocumentPrinter}} {
		if p.name == "" {
			continue
		}
		if _, ok := cfg.Printer(p.name); !ok {
			errs = append(errs, fmt.Errorf("shipments.%s: no printer named %q is configured", p.key, p.name))
		}
	}
	switch strings.ToUpper(sc.DocFormat) {
	case "", "AUTO", "ZPL", parcel.DocFormatZPL2, parcel.DocFormatPDF:
	default:
		errs = append(errs, fmt.Errorf("shipments.doc_format: %q is not auto, ZPL2 or PDF", sc.DocFormat))
	}
	if sc.PrintFormat != "" && !contains(parcel.PrintFormats, sc.PrintFormat) {
		errs = append(errs, fmt.Errorf("shipments.print_format: %q is not one of %s", sc.PrintFormat, strings.Join(parcel.PrintFormats, ", ")))
	}
	if _, err := parsePostage(sc.Postage); err != nil {
		errs = append(errs, err)
	}
	if sc.TrackDays < 0 || sc.TrackReserve < 0 || sc.KeepDocuments < 0 {
		errs = append(errs, fmt.Errorf("shipments: track_days, track_reserve and keep_documents cannot be negative"))
	}
	empty := sc.Printer == "" && sc.DocumentPrinter == "" && sc.DocFormat == "" && sc.PrintFormat == "" && sc.TrackEvery == 0 &&
		sc.TrackDays == 0 && sc.TrackReserve == 0 && sc.KeepDocuments == 0 && len(sc.Postage) == 0
	if !empty && cfg.DHL.Kind == 0 {
		errs = append(errs, fmt.Errorf("shipments: section set but there is no dhl: section with the account"))
	}
	return errs
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}
