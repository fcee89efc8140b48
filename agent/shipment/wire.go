package shipment

import (
	"strings"

	"github.com/labelagent/labelagent/agent/apitype"
)

// Wire is the record as the control API shows it: with the print jobs'
// current states and what the operator can do about a shipment that needs
// attention.
func (j *Journal) Wire(r *Record) apitype.Shipment {
	w := apitype.Shipment{
		ID: r.ID, Kind: r.Kind, OrderRef: r.OrderRef, IdempotencyKey: r.Key, State: r.State, Day: r.Day,
		ShipmentNo: r.ShipmentNo, ReturnShipNo: r.ReturnShipmentNo, RoutingCode: r.RoutingCode, QRLink: r.QRLink,
		ForID: r.ForID, Returns: r.Returns, BatchID: r.BatchID, Messages: r.Messages, Error: r.Error,
		Documents: r.Docs, Printer: r.Printer, Tracking: r.Tracking, DayEndID: r.DayEndID,
		Created: r.Created, Updated: r.Updated, Cancelled: r.Cancelled, Closed: r.Closed, History: r.History,
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
	for _, p := range r.Prints {
		if p.JobID != "" && j.opts.Job != nil {
			if job, err := j.opts.Job(p.JobID); err == nil {
				p.State = job.State
				if p.Printer == "" {
					p.Printer = job.Printer
				}
				if job.LastError != "" && p.Error == "" {
					p.Error = job.LastError
				}
			}
		}
		w.Prints = append(w.Prints, p)
	}
	w.Action = Action(r)
	return w
}

// Action says what the operator can do about a shipment that needs
// attention; "" when nothing is to be done.
func Action(r *Record) string {
	switch r.State {
	case apitype.ShipmentUnknown:
		ref := r.OrderRef
		if r.Order != nil && r.Order.RefNo != "" {
			ref = r.Order.RefNo
		}
		return "DHL may have created this shipment although its answer was lost; it is not sent again on its own. " +
			"Look in DHL's business portal (Sendungsverwaltung) for a shipment with reference \"" + ref + "\" created at " +
			r.Created.In(berlin).Format("2006-01-02 15:04") + ". Found: resolve with its shipment number (the label is fetched and printed). " +
			"Not found: resolve as not created, then ship the order again. The day's end also names shipments DHL has that the journal lacks."
	case apitype.ShipmentFailed:
		if r.Retryable {
			return "DHL refused the call before creating anything; send the same request again (same idempotency key) once the cause is fixed."
		}
		return "DHL refused the shipment; correct the order and send it again."
	case apitype.ShipmentRequested:
		return ""
	case apitype.ShipmentCreated:
		if _, ok := r.Doc(DocLabel); !ok && r.Kind == apitype.ShipmentKindOutbound {
			return "DHL created this shipment but sent no usable label: reprint fetches it again (possible until the day's end), or cancel the shipment."
		}
	}
	for _, p := range r.Prints {
		if p.Error != "" {
			return "printing failed; the documents are stored: reprint the shipment."
		}
	}
	return ""
}
