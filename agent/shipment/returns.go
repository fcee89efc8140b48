package shipment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/dhlcheck"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/dhl/parcel"
	"github.com/labelagent/labelagent/dhl/returns"
	"github.com/labelagent/labelagent/dhl/tracking"
)

// ReturnRequest asks for a return label: for a shipment of the journal
// (ForID; the customer's address is taken from it) or for an address (Order).
type ReturnRequest struct {
	ForID     string
	OrderRef  string
	Key       string
	Order     returns.Order
	LabelType string
	Print     bool
	Printer   string
	// New: another return label although the shipment has one.
	New bool
}

// Return creates a return label, stores it and prints or hands it out.
// A second request for a shipment that has a return label returns it.
func (j *Journal) Return(ctx context.Context, rq ReturnRequest) (*Record, bool, error) {
	if j.opts.Returns == nil {
		return nil, false, i18n.K(ErrUnavailable, "shipjournal.err.no_returns")
	}
	rq.LabelType = strings.ToUpper(strings.TrimSpace(rq.LabelType))
	if rq.LabelType == "" {
		rq.LabelType = returns.LabelShipment
	}
	switch rq.LabelType {
	case returns.LabelShipment, returns.LabelQR, returns.LabelBoth:
	default:
		return nil, false, i18n.K(ErrInvalid, "shipjournal.err.label_type", "type", rq.LabelType)
	}
	var parent *Record
	if rq.ForID != "" {
		p, err := j.Find(rq.ForID)
		if err != nil {
			return nil, false, err
		}
		parent = p
		if p.Kind != apitype.ShipmentKindOutbound || p.Order == nil {
			return nil, false, i18n.K(ErrInvalid, "shipjournal.err.not_outbound", "id", rq.ForID)
		}
		if !rq.New {
			for i := len(p.Returns) - 1; i >= 0; i-- {
				if r, err := j.Get(p.Returns[i]); err == nil && r.State == apitype.ShipmentCreated {
					return r, true, nil
				}
			}
		}
		o, err := returnOrderFor(p)
		if err != nil {
			return nil, false, err
		}
		if rq.Order.ItemWeight == nil {
			rq.Order = o
		} else {
			w := rq.Order.ItemWeight
			rq.Order = o
			rq.Order.ItemWeight = w
		}
		if rq.OrderRef == "" {
			rq.OrderRef = p.OrderRef
		}
	}
	if rq.Order.ReceiverID == "" {
		rq.Order.ReceiverID = j.opts.ReturnReceiverID
		if c := strings.ToUpper(rq.Order.Shipper.Country); c != "" && c != "DEU" {
			rq.Order.ReceiverID = strings.ToLower(c)
		}
	}
	if rq.Order.CustomerReference == "" && rq.OrderRef != "" {
		rq.Order.CustomerReference = truncate(rq.OrderRef, 30)
	}
	if rq.Order.CreationSoftware == "" {
		rq.Order.CreationSoftware = "labelagent"
	}
	rq.Order.Normalize()
	if err := rq.Order.Validate(rq.LabelType); err != nil {
		return nil, false, i18n.KWrap(ErrInvalid, dhlcheck.Err(err), "shipjournal.err.return_order_invalid")
	}
	now := j.now()
	var r *Record
	existing := false
	err := j.db.Update(func(tx *bolt.Tx) error {
		r, existing = nil, false
		if rq.Key != "" {
			if id := tx.Bucket(bucketKeys).Get([]byte(rq.Key)); id != nil {
				got, err := getRecord(tx, string(id))
				r, existing = got, true
				return err
			}
		}
		id, err := newID(tx, now)
		if err != nil {
			return err
		}
		o := rq.Order
		r = &Record{ID: id, Kind: apitype.ShipmentKindReturn, OrderRef: rq.OrderRef, Key: rq.Key, State: apitype.ShipmentRequested,
			Day: now.In(berlin).Format(time.DateOnly), ReturnOrder: &o, LabelType: rq.LabelType, Print: rq.Print, Printer: rq.Printer,
			Created: now, Updated: now}
		if parent != nil {
			r.ForID = parent.ID
			p, err := getRecord(tx, parent.ID)
			if err != nil {
				return err
			}
			p.Returns = append(p.Returns, id)
			p.step(now, msg("shipjournal.note.return_requested", "id", id))
			if err := putRecord(tx, p); err != nil {
				return err
			}
		}
		r.step(now, msg("shipjournal.note.return_recorded"))
		if rq.Key != "" {
			if err := tx.Bucket(bucketKeys).Put([]byte(rq.Key), []byte(id)); err != nil {
				return err
			}
		}
		if rq.OrderRef != "" {
			ids := orderIDs(tx, rq.OrderRef)
			b, _ := json.Marshal(append(ids, id))
			if err := tx.Bucket(bucketOrders).Put([]byte(rq.OrderRef), b); err != nil {
				return err
			}
		}
		return putRecord(tx, r)
	})
	if err != nil {
		return nil, false, i18n.Wrap(err, "shipjournal.err.store")
	}
	if existing {
		return r, true, nil
	}
	j.changed(r)
	unlock := j.lock(r.ID)
	defer unlock()
	return r, false, j.sendReturn(ctx, r)
}

// sendReturn asks the Returns API for r's label and records the outcome.
// Return labels cost nothing until used, so this may be repeated.
func (j *Journal) sendReturn(ctx context.Context, r *Record) error {
	l, err := j.opts.Returns.Create(ctx, *r.ReturnOrder, r.LabelType)
	now := j.now()
	if l == nil {
		r.State = apitype.ShipmentFailed
		r.setDHLError(err.Error())
		r.Retryable = true
		r.step(now, msg("shipjournal.note.return_not_created", "reason", err.Error()))
		if serr := j.save(r, nil); serr != nil {
			return serr
		}
		return i18n.KWrap(ErrRefused, err, "shipjournal.err.return_refused")
	}
	r.State, r.ShipmentNo, r.RoutingCode, r.InternationalNo, r.QRLink = apitype.ShipmentCreated, l.ShipmentNo, l.RoutingCode, l.InternationalShipmentNo, l.QRLink
	r.setError(nil)
	docs := map[string][]byte{}
	if len(l.PDF) > 0 {
		docs[DocReturnLabel] = l.PDF
		r.Docs = replaceDoc(r.Docs, apitype.ShipmentDocument{Kind: DocReturnLabel, Format: parcel.DocFormatPDF, Size: len(l.PDF)})
	}
	if len(l.QRCode) > 0 {
		docs[DocQR] = l.QRCode
		r.Docs = replaceDoc(r.Docs, apitype.ShipmentDocument{Kind: DocQR, Format: "PNG", Size: len(l.QRCode)})
	}
	note := msg("shipjournal.note.return_created", "id", l.ReturnID())
	if err != nil {
		note = msg("shipjournal.note.return_created_note", "id", l.ReturnID(), "note", err.Error())
	}
	r.PrintPending = r.Print && len(l.PDF) > 0
	r.step(now, note)
	if err := j.save(r, docs); err != nil {
		return err
	}
	if r.PrintPending {
		return j.printReturn(ctx, r)
	}
	return nil
}

func (j *Journal) printReturn(ctx context.Context, r *Record) error {
	if j.opts.Submit == nil {
		return i18n.K(ErrUnavailable, "shipjournal.err.no_printing")
	}
	data, _, err := j.Document(r.ID, DocReturnLabel)
	if err != nil {
		return err
	}
	jobID, err := j.opts.Submit(ctx, PrintRequest{Printer: r.Printer, Key: fmt.Sprintf("shipment-%s-%s-1", r.ID, DocReturnLabel),
		Name: truncate("DHL Retoure RET"+r.ShipmentNo+" "+r.OrderRef, 200), Kind: apitype.KindPDF, Data: data})
	p := apitype.ShipmentPrint{N: 1, Document: DocReturnLabel, JobID: jobID, Printer: r.Printer, At: j.now()}
	if err != nil {
		setPrintError(&p, err)
	}
	r.Prints = append(r.Prints, p)
	r.PrintPending = false
	r.step(j.now(), msg("shipjournal.note.return_printed"))
	if serr := j.save(r, nil); serr != nil {
		return serr
	}
	return err
}

// returnOrderFor makes a return order from an outbound shipment's consignee:
// the customer sends the parcel back from the address it went to.
func returnOrderFor(p *Record) (returns.Order, error) {
	c := p.Order.Consignee.Contact
	if c == nil {
		return returns.Order{}, i18n.K(ErrInvalid, "shipjournal.err.return_no_street", "id", p.ID)
	}
	o := returns.Order{
		ShipmentReference: p.ShipmentNo,
		Shipper: returns.Shipper{Name1: c.Name1, Name2: c.Name2, Name3: c.Name3, AddressStreet: c.AddressStreet, AddressHouse: c.AddressHouse,
			PostalCode: c.PostalCode, City: c.City, Country: c.Country, Email: c.Email},
	}
	if w := p.Order.Details.Weight; w.Value > 0 {
		o.ItemWeight = &returns.Weight{UOM: w.UOM, Value: w.Value}
	}
	return o, nil
}

// ---- tracking ----

// Track asks DHL's Unified Tracking for a shipment's status now and keeps
// the newest status on the record.
func (j *Journal) Track(ctx context.Context, id string) (*Record, error) {
	if j.opts.Tracker == nil {
		return nil, i18n.K(ErrUnavailable, "shipjournal.err.no_tracking")
	}
	unlock := j.lock(id)
	defer unlock()
	r, err := j.Get(id)
	if err != nil {
		return nil, err
	}
	if r.ShipmentNo == "" {
		return r, i18n.K(ErrConflict, "shipjournal.err.no_number", "id", id, "state", stateWord(r.State))
	}
	q := tracking.Query{TrackingNumber: r.ShipmentNo, Service: "parcel-de", Language: "de"}
	if r.Order != nil && r.Order.Consignee.Contact != nil {
		q.RecipientPostalCode = r.Order.Consignee.Contact.PostalCode
	}
	resp, terr := j.opts.Tracker.Track(ctx, q)
	now := j.now()
	t := &apitype.ShipmentTracking{Checked: now, Status: tracking.Unknown}
	if r.Tracking != nil {
		*t = *r.Tracking
		t.Checked, t.Error, t.ErrorID = now, "", ""
	}
	switch {
	case terr != nil:
		t.Error = terr.Error()
	case len(resp.Shipments) == 0:
		t.ErrorID = "shipjournal.why.no_tracking_status"
		t.Error = english(msg(t.ErrorID))
	default:
		prev := t.Status
		applyStatus(t, resp.Shipments[0])
		if prev != t.Status || r.Tracking == nil {
			r.step(now, msg("shipjournal.note.tracking", "status", t.Status, "description", t.Description))
		}
	}
	r.Tracking = t
	if err := j.save(r, nil); err != nil {
		return r, err
	}
	if terr != nil {
		return r, terr
	}
	return r, nil
}

// TrackOpen refreshes the tracking of shipments still under way (created
// or closed, not delivered, at most maxAge old, not checked within every),
// oldest check first, leaving reserve calls of the day's quota for the
// operator. It returns how many were asked.
func (j *Journal) TrackOpen(ctx context.Context, every, maxAge time.Duration, reserve int) (int, error) {
	if j.opts.Tracker == nil {
		return 0, nil
	}
	now := j.now()
	var due []*Record
	if err := j.all(func(r *Record) bool {
		if r.Kind != apitype.ShipmentKindOutbound || r.ShipmentNo == "" || now.Sub(r.Created) > maxAge {
			return true
		}
		if r.State != apitype.ShipmentCreated && r.State != apitype.ShipmentClosed {
			return true
		}
		if r.Tracking != nil && (r.Tracking.Status == tracking.Delivered || now.Sub(r.Tracking.Checked) < every) {
			return true
		}
		due = append(due, r)
		return true
	}); err != nil {
		return 0, err
	}
	sortByChecked(due)
	n := 0
	for _, r := range due {
		if ctx.Err() != nil {
			break
		}
		if rem := j.opts.Tracker.Remaining(); rem >= 0 && rem <= reserve {
			j.log.Info("tracking refresh paused: the day's quota is kept for the operator", "remaining", rem, "left", len(due)-n)
			break
		}
		_, err := j.Track(ctx, r.ID)
		n++
		if errors.Is(err, tracking.ErrQuotaExhausted) {
			return n, err
		}
	}
	return n, nil
}

func sortByChecked(rs []*Record) {
	checked := func(r *Record) time.Time {
		if r.Tracking == nil {
			return time.Time{}
		}
		return r.Tracking.Checked
	}
	sort.SliceStable(rs, func(a, b int) bool { return checked(rs[a]).Before(checked(rs[b])) })
}

// applyStatus writes DHL's latest status of a shipment into t.
func applyStatus(t *apitype.ShipmentTracking, sh tracking.Shipment) {
	ev := sh.Status
	t.Status, t.Description = firstNonEmpty(ev.StatusCode, tracking.Unknown), firstNonEmpty(ev.Description, ev.Status)
	t.Location = ""
	if ev.Location != nil {
		t.Location = strings.TrimSpace(ev.Location.Address.PostalCode + " " + ev.Location.Address.AddressLocality)
	}
	if !ev.Timestamp.IsZero() {
		at := ev.Timestamp.Time
		t.At = &at
	}
	t.EstimatedAt = nil
	if sh.EstimatedTimeOfDelivery != nil && !sh.EstimatedTimeOfDelivery.IsZero() {
		e := sh.EstimatedTimeOfDelivery.Time
		t.EstimatedAt = &e
	}
}

// TrackNumber asks DHL for a number the journal does not hold (a parcel
// from another system), through the agent's tracking client and so within
// its rate limit and daily quota. Nothing is recorded.
func (j *Journal) TrackNumber(ctx context.Context, q tracking.Query) ([]apitype.Shipment, error) {
	if j.opts.Tracker == nil {
		return nil, i18n.K(ErrUnavailable, "shipjournal.err.no_tracking")
	}
	resp, err := j.opts.Tracker.Track(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]apitype.Shipment, 0, len(resp.Shipments))
	for _, sh := range resp.Shipments {
		t := &apitype.ShipmentTracking{Checked: j.now()}
		applyStatus(t, sh)
		out = append(out, apitype.Shipment{ShipmentNo: sh.ID, Kind: apitype.ShipmentKindOutbound, Tracking: t})
	}
	return out, nil
}

// Locations lists the account's return receivers (Returns /locations).
func (j *Journal) Locations(ctx context.Context, q returns.LocationQuery) ([]returns.Location, error) {
	if j.opts.Returns == nil {
		return nil, i18n.K(ErrUnavailable, "shipjournal.err.no_returns")
	}
	return j.opts.Returns.Locations(ctx, q)
}
