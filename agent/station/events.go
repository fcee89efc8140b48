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
			s.enqueue(batch...)
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

// enqueue writes events to the outbox, dropping the oldest beyond the
// bound.
func (s *Station) enqueue(events ...apitype.StationEvent) {
	if len(events) == 0 {
		return
	}
	err := s.opt.DB.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOutbox)
		for _, e := range events {
			s.mu.Lock()
			s.outSeq++
			seq := s.outSeq
			s.mu.Unlock()
			data, err := json.Marshal(e)
			if err != nil {
				return err
			}
			kind := string(e.Type)
			ent := outboxEntry{Subject: s.eventSubject(kind), ID: fmt.Sprintf("%s-%d-%d", s.cfg.Station, e.Seq, seq), Data: data}
			if e.Rejected != nil {
				ent.ID = fmt.Sprintf("%s-rejected-%d", s.cfg.Station, e.Rejected.Sequence)
			}
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
		if max := s.cfg.EventBuffer; max > 0 {
			over := b.Stats().KeyN - max
			c := b.Cursor()
			for k, _ := c.First(); k != nil && over > 0; k, _ = c.Next() {
				if err := c.Delete(); err != nil {
					return err
				}
				over--
				s.mu.Lock()
				s.dropped++
				s.mu.Unlock()
			}
		}
		return nil
	})
	if err != nil {
		s.opt.Log.Warn("nats: events not kept", "err", err)
		return
	}
	s.kick()
}

// Buffered is how many events wait for the servers.
func (s *Station) Buffered() int {
	n := 0
	_ = s.opt.DB.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketOutbox).Stats().KeyN
		return nil
	})
	return n
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
		return fmt.Errorf("not connected")
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
		futures := make([]jetstream.PubAckFuture, len(ents))
		for i, e := range ents {
			f, err := js.PublishAsync(e.Subject, e.Data, jetstream.WithMsgID(e.ID))
			if err != nil {
				return err
			}
			futures[i] = f
		}
		done := 0
		for _, f := range futures {
			select {
			case <-f.Ok():
				done++
			case err := <-f.Err():
				return s.dropPublished(keys[:done], err)
			case <-time.After(5 * time.Second):
				return s.dropPublished(keys[:done], fmt.Errorf("no acknowledgement"))
			case <-ctx.Done():
				return s.dropPublished(keys[:done], ctx.Err())
			}
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
			for _, k := range keys {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
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
		return nil, fmt.Errorf("not connected")
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
		Heartbeat: s.opt.Now().UTC(), Buffered: s.Buffered(), Printers: []apitype.StationPrinter{}}
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
	out := apitype.StationList{Stations: []apitype.StationState{}}
	s.mu.Lock()
	nc := s.nc
	s.mu.Unlock()
	if nc != nil && nc.IsConnected() {
		out.Connected, out.Server = true, nc.ConnectedUrlRedacted()
	}
	kv, err := s.bucket(ctx)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	keys, err := kv.ListKeys(ctx)
	if err != nil {
		out.Error = err.Error()
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
