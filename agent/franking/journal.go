// Package franking is the agent's journal of DHL Online Franking carts: it
// prepares a prepaid cart from an order, records that the operator opened
// the payment page, learns that the cart was paid (DHL's notify call, or
// polling the cart, whichever comes first), and prints each parcel's label
// through the agent's idempotent queue or keeps its QR code for drop-off.
// Every step is on disk before the next starts, so a crash, a duplicate
// notify or a notify racing the poller prints each label exactly once.
//
// The life of a cart:
//
//		intent ─► sending ─► created ─► paid ─► done
//		             │          │         (labels queued / QR codes stored)
//		             ▼          ▼
//		          unknown    expired
//
//	  - intent: the request and its idempotency key are recorded, with the
//	    hash of a fresh notify token (≥128 random bits).
//	  - sending: recorded just before POST /shopping-carts. A crash or a lost
//	    answer here leaves the outcome unknown: the request is never sent
//	    again on its own. A cart created then can only be paid by someone
//	    holding its entryUrl, which nobody has, so nothing is paid twice; if
//	    DHL does call the notify URL with the cart's token, the cart is
//	    adopted and its labels printed.
//	  - created: DHL's shoppingCartId and entryUrl are recorded. The payment
//	    page is opened by the operator (the CLI or tray; the agent records it).
//	  - paid: the cart was loaded with status PAID and its PAKIDs recorded.
//	  - done: every item's label was stored and handed to the print queue
//	    under a key per cart and PAKID (or its QR code stored).
//
// The package depends on bbolt and the Online Franking client only; the
// agent hands it its *bbolt.DB and a function that queues a print job.
package franking

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	ps "github.com/labelagent/labelagent/dhl/privateshipping"

	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/agent/internal/keylock"
)

// State is where a cart stands.
type State string

// States of a cart; see the package documentation.
const (
	StateIntent  State = "intent"
	StateSending State = "sending"
	StateUnknown State = "unknown"
	StateCreated State = "created"
	StatePaid    State = "paid"
	StateDone    State = "done"
	StateExpired State = "expired"
	StateFailed  State = "failed"
)

// Open reports whether the journal still has work to do on the cart.
func (s State) Open() bool {
	return s == StateIntent || s == StateCreated || s == StatePaid
}

// Output says what becomes of a paid parcel.
const (
	OutputLabel = "label" // the label is printed
	OutputQR    = "qr"    // the QR code is kept for drop-off
)

// Errors callers test for.
var (
	ErrNotFound     = errors.New("no such cart")
	ErrInvalid      = errors.New("invalid cart request")
	ErrTokenInvalid = errors.New("notify token unknown")
	ErrTokenUsed    = errors.New("notify token already used")
	ErrTokenExpired = errors.New("notify token expired")
	ErrMismatch     = errors.New("notify does not match the cart")
	ErrNotPaid      = errors.New("the cart is not paid")
	ErrConflict     = errors.New("conflict")
)

// Request is what the operator (or a packing rule) asked for.
type Request struct {
	IdempotencyKey string `json:"idempotency_key"`
	// OrderRef is the shop's order number, shown to the operator.
	OrderRef    string     `json:"order_ref,omitempty"`
	ProductID   string     `json:"product_id"`
	Services    []string   `json:"services,omitempty"`
	WeightGrams int        `json:"weight_grams,omitempty"`
	Receiver    ps.Address `json:"receiver"`
	// Sender overrides the configured sender.
	Sender  *ps.Address `json:"sender,omitempty"`
	Printer string      `json:"printer,omitempty"`
	Output  string      `json:"output,omitempty"` // label (default) or qr
	Pickup  *ps.Pickup  `json:"pickup,omitempty"`
}

// Item is one parcel of a cart.
type Item struct {
	ItemID     string `json:"item_id"`
	ProductID  string `json:"product_id"`
	Price      int64  `json:"price_cents"`
	PAKID      string `json:"pakid,omitempty"`
	ShipmentNo string `json:"shipment_no,omitempty"`
	HasLabel   bool   `json:"has_label,omitempty"`
	HasQR      bool   `json:"has_qr,omitempty"`
	// JobID is the print job of the label.
	JobID string `json:"job_id,omitempty"`
}

// Change is one step of a cart's history.
type Change struct {
	At    time.Time `json:"at"`
	State State     `json:"state"`
	Note  string    `json:"note,omitempty"` // in English, for logs and old records
	// NoteID and NoteArgs are the note's catalog message, so that it is
	// shown in the reader's language.
	NoteID   string            `json:"note_id,omitempty"`
	NoteArgs map[string]string `json:"note_args,omitempty"`
}

// words is a catalog message with string arguments, as the journal keeps it.
type words struct {
	id   string
	args map[string]string
}

// msg returns a catalog message with key/value string arguments.
func msg(id string, kv ...string) words {
	w := words{id: id}
	for i := 0; i+1 < len(kv); i += 2 {
		if w.args == nil {
			w.args = map[string]string{}
		}
		w.args[kv[i]] = kv[i+1]
	}
	return w
}

// In returns the words in a language.
func (w words) In(l *i18n.Localizer) string {
	if w.id == "" {
		return ""
	}
	return l.T(w.id, Args(w.args)...)
}

// Args turns stored message arguments into the key/value pairs of
// i18n.Localizer.T.
func Args(m map[string]string) []any {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]any, 0, 2*len(m))
	for _, k := range keys {
		out = append(out, k, m[k])
	}
	return out
}

// Cart is one cart in the journal.
type Cart struct {
	ID             string    `json:"id"`
	Request        Request   `json:"request"`
	State          State     `json:"state"`
	ShoppingCartID string    `json:"shopping_cart_id,omitempty"`
	EntryURL       string    `json:"entry_url,omitempty"`
	Total          int64     `json:"total_cents"`
	Items          []Item    `json:"items,omitempty"`
	PaymentOpened  time.Time `json:"payment_opened,omitzero"`
	PaidAt         time.Time `json:"paid_at,omitzero"`
	DoneAt         time.Time `json:"done_at,omitzero"`
	// PaidVia says how payment was learnt: notify or poll.
	PaidVia string `json:"paid_via,omitempty"`
	// Error is the last problem, in words for the operator (English);
	// ErrorID and ErrorArgs are its catalog message where the words are
	// the agent's (ErrorIn words it for a reader).
	Error     string         `json:"error,omitempty"`
	ErrorID   string         `json:"error_id,omitempty"`
	ErrorArgs map[string]any `json:"error_args,omitempty"`
	// Action tells the operator what to do, when something is needed, in
	// English; ActionID and ActionArgs are its catalog message.
	Action       string            `json:"action,omitempty"`
	ActionID     string            `json:"action_id,omitempty"`
	ActionArgs   map[string]string `json:"action_args,omitempty"`
	TokenExpires time.Time         `json:"token_expires,omitzero"`
	TokenUsed    bool              `json:"token_used,omitempty"`
	Created      time.Time         `json:"created"`
	Updated      time.Time         `json:"updated"`
	History      []Change          `json:"history,omitempty"`
}

// API is the part of the Online Franking client the journal uses.
type API interface {
	Products(ctx context.Context, f ps.Filter) ([]ps.Product, error)
	CreateCart(ctx context.Context, req ps.CartRequest, catalog []ps.Product) (*ps.Cart, error)
	Cart(ctx context.Context, id string) (*ps.Cart, error)
	Label(ctx context.Context, pakID string) ([]byte, error)
	QRCode(ctx context.Context, pakID string) ([]byte, error)
}

// SubmitFunc queues a print job of a PDF label under an idempotency key and
// returns the job id; the same key twice returns the first job.
type SubmitFunc func(ctx context.Context, printer, key, name string, pdf []byte) (jobID string, err error)

// Options configure a Journal.
type Options struct {
	Config ps.Config
	Submit SubmitFunc
	// OnChange is called after every change of a cart (events).
	OnChange func(*Cart)
	Now      func() time.Time
	Log      *slog.Logger
	// Step, when set, is called at named points of the flow; an error
	// stops the flow there as a crash would (tests).
	Step func(name string) error
}

var (
	bucketCarts   = []byte("franking_carts")
	bucketKeys    = []byte("franking_keys")
	bucketTokens  = []byte("franking_tokens")
	bucketDocs    = []byte("franking_docs")
	bucketCatalog = []byte("franking_catalog")
	catalogKey    = []byte("catalog")
)

// Journal keeps carts in the agent's store. It is safe for concurrent use.
type Journal struct {
	db   *bolt.DB
	api  API
	opts Options

	mu    sync.Mutex
	locks keylock.Locks
	seq   uint64

	catMu sync.Mutex // one catalog fetch at a time
}

// Open creates the journal's buckets.
func Open(db *bolt.DB, api API, opts Options) (*Journal, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	opts.Config = opts.Config.WithDefaults()
	err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketCarts, bucketKeys, bucketTokens, bucketDocs, bucketCatalog} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("franking journal: %w", err)
	}
	return &Journal{db: db, api: api, opts: opts}, nil
}

func (j *Journal) lock(id string) func() { return j.locks.Lock(id) }

func (j *Journal) step(name string) error {
	if j.opts.Step != nil {
		return j.opts.Step(name)
	}
	return nil
}

func (j *Journal) newID() string {
	j.mu.Lock()
	j.seq++
	n := j.seq
	j.mu.Unlock()
	var b [3]byte
	_, _ = rand.Read(b[:])
	return "FR" + j.opts.Now().UTC().Format("060102150405") + strconv.FormatUint(n%100, 10) + strings.ToUpper(hex.EncodeToString(b[:]))
}

// newToken returns a notify token of 256 random bits and its hash.
func newToken() (token, hash string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", err
	}
	token = hex.EncodeToString(b[:])
	return token, hashToken(token), nil
}

func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func (j *Journal) note(c *Cart, s State, note words) {
	now := j.opts.Now().UTC()
	c.State, c.Updated = s, now
	c.History = append(c.History, change(now, s, note))
}

func change(at time.Time, s State, note words) Change {
	return Change{At: at, State: s, Note: note.In(i18n.For(i18n.English)), NoteID: note.id, NoteArgs: note.args}
}

// act sets what the operator is to do (an empty message: nothing).
func (c *Cart) act(w words) {
	c.Action, c.ActionID, c.ActionArgs = w.In(i18n.For(i18n.English)), w.id, w.args
}

func (j *Journal) save(c *Cart) error {
	buf, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if err := j.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCarts).Put([]byte(c.ID), buf)
	}); err != nil {
		return fmt.Errorf("franking journal: %w", err)
	}
	if j.opts.OnChange != nil {
		cp := *c
		j.opts.OnChange(&cp)
	}
	return nil
}

func getTx(tx *bolt.Tx, id string) (*Cart, error) {
	v := tx.Bucket(bucketCarts).Get([]byte(id))
	if v == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	var c Cart
	if err := json.Unmarshal(v, &c); err != nil {
		return nil, fmt.Errorf("franking journal: cart %s: %w", id, err)
	}
	return &c, nil
}

// Get returns a cart.
func (j *Journal) Get(id string) (*Cart, error) {
	var c *Cart
	err := j.db.View(func(tx *bolt.Tx) (err error) { c, err = getTx(tx, id); return })
	return c, err
}

// ByKey returns the cart of an idempotency key, or ErrNotFound.
func (j *Journal) ByKey(key string) (*Cart, error) {
	var c *Cart
	err := j.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketKeys).Get([]byte(key))
		if id == nil {
			return ErrNotFound
		}
		var err error
		c, err = getTx(tx, string(id))
		return err
	})
	return c, err
}

// ListFilter narrows List.
type ListFilter struct {
	OpenOnly bool
	State    State
	OrderRef string
	Limit    int
}

// List returns carts, newest first.
func (j *Journal) List(f ListFilter) ([]*Cart, error) {
	var out []*Cart
	err := j.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCarts).ForEach(func(_, v []byte) error {
			var c Cart
			if err := json.Unmarshal(v, &c); err != nil {
				return nil // a damaged record is skipped, not fatal to the list
			}
			if (f.OpenOnly && !c.State.Open()) || (f.State != "" && c.State != f.State) ||
				(f.OrderRef != "" && c.Request.OrderRef != f.OrderRef) {
				return nil
			}
			out = append(out, &c)
			return nil
		})
	})
	sort.Slice(out, func(a, b int) bool { return out[a].Created.After(out[b].Created) })
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, err
}

// Document returns a stored label (PDF, kind "label") or QR code (PNG,
// kind "qr") of a cart's parcel.
func (j *Journal) Document(id, pakID, kind string) ([]byte, error) {
	var out []byte
	err := j.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketDocs).Get(docKey(id, pakID, kind))
		if v == nil {
			return fmt.Errorf("%w: no %s for %s in cart %s", ErrNotFound, kind, pakID, id)
		}
		out = append([]byte(nil), v...)
		return nil
	})
	return out, err
}

func docKey(id, pak, kind string) []byte { return []byte(id + "/" + pak + "/" + kind) }

func (j *Journal) normalize(r Request) (Request, error) {
	cfg := j.opts.Config
	r.ProductID = strings.TrimSpace(r.ProductID)
	if r.ProductID == "" {
		r.ProductID = cfg.DefaultProduct
	}
	if r.Output == "" {
		r.Output = cfg.Output
	}
	if r.Output != OutputLabel && r.Output != OutputQR {
		return r, i18n.K(ErrInvalid, "franking.err.bad_output", "value", r.Output, "allowed", []string{OutputLabel, OutputQR})
	}
	if r.Printer == "" {
		r.Printer = cfg.Printer
	}
	if r.Receiver.Country == "" && ps.TypeOf(r.Receiver) != ps.TypeParcelShop && ps.TypeOf(r.Receiver) != ps.TypePackstation {
		r.Receiver.Country = "DEU"
	}
	if r.IdempotencyKey == "" {
		if r.OrderRef != "" {
			r.IdempotencyKey = "order:" + r.OrderRef
		} else {
			var b [12]byte
			_, _ = rand.Read(b[:])
			r.IdempotencyKey = "auto:" + hex.EncodeToString(b[:])
		}
	}
	return r, nil
}

func (j *Journal) sender(r Request) ps.Address {
	if r.Sender != nil {
		return *r.Sender
	}
	return j.opts.Config.Sender
}

func (j *Journal) cartRequest(r Request, notifyURL string) ps.CartRequest {
	req := ps.CartRequest{Pickup: r.Pickup, NotifyURL: notifyURL}
	if r.ProductID != "" {
		req.Items = []ps.Item{{ProductID: r.ProductID, Services: r.Services, WeightGrams: r.WeightGrams,
			Address: ps.Addresses{Sender: j.sender(r), Receiver: r.Receiver}}}
	}
	return req
}

// Create prepares a cart. The same idempotency key returns the first cart
// (existing is true) whatever its state; a cart is created at DHL at most
// once per key.
func (j *Journal) Create(ctx context.Context, r Request) (c *Cart, existing bool, err error) {
	r, err = j.normalize(r)
	if err != nil {
		return nil, false, err
	}
	catalog, _ := j.cachedCatalog()
	// Check before anything is recorded: a request DHL would refuse is the
	// caller's to correct, not the journal's.
	if err := ps.Validate(j.cartRequest(r, ""), catalog.Products); err != nil {
		return nil, false, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	unlock := j.lock("key:" + r.IdempotencyKey)
	defer unlock()
	if prev, err := j.ByKey(r.IdempotencyKey); err == nil {
		return prev, true, nil
	} else if !errors.Is(err, ErrNotFound) {
		return nil, false, err
	}
	token, hash, err := newToken()
	if err != nil {
		return nil, false, err
	}
	now := j.opts.Now().UTC()
	c = &Cart{ID: j.newID(), Request: r, Created: now, TokenExpires: now.Add(j.opts.Config.Notify.TokenTTL)}
	j.note(c, StateIntent, words{})
	buf, err := json.Marshal(c)
	if err != nil {
		return nil, false, err
	}
	err = j.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketCarts).Put([]byte(c.ID), buf); err != nil {
			return err
		}
		if err := tx.Bucket(bucketTokens).Put([]byte(hash), []byte(c.ID)); err != nil {
			return err
		}
		return tx.Bucket(bucketKeys).Put([]byte(r.IdempotencyKey), []byte(c.ID))
	})
	if err != nil {
		return nil, false, fmt.Errorf("franking journal: %w", err)
	}
	if err := j.step("intent"); err != nil {
		return c, false, err
	}
	unlockCart := j.lock(c.ID)
	defer unlockCart()
	return c, false, j.send(ctx, c, token, catalog.Products)
}

func (j *Journal) notifyURL(token string) string {
	base := strings.TrimRight(j.opts.Config.Notify.PublicURL, "/")
	if base == "" || j.opts.Config.Notify.Listen == "" {
		return ""
	}
	return base + "/" + token
}

// send posts the cart. Its state is on disk as sending first, so a crash
// during the call is known afterwards as an unknown outcome.
func (j *Journal) send(ctx context.Context, c *Cart, token string, catalog []ps.Product) error {
	j.note(c, StateSending, words{})
	if err := j.save(c); err != nil {
		return err
	}
	if err := j.step("sending"); err != nil {
		return err
	}
	dc, err := j.api.CreateCart(ctx, j.cartRequest(c.Request, j.notifyURL(token)), catalog)
	if err != nil {
		var uo *ps.UnknownOutcomeError
		switch {
		case errors.As(err, &uo):
			c.setError(err)
			c.act(msg("franking.action.answer_lost"))
			j.note(c, StateUnknown, msg("franking.note.answer_lost"))
		default:
			c.setError(err)
			c.act(msg("franking.action.correct"))
			if ps.StatusOf(err) == 429 || ps.StatusOf(err) >= 500 {
				c.act(msg("franking.action.later"))
			}
			j.note(c, StateFailed, msg("franking.note.refused"))
		}
		if serr := j.save(c); serr != nil {
			return serr
		}
		return fmt.Errorf("online franking cart for %s: %w", cmpOr(c.Request.OrderRef, c.ID), err)
	}
	if err := j.step("created-unsaved"); err != nil {
		return err
	}
	j.applyCart(c, dc)
	c.setError(nil)
	c.act(msg("franking.action.pay"))
	j.note(c, StateCreated, msg("franking.note.created", "cart", dc.ShoppingCartID))
	return j.save(c)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// applyCart copies DHL's view of a cart onto the record.
func (j *Journal) applyCart(c *Cart, dc *ps.Cart) {
	c.ShoppingCartID = dc.ShoppingCartID
	if dc.Download.EntryURL != "" {
		c.EntryURL = dc.Download.EntryURL
	}
	c.Total = int64(dc.Total)
	old := map[string]Item{}
	for _, it := range c.Items {
		old[it.ItemID] = it
	}
	c.Items = c.Items[:0]
	for _, it := range dc.Items {
		n := old[it.ItemID]
		n.ItemID, n.ProductID, n.Price = it.ItemID, it.ProductID, int64(it.Price)
		if it.PAKID != "" {
			n.PAKID, n.ShipmentNo = it.PAKID, it.ShipmentNo
		}
		c.Items = append(c.Items, n)
	}
}

// MarkOpened records that the operator opened the payment page.
func (j *Journal) MarkOpened(id string) (*Cart, error) {
	unlock := j.lock(id)
	defer unlock()
	c, err := j.Get(id)
	if err != nil {
		return nil, err
	}
	if c.State != StateCreated {
		return c, i18n.K(ErrConflict, "franking.err.nothing_to_pay", "id", id, "state", i18n.Message{ID: "franking.state." + string(c.State)})
	}
	c.PaymentOpened = j.opts.Now().UTC()
	c.act(msg("franking.action.pay_opened"))
	c.History = append(c.History, change(c.PaymentOpened, c.State, msg("franking.note.opened")))
	return c, j.save(c)
}

// Refresh asks DHL for the cart now and, if it is paid, finishes it.
func (j *Journal) Refresh(ctx context.Context, id string) (*Cart, error) {
	unlock := j.lock(id)
	defer unlock()
	c, err := j.Get(id)
	if err != nil {
		return nil, err
	}
	return c, j.advance(ctx, c, "poll")
}

// advance moves an open cart as far as it goes. Called with its lock held.
func (j *Journal) advance(ctx context.Context, c *Cart, via string) error {
	switch c.State {
	case StateCreated:
		dc, err := j.api.Cart(ctx, c.ShoppingCartID)
		if err != nil {
			return fmt.Errorf("online franking cart %s: %w", c.ShoppingCartID, err)
		}
		switch dc.Status {
		case ps.StatusPaid:
			if err := j.markPaid(c, dc, via); err != nil {
				return err
			}
		case ps.StatusCancelled, ps.StatusExpired:
			c.act(words{})
			j.note(c, StateExpired, msg("franking.note.dhl_status", "status", strings.ToLower(dc.Status)))
			return j.save(c)
		default:
			if j.opts.Now().Sub(c.Created) > j.opts.Config.CartExpiry {
				c.act(msg("franking.action.expired"))
				j.note(c, StateExpired, msg("franking.note.not_paid", "within", j.opts.Config.CartExpiry.String()))
				return j.save(c)
			}
			return nil
		}
		fallthrough
	case StatePaid:
		return j.finish(ctx, c)
	}
	return nil
}

func (j *Journal) markPaid(c *Cart, dc *ps.Cart, via string) error {
	j.applyCart(c, dc)
	if len(c.Items) > 0 && len(dc.PAKIDs()) < len(c.Items) {
		return fmt.Errorf("online franking cart %s: paid, but DHL gave %d PAKIDs for %d parcels", c.ShoppingCartID, len(dc.PAKIDs()), len(c.Items))
	}
	c.PaidAt, c.PaidVia = j.opts.Now().UTC(), via
	c.setError(nil)
	c.act(words{})
	paid := msg("franking.note.paid_poll")
	if via == "notify" {
		paid = msg("franking.note.paid_notify")
	}
	j.note(c, StatePaid, paid)
	if err := j.save(c); err != nil {
		return err
	}
	return j.step("paid")
}

// finish stores every parcel's document and queues its label. Each step is
// saved, and the queue's key per cart and PAKID makes a repeat after a
// crash return the first job instead of printing again.
func (j *Journal) finish(ctx context.Context, c *Cart) error {
	for i := range c.Items {
		it := &c.Items[i]
		if c.Request.Output == OutputQR {
			if !it.HasQR {
				png, err := j.api.QRCode(ctx, it.PAKID)
				if err != nil {
					return j.problem(c, i18n.E("queuewords.franking.qr_failed", "pakid", it.PAKID, "error", err))
				}
				if err := j.putDoc(c.ID, it.PAKID, "qr", png); err != nil {
					return err
				}
				it.HasQR = true
				if err := j.save(c); err != nil {
					return err
				}
			}
			continue
		}
		if !it.HasLabel {
			pdf, err := j.api.Label(ctx, it.PAKID)
			if err != nil {
				return j.problem(c, i18n.E("queuewords.franking.label_failed", "pakid", it.PAKID, "error", err))
			}
			if err := j.putDoc(c.ID, it.PAKID, "label", pdf); err != nil {
				return err
			}
			it.HasLabel = true
			if err := j.save(c); err != nil {
				return err
			}
			if err := j.step("stored"); err != nil {
				return err
			}
		}
		if it.JobID == "" {
			if err := j.printItem(ctx, c, it, "franking:"+c.ID+":"+it.PAKID); err != nil {
				return j.problem(c, err)
			}
			if err := j.save(c); err != nil {
				return err
			}
		}
	}
	c.DoneAt = j.opts.Now().UTC()
	c.setError(nil)
	c.act(words{})
	note := msg("franking.note.labels_queued")
	if c.Request.Output == OutputQR {
		note = msg("franking.note.qr_ready")
		c.act(msg("franking.action.qr"))
	}
	j.note(c, StateDone, note)
	return j.save(c)
}

func (j *Journal) printItem(ctx context.Context, c *Cart, it *Item, key string) error {
	if j.opts.Submit == nil {
		return i18n.E("queuewords.franking.no_printer")
	}
	pdf, err := j.Document(c.ID, it.PAKID, "label")
	if err != nil {
		return err
	}
	if err := j.step("printing"); err != nil {
		return err
	}
	name := "DHL " + it.ShipmentNo
	if c.Request.OrderRef != "" {
		name = c.Request.OrderRef + " " + name
	}
	id, err := j.opts.Submit(ctx, c.Request.Printer, key, name, pdf)
	if err != nil {
		return i18n.E("queuewords.franking.print_failed", "pakid", it.PAKID, "error", err)
	}
	it.JobID = id
	return nil
}

func (j *Journal) problem(c *Cart, err error) error {
	c.setError(err)
	c.act(msg("franking.action.retry"))
	c.Updated = j.opts.Now().UTC()
	if serr := j.save(c); serr != nil {
		return serr
	}
	return err
}

func (j *Journal) putDoc(id, pak, kind string, data []byte) error {
	return j.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDocs).Put(docKey(id, pak, kind), data)
	})
}

// Reprint queues a paid cart's labels again, as new jobs (the operator
// asked for another copy).
func (j *Journal) Reprint(ctx context.Context, id string) (*Cart, error) {
	unlock := j.lock(id)
	defer unlock()
	c, err := j.Get(id)
	if err != nil {
		return nil, err
	}
	if c.State != StateDone || c.Request.Output != OutputLabel {
		return c, i18n.K(ErrConflict, "franking.err.no_labels", "id", id, "state", i18n.Message{ID: "franking.state." + string(c.State)})
	}
	n := 0
	for _, ch := range c.History {
		if strings.HasPrefix(ch.Note, "reprint") {
			n++
		}
	}
	for i := range c.Items {
		it := c.Items[i]
		if err := j.printItem(ctx, c, &it, fmt.Sprintf("franking:%s:%s:reprint%d", c.ID, it.PAKID, n+1)); err != nil {
			return c, err
		}
	}
	c.History = append(c.History, change(j.opts.Now().UTC(), c.State, msg("franking.note.reprint", "n", strconv.Itoa(n+1))))
	return c, j.save(c)
}

// Notify handles DHL's payment callback: the token must be one the journal
// handed out, unused and unexpired, and belong to the cart named.
// Processing is idempotent; the token is used up once the payment is
// recorded, so a repeated notify is refused and prints nothing.
func (j *Journal) Notify(ctx context.Context, token, cartID, partner string) (*Cart, error) {
	if partner != ps.NotifyPartner {
		return nil, fmt.Errorf("%w: dhlPartner %q", ErrMismatch, partner)
	}
	if len(token) < 32 || cartID == "" {
		return nil, ErrTokenInvalid
	}
	hash := hashToken(token)
	var id string
	_ = j.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketTokens).Get([]byte(hash)); v != nil {
			id = string(v)
		}
		return nil
	})
	if id == "" {
		return nil, ErrTokenInvalid
	}
	unlock := j.lock(id)
	defer unlock()
	c, err := j.Get(id)
	if err != nil {
		return nil, err
	}
	if c.TokenUsed {
		return c, ErrTokenUsed
	}
	if j.opts.Now().After(c.TokenExpires) {
		return c, ErrTokenExpired
	}
	switch {
	case c.ShoppingCartID == "" && (c.State == StateUnknown || c.State == StateSending):
		// The create answer was lost; DHL's callback names the cart.
		c.ShoppingCartID = cartID
		c.History = append(c.History, change(j.opts.Now().UTC(), c.State, msg("franking.note.taken_over", "cart", cartID)))
		j.note(c, StateCreated, words{})
	case subtle.ConstantTimeCompare([]byte(c.ShoppingCartID), []byte(cartID)) != 1:
		return c, fmt.Errorf("%w: the token belongs to another cart", ErrMismatch)
	}
	if c.State == StateCreated {
		dc, err := j.api.Cart(ctx, c.ShoppingCartID)
		if err != nil {
			return c, fmt.Errorf("online franking cart %s: %w", c.ShoppingCartID, err)
		}
		if dc.Status != ps.StatusPaid {
			return c, fmt.Errorf("%w: DHL says the cart is %s", ErrNotPaid, dc.Status)
		}
		if err := j.markPaid(c, dc, "notify"); err != nil {
			return c, err
		}
	}
	// Paid is on disk: the token has done its work. Its hash stays, so a
	// repeat is told apart from a token that never existed.
	c.TokenUsed = true
	if err := j.save(c); err != nil {
		return c, err
	}
	if err := j.finish(ctx, c); err != nil {
		// Paid and recorded: the poller finishes it, the notify succeeded.
		j.opts.Log.Warn("online franking: paid cart not finished yet", "cart", c.ID, "err", err)
	}
	return c, nil
}

// Reconcile advances every open cart: unpaid ones are asked for their
// status, paid ones finished. It is what the poller runs.
func (j *Journal) Reconcile(ctx context.Context) error {
	open, err := j.List(ListFilter{OpenOnly: true})
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range open {
		if c.State == StateIntent {
			// Recorded, never sent: a crash came before the call. Safe to send.
			unlock := j.lock(c.ID)
			cur, err := j.Get(c.ID)
			if err == nil && cur.State == StateIntent {
				token, hash, terr := newToken()
				if terr == nil {
					terr = j.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketTokens).Put([]byte(hash), []byte(cur.ID)) })
				}
				if terr != nil {
					err = terr
				} else {
					catalog, _ := j.cachedCatalog()
					err = j.send(ctx, cur, token, catalog.Products)
				}
			}
			unlock()
			if err != nil {
				errs = append(errs, err)
			}
			continue
		}
		if _, err := j.Refresh(ctx, c.ID); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Run polls open carts every interval and keeps the catalog fresh, until
// ctx ends.
func (j *Journal) Run(ctx context.Context) {
	t := time.NewTicker(j.opts.Config.PollInterval)
	defer t.Stop()
	for {
		if err := j.Reconcile(ctx); err != nil && ctx.Err() == nil {
			j.opts.Log.Warn("online franking: open carts", "err", err)
		}
		if _, err := j.Catalog(ctx, false); err != nil && ctx.Err() == nil {
			j.opts.Log.Warn("online franking: product catalog", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// setError records the cart's problem (nil clears it): the catalog's
// message where the words are the agent's, else DHL's or the system's
// words as they are.
func (c *Cart) setError(err error) { c.Error, c.ErrorID, c.ErrorArgs = i18n.KeepErr(err) }

// ErrorIn is the cart's problem in l's language.
func (c *Cart) ErrorIn(l *i18n.Localizer) string { return l.Kept(c.ErrorID, c.ErrorArgs, c.Error) }
