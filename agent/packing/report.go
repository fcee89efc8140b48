package packing

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"
	bolt "go.etcd.io/bbolt"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/config"
)

var bucketReports = []byte("packing_reports")

// Report is what the shop is told about a label: POSTed as JSON to the
// configured URL until it answers 2xx.
type Report struct {
	OrderRef string    `json:"order_ref"`
	ShopRef  string    `json:"shop_ref,omitempty"`
	Carrier  string    `json:"carrier"`
	Product  string    `json:"product"`
	Tracking string    `json:"tracking_number"`
	LabelID  string    `json:"label_id"`
	At       time.Time `json:"labelled_at"`
}

type reportRec struct {
	Report
	Attempts  int       `json:"attempts"`
	NextTry   time.Time `json:"next_try"`
	LastError string    `json:"last_error,omitempty"`
}

// Reporter is the outbox of tracking numbers for the shop: every report is
// on disk before it is sent and stays there until the shop accepted it, so
// a shop that is down, or a restart, loses none.
type Reporter struct {
	db     *bolt.DB
	cfg    config.ReportConfig
	hc     *http.Client
	now    func() time.Time
	log    *slog.Logger
	getenv func(string) string
	wake   chan struct{}
}

// OpenReporter creates the outbox.
func OpenReporter(db *bolt.DB, cfg config.ReportConfig, now func() time.Time, log *slog.Logger) (*Reporter, error) {
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketReports)
		return err
	}); err != nil {
		return nil, err
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 15 * time.Second
	}
	return &Reporter{db: db, cfg: cfg, hc: &http.Client{Timeout: cfg.Timeout}, now: now, log: log,
		getenv: os.Getenv, wake: make(chan struct{}, 1)}, nil
}

// Add queues the report of a label (nothing when no URL is configured).
func (r *Reporter) Add(o apitype.Order, l apitype.OrderShipment) error {
	if r.cfg.URL == "" {
		return nil
	}
	rec := reportRec{Report: Report{OrderRef: o.Ref, ShopRef: o.ShopRef, Carrier: l.Carrier, Product: l.Product,
		Tracking: l.Tracking, LabelID: l.ID, At: l.At}, NextTry: r.now()}
	buf, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := r.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketReports).Put([]byte(o.Ref+"\x00"+l.ID), buf)
	}); err != nil {
		return err
	}
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return nil
}

// Pending counts reports not yet accepted by the shop.
func (r *Reporter) Pending() int {
	n := 0
	_ = r.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketReports).Stats().KeyN
		return nil
	})
	return n
}

// Run sends due reports until ctx ends.
func (r *Reporter) Run(ctx context.Context) {
	if r.cfg.URL == "" {
		return
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		r.flush(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.wake:
		}
	}
}

func (r *Reporter) flush(ctx context.Context) {
	type item struct {
		key []byte
		rec reportRec
	}
	var due []item
	now := r.now()
	_ = r.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketReports).ForEach(func(k, v []byte) error {
			var rec reportRec
			if json.Unmarshal(v, &rec) == nil && !rec.NextTry.After(now) {
				due = append(due, item{append([]byte(nil), k...), rec})
			}
			return nil
		})
	})
	for _, it := range due {
		if ctx.Err() != nil {
			return
		}
		err := r.send(ctx, it.rec.Report)
		_ = r.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketReports)
			if err == nil {
				return b.Delete(it.key)
			}
			it.rec.Attempts++
			it.rec.LastError = err.Error()
			bo := backoff.NewExponentialBackOff()
			bo.InitialInterval, bo.MaxInterval, bo.RandomizationFactor = 2*time.Second, 10*time.Minute, 0.2
			wait := bo.InitialInterval
			for i := 1; i < it.rec.Attempts; i++ {
				wait = bo.NextBackOff()
			}
			it.rec.NextTry = r.now().Add(wait)
			buf, _ := json.Marshal(it.rec)
			return b.Put(it.key, buf)
		})
		if err != nil {
			r.log.Warn("packing: the shop did not take the tracking number yet", "order", it.rec.OrderRef, "attempt", it.rec.Attempts+1, "err", err)
		} else {
			r.log.Info("packing: tracking number reported to the shop", "order", it.rec.OrderRef, "tracking", it.rec.Tracking)
		}
	}
}

func (r *Reporter) send(ctx context.Context, rep Report) error {
	body, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "labelagent:"+rep.OrderRef+":"+rep.LabelID)
	for k, v := range r.cfg.Headers {
		if strings.HasPrefix(v, "$") {
			v = r.getenv(strings.TrimPrefix(v, "$"))
		}
		req.Header.Set(k, v)
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}
