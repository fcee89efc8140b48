// Package packing is the packing station's day: orders come in (a feed, a
// shop's webhook, an import), the operator scans one, the rule table picks
// a carrier product and a printer, the agent's shipment or postage service
// makes the label and prints it, and the tracking number goes back to the
// shop. A repeated scan never makes a second label unless asked to.
package packing

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/agent/franking"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/agent/internal/keylock"
	"github.com/labelagent/labelagent/agent/purchase"
	"github.com/labelagent/labelagent/agent/shipment"
	"github.com/labelagent/labelagent/dhl/address"
	im "github.com/labelagent/labelagent/dhl/internetmarke"
	"github.com/labelagent/labelagent/dhl/parcel"
	ps "github.com/labelagent/labelagent/dhl/privateshipping"
	"github.com/labelagent/labelagent/dhl/transport"
	"github.com/labelagent/labelagent/printer/scale"
)

// Shipments is the part of the shipment service a scan uses.
type Shipments interface {
	Create(ctx context.Context, reqs []shipment.Request) ([]shipment.Result, error)
	Reprint(ctx context.Context, id, kind, printer string) (*shipment.Record, error)
}

// Stamps is the part of the postage service a scan uses.
type Stamps interface {
	Buy(ctx context.Context, r purchase.Request) (*purchase.Purchase, error)
	Reprint(ctx context.Context, id string) (*purchase.Purchase, error)
}

// Carts is the part of the Online Franking service a scan uses.
type Carts interface {
	Create(ctx context.Context, r franking.Request) (*franking.Cart, bool, error)
	Reprint(ctx context.Context, id string) (*franking.Cart, error)
}

// Options configure the service; the carrier services are nil when not
// configured (a rule naming one then refuses with a clear reason).
type Options struct {
	Config    config.PackingConfig
	DHL       transport.Config // billing numbers and shipper
	Shipments Shipments
	Stamps    Stamps
	Carts     Carts
	// StampSender is the sender of letters (internetmarke.sender, else the
	// DHL shipper); without one, stamps are bought without addresses.
	StampSender *im.Address
	Scale       *scale.Reader
	Publish     func(apitype.ScanResult)
	Now         func() time.Time
	Log         *slog.Logger
}

// Service scans orders.
type Service struct {
	opt    Options
	orders *Orders
	report *Reporter
	locks  keylock.Locks
}

// Errors callers test for.
var (
	ErrNoRule  = errors.New("no rule covers the order")
	ErrCarrier = errors.New("the carrier is not configured")
)

// Open opens the order store and the report outbox in db.
func Open(db *bolt.DB, opt Options) (*Service, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	orders, err := OpenOrders(db, opt.Now)
	if err != nil {
		return nil, err
	}
	rep, err := OpenReporter(db, opt.Config.Report, opt.Now, opt.Log)
	if err != nil {
		return nil, err
	}
	return &Service{opt: opt, orders: orders, report: rep}, nil
}

// Orders is the order store.
func (s *Service) Orders() *Orders { return s.orders }

// Reporter is the outbox of tracking numbers for the shop.
func (s *Service) Reporter() *Reporter { return s.report }

// Run sends reports to the shop until ctx ends.
func (s *Service) Run(ctx context.Context) { s.report.Run(ctx) }

func (s *Service) lock(ref string) func() { return s.locks.Lock(ref) }

// Test tells which rule an order gets and why.
func (s *Service) Test(o apitype.Order, weight int) apitype.RulesTest {
	r, ok, checks := Match(s.opt.Config.Rules, FactsOf(o, weight))
	out := apitype.RulesTest{Order: o.Ref, Checks: checks}
	if ok {
		out.Rule, out.Carrier, out.Product, out.Printer = r.Name, r.Carrier, r.Product, r.Printer
	}
	return out
}

// ScaleReading reports the scale.
func (s *Service) ScaleReading() apitype.ScaleReading {
	if s.opt.Scale == nil {
		return apitype.ScaleReading{}
	}
	w, err := s.opt.Scale.Weight()
	out := apitype.ScaleReading{Configured: true, Grams: w.Grams, Stable: w.Stable, At: w.At}
	if err != nil {
		out.Error = err.Error()
	}
	return out
}

// Scan handles one scan: look the order up, pick the rule, make and print
// the label, report it to the shop.
func (s *Service) Scan(ctx context.Context, req apitype.ScanRequest) (apitype.ScanResult, error) {
	start := s.opt.Now()
	code := normalizeRef(req.Code)
	res := apitype.ScanResult{Code: code}
	defer func() {
		res.Took = float64(s.opt.Now().Sub(start).Microseconds()) / 1000
	}()
	if code == "" {
		return res, i18n.K(ErrNoOrder, "packing.err.empty_scan")
	}
	unlock := s.lock(code)
	defer unlock()
	o, err := s.orders.Get(code)
	if err != nil {
		return res, err
	}
	res.OrderRef = o.Ref
	if len(o.Labels) > 0 && !req.New {
		res.Labels = o.Labels
		last := o.Labels[len(o.Labels)-1]
		res.Carrier, res.Product, res.Tracking, res.LabelID, res.Rule = last.Carrier, last.Product, last.Tracking, last.ID, last.Rule
		if !req.Reprint {
			res.Outcome = apitype.ScanAlreadyShipped
			setMessage(&res, i18n.E("queuewords.scan.already_shipped"))
			s.publish(res)
			return res, nil
		}
		jobs, err := s.reprint(ctx, last)
		if err != nil {
			return res, err
		}
		res.Outcome, res.JobIDs = apitype.ScanReprinted, jobs
		s.publish(res)
		return res, nil
	}
	// Weight: the request, else a stable scale reading, else the order.
	weight, src := o.WeightGrams, "order"
	switch {
	case req.WeightGrams > 0:
		weight, src = req.WeightGrams, "request"
	case s.opt.Scale != nil:
		if w, err := s.opt.Scale.Weight(); err == nil {
			weight, src = w.Grams, "scale"
		} else if o.WeightGrams == 0 {
			return res, i18n.Wrap(err, "packing.err.no_weight", "order", o.Ref)
		}
	}
	res.WeightGrams, res.WeightSource = weight, src
	rule, ok, checks := Match(s.opt.Config.Rules, FactsOf(o, weight))
	if !ok {
		res.Outcome = apitype.ScanRefused
		var msgs []i18n.Message
		for _, c := range checks {
			kv := make([]any, 0, 2*len(c.WhyArgs))
			for k, v := range c.WhyArgs {
				kv = append(kv, k, v)
			}
			msgs = append(msgs, i18n.Message{ID: "packing.why.rule", Args: []any{"rule", c.Rule, "why", i18n.Message{ID: c.WhyID, Args: kv}}})
		}
		err := i18n.K(ErrNoRule, "packing.err.no_rule", "order", o.Ref, "why", msgs)
		setMessage(&res, err)
		return res, err
	}
	res.Rule, res.Carrier, res.Product, res.Printer = rule.Name, rule.Carrier, rule.Product, rule.Printer
	n := len(o.Labels) + 1
	key := "scan:" + o.Ref
	if n > 1 {
		key += ":" + strconv.Itoa(n)
	}
	var label apitype.OrderShipment
	switch rule.Carrier {
	case "dhl":
		label, err = s.dhl(ctx, o, rule, weight, key, n > 1, &res)
	case "internetmarke":
		label, err = s.stamp(ctx, o, rule, key, &res)
	case "franking":
		label, err = s.franking(ctx, o, rule, weight, key, &res)
	default:
		err = carrierErr(rule.Carrier)
	}
	if err != nil {
		if res.Outcome == "" {
			res.Outcome = apitype.ScanRefused
		}
		setMessage(&res, err)
		s.publish(res)
		return res, err
	}
	label.Rule, label.At = rule.Name, s.opt.Now().UTC()
	if _, err := s.orders.update(o.Ref, func(x *apitype.Order) { x.Labels = append(x.Labels, label) }); err != nil {
		return res, err
	}
	if label.Tracking != "" {
		if err := s.report.Add(o, label); err != nil {
			s.opt.Log.Warn("packing: tracking number not queued for the shop", "order", o.Ref, "err", err)
		}
	}
	s.publish(res)
	return res, nil
}

// setMessage says what the scan came to, kept as the catalog's message
// where the words are ours (MessageIn words it for a reader).
func setMessage(res *apitype.ScanResult, m error) {
	res.Message, res.MessageID, res.MessageArgs = i18n.KeepErr(m)
}

// MessageIn is res with its message in l's language.
func MessageIn(res apitype.ScanResult, l *i18n.Localizer) apitype.ScanResult {
	res.Message = l.Kept(res.MessageID, res.MessageArgs, res.Message)
	return res
}

func (s *Service) publish(r apitype.ScanResult) {
	if s.opt.Publish != nil {
		s.opt.Publish(r)
	}
}

func (s *Service) reprint(ctx context.Context, l apitype.OrderShipment) ([]string, error) {
	switch l.Carrier {
	case "dhl":
		if s.opt.Shipments == nil {
			return nil, carrierErr("dhl")
		}
		rec, err := s.opt.Shipments.Reprint(ctx, l.ID, shipment.DocLabel, "")
		if err != nil {
			return nil, err
		}
		if n := len(rec.Prints); n > 0 {
			return []string{rec.Prints[n-1].JobID}, nil
		}
		return nil, nil
	case "internetmarke":
		if s.opt.Stamps == nil {
			return nil, carrierErr("internetmarke")
		}
		_, err := s.opt.Stamps.Reprint(ctx, l.ID)
		return nil, err
	case "franking":
		if s.opt.Carts == nil {
			return nil, carrierErr("franking")
		}
		c, err := s.opt.Carts.Reprint(ctx, l.ID)
		if err != nil {
			return nil, err
		}
		var jobs []string
		for _, it := range c.Items {
			jobs = append(jobs, it.JobID)
		}
		return jobs, nil
	}
	return nil, carrierErr(l.Carrier)
}

// carrierErr says a carrier a rule or label names is not set up, and which
// section of the configuration would set it up.
func carrierErr(carrier string) error {
	switch carrier {
	case "dhl", "internetmarke", "franking":
		return i18n.K(ErrCarrier, "packing.err.carrier", "carrier", carrier, "section", carrier+":")
	}
	return i18n.K(ErrCarrier, "packing.err.carrier_unknown", "carrier", carrier, "allowed", []string{"dhl", "internetmarke", "franking"})
}

// eu are the destinations inside the EU customs union: no customs papers.
var eu = map[string]bool{"AT": true, "BE": true, "BG": true, "CY": true, "CZ": true, "DE": true, "DK": true, "EE": true,
	"ES": true, "FI": true, "FR": true, "GR": true, "HR": true, "HU": true, "IE": true, "IT": true, "LT": true, "LU": true,
	"LV": true, "MT": true, "NL": true, "PL": true, "PT": true, "RO": true, "SE": true, "SI": true, "SK": true}

// Consignee builds DHL's consignee from an order's recipient.
func Consignee(a apitype.OrderAddress) parcel.Consignee {
	if a.LockerID != "" {
		id, _ := strconv.Atoi(a.LockerID)
		return parcel.Consignee{Locker: &parcel.Locker{Name: a.Name, LockerID: id, PostNumber: a.PostNumber,
			PostalCode: a.PostalCode, City: a.City, Country: Country3(a.Country)}}
	}
	street, house := a.Street, a.HouseNumber
	if house == "" {
		if st, h, ok := address.SplitStreet(a.Street); ok {
			street, house = st, h
		}
	}
	c := &parcel.ContactAddress{Name1: a.Name, AddressStreet: street, AddressHouse: house, PostalCode: a.PostalCode,
		City: a.City, State: a.State, Country: Country3(a.Country), Email: a.Email, Phone: a.Phone,
		AdditionalAddressInformation1: a.AddressLine2}
	if a.Company != "" {
		c.Name1, c.Name2 = a.Company, a.Name
	}
	return parcel.Consignee{Contact: c}
}

// Shipment builds the DHL shipment for an order under a rule.
func (s *Service) Shipment(o apitype.Order, product string, weight int) parcel.Shipment {
	dc := s.opt.DHL
	sh := parcel.Shipment{Product: product, BillingNumber: dc.BillingNumbers[product], RefNo: refNo(o.Ref),
		CreationSoftware: "labelagent", Consignee: Consignee(o.Recipient)}
	if dc.Shipper.ShipperRef != "" {
		sh.Shipper = parcel.Shipper{ShipperRef: dc.Shipper.ShipperRef}
	} else {
		c := dc.Shipper.Country
		if c == "" {
			c = "DEU"
		}
		sh.Shipper = parcel.Shipper{Name1: dc.Shipper.Name1, Name2: dc.Shipper.Name2, AddressStreet: dc.Shipper.AddressStreet,
			PostalCode: dc.Shipper.PostalCode, City: dc.Shipper.City, Country: c, Email: dc.Shipper.Email}
	}
	if weight <= 0 {
		weight = 1000
	}
	sh.Details.Weight = parcel.Weight{UOM: "g", Value: float64(weight)}
	if o.LengthMM > 0 && o.WidthMM > 0 && o.HeightMM > 0 {
		sh.Details.Dim = &parcel.Dimensions{UOM: "mm", Length: o.LengthMM, Width: o.WidthMM, Height: o.HeightMM}
	}
	if country := Country(o.Recipient.Country); country != "" && !eu[country] {
		sh.Customs = customs(o, weight)
	}
	return sh
}

// refNo is DHL's reference: 8 to 35 characters.
func refNo(ref string) string {
	for len(ref) < 8 {
		ref = "ORDER-" + ref
	}
	if len(ref) > 35 {
		ref = ref[:35]
	}
	return ref
}

func customs(o apitype.Order, weight int) *parcel.CustomsDetails {
	cur := o.Currency
	if cur == "" {
		cur = "EUR"
	}
	c := &parcel.CustomsDetails{ExportType: "COMMERCIAL_GOODS", InvoiceNo: o.Ref, PostalCharges: parcel.Value{Currency: cur, Value: 0}}
	items := o.Contents
	if len(items) == 0 {
		items = []apitype.OrderItem{{Description: "Goods", Quantity: 1, ValueCents: o.ValueCents, WeightGrams: weight}}
	}
	for _, it := range items {
		q := max(it.Quantity, 1)
		w := it.WeightGrams
		if w <= 0 {
			w = max(weight/len(items)/q, 1)
		}
		origin := Country3(it.CountryOfOrigin)
		if origin == "" {
			origin = "DEU"
		}
		c.Items = append(c.Items, parcel.Commodity{ItemDescription: truncate(it.Description, 256), CountryOfOrigin: origin,
			HSCode: parcel.FlexString(it.HSCode), PackagedQuantity: q,
			ItemValue: parcel.Value{Currency: cur, Value: float64(it.ValueCents) / 100}, ItemWeight: parcel.Weight{UOM: "g", Value: float64(w)}})
	}
	return c
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

func (s *Service) dhl(ctx context.Context, o apitype.Order, rule config.RuleConfig, weight int, key string, again bool, res *apitype.ScanResult) (apitype.OrderShipment, error) {
	if s.opt.Shipments == nil {
		return apitype.OrderShipment{}, carrierErr("dhl")
	}
	results, err := s.opt.Shipments.Create(ctx, []shipment.Request{{OrderRef: o.Ref, Key: key, NewShipment: again,
		Order: s.Shipment(o, rule.Product, weight), Print: true, Printer: rule.Printer}})
	if err != nil {
		return apitype.OrderShipment{}, err
	}
	r := results[0]
	if r.Err != nil {
		if errors.Is(r.Err, shipment.ErrUnknown) {
			res.Outcome = apitype.ScanUnknown
		}
		if r.Record != nil {
			res.LabelID = r.Record.ID
		}
		return apitype.OrderShipment{}, r.Err
	}
	rec := r.Record
	res.Outcome, res.Tracking, res.LabelID = apitype.ScanPrinted, rec.ShipmentNo, rec.ID
	if rec.Printer != "" {
		res.Printer = rec.Printer
	}
	for _, p := range rec.Prints {
		if p.JobID != "" {
			res.JobIDs = append(res.JobIDs, p.JobID)
		}
	}
	return apitype.OrderShipment{Carrier: "dhl", Product: rule.Product, ID: rec.ID, Tracking: rec.ShipmentNo}, nil
}

func (s *Service) stamp(ctx context.Context, o apitype.Order, rule config.RuleConfig, key string, res *apitype.ScanResult) (apitype.OrderShipment, error) {
	if s.opt.Stamps == nil {
		return apitype.OrderShipment{}, carrierErr("internetmarke")
	}
	code, _ := strconv.Atoi(rule.Product)
	a := o.Recipient
	line1 := strings.TrimSpace(a.Street + " " + a.HouseNumber)
	req := purchase.Request{IdempotencyKey: key, ProductCode: code, Printer: rule.Printer, Reference: o.Ref, Layout: "FRANKING_ZONE"}
	if s.opt.StampSender != nil {
		// The stamp carries both addresses: the letter needs no other label.
		req.Layout, req.Sender = "ADDRESS_ZONE", s.opt.StampSender
		req.Receiver = &im.Address{Name: truncate(a.Name, 50), AddressLine1: truncate(line1, 50),
			AddressLine2: truncate(a.AddressLine2, 60), PostalCode: a.PostalCode, City: truncate(a.City, 40), Country: Country3(a.Country)}
	}
	p, err := s.opt.Stamps.Buy(ctx, req)
	if err != nil {
		if p != nil {
			res.LabelID = p.ID
		}
		return apitype.OrderShipment{}, err
	}
	res.Outcome, res.LabelID = apitype.ScanPrinted, p.ID
	track := ""
	if len(p.Vouchers) > 0 {
		track = p.Vouchers[0].TrackID
		if track == "" {
			track = p.Vouchers[0].VoucherID
		}
	}
	res.Tracking = track
	return apitype.OrderShipment{Carrier: "internetmarke", Product: rule.Product, ID: p.ID, Tracking: track}, nil
}

func (s *Service) franking(ctx context.Context, o apitype.Order, rule config.RuleConfig, weight int, key string, res *apitype.ScanResult) (apitype.OrderShipment, error) {
	if s.opt.Carts == nil {
		return apitype.OrderShipment{}, carrierErr("franking")
	}
	a := o.Recipient
	recv := ps.Address{Name2: a.Name, Street: a.Street, StreetNumber: a.HouseNumber, PLZ: a.PostalCode, City: a.City,
		Province: a.State, Country: Country3(a.Country), Email: a.Email, Phone: a.Phone}
	if a.HouseNumber == "" {
		if st, h, ok := address.SplitStreet(a.Street); ok {
			recv.Street, recv.StreetNumber = st, h
		}
	}
	if a.LockerID != "" {
		recv = ps.Address{Name1: a.Name, Name2: a.PostNumber, Street: ps.StreetPackstation, StreetNumber: a.LockerID, PLZ: a.PostalCode, City: a.City, Country: "DEU"}
	}
	c, _, err := s.opt.Carts.Create(ctx, franking.Request{IdempotencyKey: key, OrderRef: o.Ref, ProductID: rule.Product,
		WeightGrams: weight, Receiver: recv, Printer: rule.Printer})
	if err != nil {
		return apitype.OrderShipment{}, err
	}
	res.Outcome, res.LabelID, res.PaymentURL = apitype.ScanNeedsPayment, c.ID, c.EntryURL
	setMessage(res, i18n.E("queuewords.scan.pay_cart"))
	return apitype.OrderShipment{Carrier: "franking", Product: c.Request.ProductID, ID: c.ID}, nil
}
