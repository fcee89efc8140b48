package station

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	bolt "go.etcd.io/bbolt"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
)

// outboxEntry is an event waiting to be published.
type outboxEntry struct {
	Subject string          `json:"subject"`
	ID      string          `json:"id"` // Nats-Msg-Id: the stream drops a repeat
	Data    json.RawMessage `json:"data"`
}

// collect moves the agent's events into the outbox, a few at a time per
// transaction, so publishing never holds the agent up and nothing made
// while the servers are away is lost (up to nats.event_buffer).
func (s *Station) collect(ctx context.Context) {
	if s.opt.Events == nil {
		return
	}
	var batch []apitype.StationEvent
	flush := func() {
		if len(batch) > 0 {
			s.send(ctx, batch)
			batch = batch[:0]
		}
	}
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			flush()
			return
		case e, ok := <-s.opt.Events:
			if !ok {
				flush()
				return
			}
			if e.Type == apitype.EventJob || e.Type == apitype.EventPrinter {
				s.roomChanged()
			}
			switch e.Type {
			case apitype.EventJob, apitype.EventPrinter, apitype.EventShipment, apitype.EventScan, apitype.EventLagged:
				batch = append(batch, apitype.StationEvent{Station: s.cfg.Station, Event: e})
			}
			if len(batch) >= 256 {
				flush()
			}
		case <-t.C:
			flush()
		}
	}
}

// entry makes an event an outbox entry with its dedupe id: the station,
// this run and a sequence (a rejection: the message's stream sequence, so
// rejecting a redelivered message again is one event).
func (s *Station) entry(e apitype.StationEvent) (outboxEntry, error) {
	data, err := json.Marshal(e)
	if err != nil {
		return outboxEntry{}, err
	}
	s.mu.Lock()
	s.idSeq++
	n := s.idSeq
	s.mu.Unlock()
	ent := outboxEntry{Subject: s.eventSubject(string(e.Type)), ID: fmt.Sprintf("%s-%s-%d", s.cfg.Station, s.run, n), Data: data}
	if e.Rejected != nil {
		ent.ID = fmt.Sprintf("%s-rejected-%d", s.cfg.Station, e.Rejected.Sequence)
	}
	return ent, nil
}

// send publishes events straight from memory while the servers answer and
// nothing older waits in the outbox (no disk write in the way of the jobs'
// own); otherwise, or when the stream does not confirm them, they go to
// the outbox, which publishes them in order later (a repeat of one that
// did arrive is dropped by its id).
func (s *Station) send(ctx context.Context, events []apitype.StationEvent) {
	ents := make([]outboxEntry, 0, len(events))
	for _, e := range events {
		ent, err := s.entry(e)
		if err != nil {
			s.opt.Log.Warn("nats: event not kept", "err", err)
			continue
		}
		ents = append(ents, ent)
	}
	s.mu.Lock()
	js, nc := s.js, s.nc
	s.mu.Unlock()
	if js != nil && nc != nil && nc.IsConnected() && s.Buffered() == 0 {
		if s.publish(ctx, js, ents) == len(ents) {
			return
		}
	}
	s.keep(ents)
}

// publish sends entries asynchronously and waits for the stream's
// acknowledgements; it returns how many of the first entries are
// confirmed, in order.
func (s *Station) publish(ctx context.Context, js jetstream.JetStream, ents []outboxEntry) int {
	futures := make([]jetstream.PubAckFuture, 0, len(ents))
	for _, e := range ents {
		f, err := js.PublishAsync(e.Subject, e.Data, jetstream.WithMsgID(e.ID))
		if err != nil {
			break
		}
		futures = append(futures, f)
	}
	timeout := time.NewTimer(5 * time.Second)
	defer timeout.Stop()
	for i, f := range futures {
		select {
		case <-f.Ok():
		case <-f.Err():
			return i
		case <-timeout.C:
			return i
		case <-ctx.Done():
			return i
		}
	}
	return len(futures)
}

// enqueue keeps events in the outbox (a rejection while the servers are
// away, say).
func (s *Station) enqueue(events ...apitype.StationEvent) {
	ents := make([]outboxEntry, 0, len(events))
	for _, e := range events {
		if ent, err := s.entry(e); err == nil {
			ents = append(ents, ent)
		}
	}
	s.keep(ents)
}

// keep writes entries to the outbox, dropping the oldest beyond the bound
// (nats.event_buffer): counted, logged, and reported in the station's
// status and state.
func (s *Station) keep(ents []outboxEntry) {
	if len(ents) == 0 {
		return
	}
	dropped := 0
	err := s.opt.DB.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOutbox)
		for _, ent := range ents {
			s.mu.Lock()
			s.outSeq++
			seq := s.outSeq
			s.mu.Unlock()
			buf, err := json.Marshal(ent)
			if err != nil {
				return err
			}
			var k [8]byte
			binary.BigEndian.PutUint64(k[:], seq)
			if err := b.Put(k[:], buf); err != nil {
				return err
			}
		}
		// Bound the outbox: the oldest go first.
		s.mu.Lock()
		n := s.outN + len(ents)
		s.mu.Unlock()
		if max := s.cfg.EventBuffer; max > 0 && n > max {
			// (First again after each Delete: Next after a Delete skips a key.)
			c := b.Cursor()
			for k, _ := c.First(); k != nil && n > max; k, _ = c.First() {
				if err := c.Delete(); err != nil {
					return err
				}
				n--
				dropped++
			}
		}
		// Set under bolt's writer lock, so the next transaction sees it.
		s.mu.Lock()
		s.outN = n
		s.mu.Unlock()
		return nil
	})
	if err != nil {
		s.opt.Log.Warn("nats: events not kept", "err", err)
		s.countOutbox()
		return
	}
	if dropped > 0 {
		s.mu.Lock()
		s.dropped += int64(dropped)
		total := s.dropped
		s.mu.Unlock()
		s.opt.Log.Warn("nats: event buffer full, oldest events dropped", "dropped", dropped, "dropped_total", total, "event_buffer", s.cfg.EventBuffer)
	}
	s.kick()
}

// Dropped is how many events this run dropped because the outbox was full.
func (s *Station) Dropped() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// Buffered is how many events wait for the servers.
func (s *Station) Buffered() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.outN
}

// countOutbox counts the outbox's entries and finds its last key (at the
// start, and after a failed write).
func (s *Station) countOutbox() {
	_ = s.opt.DB.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOutbox)
		n := b.Stats().KeyN
		k, _ := b.Cursor().Last()
		s.mu.Lock()
		defer s.mu.Unlock()
		s.outN = n
		if k != nil {
			s.outSeq = max(s.outSeq, binary.BigEndian.Uint64(k))
		}
		return nil
	})
}

// publishLoop publishes the outbox in order while the servers answer.
func (s *Station) publishLoop(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		if err := s.publishPending(ctx); err != nil && ctx.Err() == nil {
			s.opt.Log.Debug("nats: events wait", "buffered", s.Buffered(), "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wakePub:
		case <-t.C:
		}
	}
}

func (s *Station) publishPending(ctx context.Context) error {
	s.mu.Lock()
	js, nc := s.js, s.nc
	s.mu.Unlock()
	if js == nil || nc == nil || !nc.IsConnected() {
		return i18n.E("stationwords.not_connected")
	}
	for ctx.Err() == nil {
		var keys [][]byte
		var ents []outboxEntry
		_ = s.opt.DB.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bucketOutbox).Cursor()
			for k, v := c.First(); k != nil && len(keys) < 256; k, v = c.Next() {
				var e outboxEntry
				if json.Unmarshal(v, &e) == nil {
					keys = append(keys, append([]byte(nil), k...))
					ents = append(ents, e)
				}
			}
			return nil
		})
		if len(keys) == 0 {
			return nil
		}
		// Publish asynchronously, then wait for every acknowledgement; the
		// entries go from the outbox only once the stream has them.
		if done := s.publish(ctx, js, ents); done < len(ents) {
			return s.dropPublished(keys[:done], fmt.Errorf("%d of %d events not confirmed", len(ents)-done, len(ents)))
		}
		if err := s.dropPublished(keys, nil); err != nil {
			return err
		}
	}
	return nil
}

// dropPublished removes published entries (a prefix of the outbox).
func (s *Station) dropPublished(keys [][]byte, cause error) error {
	if len(keys) > 0 {
		if err := s.opt.DB.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketOutbox)
			gone := 0
			for _, k := range keys {
				if b.Get(k) == nil {
					continue // dropped meanwhile to bound the outbox
				}
				if err := b.Delete(k); err != nil {
					return err
				}
				gone++
			}
			s.mu.Lock()
			s.outN -= gone
			s.mu.Unlock()
			return nil
		}); err != nil {
			s.countOutbox()
			return err
		}
	}
	return cause
}

// heartbeatLoop writes the station's state into the bucket.
func (s *Station) heartbeatLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.Heartbeat)
	defer t.Stop()
	for {
		if err := s.heartbeat(ctx); err != nil && ctx.Err() == nil {
			s.opt.Log.Debug("nats: heartbeat", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Station) bucket(ctx context.Context) (jetstream.KeyValue, error) {
	s.mu.Lock()
	kv, js := s.kv, s.js
	s.mu.Unlock()
	if kv != nil {
		return kv, nil
	}
	if js == nil {
		return nil, i18n.E("stationwords.not_connected")
	}
	kv, err := keyValue(ctx, js, jetstream.KeyValueConfig{Bucket: s.cfg.Bucket, TTL: 3 * s.cfg.Heartbeat,
		Storage: jetstream.FileStorage, History: 1, Replicas: s.cfg.Replicas})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.kv = kv
	s.mu.Unlock()
	return kv, nil
}

// State is the station's own entry.
func (s *Station) State() apitype.StationState {
	st := apitype.StationState{Station: s.cfg.Station, Pools: s.cfg.Pools, Version: s.opt.Version,
		Heartbeat: s.opt.Now().UTC(), Buffered: s.Buffered(), Dropped: s.Dropped(), Printers: []apitype.StationPrinter{}}
	if s.opt.Printers != nil {
		for _, p := range s.opt.Printers() {
			state := string(p.Status.State)
			if p.Paused {
				state = "paused"
			}
			st.Printers = append(st.Printers, apitype.StationPrinter{Name: p.Name, Ready: !p.Paused && p.Status.CanPrint(),
				State: state, Queued: p.Queued})
			st.Queued += p.Queued
		}
	}
	return st
}

func (s *Station) heartbeat(ctx context.Context) error {
	kv, err := s.bucket(ctx)
	if err != nil {
		return err
	}
	data, err := json.Marshal(s.State())
	if err != nil {
		return err
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err = kv.Put(pctx, s.cfg.Station, data)
	return err
}

// Stations lists every station the bucket knows (the live ones: an entry
// expires three heartbeats after its last write).
func (s *Station) Stations(ctx context.Context) apitype.StationList {
	out := apitype.StationList{Stations: []apitype.StationState{}, Buffered: s.Buffered(), Dropped: s.Dropped()}
	s.mu.Lock()
	nc := s.nc
	s.mu.Unlock()
	if nc != nil && nc.IsConnected() {
		out.Connected, out.Server = true, nc.ConnectedUrlRedacted()
	}
	kv, err := s.bucket(ctx)
	if err != nil {
		out.Error, out.ErrorID, out.ErrorArgs = i18n.KeepErr(err)
		return out
	}
	keys, err := kv.ListKeys(ctx)
	if err != nil {
		out.Error, out.ErrorID, out.ErrorArgs = i18n.KeepErr(i18n.Wrap(err, "stationwords.list"))
		return out
	}
	for k := range keys.Keys() {
		e, err := kv.Get(ctx, k)
		if err != nil {
			continue
		}
		var st apitype.StationState
		if json.Unmarshal(e.Value(), &st) == nil {
			out.Stations = append(out.Stations, st)
		}
	}
	sort.Slice(out.Stations, func(i, j int) bool { return out.Stations[i].Station < out.Stations[j].Station })
	return out
}
