// Package shipment is the agent's shipment journal and the service built on
// it: DHL labels (Parcel DE Shipping v2), return labels (Returns v1),
// tracking and the day's end, with the same crash discipline as the stamp
// purchase journal (agent/purchase): every step is on disk before the next
// one starts.
//
// One record per shipment intent, keyed by the caller's order reference and
// idempotency key:
//
//		requested ─► created ─► closed (day's end)
//		    │           │
//		    ├─► failed  └─► cancelled
//		    └─► unknown ─(operator: resolve)─► created | failed
//
//	  - requested: the order as it will be sent is on disk before the call.
//	  - created: DHL's shipment number, routing code and documents (label,
//	    return label, customs papers) are stored in one transaction with the
//	    state, the moment the answer arrives: DHL refuses to hand labels out
//	    after the closeout.
//	  - unknown: the answer was lost, or the agent stopped while the call was
//	    under way. The order is never sent again on its own (that could create
//	    and bill a second parcel); the record says what the operator can do,
//	    and the day's end names the shipments DHL has that the journal lacks.
//
// Labels print through the agent's idempotent job queue, keyed per
// shipment, document and print number: a crash after DHL answered prints
// the label exactly once after the restart, never zero times.
//
// The package depends on bbolt, the dhl clients and apitype only.
package shipment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/agent/internal/keylock"
	"github.com/labelagent/labelagent/dhl/parcel"
	"github.com/labelagent/labelagent/dhl/returns"
	"github.com/labelagent/labelagent/dhl/tracking"
)

// Parcel is the part of the Shipping v2 client the journal uses;
// *parcel.Client implements it.
type Parcel interface {
	CreateOrders(ctx context.Context, req parcel.ShipmentOrderRequest, opt parcel.CreateOptions) (*parcel.Result, error)
	GetLabels(ctx context.Context, shipmentNos []string, opt parcel.LabelOptions) (*parcel.Result, error)
	Cancel(ctx context.Context, profile string, shipmentNos ...string) (*parcel.Result, error)
	Manifest(ctx context.Context, r parcel.ManifestRequest) (*parcel.ManifestResult, error)
	GetManifest(ctx context.Context, day time.Time, billingNumber string) (*parcel.ManifestDoc, error)
}

// Returns is the Returns v1 client; *returns.Client implements it.
type Returns interface {
	Create(ctx context.Context, o returns.Order, labelType string) (*returns.Label, error)
	Locations(ctx context.Context, q returns.LocationQuery) ([]returns.Location, error)
}

// Tracker is the Unified Tracking client; *tracking.Client implements it.
type Tracker interface {
	Track(ctx context.Context, q tracking.Query) (*tracking.Response, error)
	Remaining() int
}

// PrintRequest is one document for the job queue.
type PrintRequest struct {
	Printer string // "" the default printer
	Key     string // idempotency key: the same key never prints twice
	Name    string
	Kind    apitype.Kind
	Data    []byte
}

// SubmitFunc queues a document idempotently under its key and returns the
// job id (the first job's when the key was seen before).
type SubmitFunc func(ctx context.Context, p PrintRequest) (jobID string, err error)

// JobFunc reports a print job (for the print state shown with a shipment).
type JobFunc func(id string) (apitype.Job, error)

// Options configure a Journal.
type Options struct {
	// Lang words the records announced by OnChange (the agent's language).
	Lang    i18n.Lang
	Parcel  Parcel
	Returns Returns // nil: return labels are not available
	Tracker Tracker // nil: tracking is not available
	Submit  SubmitFunc
	Job     JobFunc
	// Defaults completes an order (billing number, shipper) from the configuration.
	Defaults func(*parcel.Shipment)
	// DocFormat chooses ZPL2 or PDF for a printer ("" the default one).
	DocFormat func(printer string) string
	// PrintFormat is the label stock (default 910-300-600).
	PrintFormat string
	// DocumentPrinter prints A4 documents (customs papers, the manifest);
	// "": customs papers are stored but not printed, the manifest goes to
	// the label printer's queue as a PDF.
	DocumentPrinter string
	// ReturnReceiverID is the Returns receiver for German customers (default deu).
	ReturnReceiverID string
	// Profile is the user-group profile (default STANDARD_GRUPPENPROFIL).
	Profile string
	// Postage is the price per product in cents, for the day's list.
	Postage map[string]int64
	// OnChange is told about every change of a shipment (the agent's bus).
	OnChange func(apitype.Shipment)
	Log      *slog.Logger
	Now      func() time.Time

	// crash, for tests: called at each step; an error stops the flow there
	// as if the process died.
	crash func(step string) error
}

// SetCrash installs a crash hook (tests of the real binary use it through
// the agent; see agent.Options.ShipmentCrash). Called with the step name.
func (o *Options) SetCrash(f func(step string) error) { o.crash = f }

// Errors of the journal.
var (
	ErrNotFound = errors.New("shipment not found")
	// ErrInvalid: the request cannot be sent as given (nothing recorded).
	ErrInvalid = errors.New("invalid shipment request")
	// ErrRefused: DHL refused; nothing was created.
	ErrRefused = errors.New("DHL refused the shipment; nothing was created")
	// ErrUnknown: the answer was lost; the shipment may exist.
	ErrUnknown = errors.New("outcome unknown: DHL may have created the shipment although its answer was lost")
	// ErrConflict: the shipment is not in a state that allows the action.
	ErrConflict = errors.New("not possible in this state")
	// ErrUnavailable: a part of DHL's service is not configured.
	ErrUnavailable = errors.New("not configured")
)

var (
	bucketRecords   = []byte("ship_records")   // id → Record JSON
	bucketKeys      = []byte("ship_keys")      // idempotency key → id
	bucketOrders    = []byte("ship_orders")    // order reference → JSON list of ids, oldest first
	bucketNumbers   = []byte("ship_numbers")   // DHL shipment number → id
	bucketDocs      = []byte("ship_docs")      // id + "/" + kind → bytes
	bucketDayEnds   = []byte("ship_dayends")   // id → DayEnd JSON
	bucketManifests = []byte("ship_manifests") // dayend id → manifest PDF
	bucketClosed    = []byte("ship_closed")    // day + "/" + billing number ("*" all) → dayend id
)

// Document kinds.
const (
	DocLabel       = "label"
	DocReturnLabel = "return_label"
	DocCustoms     = "customs"
	DocCOD         = "cod"
	DocQR          = "qr"
)

// Record is one shipment intent in the journal.
type Record struct {
	ID       string                `json:"id"`
	Kind     string                `json:"kind"`
	OrderRef string                `json:"orderRef,omitempty"`
	Key      string                `json:"key,omitempty"`
	State    apitype.ShipmentState `json:"state"`
	Day      string                `json:"day"`
	// Order is the shipment as sent to DHL.
	Order *parcel.Shipment `json:"order,omitempty"`
	// ReturnOrder is the return order as sent (Kind return).
	ReturnOrder      *returns.Order `json:"returnOrder,omitempty"`
	LabelType        string         `json:"labelType,omitempty"`
	DocFormat        string         `json:"docFormat,omitempty"`
	PrintFormat      string         `json:"printFormat,omitempty"`
	AllowUnencodable bool           `json:"allowUnencodable,omitempty"`
	// Print: the label is to be printed; PrintPending: not handed to the
	// queue yet (a restart hands it over, under the same key).
	Print        bool   `json:"print,omitempty"`
	PrintPending bool   `json:"printPending,omitempty"`
	Printer      string `json:"printer,omitempty"`

	ShipmentNo        string                    `json:"shipmentNo,omitempty"`
	ReturnShipmentNo  string                    `json:"returnShipmentNo,omitempty"`
	RoutingCode       string                    `json:"routingCode,omitempty"`
	ReturnRoutingCode string                    `json:"returnRoutingCode,omitempty"`
	InternationalNo   string                    `json:"internationalNo,omitempty"`
	QRLink            string                    `json:"qrLink,omitempty"`
	ForID             string                    `json:"forId,omitempty"`
	Returns           []string                  `json:"returns,omitempty"`
	BatchID           string                    `json:"batchId,omitempty"`
	Messages          []apitype.ShipmentMessage `json:"messages,omitempty"`
	Error             string                    `json:"error,omitempty"`
	// ErrorID and ErrorArgs: Error as a catalog message ("" where Error
	// is DHL's own words, or the record is older than the ids).
	ErrorID   string                     `json:"errorId,omitempty"`
	ErrorArgs map[string]any             `json:"errorArgs,omitempty"`
	Retryable bool                       `json:"retryable,omitempty"`
	Docs      []apitype.ShipmentDocument `json:"docs,omitempty"`
	Prints    []apitype.ShipmentPrint    `json:"prints,omitempty"`
	Tracking  *apitype.ShipmentTracking  `json:"tracking,omitempty"`
	DayEndID  string                     `json:"dayEndId,omitempty"`
	Created   time.Time                  `json:"created"`
	Updated   time.Time                  `json:"updated"`
	Cancelled *time.Time                 `json:"cancelled,omitempty"`
	Closed    *time.Time                 `json:"closed,omitempty"`
	History   []apitype.ShipmentStep     `json:"history,omitempty"`
}

// Doc returns the document of a kind, if stored.
func (r *Record) Doc(kind string) (apitype.ShipmentDocument, bool) {
	for _, d := range r.Docs {
		if d.Kind == kind {
			return d, true
		}
	}
	return apitype.ShipmentDocument{}, false
}

const maxHistory = 100

// Journal is the shipment journal and service. Its methods are safe for
// concurrent use.
type Journal struct {
	db    *bolt.DB
	opts  Options
	log   *slog.Logger
	now   func() time.Time
	mu    sync.Mutex
	locks keylock.Locks
	// closeMu serialises day's ends with the day assignment of new shipments.
	closeMu sync.Mutex
	// interrupted: return labels requested before the start, asked for
	// again by Recover.
	interrupted map[string]bool
}

// Open prepares the journal's buckets in db.
func Open(db *bolt.DB, opts Options) (*Journal, error) {
	if db == nil || opts.Parcel == nil {
		return nil, errors.New("shipment journal: database and DHL Shipping client are required")
	}
	err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketRecords, bucketKeys, bucketOrders, bucketNumbers, bucketDocs, bucketDayEnds, bucketManifests, bucketClosed} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("shipment journal: %w", err)
	}
	j := &Journal{db: db, opts: opts, log: opts.Log, now: opts.Now, interrupted: map[string]bool{}}
	if j.log == nil {
		j.log = slog.New(slog.DiscardHandler)
	}
	if j.now == nil {
		j.now = time.Now
	}
	if j.opts.PrintFormat == "" {
		j.opts.PrintFormat = parcel.PrintFormat910300600
	}
	if j.opts.ReturnReceiverID == "" {
		j.opts.ReturnReceiverID = "deu"
	}
	return j, nil
}

func (j *Journal) lock(id string) func() { return j.locks.Lock(id) }

func (j *Journal) step(name string) error {
	if j.opts.crash != nil {
		if err := j.opts.crash(name); err != nil {
			return &crashError{err}
		}
	}
	return nil
}

// crashError stops a flow at a step (tests: as if the process died there).
type crashError struct{ err error }

func (e *crashError) Error() string { return "stopped at a crash point: " + e.err.Error() }
func (e *crashError) Unwrap() error { return e.err }

func isCrash(err error) bool {
	var ce *crashError
	return errors.As(err, &ce)
}

// berlin is the zone DHL's days are counted in.
var berlin = func() *time.Location {
	if l, err := time.LoadLocation("Europe/Berlin"); err == nil {
		return l
	}
	return time.FixedZone("CET", 3600)
}()

// Today is the current shipping date in Germany.
func (j *Journal) Today() string { return j.now().In(berlin).Format(time.DateOnly) }

// ---- storage ----

func newID(tx *bolt.Tx, now time.Time) (string, error) {
	seq, err := tx.Bucket(bucketRecords).NextSequence()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s-%05d", now.In(berlin).Format("20060102"), seq), nil
}

func putRecord(tx *bolt.Tx, r *Record) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketRecords).Put([]byte(r.ID), data); err != nil {
		return err
	}
	if r.ShipmentNo != "" {
		if err := tx.Bucket(bucketNumbers).Put([]byte(r.ShipmentNo), []byte(r.ID)); err != nil {
			return err
		}
	}
	return nil
}

func getRecord(tx *bolt.Tx, id string) (*Record, error) {
	v := tx.Bucket(bucketRecords).Get([]byte(id))
	if v == nil {
		return nil, i18n.K(ErrNotFound, "shipjournal.err.no_such_id", "id", id)
	}
	var r Record
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, i18n.Wrap(err, "shipjournal.err.corrupt", "id", id)
	}
	return &r, nil
}

// save writes r (and docs, if any) in one durable transaction and tells
// OnChange.
func (j *Journal) save(r *Record, docs map[string][]byte) error {
	r.Updated = j.now()
	err := j.db.Update(func(tx *bolt.Tx) error {
		db := tx.Bucket(bucketDocs)
		for kind, data := range docs {
			if err := db.Put(docKey(r.ID, kind), data); err != nil {
				return err
			}
		}
		return putRecord(tx, r)
	})
	if err != nil {
		return i18n.Wrap(err, "shipjournal.err.store")
	}
	j.changed(r)
	return nil
}

func (j *Journal) changed(r *Record) {
	if j.opts.OnChange != nil {
		w := j.Wire(r, i18n.For(j.opts.Lang))
		w.History = nil
		j.opts.OnChange(w)
	}
}

func docKey(id, kind string) []byte { return []byte(id + "/" + kind) }

// Get returns one record.
func (j *Journal) Get(id string) (*Record, error) {
	var r *Record
	err := j.db.View(func(tx *bolt.Tx) error {
		var err error
		r, err = getRecord(tx, id)
		return err
	})
	return r, err
}

// ByNumber finds a record by DHL's shipment number.
func (j *Journal) ByNumber(no string) (*Record, error) {
	var id string
	_ = j.db.View(func(tx *bolt.Tx) error {
		id = string(tx.Bucket(bucketNumbers).Get([]byte(no)))
		return nil
	})
	if id == "" {
		return nil, i18n.K(ErrNotFound, "shipjournal.err.no_such_number", "number", no)
	}
	return j.Get(id)
}

// Find looks a shipment up by journal id, DHL shipment number or order
// reference (its newest shipment).
func (j *Journal) Find(ref string) (*Record, error) {
	if r, err := j.Get(ref); err == nil {
		return r, nil
	}
	if r, err := j.ByNumber(ref); err == nil {
		return r, nil
	}
	var ids []string
	_ = j.db.View(func(tx *bolt.Tx) error {
		ids = orderIDs(tx, ref)
		return nil
	})
	// An order's newest outbound shipment (its return labels share the reference).
	for i := len(ids) - 1; i >= 0; i-- {
		if r, err := j.Get(ids[i]); err == nil && r.Kind == apitype.ShipmentKindOutbound {
			return r, nil
		}
	}
	if len(ids) > 0 {
		return j.Get(ids[len(ids)-1])
	}
	return nil, i18n.K(ErrNotFound, "shipjournal.err.no_such_shipment", "ref", ref)
}

// Document returns a stored document's bytes.
func (j *Journal) Document(id, kind string) ([]byte, apitype.ShipmentDocument, error) {
	r, err := j.Get(id)
	if err != nil {
		return nil, apitype.ShipmentDocument{}, err
	}
	d, ok := r.Doc(kind)
	if !ok {
		return nil, d, i18n.K(ErrNotFound, "shipjournal.err.no_document", "id", id, "document", docWord(kind))
	}
	var data []byte
	err = j.db.View(func(tx *bolt.Tx) error {
		data = append([]byte(nil), tx.Bucket(bucketDocs).Get(docKey(id, kind))...)
		return nil
	})
	if err == nil && len(data) == 0 {
		err = i18n.K(ErrNotFound, "shipjournal.err.document_missing", "id", id, "document", docWord(kind))
	}
	return data, d, err
}

func orderIDs(tx *bolt.Tx, ref string) []string {
	var ids []string
	if v := tx.Bucket(bucketOrders).Get([]byte(ref)); v != nil {
		_ = json.Unmarshal(v, &ids)
	}
	return ids
}

// Filter selects records for List.
type Filter struct {
	Day      string
	State    apitype.ShipmentState
	OrderRef string
	Kind     string
	Limit    int // default 100
	Before   string
}

// List returns records newest first.
func (j *Journal) List(f Filter) ([]*Record, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	var out []*Record
	err := j.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketRecords).Cursor()
		var k, v []byte
		if f.Before != "" {
			c.Seek([]byte(f.Before))
			k, v = c.Prev()
		} else {
			k, v = c.Last()
		}
		for ; k != nil && len(out) < f.Limit; k, v = c.Prev() {
			var r Record
			if err := json.Unmarshal(v, &r); err != nil {
				return i18n.Wrap(err, "shipjournal.err.corrupt", "id", string(k))
			}
			if (f.Day != "" && r.Day != f.Day) || (f.State != "" && r.State != f.State) ||
				(f.OrderRef != "" && r.OrderRef != f.OrderRef) || (f.Kind != "" && r.Kind != f.Kind) {
				continue
			}
			out = append(out, &r)
		}
		return nil
	})
	return out, err
}

// all calls fn for every record (oldest first) until fn returns false.
func (j *Journal) all(fn func(r *Record) bool) error {
	return j.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRecords).ForEach(func(k, v []byte) error {
			var r Record
			if err := json.Unmarshal(v, &r); err != nil {
				return i18n.Wrap(err, "shipjournal.err.corrupt", "id", string(k))
			}
			if !fn(&r) {
				return errStop
			}
			return nil
		})
	})
}

var errStop = errors.New("stop")

// ---- recovery ----

// MarkInterrupted runs once at start, before any new request: a create
// whose answer never made it to disk (the agent stopped while the order was
// on its way to DHL) becomes "unknown". It is never re-sent on its own.
func (j *Journal) MarkInterrupted() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	var todo []*Record
	if err := j.all(func(r *Record) bool {
		if r.State == apitype.ShipmentRequested {
			if r.Kind == apitype.ShipmentKindReturn {
				j.interrupted[r.ID] = true
			} else {
				todo = append(todo, r)
			}
		}
		return true
	}); err != nil {
		return err
	}
	now := j.now()
	for _, r := range todo {
		r.State = apitype.ShipmentUnknown
		r.setError(ptr(msg("shipjournal.why.stopped_while_sending")))
		r.step(now, msg("shipjournal.note.stopped_while_sending"))
		j.log.Warn("shipment outcome unknown after a restart", "id", r.ID, "order", r.OrderRef)
		if err := j.save(r, nil); err != nil {
			return err
		}
	}
	return nil
}

// Recover finishes what a crash left (call MarkInterrupted first): a label
// that was stored but not handed to the print queue is handed over now,
// under the key it would have had, so it prints exactly once; a free return
// label whose answer was lost is asked for again; an interrupted day's end
// is completed (closing out is idempotent at DHL).
func (j *Journal) Recover(ctx context.Context) error {
	j.mu.Lock()
	interrupted := j.interrupted
	j.interrupted = map[string]bool{}
	j.mu.Unlock()
	var todo []*Record
	if err := j.all(func(r *Record) bool {
		if (r.State == apitype.ShipmentRequested && interrupted[r.ID]) || r.PrintPending {
			todo = append(todo, r)
		}
		return true
	}); err != nil {
		return err
	}
	var errs []error
	for _, r := range todo {
		unlock := j.lock(r.ID)
		cur, err := j.Get(r.ID)
		if err == nil {
			err = j.recoverOne(ctx, cur)
		}
		unlock()
		if err != nil {
			errs = append(errs, fmt.Errorf("shipment %s: %w", r.ID, err))
		}
	}
	if err := j.recoverDayEnds(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (j *Journal) recoverOne(ctx context.Context, r *Record) error {
	if r.State == apitype.ShipmentRequested && r.Kind == apitype.ShipmentKindReturn {
		// Return labels are free and only billed when used: ask again.
		r.step(j.now(), msg("shipjournal.note.return_asked_again"))
		return j.sendReturn(ctx, r)
	}
	if !r.PrintPending {
		return nil
	}
	j.log.Info("printing a stored label the agent had not handed to the printer before it stopped", "id", r.ID, "shipment", r.ShipmentNo)
	if r.Kind == apitype.ShipmentKindReturn {
		return j.printReturn(ctx, r)
	}
	return j.printDocs(ctx, r, false, "")
}

// RunOptions are the background work of Run.
type RunOptions struct {
	TrackEvery   time.Duration // refresh tracking of shipments under way (0: never)
	TrackMaxAge  time.Duration // ... created at most this long ago
	TrackReserve int           // calls of the daily quota kept for the operator
	// KeepDocuments: the documents of settled shipments (closed out,
	// cancelled, failed) are deleted this long after their last change;
	// the records stay (0: kept for ever).
	KeepDocuments time.Duration
}

// Run recovers, then refreshes the tracking of shipments under way and
// prunes old documents until ctx ends.
func (j *Journal) Run(ctx context.Context, o RunOptions) {
	if err := j.Recover(ctx); err != nil && ctx.Err() == nil {
		j.log.Warn("shipments left open by the last run could not all be finished", "err", err)
	}
	// Look at due shipments a few times per interval, so a shipment is
	// refreshed about TrackEvery after its last check.
	tick := time.Hour
	if o.TrackEvery > 0 && j.opts.Tracker != nil {
		tick = min(max(o.TrackEvery/4, time.Minute), time.Hour)
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	lastPrune := time.Time{}
	for {
		if o.KeepDocuments > 0 && j.now().Sub(lastPrune) >= time.Hour {
			lastPrune = j.now()
			if n, err := j.PruneDocuments(j.now().Add(-o.KeepDocuments)); err != nil {
				j.log.Warn("pruning old shipment documents failed", "err", err)
			} else if n > 0 {
				j.log.Info("pruned the documents of old shipments", "count", n, "kept_for", o.KeepDocuments)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if o.TrackEvery > 0 && j.opts.Tracker != nil {
			if n, err := j.TrackOpen(ctx, o.TrackEvery, o.TrackMaxAge, o.TrackReserve); err != nil && ctx.Err() == nil {
				j.log.Warn("tracking refresh stopped", "asked", n, "err", err)
			}
		}
	}
}

// PruneDocuments deletes the stored documents of settled shipments (closed
// out, cancelled, failed, or a return label) last changed before before;
// the records and their history stay. It returns how many were pruned.
func (j *Journal) PruneDocuments(before time.Time) (int, error) {
	var ids []string
	if err := j.all(func(r *Record) bool {
		settled := r.State == apitype.ShipmentClosed || r.State == apitype.ShipmentCancelled || r.State == apitype.ShipmentFailed ||
			(r.Kind == apitype.ShipmentKindReturn && r.State == apitype.ShipmentCreated)
		if settled && len(r.Docs) > 0 && r.Updated.Before(before) && !r.PrintPending {
			ids = append(ids, r.ID)
		}
		return true
	}); err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		unlock := j.lock(id)
		err := j.db.Update(func(tx *bolt.Tx) error {
			r, err := getRecord(tx, id)
			if err != nil {
				return err
			}
			for _, d := range r.Docs {
				if err := tx.Bucket(bucketDocs).Delete(docKey(id, d.Kind)); err != nil {
					return err
				}
			}
			r.Docs = nil
			r.step(j.now(), msg("shipjournal.note.documents_deleted"))
			return putRecord(tx, r)
		})
		unlock()
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.TrimSpace(s[:n])
}
