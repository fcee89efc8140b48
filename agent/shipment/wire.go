package shipment

import (
	"strings"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
)

// Wire is the record as the control API shows it, in l's language: with
// the print jobs' current states and what the operator can do about a
// shipment that needs attention.
func (j *Journal) Wire(r *Record, l *i18n.Localizer) apitype.Shipment {
	w := apitype.Shipment{
		ID: r.ID, Kind: r.Kind, OrderRef: r.OrderRef, IdempotencyKey: r.Key, State: r.State, Day: r.Day,
		ShipmentNo: r.ShipmentNo, ReturnShipNo: r.ReturnShipmentNo, RoutingCode: r.RoutingCode, QRLink: r.QRLink,
		ForID: r.ForID, Returns: r.Returns, BatchID: r.BatchID, Messages: r.Messages, Error: l.Kept(r.ErrorID, r.ErrorArgs, r.Error),
		Documents: r.Docs, Printer: r.Printer, Tracking: r.Tracking, DayEndID: r.DayEndID,
		Created: r.Created, Updated: r.Updated, Cancelled: r.Cancelled, Closed: r.Closed,
	}
	if len(r.History) > 0 {
		w.History = make([]apitype.ShipmentStep, len(r.History))
		for i, h := range r.History {
			h.Note = l.Kept(h.ID, h.Args, h.Note)
			w.History[i] = h
		}
	}
	if o := r.Order; o != nil {
		w.Product, w.BillingNumber = o.Product, o.BillingNumber
		w.WeightKG = o.Details.Weight.Grams() / 1000
		name, country, postal, city := consigneeParts(o.Consignee)
		w.Recipient = name
		w.Destination = strings.Join(strings.Fields(country+" "+postal+" "+city), " ")
	}
	if o := r.ReturnOrder; o != nil {
		w.Recipient = o.Shipper.Name1
		w.Destination = strings.Join(strings.Fields(o.Shipper.Country+" "+o.Shipper.PostalCode+" "+o.Shipper.City), " ")
	}
	if r.Kind == apitype.ShipmentKindReturn && r.ShipmentNo != "" {
		w.ReturnID = "RET" + r.ShipmentNo
	}
	if t := r.Tracking; t != nil && t.ErrorID != "" {
		c := *t
		c.Error = l.Kept(c.ErrorID, nil, c.Error)
		w.Tracking = &c
	}
	for _, p := range r.Prints {
		p.Error = l.Kept(p.ErrorID, p.ErrorArgs, p.Error)
		if p.JobID != "" && j.opts.Job != nil {
			if job, err := j.opts.Job(p.JobID); err == nil {
				p.State = job.State
				if p.Printer == "" {
					p.Printer = job.Printer
				}
				if job.LastError != "" && p.Error == "" {
					p.Error = l.Kept(job.LastErrorID, job.LastErrorArgs, job.LastError)
				}
			}
		}
		w.Prints = append(w.Prints, p)
	}
	if id, m := Action(r); id != "" {
		w.ActionID, w.Action = id, l.T(m.ID, m.Args...)
	} else if r.State != apitype.ShipmentCancelled {
		// A print job the queue gave up on, or held because it may have
		// printed when the agent stopped: the operator decides at the printer.
		for _, p := range w.Prints {
			if p.State == apitype.StateFailed {
				w.ActionID, w.Action = apitype.ShipmentActionReprint, l.T("shipjournal.action.print_job_failed", "job", p.JobID, "error", p.Error, "id", r.ID)
				break
			}
		}
	}
	return w
}

// Action says what the operator can do about a shipment that needs
// attention (one of apitype.ShipmentAction*, and the words for it); ""
// when nothing is to be done.
func Action(r *Record) (string, i18n.Message) {
	switch r.State {
	case apitype.ShipmentUnknown:
		ref := r.OrderRef
		if r.Order != nil && r.Order.RefNo != "" {
			ref = r.Order.RefNo
		}
		return apitype.ShipmentActionResolve, msg("shipjournal.action.resolve", "ref", ref, "time", r.Created.In(berlin), "id", r.ID)
	case apitype.ShipmentFailed:
		if r.Retryable {
			return apitype.ShipmentActionRetry, msg("shipjournal.action.retry")
		}
		return apitype.ShipmentActionFix, msg("shipjournal.action.fix")
	case apitype.ShipmentRequested:
		return "", i18n.Message{}
	case apitype.ShipmentCreated:
		if _, ok := r.Doc(DocLabel); !ok && r.Kind == apitype.ShipmentKindOutbound {
			return apitype.ShipmentActionRefetch, msg("shipjournal.action.refetch", "id", r.ID)
		}
	}
	for _, p := range r.Prints {
		if p.Error != "" {
			return apitype.ShipmentActionReprint, msg("shipjournal.action.reprint", "id", r.ID)
		}
	}
	return "", i18n.Message{}
}
