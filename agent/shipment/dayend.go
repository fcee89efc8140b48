package shipment

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/dhl/parcel"
)

// Day's end states.
const (
	dayEndClosing = "closing" // recorded; DHL's closeout under way (a restart repeats it: it is idempotent)
	dayEndDone    = "done"
	dayEndFailed  = "failed"
)

type dayEndRec struct {
	apitype.DayEnd
	State   string `json:"state"`
	Print   bool   `json:"print"`
	Printer string `json:"printer,omitempty"`
	Error   string `json:"error,omitempty"`
}

// DayEndRequest closes out the day.
type DayEndRequest struct {
	BillingNumber string // empty: all
	Print         bool
	Printer       string
	// Lang words the shipments of the answer (the caller's language).
	Lang i18n.Lang
}

func closedKey(day, billing string) []byte {
	if billing == "" {
		billing = "*"
	}
	return []byte(day + "/" + billing)
}

// dayFor is the shipping day of a shipment recorded now: today, or the next
// working day once today's shipments (of its billing number) were closed out.
func (j *Journal) dayFor(tx *bolt.Tx, now time.Time, billing string) string {
	d := now.In(berlin)
	for range 7 {
		day := d.Format(time.DateOnly)
		b := tx.Bucket(bucketClosed)
		if b.Get(closedKey(day, "")) == nil && (billing == "" || b.Get(closedKey(day, billing)) == nil) {
			return day
		}
		d = nextWorkday(d)
	}
	return d.Format(time.DateOnly)
}

// nextWorkday skips Sunday (DHL picks up Monday to Saturday).
func nextWorkday(d time.Time) time.Time {
	d = time.Date(d.Year(), d.Month(), d.Day()+1, 12, 0, 0, 0, berlin)
	if d.Weekday() == time.Sunday {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

// NextDay is the day new shipments are assigned to now.
func (j *Journal) NextDay(billing string) string {
	var day string
	_ = j.db.View(func(tx *bolt.Tx) error {
		day = j.dayFor(tx, j.now(), billing)
		return nil
	})
	return day
}

// DayEnd closes out the day's shipments at DHL (POST /manifests, for one
// billing number or all), marks the journal's records closed, stores and
// prints DHL's manifest and compares DHL's list with the journal: shipments
// DHL closed out that the journal does not know are named as orphans, and
// shipments the journal holds as created that DHL did not close out are
// named too. Shipments created afterwards belong to the next day.
func (j *Journal) DayEnd(ctx context.Context, rq DayEndRequest) (*apitype.DayEnd, error) {
	rq.BillingNumber = strings.TrimSpace(rq.BillingNumber)
	now := j.now()
	day := now.In(berlin).Format(time.DateOnly)
	de := &dayEndRec{DayEnd: apitype.DayEnd{Day: day, BillingNumber: rq.BillingNumber, At: now}, State: dayEndClosing, Print: rq.Print, Printer: rq.Printer}
	j.closeMu.Lock()
	err := j.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDayEnds)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		de.ID = fmt.Sprintf("E%s-%03d", now.In(berlin).Format("20060102"), seq)
		// From here on new shipments go to the next day.
		if err := tx.Bucket(bucketClosed).Put(closedKey(day, rq.BillingNumber), []byte(de.ID)); err != nil {
			return err
		}
		de.NextDay = j.dayFor(tx, now, rq.BillingNumber)
		return putDayEnd(tx, de)
	})
	j.closeMu.Unlock()
	if err != nil {
		return nil, i18n.Wrap(err, "shipjournal.err.store")
	}
	if err := j.step("dayend-intent"); err != nil {
		return nil, err
	}
	return j.closeOut(ctx, de, i18n.For(rq.Lang))
}

func putDayEnd(tx *bolt.Tx, de *dayEndRec) error {
	b, err := json.Marshal(de)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketDayEnds).Put([]byte(de.ID), b)
}

func (j *Journal) saveDayEnd(de *dayEndRec) error {
	return j.db.Update(func(tx *bolt.Tx) error { return putDayEnd(tx, de) })
}

// closeOut runs (or repeats, after a restart) the closeout of de.
func (j *Journal) closeOut(ctx context.Context, de *dayEndRec, l *i18n.Localizer) (*apitype.DayEnd, error) {
	res, err := j.opts.Parcel.Manifest(ctx, parcel.ManifestRequest{Profile: j.profile(), All: de.BillingNumber == "", BillingNumber: de.BillingNumber, Language: "de-DE"})
	if err != nil {
		de.State, de.Error = dayEndFailed, err.Error()
		_ = j.db.Update(func(tx *bolt.Tx) error {
			if err := tx.Bucket(bucketClosed).Delete(closedKey(de.Day, de.BillingNumber)); err != nil {
				return err
			}
			de.NextDay = j.dayFor(tx, j.now(), de.BillingNumber)
			return putDayEnd(tx, de)
		})
		return &de.DayEnd, i18n.Wrap(err, "shipjournal.err.dayend_failed")
	}
	now := j.now()
	var changed []*Record
	err = j.db.Update(func(tx *bolt.Tx) error {
		changed = changed[:0]
		de.Closed, de.Orphans, de.NotAtDHL, de.Unknown = []string{}, nil, nil, nil
		seen := map[string]bool{}
		for _, it := range res.Shipments {
			seen[it.ShipmentNo] = true
			id := tx.Bucket(bucketNumbers).Get([]byte(it.ShipmentNo))
			if id == nil {
				if it.Outcome != parcel.OutcomeError {
					de.Orphans = append(de.Orphans, apitype.DayEndOrphan{ShipmentNo: it.ShipmentNo, Status: statusText(it.Status)})
				}
				continue
			}
			r, err := getRecord(tx, string(id))
			if err != nil {
				return err
			}
			if it.Outcome == parcel.OutcomeError {
				if r.State == apitype.ShipmentCreated {
					de.NotAtDHL = append(de.NotAtDHL, apitype.DayEndOrphan{ShipmentNo: it.ShipmentNo, Status: statusText(it.Status)})
				}
				continue
			}
			if r.State == apitype.ShipmentClosed && r.DayEndID != "" && r.DayEndID != de.ID {
				continue // closed out at an earlier day's end
			}
			r.State, r.DayEndID, r.Closed, r.Updated = apitype.ShipmentClosed, de.ID, &now, now
			r.PrintPending = false
			r.step(now, msg("shipjournal.note.closed", "dayend", de.ID))
			if err := putRecord(tx, r); err != nil {
				return err
			}
			de.Closed = append(de.Closed, r.ShipmentNo)
			changed = append(changed, r)
		}
		// The reverse: what the journal holds that DHL did not close out.
		err := tx.Bucket(bucketRecords).ForEach(func(_, v []byte) error {
			var r Record
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			if r.Kind != apitype.ShipmentKindOutbound || r.Day > de.Day {
				return nil
			}
			if de.BillingNumber != "" && r.Order != nil && r.Order.BillingNumber != de.BillingNumber {
				return nil
			}
			switch {
			case r.State == apitype.ShipmentCreated && !seen[r.ShipmentNo] && r.Day <= de.Day:
				de.NotAtDHL = append(de.NotAtDHL, apitype.DayEndOrphan{ShipmentNo: r.ShipmentNo, Status: "not in DHL's closeout (journal " + r.ID + ")"})
			case r.State == apitype.ShipmentUnknown:
				de.Unknown = append(de.Unknown, r.ID)
			}
			return nil
		})
		if err != nil {
			return err
		}
		return putDayEnd(tx, de)
	})
	if err != nil {
		return &de.DayEnd, i18n.Wrap(err, "shipjournal.err.store")
	}
	for _, r := range changed {
		j.changed(r)
	}
	if len(de.Orphans) > 0 {
		j.log.Warn("day's end: DHL closed out shipments the journal does not know", "dayend", de.ID, "orphans", len(de.Orphans), "unknown_in_journal", len(de.Unknown))
	}
	if err := j.step("dayend-closed"); err != nil {
		return &de.DayEnd, err
	}
	// DHL's manifest: stored at once, then printed.
	day, _ := time.ParseInLocation(time.DateOnly, de.Day, berlin)
	doc, merr := j.opts.Parcel.GetManifest(ctx, day, de.BillingNumber)
	switch {
	case merr != nil:
		de.ManifestErr = merr.Error()
	case len(doc.PDF) == 0:
		de.ManifestErr = "DHL sent no manifest document"
		if doc.URL != "" {
			de.ManifestErr += " (only a link: " + doc.URL + ")"
		}
	default:
		de.ManifestDate = doc.Date
		de.Manifest = &apitype.ShipmentDocument{Kind: "manifest", Format: parcel.DocFormatPDF, PrintFormat: parcel.PrintFormatA4, Size: len(doc.PDF)}
		err := j.db.Update(func(tx *bolt.Tx) error {
			if err := tx.Bucket(bucketManifests).Put([]byte(de.ID), doc.PDF); err != nil {
				return err
			}
			return putDayEnd(tx, de)
		})
		if err != nil {
			return &de.DayEnd, i18n.Wrap(err, "shipjournal.err.store")
		}
		printer := de.Printer
		if printer == "" {
			printer = j.opts.DocumentPrinter
		}
		switch {
		case !de.Print || j.opts.Submit == nil:
		case printer == "":
			// An A4 list does not belong on a label printer.
			de.PrintError = "no document printer configured (shipments.document_printer): the manifest is stored; download it or name a printer"
			de.NoDocumentPrinter = true
		default:
			jobID, perr := j.opts.Submit(ctx, PrintRequest{Printer: printer, Key: "dayend-" + de.ID + "-manifest-1",
				Name: "DHL Einlieferungsliste " + de.Day, Kind: apitype.KindPDF, Data: doc.PDF})
			de.PrintJob = jobID
			if perr != nil {
				de.PrintError = perr.Error()
			}
		}
	}
	de.State = dayEndDone
	if err := j.saveDayEnd(de); err != nil {
		return &de.DayEnd, err
	}
	j.log.Info("day's end done", "dayend", de.ID, "closed", len(de.Closed), "orphans", len(de.Orphans), "not_at_dhl", len(de.NotAtDHL))
	return j.dayEndWithShipments(de, l)
}

func statusText(s parcel.RequestStatus) string {
	return strings.TrimSpace(strings.Trim(s.Title+": "+s.Detail, ": "))
}

func (j *Journal) recoverDayEnds(ctx context.Context) error {
	var open []*dayEndRec
	err := j.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDayEnds).ForEach(func(_, v []byte) error {
			var de dayEndRec
			if err := json.Unmarshal(v, &de); err != nil {
				return err
			}
			if de.State == dayEndClosing {
				open = append(open, &de)
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	var errs []error
	for _, de := range open {
		j.log.Info("finishing a day's end the agent stopped in", "dayend", de.ID)
		if _, err := j.closeOut(ctx, de, i18n.For(j.opts.Lang)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (j *Journal) getDayEnd(id string) (*dayEndRec, error) {
	var de *dayEndRec
	err := j.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketDayEnds).Get([]byte(id))
		if v == nil {
			return i18n.K(ErrNotFound, "shipjournal.err.no_dayend", "id", id)
		}
		de = &dayEndRec{}
		return json.Unmarshal(v, de)
	})
	return de, err
}

// GetDayEnd returns a day's end with the shipments it closed out, worded
// for l.
func (j *Journal) GetDayEnd(id string, l *i18n.Localizer) (*apitype.DayEnd, error) {
	de, err := j.getDayEnd(id)
	if err != nil {
		return nil, err
	}
	return j.dayEndWithShipments(de, l)
}

func (j *Journal) dayEndWithShipments(de *dayEndRec, l *i18n.Localizer) (*apitype.DayEnd, error) {
	out := de.DayEnd
	if de.Error != "" && out.ManifestErr == "" {
		out.ManifestErr = de.Error
	}
	out.Shipments = []apitype.Shipment{}
	err := j.all(func(r *Record) bool {
		if r.DayEndID == de.ID && r.Kind == apitype.ShipmentKindOutbound {
			w := j.Wire(r, l)
			w.History = nil
			out.Shipments = append(out.Shipments, w)
		}
		return true
	})
	return &out, err
}

// DayEnds lists closeouts, newest first.
func (j *Journal) DayEnds(limit int) ([]apitype.DayEnd, error) {
	if limit <= 0 {
		limit = 50
	}
	var out []apitype.DayEnd
	err := j.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketDayEnds).Cursor()
		for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
			var de dayEndRec
			if err := json.Unmarshal(v, &de); err != nil {
				return err
			}
			d := de.DayEnd
			if de.Error != "" && d.ManifestErr == "" {
				d.ManifestErr = de.Error
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// Manifest returns the stored manifest PDF of a day's end.
func (j *Journal) Manifest(id string) ([]byte, error) {
	var data []byte
	err := j.db.View(func(tx *bolt.Tx) error {
		data = append([]byte(nil), tx.Bucket(bucketManifests).Get([]byte(id))...)
		return nil
	})
	if err == nil && len(data) == 0 {
		err = i18n.K(ErrNotFound, "shipjournal.err.no_manifest", "id", id)
	}
	return data, err
}

// isOrphan reports whether a day's end named no as an orphan, and which.
func (j *Journal) isOrphan(no string) (bool, string) {
	found := ""
	_ = j.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDayEnds).ForEach(func(_, v []byte) error {
			var de dayEndRec
			if json.Unmarshal(v, &de) != nil {
				return nil
			}
			for _, o := range de.Orphans {
				if o.ShipmentNo == no {
					found = de.ID
				}
			}
			return nil
		})
	})
	return found != "", found
}

// CSVHeader is the first line of the shipment export.
var CSVHeader = []string{"id", "day", "order_ref", "state", "shipment_no", "product", "billing_number", "weight_kg",
	"recipient", "country", "postal_code", "city", "routing_code", "postage", "created", "closed", "dayend_id", "prints"}

// ExportCSV writes the outbound shipments of a day (or of a day's end, when
// dayEndID is set) as CSV, oldest first, one line per journal record.
func (j *Journal) ExportCSV(w io.Writer, day, dayEndID string) error {
	var rs []*Record
	err := j.all(func(r *Record) bool {
		if r.Kind == apitype.ShipmentKindOutbound && (day == "" || r.Day == day) && (dayEndID == "" || r.DayEndID == dayEndID) {
			rs = append(rs, r)
		}
		return true
	})
	if err != nil {
		return err
	}
	sort.Slice(rs, func(a, b int) bool { return rs[a].ID < rs[b].ID })
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, r := range rs {
		var product, billing, weight, recipient, country, postal, city string
		if o := r.Order; o != nil {
			product, billing = o.Product, o.BillingNumber
			if g := o.Details.Weight.Grams(); g > 0 {
				weight = strconv.FormatFloat(g/1000, 'f', -1, 64)
			}
			recipient, country, postal, city = consigneeParts(o.Consignee)
		}
		postage := ""
		if c, ok := j.opts.Postage[product]; ok && r.State != apitype.ShipmentCancelled && r.State != apitype.ShipmentFailed {
			postage = fmt.Sprintf("%d.%02d", c/100, c%100)
		}
		closed := ""
		if r.Closed != nil {
			closed = r.Closed.UTC().Format(time.RFC3339)
		}
		if err := cw.Write([]string{r.ID, r.Day, r.OrderRef, string(r.State), r.ShipmentNo, product, billing, weight, recipient, country, postal, city,
			r.RoutingCode, postage, r.Created.UTC().Format(time.RFC3339), closed, r.DayEndID, strconv.Itoa(len(r.Prints))}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func consigneeParts(c parcel.Consignee) (name, country, postal, city string) {
	switch {
	case c.Contact != nil:
		return c.Contact.Name1, c.Contact.Country, c.Contact.PostalCode, c.Contact.City
	case c.Locker != nil:
		return c.Locker.Name, c.Locker.Country, c.Locker.PostalCode, c.Locker.City
	case c.PostOffice != nil:
		return c.PostOffice.Name, c.PostOffice.Country, c.PostOffice.PostalCode, c.PostOffice.City
	case c.POBox != nil:
		return c.POBox.Name1, c.POBox.Country, c.POBox.PostalCode, c.POBox.City
	}
	return "", "", "", ""
}
