package apitype

import "time"

// SourceStatus is how a job source (hot folder, feed, NATS) is doing.
type SourceStatus struct {
	Name  string `json:"name"`
	Kind  string `json:"kind"`  // hot_folder, feed, nats
	Where string `json:"where"` // folder, URL, server
	// State is running, waiting (backing off after a failure) or down.
	State       string     `json:"state"`
	LastError   string     `json:"last_error,omitempty"`
	LastErrorAt *time.Time `json:"last_error_at,omitempty"`
	// LastErrorID and LastErrorArgs are LastError's catalog message and
	// its arguments (as in Change); LastError is in the reader's language
	// where they are set.
	LastErrorID   string         `json:"last_error_id,omitempty"`
	LastErrorArgs map[string]any `json:"last_error_args,omitempty"`
	LastOK        *time.Time     `json:"last_ok,omitempty"`
	Delivered     int64          `json:"delivered"` // jobs put in the queue
	Duplicates    int64          `json:"duplicates"`
	Rejected      int64          `json:"rejected"` // entries that can never print
}

// SourceList is every configured source.
type SourceList struct {
	Sources []SourceStatus `json:"sources"`
}
