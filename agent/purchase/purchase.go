// Package purchase is the journal of INTERNETMARKE purchases and the flow
// that makes buying postage safe: every step is on disk before the next one
// starts, so a crash, a lost answer or a double click never pays twice, and
// a stamp that was paid for is never lost.
//
// The flow of one purchase:
//
//	intent ─► ordered ─► paid ─► stored ─► printing ─► printed
//	  │          │                  │
//	  ▼          ▼                  ▼
//	failed     failed         refund_requested ─► refunded
//
// In words:
//   - intent: the request and its idempotency key are recorded.
//   - ordered: POST /app/shoppingcart gave a shopOrderId, recorded before
//     the checkout is sent. From here on the shopOrderId is the purchase's
//     identity at Deutsche Post: a checkout under it can be charged once only.
//   - paid: the checkout succeeded (or GET /app/shoppingcart/{id} says so),
//     vouchers recorded; stored: the stamp files are on disk. Success is
//     reported only from here.
//   - printing/printed: the agent's printer callback ran.
//
// After a restart or a lost answer, Reconcile asks GET
// /app/shoppingcart/{shopOrderId} for every open purchase: paid → fetch the
// stamps and print them; unknown (404) → nothing was charged, check out
// again under the same shopOrderId.
//
// The package depends only on bbolt and the INTERNETMARKE client: the agent
// hands it a *bbolt.DB, and the journal owns its own buckets there.
package purchase

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/agent/internal/keylock"
	im "github.com/labelagent/labelagent/dhl/internetmarke"
)

// State is where a purchase stands.
type State string

// States of a purchase; see the package documentation.
const (
	StateIntent          State = "intent"
	StateOrdered         State = "ordered"
	StatePaid            State = "paid"
	StateStored          State = "stored"
	StatePrinting        State = "printing"
	StatePrinted         State = "printed"
	StateFailed          State = "failed"
	StateRefundRequested State = "refund_requested"
	StateRefunded        State = "refunded"
)

// Open reports whether the journal still has work to do on the purchase.
func (s State) Open() bool {
	switch s {
	case StateIntent, StateOrdered, StatePaid, StateStored, StateRefundRequested:
		return true
	}
	return false
}

// Paid reports whether the purchase was charged (and not refunded).
func (s State) Paid() bool {
	switch s {
	case StatePaid, StateStored, StatePrinting, StatePrinted:
		return true
	}
	return false
}

// Request is what the operator (or a rule) asked to buy.
type Request struct {
	// IdempotencyKey makes a request safe to send twice: the second
	// submission returns the first purchase. Empty: a new key is made.
	IdempotencyKey string      `json:"idempotencyKey"`
	ProductCode    int         `json:"productCode"`
	Quantity       int         `json:"quantity,omitempty"` // default 1
	Layout         string      `json:"layout,omitempty"`   // ADDRESS_ZONE or FRANKING_ZONE
	Sender         *im.Address `json:"sender,omitempty"`
	Receiver       *im.Address `json:"receiver,omitempty"`
	Format         string      `json:"format,omitempty"` // png (default) or pdf
	DPI            string      `json:"dpi,omitempty"`    // DPI203 or DPI300
	PageFormatID   int         `json:"pageFormatId,omitempty"`
	ImageID        int         `json:"imageId,omitempty"`
	// Printer names where the stamps go; the journal passes it on.
	Printer string `json:"printer,omitempty"`
	// Reference is free text for the operator (order number …).
	Reference string `json:"reference,omitempty"`
}

// Purchase is one purchase in the journal.
type Purchase struct {
	ID          string       `json:"id"`
	Request     Request      `json:"request"`
	State       State        `json:"state"`
	Total       im.Cents     `json:"total"`
	ShopOrderID string       `json:"shopOrderId,omitempty"`
	Vouchers    []im.Voucher `json:"vouchers,omitempty"`
	Kind        string       `json:"kind,omitempty"` // png or pdf, once stored
	FileCount   int          `json:"fileCount,omitempty"`
	// Error is the last problem, in words for the operator.
	Error string `json:"error,omitempty"`
	// Retryable: a failed purchase that was certainly not charged and can be
	// tried again under the same shopOrderId (Retry).
	Retryable bool `json:"retryable,omitempty"`
	// PrintError is set when printing failed; the stamps stay stored and
	// Reconcile or Reprint prints them.
	PrintError string `json:"printError,omitempty"`
	// PrintUnknown: the agent stopped while printing, so whether the stamp
	// came out is unknown; it is not printed again on its own (reprint or
	// refund it).
	PrintUnknown bool `json:"printUnknown,omitempty"`
	// ErrorID/ErrorArgs and PrintErrorID/PrintErrorArgs are Error's and
	// PrintError's catalog message (agent/i18n) and arguments, for words
	// in the reader's language (ErrorIn, PrintErrorIn); records written
	// before have the English text only.
	ErrorID        string         `json:"errorId,omitempty"`
	ErrorArgs      map[string]any `json:"errorArgs,omitempty"`
	PrintErrorID   string         `json:"printErrorId,omitempty"`
	PrintErrorArgs map[string]any `json:"printErrorArgs,omitempty"`
	Prints         int            `json:"prints"`
	Attempts       int            `json:"attempts"`
	ShopRetoureID  string         `json:"shopRetoureId,omitempty"`
	RetoureTxID    string         `json:"retoureTransactionId,omitempty"`
	Created        time.Time      `json:"created"`
	Updated        time.Time      `json:"updated"`
	PaidAt         time.Time      `json:"paidAt,omitzero"`
	PrintedAt      time.Time      `json:"printedAt,omitzero"`
	RefundedAt     time.Time      `json:"refundedAt,omitzero"`

	// Files are the stamp files (one PNG per voucher, or one PDF), filled
	// by Files and for the printer callback; never part of the record.
	Files [][]byte `json:"-"`
}

// API is the part of the INTERNETMARKE client the journal uses;
// *internetmarke.Client implements it.
type API interface {
	Total(ctx context.Context, positions []im.Position) (im.Cents, error)
	NewShopOrder(ctx context.Context) (string, error)
	CheckoutPNG(ctx context.Context, o im.Order) (*im.Receipt, error)
	CheckoutPDF(ctx context.Context, o im.Order) (*im.Receipt, error)
	GetOrder(ctx context.Context, shopOrderID string) (*im.Receipt, error)
	Refund(ctx context.Context, r im.RefundRequest) (*im.RefundReceipt, error)
}

// Printer prints a stored purchase's stamps (p.Files, p.Kind). It is
// called once per purchase; an error leaves the stamps stored for a retry.
type Printer func(ctx context.Context, p *Purchase) error

// Options configure a Journal.
type Options struct {
	Printer Printer
	Log     *slog.Logger
	Now     func() time.Time
	// MaxResumeAge: an open purchase older than this that was certainly not
	// charged is abandoned at Reconcile instead of bought hours later
	// (default 12h). Paid purchases are always completed.
	MaxResumeAge time.Duration
	// DefaultDPI, DefaultFormat, DefaultLayout, DefaultPageFormat fill in
	// requests that leave them empty.
	DefaultDPI, DefaultFormat, DefaultLayout string
	DefaultPageFormat                        int
	// IdempotentPrinter: the Printer deduplicates by purchase (JobPrinter
	// does), so a purchase left "printing" by a crash is handed to it again
	// at Reconcile instead of being flagged for the operator.
	IdempotentPrinter bool

	// crash, for tests: called at each step; an error stops the flow there
	// as if the process died.
	crash func(step string) error
}

// Errors of the journal.
var (
	ErrNotFound = errors.New("purchase not found")
	// ErrPending: the outcome is not known yet (the answer was lost and the
	// service could not be asked); Reconcile will finish it. Nothing is
	// bought twice.
	ErrPending = errors.New("purchase pending: outcome not yet known")
	// ErrInvalid: the request cannot be bought as given (nothing recorded).
	ErrInvalid = errors.New("invalid stamp purchase")
	// ErrFailed: the purchase was refused; nothing was charged.
	ErrFailed = errors.New("stamp purchase failed, nothing was charged")
	// ErrNotRefundable: the purchase is in a state that cannot be refunded.
	ErrNotRefundable = errors.New("purchase cannot be refunded")
	// ErrConflict: the purchase is in a state that does not allow the step
	// (retry, reprint).
	ErrConflict = errors.New("purchase cannot do that now")
)

// stateMsg is a purchase state as catalog words, for messages.
func stateMsg(s State) i18n.Message { return i18n.Message{ID: "tray.purchase_state." + string(s)} }

// addressErr words the problems of an address in the catalog's terms.
func addressErr(which string, err error) error {
	var msgs []i18n.Message
	for _, p := range im.AddressProblems(err) {
		field := i18n.Message{ID: "stamp.field." + strings.ReplaceAll(p.Field, " ", "_")}
		msgs = append(msgs, i18n.Message{ID: "stamp.address." + p.Problem, Args: []any{"field", field, "max", p.Max, "value", p.Value}})
	}
	party := i18n.Message{ID: "stamp.party." + which}
	if len(msgs) == 0 {
		return i18n.KWrap(ErrInvalid, err, "stamp.err.address", "which", party)
	}
	return i18n.K(ErrInvalid, "stamp.err.address_problems", "which", party, "problems", msgs)
}

var (
	bucketPurchases = []byte("im_purchases") // id → Purchase JSON
	bucketKeys      = []byte("im_purchase_keys")
	bucketFiles     = []byte("im_stamp_files") // id + "/" + index → bytes
)

// Journal is the purchase journal. Its methods are safe for concurrent use.
type Journal struct {
	db    *bolt.DB
	api   API
	opts  Options
	log   *slog.Logger
	now   func() time.Time
	mu    sync.Mutex
	locks keylock.Locks
}

// Open prepares the journal's buckets in db.
func Open(db *bolt.DB, api API, opts Options) (*Journal, error) {
	if db == nil || api == nil {
		return nil, errors.New("purchase journal: database and INTERNETMARKE client are required")
	}
	err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketPurchases, bucketKeys, bucketFiles} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("purchase journal: %w", err)
	}
	j := &Journal{db: db, api: api, opts: opts, log: opts.Log, now: opts.Now}
	if j.log == nil {
		j.log = slog.Default()
	}
	if j.now == nil {
		j.now = time.Now
	}
	if j.opts.MaxResumeAge <= 0 {
		j.opts.MaxResumeAge = 12 * time.Hour
	}
	return j, nil
}

// SetPrinter sets the printer callback (for agents that build it later).
func (j *Journal) SetPrinter(p Printer) { j.mu.Lock(); j.opts.Printer = p; j.mu.Unlock() }

func (j *Journal) printer() Printer { j.mu.Lock(); defer j.mu.Unlock(); return j.opts.Printer }

func (j *Journal) lock(id string) func() { return j.locks.Lock(id) }

func (j *Journal) step(name string) error {
	if j.opts.crash != nil {
		return j.opts.crash(name)
	}
	return nil
}

// ---- storage ----

func newID(now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b[:])
}

func (j *Journal) save(p *Purchase) error {
	p.Updated = j.now()
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	err = j.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPurchases).Put([]byte(p.ID), data)
	})
	if err != nil {
		return fmt.Errorf("purchase journal: saving %s: %w", p.ID, err)
	}
	return nil
}

// saveFiles stores the stamp files and the purchase in one transaction.
func (j *Journal) saveFiles(p *Purchase, files [][]byte) error {
	p.Updated = j.now()
	p.FileCount = len(files)
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	err = j.db.Update(func(tx *bolt.Tx) error {
		fb := tx.Bucket(bucketFiles)
		for i, f := range files {
			if err := fb.Put(fileKey(p.ID, i), f); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketPurchases).Put([]byte(p.ID), data)
	})
	if err != nil {
		return fmt.Errorf("purchase journal: storing the stamps of %s: %w", p.ID, err)
	}
	return nil
}

func fileKey(id string, i int) []byte {
	k := make([]byte, len(id)+1+4)
	copy(k, id)
	k[len(id)] = '/'
	binary.BigEndian.PutUint32(k[len(id)+1:], uint32(i))
	return k
}

func getTx(tx *bolt.Tx, id string) (*Purchase, error) {
	v := tx.Bucket(bucketPurchases).Get([]byte(id))
	if v == nil {
		return nil, i18n.K(ErrNotFound, "stamp.err.not_found", "id", id)
	}
	var p Purchase
	if err := json.Unmarshal(v, &p); err != nil {
		return nil, fmt.Errorf("purchase %s: corrupt record: %w", id, err)
	}
	return &p, nil
}

// Get returns a purchase (without its files).
func (j *Journal) Get(id string) (*Purchase, error) {
	var p *Purchase
	err := j.db.View(func(tx *bolt.Tx) error {
		var err error
		p, err = getTx(tx, id)
		return err
	})
	return p, err
}

// ByKey returns the purchase made under an idempotency key.
func (j *Journal) ByKey(key string) (*Purchase, error) {
	var id string
	_ = j.db.View(func(tx *bolt.Tx) error {
		id = string(tx.Bucket(bucketKeys).Get([]byte(key)))
		return nil
	})
	if id == "" {
		return nil, fmt.Errorf("%w: key %q", ErrNotFound, key)
	}
	return j.Get(id)
}

// Files returns the stored stamp files of a purchase.
func (j *Journal) Files(id string) ([][]byte, error) {
	var out [][]byte
	err := j.db.View(func(tx *bolt.Tx) error {
		p, err := getTx(tx, id)
		if err != nil {
			return err
		}
		fb := tx.Bucket(bucketFiles)
		for i := 0; i < p.FileCount; i++ {
			v := fb.Get(fileKey(id, i))
			if v == nil {
				return fmt.Errorf("purchase %s: stamp file %d missing", id, i)
			}
			out = append(out, append([]byte(nil), v...))
		}
		return nil
	})
	return out, err
}

// List returns purchases, newest first; open only when openOnly.
func (j *Journal) List(openOnly bool, limit int) ([]*Purchase, error) {
	var out []*Purchase
	err := j.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketPurchases).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var p Purchase
			if err := json.Unmarshal(v, &p); err != nil {
				j.log.Error("purchase journal: corrupt record skipped", "id", string(k), "err", err)
				continue
			}
			if openOnly && !p.State.Open() {
				continue
			}
			out = append(out, &p)
			if limit > 0 && len(out) >= limit {
				break
			}
		}
		return nil
	})
	return out, err
}

// ---- the flow ----

func (j *Journal) normalize(r Request) (Request, error) {
	if r.ProductCode <= 0 {
		return r, i18n.K(ErrInvalid, "stamp.err.no_product")
	}
	if r.Quantity == 0 {
		r.Quantity = 1
	}
	if r.Quantity < 0 || r.Quantity > 100 {
		return r, i18n.K(ErrInvalid, "stamp.err.bad_quantity", "value", r.Quantity, "max", 100)
	}
	r.Format = strings.ToLower(cmp.Or(r.Format, j.opts.DefaultFormat, im.KindPNG))
	if r.Format != im.KindPNG && r.Format != im.KindPDF {
		return r, i18n.K(ErrInvalid, "stamp.err.bad_format", "value", r.Format, "allowed", []string{im.KindPNG, im.KindPDF})
	}
	r.DPI = cmp.Or(r.DPI, j.opts.DefaultDPI, im.DPI203)
	if r.DPI != im.DPI203 && r.DPI != im.DPI300 {
		return r, i18n.K(ErrInvalid, "stamp.err.bad_dpi", "value", strings.TrimPrefix(r.DPI, "DPI"), "allowed", []string{"203", "300"})
	}
	r.Layout = cmp.Or(r.Layout, j.opts.DefaultLayout, im.LayoutFrankingZone)
	if r.Format == im.KindPDF && r.PageFormatID == 0 {
		r.PageFormatID = j.opts.DefaultPageFormat
		if r.PageFormatID == 0 {
			return r, i18n.K(ErrInvalid, "stamp.err.page_format")
		}
	}
	if r.Receiver != nil && r.Sender == nil {
		return r, i18n.K(ErrInvalid, "stamp.err.no_sender")
	}
	if (r.Sender == nil) != (r.Receiver == nil) {
		return r, i18n.K(ErrInvalid, "stamp.err.sender_receiver")
	}
	for i, a := range []*im.Address{r.Sender, r.Receiver} {
		if a != nil {
			if err := a.Validate(); err != nil {
				return r, addressErr([]string{"sender", "receiver"}[i], err)
			}
		}
	}
	if len(r.IdempotencyKey) > 200 {
		return r, i18n.K(ErrInvalid, "stamp.err.key_too_long", "max", 200)
	}
	return r, nil
}

func positions(r Request) []im.Position {
	ps := make([]im.Position, r.Quantity)
	for i := range ps {
		ps[i] = im.Position{ProductCode: r.ProductCode, ImageID: r.ImageID, Layout: r.Layout, Sender: r.Sender, Receiver: r.Receiver}
	}
	return ps
}

// Buy runs a purchase through to printed stamps. The same idempotency key
// returns the first purchase (finishing it if it is still open). It returns
// an error only when there is no stamp: a purchase that is paid and stored
// but failed to print is returned with PrintError set. ErrPending means the
// outcome is not yet known; Reconcile finishes it without paying twice.
func (j *Journal) Buy(ctx context.Context, r Request) (*Purchase, error) {
	r, err := j.normalize(r)
	if err != nil {
		return nil, err // ErrInvalid, worded by the catalog
	}
	if r.IdempotencyKey == "" {
		r.IdempotencyKey = newID(j.now())
	}
	if existing, err := j.ByKey(r.IdempotencyKey); err == nil {
		j.log.Info("stamp purchase: idempotency key seen before, returning the first purchase", "key", r.IdempotencyKey, "id", existing.ID)
		if existing.State.Open() && existing.State != StateRefundRequested {
			return j.resume(ctx, existing.ID)
		}
		if existing.State == StateFailed {
			return existing, i18n.K(ErrFailed, "stamp.err.failed_before", "id", existing.ID, "key", r.IdempotencyKey, "error", existing.Error)
		}
		return existing, nil
	}
	total, err := j.api.Total(ctx, positions(r))
	if err != nil {
		var ae *im.APIError
		var ue *url.Error
		if errors.As(err, &ae) || errors.As(err, &ue) {
			return nil, fmt.Errorf("stamp purchase: %w", err)
		}
		var pe *im.PriceError
		if errors.As(err, &pe) && pe.NoPrice {
			return nil, i18n.K(ErrInvalid, "stamp.err.no_price", "code", pe.Code, "name", pe.Name)
		} else if pe != nil {
			return nil, i18n.K(ErrInvalid, "stamp.err.not_in_price_list", "code", pe.Code, "name", pe.Name)
		}
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	now := j.now()
	p := &Purchase{ID: newID(now), Request: r, State: StateIntent, Total: total, Created: now, Updated: now}
	data, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	var existingID string
	err = j.db.Update(func(tx *bolt.Tx) error {
		kb := tx.Bucket(bucketKeys)
		if v := kb.Get([]byte(r.IdempotencyKey)); v != nil { // a concurrent double click
			existingID = string(v)
			return nil
		}
		if err := kb.Put([]byte(r.IdempotencyKey), []byte(p.ID)); err != nil {
			return err
		}
		return tx.Bucket(bucketPurchases).Put([]byte(p.ID), data)
	})
	if err != nil {
		return nil, fmt.Errorf("stamp purchase: recording the intent: %w", err)
	}
	if existingID != "" {
		return j.resume(ctx, existingID)
	}
	j.log.Info("stamp purchase recorded", "id", p.ID, "product", r.ProductCode, "quantity", r.Quantity, "total", total.String())
	return j.resume(ctx, p.ID)
}

// resume drives one purchase forward under its lock.
func (j *Journal) resume(ctx context.Context, id string) (*Purchase, error) {
	unlock := j.lock(id)
	defer unlock()
	p, err := j.Get(id)
	if err != nil {
		return nil, err
	}
	return j.advance(ctx, p, false)
}

// advance moves p as far as it can go. reconciling: called after a restart
// (a purchase left in "printing" is not printed again).
func (j *Journal) advance(ctx context.Context, p *Purchase, reconciling bool) (*Purchase, error) {
	for {
		if err := ctx.Err(); err != nil {
			return p, err
		}
		switch p.State {
		case StateIntent:
			if err := j.step("intent"); err != nil {
				return p, err
			}
			if reconciling && j.now().Sub(p.Created) > j.opts.MaxResumeAge {
				return p, j.fail(p, i18n.E("queuewords.stamp.abandoned", "within", j.opts.MaxResumeAge.String()), false)
			}
			id, err := j.api.NewShopOrder(ctx)
			if err != nil {
				if definite(err) {
					return p, j.fail(p, err, false)
				}
				// Nothing can have been charged without a shopOrderId.
				p.setError(err)
				_ = j.save(p)
				return p, fmt.Errorf("%w: %w", ErrPending, err)
			}
			p.ShopOrderID, p.State = id, StateOrdered
			p.setError(nil)
			if err := j.save(p); err != nil {
				return p, err
			}
		case StateOrdered:
			if err := j.step("ordered"); err != nil {
				return p, err
			}
			// A checkout may have gone out before (a lost answer, a crash):
			// ask the service first.
			if err := j.checkout(ctx, p, p.Attempts > 0, reconciling); err != nil {
				return p, err
			}
		case StatePaid:
			if err := j.step("paid"); err != nil {
				return p, err
			}
			rc, err := j.api.GetOrder(ctx, p.ShopOrderID)
			if err != nil || len(rc.Files) == 0 {
				if err == nil {
					err = i18n.E("queuewords.stamp.no_files_in_answer")
				}
				p.setError(i18n.E("queuewords.stamp.download_failed", "error", err))
				_ = j.save(p)
				return p, fmt.Errorf("%w: stamps paid but not downloaded yet: %w", ErrPending, err)
			}
			if err := j.store(p, rc); err != nil {
				return p, err
			}
		case StateStored:
			if err := j.step("stored"); err != nil {
				return p, err
			}
			if j.printer() == nil {
				return p, nil // success: stored; the agent prints later
			}
			j.print(ctx, p)
			return p, nil
		case StatePrinting:
			if reconciling && j.opts.IdempotentPrinter && j.printer() != nil {
				j.print(ctx, p)
				return p, nil
			}
			if reconciling && !p.PrintUnknown {
				p.PrintUnknown = true
				p.setPrintError(i18n.E("queuewords.stamp.print_unknown"))
				_ = j.save(p)
			}
			return p, nil
		case StateRefundRequested:
			return j.refund(ctx, p)
		default: // printed, failed, refunded
			return p, nil
		}
	}
}

// checkout sends the checkout under the recorded shopOrderId and settles
// what happened.
func (j *Journal) checkout(ctx context.Context, p *Purchase, askFirst, reconciling bool) error {
	if askFirst {
		if done, err := j.lookup(ctx, p); done || err != nil {
			return err
		}
		if reconciling && j.now().Sub(p.Created) > j.opts.MaxResumeAge {
			return j.fail(p, i18n.E("queuewords.stamp.abandoned", "within", j.opts.MaxResumeAge.String()), true)
		}
	}
	p.Attempts++
	if err := j.save(p); err != nil { // count the attempt before it can charge
		return err
	}
	o := im.Order{ShopOrderID: p.ShopOrderID, Positions: positions(p.Request), Total: p.Total, DPI: p.Request.DPI,
		PageFormatID: p.Request.PageFormatID, OptimizePNG: true}
	var rc *im.Receipt
	var err error
	if p.Request.Format == im.KindPDF {
		rc, err = j.api.CheckoutPDF(ctx, o)
	} else {
		rc, err = j.api.CheckoutPNG(ctx, o)
	}
	if cerr := j.step("checkout-answered"); cerr != nil {
		return cerr
	}
	switch {
	case err == nil:
		return j.store(p, rc)
	case errors.Is(err, im.ErrDownload) && rc != nil:
		return j.markPaid(p, rc, i18n.E("queuewords.stamp.download_failed", "error", err))
	}
	var ae *im.APIError
	if errors.As(err, &ae) && ae.Definite() && ae.Title != im.TitleInvalidShopOrderID {
		// Refused: nothing was charged. Keep the shopOrderId for a retry.
		return j.fail(p, err, true)
	}
	// The answer was lost, the service failed, or it says the order was
	// already used: ask whether it was paid.
	j.log.Warn("stamp purchase: checkout outcome unknown, asking the service", "id", p.ID, "shopOrderId", p.ShopOrderID, "err", err)
	done, lerr := j.lookup(ctx, p)
	if done || lerr != nil {
		return lerr
	}
	if p.Attempts < 2 {
		// Certainly not charged (404): once more under the same shopOrderId.
		return j.checkout(ctx, p, false, false)
	}
	p.setError(err)
	_ = j.save(p)
	return fmt.Errorf("%w: checkout failed twice, not charged: %w", ErrPending, err)
}

// lookup asks GET /app/shoppingcart/{id}. done: the purchase moved on (paid,
// stored). A nil error with !done means the order is unknown: not charged.
func (j *Journal) lookup(ctx context.Context, p *Purchase) (done bool, err error) {
	rc, err := j.api.GetOrder(ctx, p.ShopOrderID)
	switch {
	case err == nil:
		j.log.Info("stamp purchase: the order was paid, stamps fetched again", "id", p.ID, "shopOrderId", p.ShopOrderID)
		return true, j.store(p, rc)
	case errors.Is(err, im.ErrDownload) && rc != nil:
		return true, j.markPaid(p, rc, i18n.E("queuewords.stamp.download_failed", "error", err))
	case errors.Is(err, im.ErrNotFound):
		return false, nil
	}
	p.setError(i18n.E("queuewords.stamp.outcome_unknown", "error", err))
	_ = j.save(p)
	return false, fmt.Errorf("%w: %w", ErrPending, err)
}

func (j *Journal) markPaid(p *Purchase, rc *im.Receipt, why error) error {
	p.State, p.Vouchers, p.PaidAt = StatePaid, rc.Vouchers, j.now()
	p.setError(why)
	if err := j.save(p); err != nil {
		return err
	}
	return j.step("paid-recorded")
}

func (j *Journal) store(p *Purchase, rc *im.Receipt) error {
	if len(rc.Files) == 0 {
		return j.markPaid(p, rc, i18n.E("queuewords.stamp.no_files"))
	}
	if p.PaidAt.IsZero() {
		p.PaidAt = j.now()
	}
	p.State, p.Vouchers, p.Kind = StateStored, rc.Vouchers, rc.Kind
	p.setError(nil)
	if err := j.saveFiles(p, rc.Files); err != nil {
		return err
	}
	j.log.Info("stamps bought and stored", "id", p.ID, "shopOrderId", p.ShopOrderID, "vouchers", len(p.Vouchers), "total", p.Total.String())
	return nil
}

func (j *Journal) fail(p *Purchase, cause error, retryable bool) error {
	p.State, p.Retryable = StateFailed, retryable && p.ShopOrderID != ""
	p.setError(cause)
	if err := j.save(p); err != nil {
		return err
	}
	j.log.Warn("stamp purchase failed, nothing charged", "id", p.ID, "err", cause)
	return fmt.Errorf("%w: %w", ErrFailed, cause)
}

// print runs the printer callback once: "printing" is on disk before it
// starts, so a crash mid-print is never followed by a silent second print.
// It returns why printing failed (also recorded as PrintError).
func (j *Journal) print(ctx context.Context, p *Purchase) error {
	files, err := j.Files(p.ID)
	if err != nil {
		p.setPrintError(err)
		_ = j.save(p)
		return err
	}
	p.State = StatePrinting
	if err := j.save(p); err != nil {
		p.State = StateStored
		p.setPrintError(err)
		return err
	}
	if err := j.step("printing"); err != nil {
		return err
	}
	p.Files = files
	perr := j.printer()(ctx, p)
	p.Files = nil
	if perr != nil {
		// The printer refused before printing: back to stored for a retry.
		p.State = StateStored
		p.setPrintError(perr)
		_ = j.save(p)
		j.log.Warn("stamp printing failed; the stamps are stored and will be printed again", "id", p.ID, "err", perr)
		return perr
	}
	p.State, p.PrintUnknown, p.PrintedAt = StatePrinted, false, j.now()
	p.setPrintError(nil)
	p.Prints++
	_ = j.save(p)
	p.Files = files
	return nil
}

// Reconcile finishes every open purchase: after a restart, and
// periodically while the agent runs. It never buys a paid order again.
func (j *Journal) Reconcile(ctx context.Context) error {
	open, err := j.List(true, 0)
	if err != nil {
		return err
	}
	// Also look at purchases left "printing" by a crash.
	all, err := j.List(false, 0)
	if err != nil {
		return err
	}
	for _, p := range all {
		if p.State == StatePrinting && !p.PrintUnknown {
			open = append(open, p)
		}
	}
	sort.Slice(open, func(a, b int) bool { return open[a].Created.Before(open[b].Created) })
	var errs []error
	for _, p := range open {
		unlock := j.lock(p.ID)
		cur, err := j.Get(p.ID)
		if err == nil {
			_, err = j.advance(ctx, cur, true)
		}
		unlock()
		if err != nil && !errors.Is(err, ErrFailed) {
			errs = append(errs, fmt.Errorf("purchase %s: %w", p.ID, err))
		}
	}
	return errors.Join(errs...)
}

// Retry tries a failed, retryable purchase again under its shopOrderId.
func (j *Journal) Retry(ctx context.Context, id string) (*Purchase, error) {
	unlock := j.lock(id)
	defer unlock()
	p, err := j.Get(id)
	if err != nil {
		return nil, err
	}
	if p.State != StateFailed || !p.Retryable {
		return p, i18n.K(ErrConflict, "stamp.err.not_retryable", "id", id, "state", stateMsg(p.State))
	}
	p.State, p.Retryable, p.Attempts = StateOrdered, false, 0
	p.setError(nil)
	if err := j.save(p); err != nil {
		return p, err
	}
	return j.advance(ctx, p, false)
}

// Reprint prints a stored or printed purchase again, on the operator's
// explicit request (a jammed label, a print of unknown outcome).
func (j *Journal) Reprint(ctx context.Context, id string) (*Purchase, error) {
	unlock := j.lock(id)
	defer unlock()
	p, err := j.Get(id)
	if err != nil {
		return nil, err
	}
	switch p.State {
	case StateStored, StatePrinting, StatePrinted:
	default:
		return p, i18n.K(ErrConflict, "stamp.err.nothing_to_print", "id", id, "state", stateMsg(p.State))
	}
	if j.printer() == nil {
		return p, i18n.K(ErrConflict, "stamp.err.no_printer")
	}
	return p, j.print(ctx, p)
}

// Refund asks Deutsche Post to refund a paid purchase that will not be
// used. The request is recorded first, so the stamps are never printed
// afterwards and a lost answer is retried by Reconcile.
func (j *Journal) Refund(ctx context.Context, id string) (*Purchase, error) {
	unlock := j.lock(id)
	defer unlock()
	p, err := j.Get(id)
	if err != nil {
		return nil, err
	}
	switch p.State {
	case StatePaid, StateStored, StatePrinting, StatePrinted, StateRefundRequested:
	case StateOrdered:
		return p, i18n.K(ErrNotRefundable, "stamp.err.settling", "id", id)
	default:
		return p, i18n.K(ErrNotRefundable, "stamp.err.not_refundable", "id", id, "state", stateMsg(p.State))
	}
	if len(p.Vouchers) == 0 {
		return p, i18n.K(ErrNotRefundable, "stamp.err.no_vouchers", "id", id)
	}
	p.State = StateRefundRequested
	if err := j.save(p); err != nil {
		return p, err
	}
	return j.refund(ctx, p)
}

func (j *Journal) refund(ctx context.Context, p *Purchase) (*Purchase, error) {
	var ids []string
	for _, v := range p.Vouchers {
		ids = append(ids, v.VoucherID)
	}
	rr, err := j.api.Refund(ctx, im.RefundRequest{VoucherIDs: ids})
	if err != nil {
		p.setError(i18n.E("queuewords.stamp.refund_pending", "error", err))
		_ = j.save(p)
		return p, fmt.Errorf("refund of purchase %s: %w", p.ID, err)
	}
	p.State, p.ShopRetoureID, p.RetoureTxID, p.RefundedAt = StateRefunded, rr.ShopRetoureID, rr.RetoureTransactionID, j.now()
	p.setError(nil)
	if err := j.save(p); err != nil {
		return p, err
	}
	j.log.Info("stamps refunded", "id", p.ID, "shopRetoureId", rr.ShopRetoureID, "amount", p.Total.String())
	return p, nil
}

// definite reports whether err says the service certainly did nothing.
func definite(err error) bool {
	var ae *im.APIError
	return errors.As(err, &ae) && ae.Definite()
}

// statusOf is the HTTP status inside err, 0 if none (for API handlers).
func statusOf(err error) int {
	var ae *im.APIError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

// HTTPStatus maps a journal error to an HTTP status for the agent's API.
func HTTPStatus(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, ErrPending):
		return http.StatusAccepted
	case errors.Is(err, ErrNotRefundable), errors.Is(err, ErrConflict):
		return http.StatusConflict
	case errors.Is(err, ErrFailed) && statusOf(err) == 0:
		return http.StatusUnprocessableEntity
	}
	if s := statusOf(err); s == http.StatusTooManyRequests {
		return s
	} else if s >= 400 && s < 500 {
		return http.StatusUnprocessableEntity
	}
	return http.StatusBadGateway
}

// String is a one-line summary for logs and the CLI.
func (p *Purchase) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %dx %s %s", p.ID, p.State, p.Request.Quantity, im.ProductName(p.Request.ProductCode), p.Total)
	if p.ShopOrderID != "" {
		b.WriteString(" order " + p.ShopOrderID)
	}
	if len(p.Vouchers) > 0 {
		b.WriteString(" vouchers " + strconv.Itoa(len(p.Vouchers)))
	}
	if p.Error != "" {
		b.WriteString(" — " + p.Error)
	}
	return b.String()
}

// Run reconciles at once and then every interval (default 1 minute) until
// ctx ends: a purchase left open by a crash or a lost answer is finished as
// soon as Deutsche Post can be reached.
func (j *Journal) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = time.Minute
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := j.Reconcile(ctx); err != nil && ctx.Err() == nil {
			j.log.Warn("stamp purchases still open", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
