package apitype

import "time"

// JobMessage is a job sent to a station or a pool over NATS, on
// PREFIX.jobs.station.NAME or PREFIX.jobs.pool.POOL. Its idempotency key is
// the Nats-Msg-Id header when the sender sets one, else the stream
// sequence, so a redelivery is the same job.
type JobMessage struct {
	Printer string `json:"printer,omitempty"` // empty: nats.printer, else the default printer
	Kind    Kind   `json:"kind"`              // zpl (default), raw, pdf, png
	Payload []byte `json:"payload"`           // base64 in JSON
	Copies  int    `json:"copies,omitempty"`
	Name    string `json:"name,omitempty"`
}

// StationEvent is what a station publishes on PREFIX.events.STATION.TYPE:
// the agent's event (job, printer, shipment, scan) or a rejected message.
type StationEvent struct {
	Station string `json:"station"`
	Event
	// Rejected is set on PREFIX.events.STATION.rejected: a message that can
	// never be a job, terminated with this reason.
	Rejected *RejectedMessage `json:"rejected,omitempty"`
}

// RejectedMessage names a message a station refused for good.
type RejectedMessage struct {
	Subject  string `json:"subject"`
	Sequence uint64 `json:"sequence"`
	MsgID    string `json:"msg_id,omitempty"`
	// Reason stays English for machines (it is also the reason the
	// message was terminated with); ReasonID and ReasonArgs are its
	// catalog message and arguments (as in Change), for a consumer that
	// words it for people in their language.
	Reason     string         `json:"reason"`
	ReasonID   string         `json:"reason_id,omitempty"`
	ReasonArgs map[string]any `json:"reason_args,omitempty"`
}

// StationState is a station's entry in the key-value bucket, rewritten
// every heartbeat; the bucket forgets a station three heartbeats after its
// last write.
type StationState struct {
	Station   string           `json:"station"`
	Pools     []string         `json:"pools,omitempty"`
	Version   string           `json:"version"`
	Printers  []StationPrinter `json:"printers"`
	Queued    int              `json:"queued"`
	Heartbeat time.Time        `json:"heartbeat"`
	// Buffered is how many events wait for the server (it was away).
	Buffered int `json:"buffered"`
	// Dropped is how many events the station lost since it started
	// because more were made while the server was away than
	// nats.event_buffer keeps (the oldest went first).
	Dropped int64 `json:"dropped,omitempty"`
}

// StationPrinter is one printer in a station's state.
type StationPrinter struct {
	Name   string `json:"name"`
	Ready  bool   `json:"ready"`
	State  string `json:"state"` // ready, paused, paper_out, head_open, unreachable, …
	Queued int    `json:"queued"`
}

// StationList is every station the bucket knows.
type StationList struct {
	Stations []StationState `json:"stations"`
	// Connected says whether this station reaches the servers now.
	Connected bool   `json:"connected"`
	Server    string `json:"server,omitempty"`
	Error     string `json:"error,omitempty"`
	// ErrorID and ErrorArgs are Error's catalog message and its arguments
	// (as in Change); the control API words Error in the reader's
	// language where they are set.
	ErrorID   string         `json:"error_id,omitempty"`
	ErrorArgs map[string]any `json:"error_args,omitempty"`
	// Buffered and Dropped are this station's events waiting for the
	// server and lost to a full buffer (see StationState).
	Buffered int   `json:"buffered"`
	Dropped  int64 `json:"dropped,omitempty"`
}
