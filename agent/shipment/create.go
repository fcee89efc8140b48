package shipment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/dhlcheck"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/dhl/address"
	"github.com/labelagent/labelagent/dhl/parcel"
	"github.com/labelagent/labelagent/dhl/transport"
)

// Request asks for the label of one order.
type Request struct {
	OrderRef string
	Key      string
	Order    parcel.Shipment
	// NewShipment: a further shipment for an order that has one (needs Key).
	NewShipment bool
	// Reprint: when the request finds an existing shipment, print it again.
	Reprint          bool
	Print            bool
	Printer          string
	DocFormat        string
	PrintFormat      string
	AllowUnencodable bool
}

// Result is the outcome of one request.
type Result struct {
	Record     *Record
	Existing   bool
	Additional bool
	// Err: not created. ErrRefused (DHL's words follow), ErrUnknown,
	// ErrInvalid (nothing recorded), or a transport error (nothing sent).
	Err error
}

const maxRefLen = 200

// check validates a request locally; nothing is recorded for a bad one.
func (j *Journal) check(r *Request) error {
	r.OrderRef, r.Key = strings.TrimSpace(r.OrderRef), strings.TrimSpace(r.Key)
	switch {
	case r.OrderRef == "" && r.Key == "":
		return i18n.K(ErrInvalid, "shipjournal.err.need_reference")
	case len(r.OrderRef) > maxRefLen || len(r.Key) > maxRefLen || !utf8.ValidString(r.OrderRef) || !utf8.ValidString(r.Key):
		return i18n.K(ErrInvalid, "shipjournal.err.reference_too_long", "max", maxRefLen)
	case r.NewShipment && r.Key == "":
		return i18n.K(ErrInvalid, "shipjournal.err.further_needs_key")
	}
	if r.DocFormat == "ZPL" {
		r.DocFormat = parcel.DocFormatZPL2
	}
	if r.DocFormat == "" && j.opts.DocFormat != nil {
		r.DocFormat = j.opts.DocFormat(r.Printer)
	}
	if r.DocFormat == "" {
		r.DocFormat = parcel.DocFormatZPL2
	}
	if r.PrintFormat == "" {
		r.PrintFormat = j.opts.PrintFormat
	}
	if r.Order.Product == "" {
		r.Order.Product = parcel.ProductPaket
	}
	if j.opts.Defaults != nil {
		j.opts.Defaults(&r.Order)
	}
	if r.Order.RefNo == "" && len(r.OrderRef) >= 8 && len(r.OrderRef) <= 35 {
		// The order reference on the label and in the business portal: the
		// operator finds a shipment of unknown outcome by it.
		r.Order.RefNo = r.OrderRef
	}
	if r.Order.CreationSoftware == "" {
		r.Order.CreationSoftware = "labelagent"
	}
	one := parcel.ShipmentOrderRequest{Profile: j.profile(), Shipments: []parcel.Shipment{r.Order}}
	one.Normalize()
	r.Order = one.Shipments[0]
	if err := checkFormats(r.DocFormat, r.PrintFormat); err != nil {
		return err
	}
	if err := r.Order.Validate(j.now().In(berlin)); err != nil {
		return i18n.KWrap(ErrInvalid, dhlcheck.Err(err), "shipjournal.err.order_invalid")
	}
	return nil
}

func checkFormats(doc, print string) error {
	if doc != parcel.DocFormatZPL2 && doc != parcel.DocFormatPDF {
		return i18n.K(ErrInvalid, "shipjournal.err.doc_format", "format", doc)
	}
	if !slices.Contains(parcel.PrintFormats, print) {
		return i18n.K(ErrInvalid, "shipjournal.err.print_format", "format", print, "allowed", strings.Join(parcel.PrintFormats, ", "))
	}
	if doc == parcel.DocFormatZPL2 && !slices.Contains(parcel.ThermalPrintFormats, print) {
		return i18n.K(ErrInvalid, "shipjournal.err.laser_format", "format", print, "allowed", strings.Join(parcel.ThermalPrintFormats, ", "))
	}
	return nil
}

func (j *Journal) profile() string {
	if j.opts.Profile != "" {
		return j.opts.Profile
	}
	return transport.DefaultProfile
}

// Create asks DHL for the shipments of up to 30 orders in one call and
// prints their labels. Each request gets its own result, in order: a 207
// answer with mixed outcomes is recorded shipment by shipment.
func (j *Journal) Create(ctx context.Context, reqs []Request) ([]Result, error) {
	if len(reqs) == 0 || len(reqs) > parcel.MaxShipments {
		return nil, i18n.K(ErrInvalid, "shipjournal.err.batch_size", "max", parcel.MaxShipments)
	}
	results := make([]Result, len(reqs))
	valid := make([]bool, len(reqs))
	for i := range reqs {
		if err := j.check(&reqs[i]); err != nil {
			results[i].Err = err
			continue
		}
		valid[i] = true
	}
	// Record every intent (or find the shipment made before) in one transaction.
	j.closeMu.Lock()
	now := j.now()
	var fresh []int
	batchID := ""
	err := j.db.Update(func(tx *bolt.Tx) error {
		fresh = fresh[:0]
		for i := range reqs {
			if !valid[i] {
				continue
			}
			results[i] = Result{}
			rq := &reqs[i]
			if rq.Key != "" {
				if id := tx.Bucket(bucketKeys).Get([]byte(rq.Key)); id != nil {
					r, err := getRecord(tx, string(id))
					if err != nil {
						return err
					}
					if r.State == apitype.ShipmentFailed && r.Retryable {
						// Refused before DHL created anything (401, 429, not
						// sent): the same request may go out again.
						r.State, r.Retryable, r.Print, r.Printer = apitype.ShipmentRequested, false, rq.Print, rq.Printer
						r.step(now, msg("shipjournal.note.sent_again"))
						if err := putRecord(tx, r); err != nil {
							return err
						}
						results[i].Record = r
						fresh = append(fresh, i)
						continue
					}
					results[i] = Result{Record: r, Existing: true}
					continue
				}
			}
			ids := orderIDs(tx, rq.OrderRef)
			if rq.OrderRef != "" && !rq.NewShipment {
				var live *Record
				for _, id := range ids {
					r, err := getRecord(tx, id)
					if err != nil {
						return err
					}
					if r.Kind == apitype.ShipmentKindOutbound && r.State.Live() {
						live = r
					}
				}
				if live != nil {
					results[i] = Result{Record: live, Existing: true}
					continue
				}
			}
			id, err := newID(tx, now)
			if err != nil {
				return err
			}
			order := rq.Order
			day := j.dayFor(tx, now, order.BillingNumber)
			if order.ShipDate == "" && day != now.In(berlin).Format(time.DateOnly) {
				order.ShipDate = day // after the day's end: tomorrow's pickup
			}
			r := &Record{
				ID: id, Kind: apitype.ShipmentKindOutbound, OrderRef: rq.OrderRef, Key: rq.Key,
				State: apitype.ShipmentRequested, Day: day, Order: &order,
				DocFormat: rq.DocFormat, PrintFormat: rq.PrintFormat, AllowUnencodable: rq.AllowUnencodable,
				Print: rq.Print, Printer: rq.Printer, Created: now, Updated: now,
			}
			if len(reqs) > 1 {
				if batchID == "" {
					batchID = "B" + id
				}
				r.BatchID = batchID
			}
			note := msg("shipjournal.note.recorded")
			if len(live(tx, ids)) > 0 {
				results[i].Additional = true
				note = msg("shipjournal.note.recorded_further")
			}
			r.step(now, note)
			if err := putRecord(tx, r); err != nil {
				return err
			}
			if rq.Key != "" {
				if err := tx.Bucket(bucketKeys).Put([]byte(rq.Key), []byte(id)); err != nil {
					return err
				}
			}
			if rq.OrderRef != "" {
				b, _ := json.Marshal(append(ids, id))
				if err := tx.Bucket(bucketOrders).Put([]byte(rq.OrderRef), b); err != nil {
					return err
				}
			}
			results[i].Record = r
			fresh = append(fresh, i)
		}
		return nil
	})
	j.closeMu.Unlock()
	if err != nil {
		return nil, i18n.Wrap(err, "shipjournal.err.store")
	}
	for _, i := range fresh {
		j.changed(results[i].Record)
	}
	// Existing shipments: report them (and reprint when asked).
	for i := range results {
		r := results[i]
		if !r.Existing {
			continue
		}
		j.log.Info("order has a shipment already, returning it", "id", r.Record.ID, "order", r.Record.OrderRef, "state", r.Record.State)
		if reqs[i].Reprint && (r.Record.State == apitype.ShipmentCreated || r.Record.State == apitype.ShipmentClosed) {
			rec, err := j.Reprint(ctx, r.Record.ID, DocLabel, reqs[i].Printer)
			results[i].Record = rec
			if err != nil {
				results[i].Err = err
			}
		}
		results[i].Err = cmpErr(results[i].Err, existingErr(results[i].Record))
	}
	if err := j.step("intent"); err != nil {
		return results, err
	}
	// Send the new ones: one call per set of document options.
	groups := map[string][]int{}
	var order []string
	for _, i := range fresh {
		r := results[i].Record
		k := r.DocFormat + "|" + r.PrintFormat + fmt.Sprint(r.AllowUnencodable)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	for _, k := range order {
		idx := groups[k]
		recs := make([]*Record, len(idx))
		for n, i := range idx {
			recs[n] = results[i].Record
		}
		errs, err := j.send(ctx, recs)
		if err != nil {
			return results, err
		}
		for n, i := range idx {
			results[i].Err = errs[n]
		}
	}
	// Print what was created.
	for _, i := range fresh {
		r := results[i].Record
		if r.State == apitype.ShipmentCreated && r.PrintPending {
			unlock := j.lock(r.ID)
			err := j.printDocs(ctx, r, false, "")
			unlock()
			if isCrash(err) {
				return results, err
			}
			if err != nil {
				j.log.Warn("label stored, printing failed; reprint it", "id", r.ID, "err", err)
			}
		}
	}
	return results, nil
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// existingErr is the error an existing record carries for its caller.
func existingErr(r *Record) error {
	switch r.State {
	case apitype.ShipmentUnknown:
		return i18n.K(ErrUnknown, "shipjournal.err.unknown", "id", r.ID)
	case apitype.ShipmentFailed:
		return i18n.K(ErrRefused, "shipjournal.err.refused", "id", r.ID, "reason", errorWords(r))
	}
	return nil
}

func live(tx *bolt.Tx, ids []string) []string {
	var out []string
	for _, id := range ids {
		if r, err := getRecord(tx, id); err == nil && r.Kind == apitype.ShipmentKindOutbound && r.State.Live() {
			out = append(out, id)
		}
	}
	return out
}

// send makes one Shipping v2 call for recs (all in state requested, same
// document options) and records each outcome with its documents.
func (j *Journal) send(ctx context.Context, recs []*Record) ([]error, error) {
	req := parcel.ShipmentOrderRequest{Profile: j.profile()}
	for _, r := range recs {
		req.Shipments = append(req.Shipments, *r.Order)
	}
	first := recs[0]
	opt := parcel.CreateOptions{DocFormat: first.DocFormat, PrintFormat: first.PrintFormat, AllowUnencodable: first.AllowUnencodable,
		IncludeDocs: parcel.IncludeDocsInclude, Language: "de-DE"}
	res, callErr := j.opts.Parcel.CreateOrders(ctx, req, opt)
	if err := j.step("answered"); err != nil {
		return nil, err
	}
	now := j.now()
	errs := make([]error, len(recs))
	docs := make([]map[string][]byte, len(recs))
	switch {
	case res != nil && len(res.Shipments) == len(recs):
		// One result per shipment (DHL's items are matched by position or
		// request index; a missing one is "not answered": unknown).
		for n, r := range recs {
			docs[n], errs[n] = j.settle(r, res.Shipments[n], now)
		}
	case res != nil || errors.Is(callErr, parcel.ErrOutcomeUnknown) || definitelyNotCreated(callErr) == nil:
		// The answer is missing, failed on the server or does not match
		// the request: the shipments may exist.
		why := msg("shipjournal.why.answer_lost")
		if callErr != nil {
			// The client's own framing ("may have been created…") is what
			// the catalog says; the transport's account of it follows.
			detail, _ := strings.CutPrefix(callErr.Error(), parcel.ErrOutcomeUnknown.Error()+": ")
			why = msg("shipjournal.why.call_failed", "error", detail)
		}
		for n, r := range recs {
			r.State = apitype.ShipmentUnknown
			r.setError(&why)
			r.step(now, msg("shipjournal.note.unknown", "why", why))
			errs[n] = i18n.K(ErrUnknown, "shipjournal.err.unknown_why", "id", r.ID, "why", why)
		}
		j.log.Warn("shipment outcome unknown", "count", len(recs), "err", callErr)
	default:
		// Refused as a whole before anything was created: 401, 403, 429,
		// a 400 without items, or nothing was sent.
		why := definitelyNotCreated(callErr)
		var whyArg any = why.Error() // DHL's or the transport's words
		var local address.Errors
		if errors.As(callErr, &local) {
			// The client's own check of the whole request (the profile):
			// our words, kept to be read in the reader's language.
			whyArg = dhlcheck.Err(local)
		}
		for n, r := range recs {
			r.State, r.Retryable = apitype.ShipmentFailed, retryable(callErr)
			if local != nil {
				r.setError(ptr(msg("dhlcheck.invalid", "problems", dhlcheck.Messages(local))))
			} else {
				r.setDHLError(callErr.Error())
			}
			r.step(now, msg("shipjournal.note.not_created", "why", whyArg))
			errs[n] = i18n.KWrap(ErrRefused, callErr, "shipjournal.err.refused_call")
		}
	}
	err := j.db.Update(func(tx *bolt.Tx) error {
		db := tx.Bucket(bucketDocs)
		for n, r := range recs {
			r.Updated = now
			for kind, data := range docs[n] {
				if err := db.Put(docKey(r.ID, kind), data); err != nil {
					return err
				}
			}
			if err := putRecord(tx, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, i18n.Wrap(err, "shipjournal.err.store")
	}
	for _, r := range recs {
		j.changed(r)
		if r.State == apitype.ShipmentCreated {
			j.log.Info("DHL shipment created and stored", "id", r.ID, "shipment", r.ShipmentNo, "order", r.OrderRef)
		}
	}
	if err := j.step("stored"); err != nil {
		return nil, err
	}
	return errs, nil
}

// definitelyNotCreated says why err means DHL created nothing, or returns
// nil when it cannot be sure.
func definitelyNotCreated(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, transport.ErrNotSent) {
		return err
	}
	var ae *transport.APIError
	if errors.As(err, &ae) && ae.StatusCode >= 400 && ae.StatusCode < 500 {
		return err
	}
	var ve address.Errors
	if errors.As(err, &ve) {
		return err
	}
	return nil
}

// retryable: DHL refused the whole call for a reason that may pass (a rate
// limit, credentials, nothing sent), so the same request may be sent again.
func retryable(err error) bool {
	if errors.Is(err, transport.ErrNotSent) {
		return true
	}
	switch transport.StatusOf(err) {
	case 401, 403, 408, 429:
		return true
	}
	return false
}

// settle records one shipment's outcome; it returns the documents to store.
// A shipment DHL created is recorded as created even when its label is
// missing or broken (it exists and is billed): a reprint fetches it again.
// A shipment DHL's answer says nothing clear about is "unknown".
func (j *Journal) settle(r *Record, sr parcel.ShipmentResult, now time.Time) (map[string][]byte, error) {
	r.Messages = nil
	for _, m := range sr.Messages {
		sev := "warning"
		if m.Severity == parcel.OutcomeError {
			sev = "error"
		}
		r.Messages = append(r.Messages, apitype.ShipmentMessage{Field: m.Field, Text: m.Text, Severity: sev})
	}
	created := sr.Created || (sr.Outcome.OK() && sr.ShipmentNo != "")
	switch {
	case created:
	case sr.Problem == parcel.ProblemNotAnswered || sr.Problem == parcel.ProblemNoStatus:
		why := problemMsg(sr.Problem)
		r.State = apitype.ShipmentUnknown
		r.setError(&why)
		r.step(now, msg("shipjournal.note.unknown", "why", why))
		return nil, i18n.K(ErrUnknown, "shipjournal.err.unknown_why", "id", r.ID, "why", why)
	default:
		r.State = apitype.ShipmentFailed
		r.setDHLError(refusal(sr))
		r.step(now, msg("shipjournal.note.refused", "reason", r.Error))
		return nil, i18n.K(ErrRefused, "shipjournal.err.refused", "id", r.ID, "reason", r.Error)
	}
	r.State = apitype.ShipmentCreated
	r.ShipmentNo, r.ReturnShipmentNo = sr.ShipmentNo, sr.ReturnShipmentNo
	r.RoutingCode, r.ReturnRoutingCode = sr.RoutingCode, sr.ReturnRoutingCode
	r.setError(nil)
	docs := j.collectDocs(r, sr)
	// Optional parts are left out (not zero): the message asks {{if}}.
	kv := []any{"number", sr.ShipmentNo, "docs", len(docs)}
	if len(r.Messages) > 0 {
		kv = append(kv, "notes", len(r.Messages))
	}
	if sr.DecodeErr != nil {
		kv = append(kv, "decode", sr.DecodeErr.Error())
	}
	note := msg("shipjournal.note.created", kv...)
	if !sr.Outcome.OK() {
		r.setError(ptr(msg("shipjournal.why.no_label", "problem", problemMsg(sr.Problem))))
		note = msg("shipjournal.note.created_no_label", append(kv, "problem", problemMsg(sr.Problem))...)
	}
	_, hasLabel := docs[DocLabel]
	r.PrintPending = r.Print && hasLabel
	r.step(now, note)
	return docs, nil
}

func (j *Journal) collectDocs(r *Record, sr parcel.ShipmentResult) map[string][]byte {
	docs := map[string][]byte{}
	for _, d := range []struct {
		kind string
		l    *parcel.Label
	}{{DocLabel, sr.Label}, {DocReturnLabel, sr.ReturnLabel}, {DocCustoms, sr.CustomsDoc}, {DocCOD, sr.CodLabel}} {
		if d.l == nil || len(d.l.Data) == 0 {
			continue
		}
		docs[d.kind] = d.l.Data
		format := d.l.Format
		if format == "" {
			format = parcel.DocFormatPDF
		}
		r.Docs = replaceDoc(r.Docs, apitype.ShipmentDocument{Kind: d.kind, Format: format, PrintFormat: d.l.PrintFormat, Size: len(d.l.Data)})
	}
	return docs
}

func replaceDoc(ds []apitype.ShipmentDocument, d apitype.ShipmentDocument) []apitype.ShipmentDocument {
	for i := range ds {
		if ds[i].Kind == d.Kind {
			ds[i] = d
			return ds
		}
	}
	return append(ds, d)
}

// refusal is DHL's reason in its own words.
func refusal(sr parcel.ShipmentResult) string {
	if sr.Reason != "" {
		return sr.Reason
	}
	var parts []string
	for _, m := range sr.Messages {
		if m.Severity != parcel.OutcomeError {
			continue
		}
		if m.Field != "" {
			parts = append(parts, m.Field+": "+m.Text)
		} else {
			parts = append(parts, m.Text)
		}
	}
	if len(parts) == 0 {
		parts = append(parts, firstNonEmpty(sr.Status.Detail, sr.Status.Title, sr.Problem.String(), "refused without a reason"))
	}
	return strings.Join(parts, "; ")
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// ---- printing ----

// printDocs hands the shipment's documents to the print queue. A first
// print (reprint false) uses print number 1, so a repeat after a crash is
// answered by the queue with the job made before. Call with r's lock held.
func (j *Journal) printDocs(ctx context.Context, r *Record, reprint bool, printer string) error {
	if j.opts.Submit == nil {
		return i18n.K(ErrUnavailable, "shipjournal.err.no_printing")
	}
	if printer == "" {
		printer = r.Printer
	}
	n := 1
	if reprint {
		for _, p := range r.Prints {
			n = max(n, p.N+1)
		}
	}
	kinds := []string{DocLabel, DocReturnLabel, DocCOD}
	if !reprint && j.opts.DocumentPrinter != "" {
		kinds = append(kinds, DocCustoms)
	}
	var errs []error
	printed := 0
	for _, kind := range kinds {
		d, ok := r.Doc(kind)
		if !ok || (reprint && kind != DocLabel) {
			continue
		}
		data, _, err := j.Document(r.ID, kind)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		to := printer
		if kind == DocCustoms {
			to = j.opts.DocumentPrinter
		}
		kindOf := apitype.KindPDF
		if d.Format == parcel.DocFormatZPL2 {
			kindOf = apitype.KindZPL
		}
		key := fmt.Sprintf("shipment-%s-%s-%d", r.ID, kind, n)
		name := "DHL " + r.ShipmentNo
		if r.OrderRef != "" {
			name += " " + r.OrderRef
		}
		if kind != DocLabel {
			name += " (" + kind + ")"
		}
		jobID, err := j.opts.Submit(ctx, PrintRequest{Printer: to, Key: key, Name: truncate(name, 200), Kind: kindOf, Data: data})
		p := apitype.ShipmentPrint{N: n, Document: kind, JobID: jobID, Printer: to, At: j.now()}
		if err != nil {
			setPrintError(&p, err)
			errs = append(errs, i18n.Wrap(err, "shipjournal.err.printing", "document", docWord(kind)))
		} else {
			printed++
		}
		r.Prints = append(r.Prints, p)
	}
	if err := j.step("printing"); err != nil {
		return err
	}
	r.PrintPending = false
	note := msg("shipjournal.note.printed", "docs", printed, "n", n)
	if len(errs) > 0 {
		note = msg("shipjournal.note.print_failed", "error", errors.Join(errs...).Error())
	}
	r.step(j.now(), note)
	if err := j.save(r, nil); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// Reprint prints a stored document (the label by default) again, with the
// next print number.
func (j *Journal) Reprint(ctx context.Context, id, kind, printer string) (*Record, error) {
	unlock := j.lock(id)
	defer unlock()
	r, err := j.Get(id)
	if err != nil {
		return nil, err
	}
	if kind == "" {
		kind = DocLabel
	}
	if _, ok := r.Doc(kind); !ok && kind == DocLabel && r.State == apitype.ShipmentCreated && r.Kind == apitype.ShipmentKindOutbound {
		// DHL created it but its label did not arrive intact: fetch it again
		// (possible until the day's end).
		if err := j.refetch(ctx, r); err != nil {
			return r, err
		}
	}
	if _, ok := r.Doc(kind); !ok {
		return r, i18n.K(ErrConflict, "shipjournal.err.nothing_to_print", "id", id, "state", stateWord(r.State), "document", docWord(kind))
	}
	if kind != DocLabel {
		return r, j.printOne(ctx, r, kind, printer)
	}
	return r, j.printDocs(ctx, r, true, printer)
}

// refetch asks DHL for a created shipment's documents again and stores them.
func (j *Journal) refetch(ctx context.Context, r *Record) error {
	res, err := j.opts.Parcel.GetLabels(ctx, []string{r.ShipmentNo}, parcel.LabelOptions{DocFormat: r.DocFormat, PrintFormat: r.PrintFormat})
	if res == nil || len(res.Shipments) != 1 || !res.Shipments[0].Outcome.OK() {
		why := english(msg("shipjournal.why.no_answer"))
		switch {
		case res != nil && len(res.Shipments) == 1:
			why = refusal(res.Shipments[0])
		case err != nil:
			why = err.Error()
		}
		return i18n.K(ErrRefused, "shipjournal.err.refetch_refused", "number", r.ShipmentNo, "reason", why)
	}
	docs := j.collectDocs(r, res.Shipments[0])
	r.setError(nil)
	r.step(j.now(), msg("shipjournal.note.refetched", "docs", len(docs)))
	return j.save(r, docs)
}

func (j *Journal) printOne(ctx context.Context, r *Record, kind, printer string) error {
	d, _ := r.Doc(kind)
	data, _, err := j.Document(r.ID, kind)
	if err != nil {
		return err
	}
	n := 1
	for _, p := range r.Prints {
		n = max(n, p.N+1)
	}
	if printer == "" {
		printer = r.Printer
	}
	kindOf := apitype.KindPDF
	switch d.Format {
	case parcel.DocFormatZPL2:
		kindOf = apitype.KindZPL
	case "PNG":
		kindOf = apitype.KindPNG
	}
	jobID, err := j.opts.Submit(ctx, PrintRequest{Printer: printer, Key: fmt.Sprintf("shipment-%s-%s-%d", r.ID, kind, n),
		Name: truncate("DHL "+firstNonEmpty(r.ShipmentNo, r.ID)+" ("+kind+")", 200), Kind: kindOf, Data: data})
	p := apitype.ShipmentPrint{N: n, Document: kind, JobID: jobID, Printer: printer, At: j.now()}
	if err != nil {
		setPrintError(&p, err)
	}
	r.Prints = append(r.Prints, p)
	r.step(j.now(), msg("shipjournal.note.printed_one", "document", docWord(kind), "n", n))
	if serr := j.save(r, nil); serr != nil {
		return serr
	}
	return err
}

// ---- operator actions ----

// Cancel deletes a shipment at DHL before the closeout (it is not billed).
func (j *Journal) Cancel(ctx context.Context, id string) (*Record, error) {
	unlock := j.lock(id)
	defer unlock()
	r, err := j.Get(id)
	if err != nil {
		return nil, err
	}
	switch {
	case r.Kind != apitype.ShipmentKindOutbound:
		return r, i18n.K(ErrConflict, "shipjournal.err.cancel_return", "id", id)
	case r.State == apitype.ShipmentCancelled:
		return r, nil
	case r.State == apitype.ShipmentClosed:
		return r, i18n.K(ErrConflict, "shipjournal.err.cancel_closed", "id", id)
	case r.State != apitype.ShipmentCreated:
		return r, i18n.K(ErrConflict, "shipjournal.err.cancel_state", "id", id, "state", stateWord(r.State))
	}
	res, err := j.opts.Parcel.Cancel(ctx, j.profile(), r.ShipmentNo)
	now := j.now()
	if res != nil && len(res.Shipments) == 1 && res.Shipments[0].Outcome.OK() {
		r.State, r.Cancelled = apitype.ShipmentCancelled, &now
		r.step(now, msg("shipjournal.note.cancelled"))
		return r, j.save(r, nil)
	}
	var why any
	switch {
	case res != nil && len(res.Shipments) == 1:
		why = refusal(res.Shipments[0])
	case err != nil:
		why = err.Error()
	default:
		why = msg("shipjournal.why.not_named")
	}
	r.step(now, msg("shipjournal.note.cancel_failed", "reason", why))
	if serr := j.save(r, nil); serr != nil {
		return r, serr
	}
	if err != nil && res == nil {
		return r, i18n.Wrap(err, "shipjournal.err.cancelling", "number", r.ShipmentNo)
	}
	return r, i18n.K(ErrRefused, "shipjournal.err.cancel_refused", "number", r.ShipmentNo, "reason", why)
}

// CancelNumber cancels at DHL a shipment number the journal does not know
// (a shipment made elsewhere, or one the day's end named as an orphan). It
// returns DHL's refusal in DHL's words; nothing is recorded.
func (j *Journal) CancelNumber(ctx context.Context, no string) error {
	no = strings.TrimSpace(no)
	if !shipmentNumberRE.MatchString(no) {
		return i18n.K(ErrNotFound, "shipjournal.err.no_such_shipment", "ref", no)
	}
	if r, err := j.ByNumber(no); err == nil {
		_, err := j.Cancel(ctx, r.ID)
		return err
	}
	res, err := j.opts.Parcel.Cancel(ctx, j.profile(), no)
	if res != nil && len(res.Shipments) == 1 {
		if res.Shipments[0].Outcome.OK() {
			j.log.Info("shipment unknown to the journal cancelled at DHL", "shipment", no)
			return nil
		}
		return i18n.K(ErrRefused, "shipjournal.err.cancel_refused", "number", no, "reason", refusal(res.Shipments[0]))
	}
	if err == nil {
		err = i18n.E("shipjournal.why.not_named")
	}
	return i18n.Wrap(err, "shipjournal.err.cancelling", "number", no)
}

// shipmentNumberRE is what a DHL shipment number looks like.
var shipmentNumberRE = regexp.MustCompile(`^[0-9A-Z]{10,39}$`)

// Resolve settles a shipment whose outcome is unknown: shipmentNo is the
// number the operator found in DHL's business portal (its documents are
// fetched, stored and printed), or notCreated says DHL has no such
// shipment (the order may then be shipped again).
func (j *Journal) Resolve(ctx context.Context, id, shipmentNo string, notCreated bool) (*Record, error) {
	unlock := j.lock(id)
	defer unlock()
	r, err := j.Get(id)
	if err != nil {
		return nil, err
	}
	if r.State != apitype.ShipmentUnknown {
		return r, i18n.K(ErrConflict, "shipjournal.err.resolve_state", "id", id, "state", stateWord(r.State))
	}
	now := j.now()
	shipmentNo = strings.TrimSpace(shipmentNo)
	switch {
	case notCreated == (shipmentNo != ""):
		return r, i18n.K(ErrInvalid, "shipjournal.err.resolve_how")
	case notCreated:
		r.State = apitype.ShipmentFailed
		r.setError(ptr(msg("shipjournal.why.operator_not_created")))
		r.step(now, msg("shipjournal.note.resolved_not_created"))
		return r, j.save(r, nil)
	}
	if other, err := j.ByNumber(shipmentNo); err == nil && other.ID != r.ID {
		return r, i18n.K(ErrConflict, "shipjournal.err.number_taken", "number", shipmentNo, "id", other.ID)
	}
	res, err := j.opts.Parcel.GetLabels(ctx, []string{shipmentNo}, parcel.LabelOptions{DocFormat: r.DocFormat, PrintFormat: r.PrintFormat})
	if res != nil && len(res.Shipments) == 1 && res.Shipments[0].Outcome.OK() {
		sr := res.Shipments[0]
		sr.Created = true
		if sr.ShipmentNo == "" {
			sr.ShipmentNo = shipmentNo
		}
		docs, _ := j.settle(r, sr, now)
		r.step(now, msg("shipjournal.note.resolved", "number", shipmentNo))
		if err := j.save(r, docs); err != nil {
			return r, err
		}
		if r.PrintPending {
			if err := j.printDocs(ctx, r, false, ""); err != nil {
				return r, err
			}
		}
		return r, nil
	}
	if orphan, de := j.isOrphan(shipmentNo); orphan {
		// Closed out at a day's end already: the label is gone, but the
		// journal now knows the shipment.
		r.State, r.ShipmentNo, r.DayEndID, r.Closed = apitype.ShipmentClosed, shipmentNo, de, &now
		r.setError(nil)
		r.step(now, msg("shipjournal.note.resolved_closed", "number", shipmentNo, "dayend", de))
		return r, j.save(r, nil)
	}
	why := ""
	switch {
	case res != nil && len(res.Shipments) == 1:
		why = refusal(res.Shipments[0])
	case err != nil:
		why = err.Error()
	}
	return r, i18n.K(ErrRefused, "shipjournal.err.resolve_refused", "number", shipmentNo, "reason", why)
}

// Validate asks DHL to check orders without creating or billing anything
// (validate=true); defaults are filled in as for Create. Local problems are
// reported per order without a call.
func (j *Journal) Validate(ctx context.Context, orders []parcel.Shipment) ([]apitype.ShipmentValidation, error) {
	if len(orders) == 0 || len(orders) > parcel.MaxShipments {
		return nil, i18n.K(ErrInvalid, "shipjournal.err.validate_size", "max", parcel.MaxShipments)
	}
	out := make([]apitype.ShipmentValidation, len(orders))
	req := parcel.ShipmentOrderRequest{Profile: j.profile()}
	var idx []int
	for i := range orders {
		o := orders[i]
		if o.Product == "" {
			o.Product = parcel.ProductPaket
		}
		if j.opts.Defaults != nil {
			j.opts.Defaults(&o)
		}
		out[i] = apitype.ShipmentValidation{Index: i, Valid: true}
		if err := o.Validate(j.now().In(berlin)); err != nil {
			out[i].Valid = false
			var fe address.Errors
			if errors.As(err, &fe) {
				for _, f := range fe {
					// Our own check: kept with its catalog id, worded for each reader.
					p := dhlcheck.Problem(f)
					out[i].Messages = append(out[i].Messages, apitype.ShipmentMessage{Field: f.Field, Text: f.Message, Severity: "error",
						ID: p.ID, Args: i18n.Keep(p.Args)})
				}
			} else {
				out[i].Messages = append(out[i].Messages, apitype.ShipmentMessage{Text: err.Error(), Severity: "error"})
			}
			continue
		}
		req.Shipments = append(req.Shipments, o)
		idx = append(idx, i)
	}
	if len(idx) == 0 {
		return out, nil
	}
	res, err := j.opts.Parcel.CreateOrders(ctx, req, parcel.CreateOptions{Validate: true, DocFormat: parcel.DocFormatPDF, Language: "de-DE"})
	if res == nil || len(res.Shipments) != len(idx) {
		if err == nil {
			err = i18n.E("shipjournal.why.answer_mismatch")
		}
		return out, err
	}
	for n, sr := range res.Shipments {
		v := &out[idx[n]]
		v.Valid = sr.Outcome.OK()
		if !v.Valid && len(sr.Messages) == 0 {
			v.Messages = append(v.Messages, apitype.ShipmentMessage{Text: refusal(sr), Severity: "error"})
		}
		for _, m := range sr.Messages {
			sev := "warning"
			if m.Severity == parcel.OutcomeError {
				sev = "error"
			}
			v.Messages = append(v.Messages, apitype.ShipmentMessage{Field: m.Field, Text: m.Text, Severity: sev})
		}
	}
	return out, nil
}
