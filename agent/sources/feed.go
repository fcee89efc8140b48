package sources

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/agent/i18n"
)

// FeedEntry is one job in a feed's answer. The answer is {"jobs": [...]}
// or a bare array of entries.
type FeedEntry struct {
	// ID is the feed's own id of the entry: the job's idempotency key is
	// derived from it, so a redelivered entry is the same job.
	ID      string       `json:"id"`
	Printer string       `json:"printer,omitempty"`
	Kind    apitype.Kind `json:"kind"`
	// Payload is base64 (standard encoding).
	Payload string `json:"payload"`
	Copies  int    `json:"copies,omitempty"`
	Name    string `json:"name,omitempty"`
	// Order, instead of a payload, delivers an order to pack: it is added
	// to the packing station's orders and labelled when it is scanned.
	Order *apitype.Order `json:"order,omitempty"`
}

// OrderSink takes an order from a feed; an error that is not "not now"
// rejects the entry.
type OrderSink func(ctx context.Context, o apitype.Order) error

// FeedAck is what the agent reports back for each entry.
type FeedAck struct {
	ID     string `json:"id"`
	Status string `json:"status"` // accepted or rejected
	JobID  string `json:"job_id,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// FeedAcks is the body POSTed to the ack URL.
type FeedAcks struct {
	Acks []FeedAck `json:"acks"`
}

// Feed polls a remote job feed.
type Feed struct {
	cfg       config.FeedConfig
	submit    Submit
	permanent Permanent
	maxSize   int64
	hc        *http.Client
	log       *slog.Logger
	getenv    func(string) string
	now       func() time.Time
	orders    OrderSink
	stats
}

// WithOrders lets the feed deliver orders as well as jobs.
func (f *Feed) WithOrders(sink OrderSink) *Feed { f.orders = sink; return f }

// NewFeed returns the source for one configured feed.
func NewFeed(cfg config.FeedConfig, maxSize int64, submit Submit, permanent Permanent, log *slog.Logger) *Feed {
	f := &Feed{cfg: cfg, submit: submit, permanent: permanent, maxSize: maxSize, log: log,
		hc: &http.Client{Timeout: cfg.Timeout}, getenv: os.Getenv, now: time.Now}
	f.st = apitype.SourceStatus{Name: cfg.Name, Kind: "feed", Where: redactURL(cfg.URL), State: "waiting"}
	return f
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	return u.Redacted()
}

// Status reports how the feed is doing.
func (f *Feed) Status() apitype.SourceStatus { return f.snapshot() }

// Run polls until ctx ends, backing off while the feed fails.
func (f *Feed) Run(ctx context.Context) {
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = f.cfg.Interval
	bo.MaxInterval = f.cfg.MaxBackoff
	bo.MaxElapsedTime = 0
	for {
		wait := f.cfg.Interval
		if err := f.Poll(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			wait = bo.NextBackOff()
			f.fail(f.now(), "waiting", err)
			f.log.Warn("job feed: poll failed", "feed", f.cfg.Name, "retry_in", wait, "err", err)
		} else {
			bo.Reset()
		}
		if !sleep(ctx, wait) {
			return
		}
	}
}

func (f *Feed) request(ctx context.Context, method, u string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range f.cfg.Headers {
		if strings.HasPrefix(v, "$") {
			v = f.getenv(strings.TrimPrefix(v, "$"))
		}
		req.Header.Set(k, v)
	}
	return f.hc.Do(req)
}

// Poll fetches the feed once, queues every entry and acknowledges them.
// Entries are acknowledged only after their jobs are on disk; an entry
// delivered again (the ack was lost, the agent died before it) finds its
// job by key and is acknowledged again, never printed twice.
func (f *Feed) Poll(ctx context.Context) error {
	resp, err := f.request(ctx, http.MethodGet, f.cfg.URL, nil)
	if err != nil {
		return i18n.E("queuewords.feed.unreachable", "feed", f.cfg.Name, "error", err)
	}
	// A feed answer holds whole payloads: bound it by the job limit per
	// entry, a hundred entries at most per poll.
	limit := f.maxSize*100 + 1<<20
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	resp.Body.Close()
	if err != nil {
		return i18n.E("queuewords.feed.read_failed", "feed", f.cfg.Name, "error", err)
	}
	if resp.StatusCode == http.StatusNoContent {
		f.ok(f.now())
		return nil
	}
	if resp.StatusCode != http.StatusOK {
		return i18n.E("queuewords.feed.http_status", "feed", f.cfg.Name, "status", strconv.Itoa(resp.StatusCode), "body", strings.TrimSpace(string(data[:min(len(data), 200)])))
	}
	if int64(len(data)) > limit {
		return i18n.E("queuewords.feed.too_large", "feed", f.cfg.Name, "limit", strconv.FormatInt(limit, 10))
	}
	entries, err := decodeFeed(data)
	if err != nil {
		return i18n.E("queuewords.feed.bad_answer", "feed", f.cfg.Name, "error", err)
	}
	var acks []FeedAck
	var delivered, dup, rejected int64
	for i, raw := range entries {
		ack, derr := f.deliver(ctx, i, raw)
		if derr != nil {
			// Not now (the agent is stopping or the disk failed): stop here,
			// acknowledge what is queued, the rest comes again.
			f.log.Warn("job feed: entry not queued now", "feed", f.cfg.Name, "err", derr)
			break
		}
		if ack.ID == "" {
			rejected++
			continue // an entry without id cannot be acknowledged; it is reported
		}
		switch {
		case ack.Status == "rejected":
			rejected++
		case ack.Reason == "duplicate":
			dup++
			ack.Reason = ""
		default:
			delivered++
		}
		acks = append(acks, ack)
	}
	f.count(delivered, dup, rejected)
	if err := f.acknowledge(ctx, acks); err != nil {
		return err
	}
	f.ok(f.now())
	return nil
}

func decodeFeed(data []byte) ([]json.RawMessage, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, nil
	}
	var list []json.RawMessage
	if data[0] == '[' {
		if err := json.Unmarshal(data, &list); err != nil {
			return nil, i18n.E("queuewords.feed.not_a_list", "error", err)
		}
		return list, nil
	}
	var wrapped struct {
		Jobs []json.RawMessage `json:"jobs"`
	}
	if err := json.Unmarshal(data, &wrapped); err != nil {
		return nil, i18n.E("queuewords.feed.not_wrapped", "error", err)
	}
	return wrapped.Jobs, nil
}

// deliver queues one entry. A malformed entry or one the agent refuses for
// good is answered "rejected" with the reason; an error means "not now".
func (f *Feed) deliver(ctx context.Context, i int, raw json.RawMessage) (FeedAck, error) {
	var e FeedEntry
	// The reason goes back to the feed in English (the feed's protocol);
	// the source's status keeps it in the catalog's words.
	reject := func(id string, reason error) (FeedAck, error) {
		f.log.Warn("job feed: entry rejected", "feed", f.cfg.Name, "index", i, "id", id, "reason", reason)
		f.fail(f.now(), "running", i18n.E("queuewords.feed.rejected", "index", strconv.Itoa(i), "id", id, "reason", reason))
		return FeedAck{ID: id, Status: "rejected", Reason: reason.Error()}, nil
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		var idOnly struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(raw, &idOnly)
		return reject(idOnly.ID, i18n.E("queuewords.feed.not_an_entry", "error", err))
	}
	e.ID = strings.TrimSpace(e.ID)
	if e.ID == "" || len(e.ID) > 200 {
		return reject("", i18n.E("queuewords.feed.no_id"))
	}
	if e.Order != nil {
		if f.orders == nil {
			return reject(e.ID, i18n.E("queuewords.feed.no_orders"))
		}
		if err := f.orders(ctx, *e.Order); err != nil {
			return reject(e.ID, i18n.E("queuewords.feed.bad_order", "error", err))
		}
		return FeedAck{ID: e.ID, Status: "accepted"}, nil
	}
	if e.Kind == "" {
		e.Kind = apitype.KindZPL
	}
	if !e.Kind.Valid() {
		return reject(e.ID, i18n.E("queuewords.feed.bad_kind", "kind", string(e.Kind), "allowed", []string{"zpl", "raw", "pdf", "png"}))
	}
	payload, err := base64.StdEncoding.DecodeString(e.Payload)
	if err != nil {
		return reject(e.ID, i18n.E("queuewords.feed.not_base64"))
	}
	if len(payload) == 0 {
		return reject(e.ID, i18n.E("queuewords.feed.empty"))
	}
	printer := e.Printer
	if printer == "" {
		printer = f.cfg.Printer
	}
	job, existing, err := f.submit(ctx, apitype.SubmitRequest{Printer: printer, Kind: e.Kind, Payload: payload,
		Copies: e.Copies, IdempotencyKey: "feed:" + f.cfg.Name + ":" + e.ID, Source: "feed:" + f.cfg.Name, Name: e.Name})
	if err != nil {
		if f.permanent != nil && f.permanent(err) {
			return reject(e.ID, err)
		}
		return FeedAck{}, err
	}
	ack := FeedAck{ID: e.ID, Status: "accepted", JobID: job.ID}
	if existing {
		ack.Reason = "duplicate"
	}
	return ack, nil
}

func (f *Feed) acknowledge(ctx context.Context, acks []FeedAck) error {
	if len(acks) == 0 || f.cfg.Ack == "none" {
		return nil
	}
	switch f.cfg.Ack {
	case "delete":
		for _, a := range acks {
			resp, err := f.request(ctx, http.MethodDelete, strings.TrimRight(f.cfg.AckURL, "/")+"/"+url.PathEscape(a.ID), nil)
			if err != nil {
				return i18n.E("queuewords.feed.ack_failed", "feed", f.cfg.Name, "id", a.ID, "error", err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode >= 300 && resp.StatusCode != http.StatusNotFound {
				return i18n.E("queuewords.feed.ack_refused", "feed", f.cfg.Name, "id", a.ID, "status", strconv.Itoa(resp.StatusCode))
			}
		}
		return nil
	default:
		body, err := json.Marshal(FeedAcks{Acks: acks})
		if err != nil {
			return err
		}
		resp, err := f.request(ctx, http.MethodPost, f.cfg.AckURL, body)
		if err != nil {
			return i18n.E("queuewords.feed.ack_failed", "feed", f.cfg.Name, "id", "", "error", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			return i18n.E("queuewords.feed.ack_refused", "feed", f.cfg.Name, "id", "", "status", strconv.Itoa(resp.StatusCode))
		}
		return nil
	}
}
