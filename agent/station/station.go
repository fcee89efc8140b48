// Package station joins the agent to a warehouse of packing stations over
// NATS JetStream (github.com/nats-io/nats.go): a durable pull consumer for
// the station's own subject and a shared work-queue consumer per pool bring
// jobs into the agent's durable queue exactly once; the agent's job,
// printer and shipment events go out on the station's event subject with
// dedupe ids, kept on disk while the servers are away; and a key-value
// bucket holds every station's state with a heartbeat, so a central view
// knows which stations are alive.
//
// Subjects (PREFIX is nats.prefix, default "labelagent"):
//
//	PREFIX.jobs.station.STATION   jobs for one station (stream JOBS, work queue)
//	PREFIX.jobs.pool.POOL         jobs for any station of a pool (one durable per pool)
//	PREFIX.events.STATION.TYPE    job, printer, shipment, scan, rejected (stream EVENTS)
//
// A message is acknowledged only after its job is on disk; one that can
// never be a job is terminated with its reason (and the reason published),
// so it is never redelivered forever.
package station

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	bolt "go.etcd.io/bbolt"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/agent/sources"
)

var bucketOutbox = []byte("nats_outbox")

// Options configure a station.
type Options struct {
	Config    config.NATSConfig
	Submit    sources.Submit
	Permanent sources.Permanent
	// Events is the agent's event stream (job, printer, shipment, scan).
	Events <-chan apitype.Event
	// Printers reports the agent's printers for the heartbeat.
	Printers func() []apitype.Printer
	DB       *bolt.DB // the event outbox lives here
	Version  string
	Log      *slog.Logger
	Now      func() time.Time
	// Getenv reads "$NAME" credentials (default os.Getenv).
	Getenv func(string) string
}

// Station is the NATS job source and event publisher.
type Station struct {
	opt Options
	cfg config.NATSConfig

	mu      sync.Mutex
	st      apitype.SourceStatus
	nc      *nats.Conn
	js      jetstream.JetStream
	kv      jetstream.KeyValue
	claimKV jetstream.KeyValue
	wakePub chan struct{}
	// unacked are jobs on disk whose acknowledgement did not reach the
	// server (it went away between queueing and acknowledging); they are
	// acknowledged again once it is back, so the server does not hand
	// them out again (see reackLoop).
	unacked []unackedJob
	wakeAck chan struct{}
	dropped int64
	outSeq  uint64 // the outbox's last key
	outN    int    // entries in the outbox
	idSeq   uint64 // events of this run, for their ids
	// run tells this run's event ids from an earlier run's (the agent's
	// event sequence starts again at each start).
	run string
	// room is closed (and replaced) when a job or printer changes, so a
	// pool consumer waiting for its printer to be free looks again.
	room chan struct{}
	// stage, when a benchmark sets it, hears when a job passes a stage
	// (received, claimed, queued, acked).
	stage func(stage string)
}

// New returns the station; Run connects.
func New(opt Options) (*Station, error) {
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Getenv == nil {
		opt.Getenv = os.Getenv
	}
	if err := opt.DB.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketOutbox)
		return err
	}); err != nil {
		return nil, err
	}
	if opt.Config.PoolBacklog < 1 {
		opt.Config.PoolBacklog = 2
	}
	s := &Station{opt: opt, cfg: opt.Config, wakePub: make(chan struct{}, 1), wakeAck: make(chan struct{}, 1), room: make(chan struct{}),
		run: runID()}
	s.st = apitype.SourceStatus{Name: opt.Config.Station, Kind: "nats", Where: strings.Join(opt.Config.URLs, ","), State: "waiting"}
	s.countOutbox()
	return s, nil
}

// Status reports the NATS source for `labelagent sources`.
func (s *Station) Status() apitype.SourceStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	if s.nc != nil && s.nc.IsConnected() {
		st.State = "running"
		st.Where = s.nc.ConnectedUrlRedacted()
	} else if s.nc != nil {
		st.State = "down"
	}
	return st
}

// note keeps err as the station's last error: its English text, and its
// catalog id and arguments, so `labelagent sources` and the tray read it
// in their language (the server's own words inside stay as it said them).
func (s *Station) note(err error) {
	now := s.opt.Now()
	s.mu.Lock()
	s.st.LastErrorAt = &now
	s.st.LastError, s.st.LastErrorID, s.st.LastErrorArgs = i18n.KeepErr(err)
	s.mu.Unlock()
}

func (s *Station) env(v string) string {
	if strings.HasPrefix(v, "$") {
		return s.opt.Getenv(strings.TrimPrefix(v, "$"))
	}
	return v
}

// connectOptions are the credentials and reconnect behaviour: reconnect
// forever, buffer nothing in the client (the outbox on disk does that).
func (s *Station) connectOptions() ([]nats.Option, error) {
	c := s.cfg
	opts := []nats.Option{
		nats.Name("labelagent " + c.Station), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second),
		// Replies (fetched jobs, acknowledgements, API answers) come to the
		// station's own inboxes, so its user may subscribe to
		// _INBOX.STATION.> only and never sees another station's jobs.
		nats.CustomInboxPrefix(inboxPrefix + c.Station),
		nats.RetryOnFailedConnect(true), nats.ReconnectBufSize(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				s.note(i18n.Wrap(err, "stationwords.disconnected"))
			}
			s.opt.Log.Warn("nats: disconnected", "err", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			s.opt.Log.Info("nats: reconnected", "server", nc.ConnectedUrlRedacted())
			s.kick()
			select {
			case s.wakeAck <- struct{}{}:
			default:
			}
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			s.note(i18n.Wrap(err, "stationwords.server_error"))
			s.opt.Log.Warn("nats: error", "err", err)
		}),
	}
	switch {
	case c.CredsFile != "":
		opts = append(opts, nats.UserCredentials(c.CredsFile))
	case c.NKeyFile != "":
		o, err := nats.NkeyOptionFromSeed(c.NKeyFile)
		if err != nil {
			return nil, i18n.Wrap(err, "stationwords.nkey_file")
		}
		opts = append(opts, o)
	case c.User != "":
		opts = append(opts, nats.UserInfo(s.env(c.User), s.env(c.Password)))
	}
	if c.TLS.CAFile != "" {
		opts = append(opts, nats.RootCAs(c.TLS.CAFile))
	}
	if c.TLS.CertFile != "" {
		opts = append(opts, nats.ClientCert(c.TLS.CertFile, c.TLS.KeyFile))
	}
	return opts, nil
}

func (s *Station) kick() {
	select {
	case s.wakePub <- struct{}{}:
	default:
	}
}

// runID tells one run of the station from another: random, so that not
// even a clock set back or a test's fixed clock repeats it.
func runID() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	return hex.EncodeToString(b[:])
}

// inboxPrefix begins the station's reply subjects: _INBOX.STATION.…
const inboxPrefix = "_INBOX."

// Subjects of the station.
func (s *Station) stationSubject() string { return s.cfg.Prefix + ".jobs.station." + s.cfg.Station }
func (s *Station) poolSubject(p string) string {
	return s.cfg.Prefix + ".jobs.pool." + p
}
func (s *Station) eventSubject(kind string) string {
	return s.cfg.Prefix + ".events." + s.cfg.Station + "." + kind
}

// Run connects and works until ctx ends: jobs in, events out, heartbeat.
func (s *Station) Run(ctx context.Context) {
	opts, err := s.connectOptions()
	if err != nil {
		s.note(err)
		s.opt.Log.Error("nats: cannot start", "err", err)
		return
	}
	nc, err := nats.Connect(strings.Join(s.cfg.URLs, ","), opts...)
	if err != nil {
		s.note(i18n.Wrap(err, "stationwords.cannot_connect", "servers", strings.Join(s.cfg.URLs, ", ")))
		s.opt.Log.Error("nats: cannot connect", "err", err)
		return
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		s.note(i18n.Wrap(err, "stationwords.no_jetstream"))
		return
	}
	s.mu.Lock()
	s.nc, s.js = nc, js
	s.mu.Unlock()

	var wg sync.WaitGroup
	wg.Add(4)
	go func() { defer wg.Done(); s.reackLoop(ctx) }()
	go func() { defer wg.Done(); s.collect(ctx) }()
	go func() { defer wg.Done(); s.publishLoop(ctx) }()
	go func() { defer wg.Done(); s.heartbeatLoop(ctx) }()
	subjects := []string{s.stationSubject()}
	names := []string{"station-" + s.cfg.Station}
	for _, p := range s.cfg.Pools {
		subjects = append(subjects, s.poolSubject(p))
		names = append(names, "pool-"+p)
	}
	for i := range subjects {
		wg.Add(1)
		go func() { defer wg.Done(); s.consumeLoop(ctx, names[i], subjects[i], i > 0) }()
	}
	wg.Wait()
}

// ensureStreams creates the streams and the two buckets (station states,
// claims) when they are missing, so one agent started with the
// administrator's credentials sets up the warehouse. What exists is used
// as it is, never updated: the warehouse may have set it up (or another
// station created it a moment ago), and credentials that may not create
// streams can still use them.
func (s *Station) ensureStreams(ctx context.Context) error {
	if err := s.ensureJobStreams(ctx); err != nil {
		return err
	}
	// The buckets are not needed for the station's own jobs: a missing one
	// (and credentials that may not create it) is said, not waited for.
	if _, err := s.bucket(ctx); err != nil {
		s.note(err)
	}
	if _, err := s.claims(ctx); err != nil {
		s.note(err)
	}
	return nil
}

func (s *Station) ensureJobStreams(ctx context.Context) error {
	for _, cfg := range []jetstream.StreamConfig{
		{Name: s.cfg.JobStream, Subjects: []string{s.cfg.Prefix + ".jobs.>"}, Retention: jetstream.WorkQueuePolicy,
			Storage: jetstream.FileStorage, Duplicates: 10 * time.Minute, Replicas: s.cfg.Replicas},
		{Name: s.cfg.EventStream, Subjects: []string{s.cfg.Prefix + ".events.>"}, Retention: jetstream.LimitsPolicy,
			Storage: jetstream.FileStorage, MaxAge: 7 * 24 * time.Hour, Duplicates: 10 * time.Minute, Replicas: s.cfg.Replicas},
	} {
		if _, err := s.js.Stream(ctx, cfg.Name); err == nil {
			continue
		}
		if _, err := s.js.CreateStream(ctx, cfg); err != nil {
			if _, gerr := s.js.Stream(ctx, cfg.Name); gerr != nil {
				return i18n.Wrap(err, "stationwords.stream", "stream", cfg.Name)
			}
		}
	}
	return nil
}

// keyValue opens a bucket, creating it when it is missing (and never
// updating one that exists).
func keyValue(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	if js == nil {
		return nil, i18n.E("stationwords.not_connected")
	}
	if kv, err := js.KeyValue(ctx, cfg.Bucket); err == nil {
		return kv, nil
	}
	kv, err := js.CreateKeyValue(ctx, cfg)
	if err != nil {
		if kv2, gerr := js.KeyValue(ctx, cfg.Bucket); gerr == nil {
			return kv2, nil
		}
		return nil, i18n.Wrap(err, "stationwords.bucket", "bucket", cfg.Bucket)
	}
	return kv, nil
}

// consumeLoop binds the durable consumer and takes its messages, binding
// again after an error (server restart, leader change). A pool's consumer
// takes jobs only while the station's printer has room (see room).
func (s *Station) consumeLoop(ctx context.Context, durable, subject string, pool bool) {
	for ctx.Err() == nil {
		err := s.consume(ctx, durable, subject, pool)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			s.note(i18n.Wrap(err, "stationwords.subject", "subject", subject))
			s.opt.Log.Warn("nats: consumer", "subject", subject, "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// fetchWait is how long one pull request waits on the server for a job.
const fetchWait = 2 * time.Second

func (s *Station) consume(ctx context.Context, durable, subject string, pool bool) error {
	if err := s.ensureStreams(ctx); err != nil {
		return err
	}
	// An existing durable is bound as it is (a pool's is shared by its
	// stations); only a missing one is created.
	cons, err := s.js.Consumer(ctx, s.cfg.JobStream, durable)
	if err != nil {
		cons, err = s.js.CreateConsumer(ctx, s.cfg.JobStream, jetstream.ConsumerConfig{Durable: durable,
			FilterSubject: subject, AckPolicy: jetstream.AckExplicitPolicy, AckWait: s.cfg.AckWait, MaxAckPending: 64,
			DeliverPolicy: jetstream.DeliverAllPolicy})
		if err != nil {
			c, gerr := s.js.Consumer(ctx, s.cfg.JobStream, durable)
			if gerr != nil {
				return i18n.Wrap(err, "stationwords.consumer", "consumer", durable)
			}
			cons = c
		}
	}
	// Acknowledgements go out on their own goroutine: the job is on disk
	// before its ack is sent, but neither the next job nor the printer
	// waits for the server's confirmation.
	acks := make(chan ackItem, 64)
	acked := make(chan struct{})
	go func() { defer close(acked); s.acker(ctx, acks) }()
	defer func() { close(acks); <-acked }()
	for ctx.Err() == nil {
		n := 16 // the station's own jobs print here whatever its backlog
		if pool {
			if n = s.waitRoom(ctx); n == 0 {
				return nil
			}
		}
		batch, err := cons.Fetch(n, jetstream.FetchMaxWait(fetchWait))
		if err != nil {
			return err
		}
		if !s.takeBatch(ctx, batch, pool, acks) {
			return nil
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
	}
	return nil
}

// takeBatch handles a fetch's messages as they come; false when ctx ends
// first (the pull request runs out on the server, and a message it still
// brings is delivered again after the ack wait).
func (s *Station) takeBatch(ctx context.Context, batch jetstream.MessageBatch, pool bool, acks chan<- ackItem) bool {
	msgs := batch.Messages()
	for {
		select {
		case <-ctx.Done():
			return false
		case msg, ok := <-msgs:
			if !ok {
				return true
			}
			if it, ok := s.handle(ctx, msg, pool); ok {
				acks <- it
			}
		}
	}
}

// roomNow is how many pool jobs the station may take now: none while the
// printer of pool jobs (nats.printer, else the default printer) is
// paused, cannot print or holds pool_backlog jobs; else the difference.
// A pool's job thus goes to a station whose printer is free, and no
// station hoards a burst while the others stand idle.
func (s *Station) roomNow() int {
	if s.opt.Printers == nil {
		return s.cfg.PoolBacklog
	}
	for _, p := range s.opt.Printers() {
		if p.Name == s.cfg.Printer || (s.cfg.Printer == "" && p.Default) {
			if p.Paused || !p.Status.CanPrint() {
				return 0
			}
			return max(0, s.cfg.PoolBacklog-p.Queued)
		}
	}
	return s.cfg.PoolBacklog // no such printer: the job's own printer decides, or it is refused
}

// waitRoom waits until the printer has room for pool jobs and says how
// many; 0 when ctx ends.
func (s *Station) waitRoom(ctx context.Context) int {
	for {
		s.mu.Lock()
		changed := s.room
		s.mu.Unlock()
		if n := s.roomNow(); n > 0 {
			return n
		}
		select {
		case <-ctx.Done():
			return 0
		case <-changed:
		case <-time.After(250 * time.Millisecond): // a printer's status changes without a job event too
		}
	}
}

// roomChanged wakes the pool consumers waiting for room.
func (s *Station) roomChanged() {
	s.mu.Lock()
	close(s.room)
	s.room = make(chan struct{})
	s.mu.Unlock()
}

// claimTTL is how long a station's claim on a job holds: long enough for a
// killed station to restart and finish it, short enough that a station
// that never comes back does not keep a pool's job forever.
const claimTTL = 10 * time.Minute

func (s *Station) claims(ctx context.Context) (jetstream.KeyValue, error) {
	s.mu.Lock()
	kv, js := s.claimKV, s.js
	s.mu.Unlock()
	if kv != nil {
		return kv, nil
	}
	kv, err := keyValue(ctx, js, jetstream.KeyValueConfig{Bucket: s.cfg.Bucket + "_claims", TTL: claimTTL,
		Storage: jetstream.FileStorage, History: 1, Replicas: s.cfg.Replicas})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.claimKV = kv
	s.mu.Unlock()
	return kv, nil
}

// claim makes the job this station's, or says another station has it.
func (s *Station) claim(ctx context.Context, key string) (bool, error) {
	kv, err := s.claims(ctx)
	if err != nil {
		return false, err
	}
	sum := sha256.Sum256([]byte(key))
	k := hex.EncodeToString(sum[:16])
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := kv.Create(cctx, k, []byte(s.cfg.Station)); err == nil {
		return true, nil
	} else if !errors.Is(err, jetstream.ErrKeyExists) {
		return false, err
	}
	e, err := kv.Get(cctx, k)
	if err != nil {
		return false, err
	}
	return string(e.Value()) == s.cfg.Station, nil
}

// ackItem is a job on disk whose message is still to be acknowledged.
type ackItem struct {
	msg jetstream.Msg
	key string
}

// acker acknowledges queued jobs in order. One whose acknowledgement is
// not confirmed is acknowledged again after a reconnect; should the server
// still hand it out again, its key finds the same job here, and its claim
// keeps it from another station.
func (s *Station) acker(ctx context.Context, acks <-chan ackItem) {
	for it := range acks {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		aerr := it.msg.DoubleAck(actx)
		cancel()
		s.passed("acked")
		if aerr != nil && !errors.Is(aerr, jetstream.ErrMsgAlreadyAckd) {
			s.opt.Log.Warn("nats: job queued, acknowledgement not confirmed; acknowledging again once the server answers", "key", it.key, "err", aerr)
			s.mu.Lock()
			if len(s.unacked) >= maxUnacked {
				s.unacked = s.unacked[1:]
			}
			s.unacked = append(s.unacked, unackedJob{ackItem: it, since: time.Now()})
			s.mu.Unlock()
		}
	}
}

// unackedJob is a queued job whose acknowledgement did not arrive.
type unackedJob struct {
	ackItem
	since time.Time
}

// maxUnacked bounds the jobs kept for acknowledging again (beyond it the
// oldest are left to redelivery, the key and the claim).
const maxUnacked = 1024

// reackLoop acknowledges again, as soon as the connection is back, the
// jobs whose acknowledgement was lost, so that an outage of any length
// between queueing and acknowledging does not make the server hand them
// out again (to this station, or after the claim ran out to another).
func (s *Station) reackLoop(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wakeAck:
		case <-t.C:
		}
		s.mu.Lock()
		nc, todo := s.nc, s.unacked
		s.unacked = nil
		s.mu.Unlock()
		if len(todo) == 0 {
			continue
		}
		var keep []unackedJob
		for _, u := range todo {
			if nc == nil || !nc.IsConnected() {
				keep = append(keep, u)
				continue
			}
			if err := u.msg.Ack(); err != nil && !errors.Is(err, jetstream.ErrMsgAlreadyAckd) {
				keep = append(keep, u)
				continue
			}
			s.opt.Log.Info("nats: job acknowledged after the server came back", "key", u.key, "after", time.Since(u.since).Round(time.Millisecond))
		}
		s.mu.Lock()
		s.unacked = append(keep, s.unacked...)
		s.mu.Unlock()
	}
}

func (s *Station) passed(stage string) {
	if s.stage != nil {
		s.stage(stage)
	}
}

// handle puts one message in the queue and returns it for acknowledgement,
// or terminates it with the reason when it can never be a job (false).
func (s *Station) handle(ctx context.Context, msg jetstream.Msg, pool bool) (ackItem, bool) {
	s.passed("received")
	meta, err := msg.Metadata()
	if err != nil {
		_ = msg.Term()
		return ackItem{}, false
	}
	msgID := msg.Headers().Get(jetstream.MsgIDHeader)
	key := fmt.Sprintf("nats:%s:seq:%d", s.cfg.JobStream, meta.Sequence.Stream)
	if msgID != "" {
		key = "nats:id:" + msgID
	}
	// The reason goes to the server and on the bus in English (for
	// machines, and the words the message was terminated with), with its
	// catalog id and arguments beside it for people.
	reject := func(reason error) {
		text, id, args := i18n.KeepErr(reason)
		_ = msg.TermWithReason(text)
		s.mu.Lock()
		s.st.Rejected++
		s.mu.Unlock()
		s.note(i18n.E("stationwords.rejected", "sequence", strconv.FormatUint(meta.Sequence.Stream, 10), "subject", msg.Subject(), "reason", reason))
		s.enqueue(apitype.StationEvent{Station: s.cfg.Station, Event: apitype.Event{Type: "rejected", At: s.opt.Now()},
			Rejected: &apitype.RejectedMessage{Subject: msg.Subject(), Sequence: meta.Sequence.Stream, MsgID: msgID,
				Reason: text, ReasonID: id, ReasonArgs: args}})
	}
	var jm apitype.JobMessage
	dec := json.NewDecoder(strings.NewReader(string(msg.Data())))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&jm); err != nil {
		reject(i18n.E("stationwords.not_a_job", "error", err))
		return ackItem{}, false
	}
	if jm.Kind == "" {
		jm.Kind = apitype.KindZPL
	}
	if !jm.Kind.Valid() {
		reject(i18n.E("stationwords.bad_kind", "kind", strconv.Quote(string(jm.Kind))))
		return ackItem{}, false
	}
	if len(jm.Payload) == 0 {
		reject(i18n.E("stationwords.empty_payload"))
		return ackItem{}, false
	}
	printer := jm.Printer
	if printer == "" {
		printer = s.cfg.Printer
	}
	// A claim in the replicated bucket makes a pool's job this station's
	// before it is queued: when an acknowledgement is lost (a leader
	// change, a crash) and the server hands the message to another
	// station, that station sees the claim and leaves the job to the one
	// that has it. The station's own subject needs none: only this
	// station's durable delivers it, and the key finds a redelivered job.
	if pool {
		mine, err := s.claim(ctx, key)
		if err != nil {
			_ = msg.NakWithDelay(time.Second)
			return ackItem{}, false
		}
		if !mine {
			_ = msg.NakWithDelay(s.cfg.AckWait)
			return ackItem{}, false
		}
		s.passed("claimed")
	}
	_, existing, err := s.opt.Submit(ctx, apitype.SubmitRequest{Printer: printer, Kind: jm.Kind, Payload: jm.Payload,
		Copies: jm.Copies, Name: jm.Name, IdempotencyKey: key, Source: "nats:" + strings.TrimPrefix(msg.Subject(), s.cfg.Prefix+".jobs.")})
	if err != nil {
		if s.opt.Permanent != nil && s.opt.Permanent(err) {
			reject(err)
			return ackItem{}, false
		}
		_ = msg.NakWithDelay(2 * time.Second) // not now: the agent is stopping or the disk failed
		return ackItem{}, false
	}
	// On disk: now the server may forget it.
	s.passed("queued")
	s.mu.Lock()
	if existing {
		s.st.Duplicates++
	} else {
		s.st.Delivered++
	}
	now := s.opt.Now()
	s.st.LastOK = &now
	s.mu.Unlock()
	return ackItem{msg: msg, key: key}, true
}
