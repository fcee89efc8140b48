// Package apitype holds the JSON types of the agent's control API, shared by
// the server (agent/api) and its clients (agent/client, the CLI, the tray).
// It depends on nothing but the standard library and printer's status model.
package apitype

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labelagent/labelagent/printer"
)

// Kind is what a job's payload is.
type Kind string

// Payload kinds.
const (
	KindZPL Kind = "zpl" // printer language, sent as is (completed for the media)
	KindRaw Kind = "raw" // any bytes, sent unchanged
	KindPDF Kind = "pdf" // rendered for the printer
	KindPNG Kind = "png" // converted for the printer
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	switch k {
	case KindZPL, KindRaw, KindPDF, KindPNG:
		return true
	}
	return false
}

// JobState is where a job is in its life.
type JobState string

// States: queued → preparing → printing → done | failed | cancelled.
// A held job is queued for a printer that cannot print right now.
const (
	StateQueued    JobState = "queued"
	StatePreparing JobState = "preparing"
	StatePrinting  JobState = "printing"
	StateDone      JobState = "done"
	StateFailed    JobState = "failed"
	StateCancelled JobState = "cancelled"
)

// Terminal reports whether a job in state s will not change by itself.
func (s JobState) Terminal() bool {
	return s == StateDone || s == StateFailed || s == StateCancelled
}

// Job is one print job.
type Job struct {
	ID             string     `json:"id"`
	Source         string     `json:"source"`
	Printer        string     `json:"printer"`
	Kind           Kind       `json:"kind"`
	PayloadSHA256  string     `json:"payload_sha256"`
	PayloadSize    int64      `json:"payload_size"`
	Copies         int        `json:"copies"`
	IdempotencyKey string     `json:"idempotency_key,omitempty"`
	Name           string     `json:"name,omitempty"` // what the operator sees, e.g. an order number
	State          JobState   `json:"state"`
	Attempts       int        `json:"attempts"`
	LastError      string     `json:"last_error,omitempty"`
	Created        time.Time  `json:"created"`
	Updated        time.Time  `json:"updated"`
	Finished       *time.Time `json:"finished,omitempty"`
	// Wait says why a job that is not finished is not printing now; nil
	// while it prints or is next with nothing in its way. It is worked out
	// when the job is read, never stored.
	Wait *WaitReason `json:"wait,omitempty"`
	// Sending is the queue's durable mark, written before the first byte
	// of the job goes to the printer, of what the printer's label counter
	// said then. After a crash the restarted agent asks the printer how
	// far its counter went instead of sending the job blindly again.
	Sending *JobSending `json:"sending,omitempty"`
	History []Change    `json:"history,omitempty"`
	// LastErrorID and LastErrorArgs are LastError's catalog message and
	// its arguments (as in Change); LastError is in the reader's language
	// (Accept-Language) where they are set. Empty for a job recorded
	// before, or for words that are not the agent's (a printer's, the
	// system's), which are shown as they are.
	LastErrorID   string         `json:"last_error_id,omitempty"`
	LastErrorArgs map[string]any `json:"last_error_args,omitempty"`
}

// JobSending is what the queue records before it sends a job's first byte.
type JobSending struct {
	Since time.Time `json:"since"`
	// Labels the job makes; 0 where the printer cannot count them (raw
	// data, printers that do not report their buffer).
	Labels int `json:"labels"`
	// OdometerBefore is the printer's life-time label counter read right
	// before the first byte; nil for a printer without one.
	OdometerBefore *int64 `json:"odometer_before,omitempty"`
	// Written: every byte was handed to the printer (recorded only where
	// no counter can tell later).
	Written bool `json:"written,omitempty"`
}

// WaitReason says why a queued job is not printing now.
type WaitReason struct {
	Code    string    `json:"code"` // one of the Wait* codes below
	Printer string    `json:"printer"`
	Detail  string    `json:"detail,omitempty"` // the printer's/OS's own words, e.g. the last dial error
	Ahead   string    `json:"ahead,omitempty"`  // for "behind": id of the job printing first
	Since   time.Time `json:"since"`
	// DetailID and DetailArgs are Detail's catalog message where the words
	// are the agent's (as in Change); Detail is then in the reader's
	// language.
	DetailID   string         `json:"detail_id,omitempty"`
	DetailArgs map[string]any `json:"detail_args,omitempty"`
}

// Wait codes: machine-readable reasons a job waits; the catalog key for
// their words is "wait.<code>".
const (
	WaitPaused            = "paused"             // the operator paused the printer, or it paused itself
	WaitPaperOut          = "paper_out"          // out of labels
	WaitHeadOpen          = "head_open"          // print head open
	WaitRibbonOut         = "ribbon_out"         // out of ribbon
	WaitPrinterError      = "printer_error"      // another fault the printer reports (Detail says which)
	WaitUnreachable       = "unreachable"        // cannot talk to the printer (Detail: the last error)
	WaitBehind            = "behind"             // another job prints first (Ahead)
	WaitPreparingRenderer = "preparing_renderer" // the PDF renderer is starting
)

// Change is one step of a job's history.
type Change struct {
	At    time.Time `json:"at"`
	State JobState  `json:"state"`
	Note  string    `json:"note,omitempty"` // in the reader's language (Accept-Language)
	// ID and Args are Note's catalog message and its arguments (a message
	// inside them is {"id", "args"} again), for clients that word it
	// themselves; empty for steps recorded before.
	ID   string         `json:"id,omitempty"`
	Args map[string]any `json:"args,omitempty"`
}

// SubmitRequest creates a job. Payload is base64 in JSON; the raw-body form
// of the endpoint takes the same fields as query parameters.
type SubmitRequest struct {
	Printer        string `json:"printer,omitempty"` // empty: the default printer
	Kind           Kind   `json:"kind"`
	Payload        []byte `json:"payload"`
	Copies         int    `json:"copies,omitempty"` // 0 means 1
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	Source         string `json:"source,omitempty"`
	Name           string `json:"name,omitempty"`
}

// SubmitResponse answers a submission. Existing is true when the
// idempotency key matched an earlier job, which is returned instead.
type SubmitResponse struct {
	Job      Job  `json:"job"`
	Existing bool `json:"existing"`
}

// JobList is a page of jobs, newest first.
type JobList struct {
	Jobs []Job `json:"jobs"`
}

// Printer is a configured printer and how it is.
type Printer struct {
	Name        string         `json:"name"`
	Transport   string         `json:"transport"`
	Address     string         `json:"address,omitempty"` // device, host:port, queue or folder
	Default     bool           `json:"default"`
	Paused      bool           `json:"paused"`
	Status      printer.Status `json:"status"`
	StatusSince time.Time      `json:"status_since"`
	Queued      int            `json:"queued"`            // jobs waiting, including the one printing
	Current     string         `json:"current,omitempty"` // id of the job being printed
}

// PrinterList is every configured printer.
type PrinterList struct {
	Printers []Printer `json:"printers"`
}

// Health is the agent's self-report.
type Health struct {
	OK        bool      `json:"ok"`
	Version   string    `json:"version"`
	Started   time.Time `json:"started"`
	DataDir   string    `json:"data_dir"`
	OutputDir string    `json:"output_dir,omitempty"`
	Config    string    `json:"config"`
	// Dashboard is the operator's dashboard in a browser
	// (http://127.0.0.1:9181/dashboard/); empty while the browser surface
	// is off or could not listen.
	Dashboard string `json:"dashboard,omitempty"`
}

// EventType names what changed.
type EventType string

// Event types.
const (
	EventJob     EventType = "job"
	EventPrinter EventType = "printer"
	// EventFranking: an Online Franking cart changed.
	EventFranking EventType = "franking"
	// EventShipment: a shipment of the journal changed (created, printed,
	// cancelled, closed out, tracked).
	EventShipment EventType = "shipment"
	// EventScan: an order was scanned at the packing station.
	EventScan EventType = "scan"
	// EventLagged tells a slow subscriber that it missed events and should
	// reload its view.
	EventLagged EventType = "lagged"
)

// Event is one change, as sent on the event stream.
type Event struct {
	Seq     uint64    `json:"seq"`
	Type    EventType `json:"type"`
	At      time.Time `json:"at"`
	Job     *Job      `json:"job,omitempty"`
	Printer *Printer  `json:"printer,omitempty"`
	// Franking is set for EventFranking.
	Franking *FrankingCart `json:"franking,omitempty"`
	// Shipment is set for EventShipment (without history).
	Shipment *Shipment `json:"shipment,omitempty"`
	// Scan is set for EventScan.
	Scan *ScanResult `json:"scan,omitempty"`
}

// Error is the body of every error answer. Message is in the language the
// request's Accept-Language asked for (German or English); ID and Args name
// the message catalog entry (agent/i18n), so a client can word it itself.
type Error struct {
	Status  int            `json:"status"`
	Code    string         `json:"code"` // machine-readable: bad_request, unauthorized, not_found, …
	Message string         `json:"message"`
	ID      string         `json:"id,omitempty"`   // catalog id, e.g. "api.no_api_key"
	Args    map[string]any `json:"args,omitempty"` // the message's arguments by name
}

// Error codes.
const (
	CodeBadRequest     = "bad_request"
	CodeUnauthorized   = "unauthorized"
	CodeForbidden      = "forbidden"
	CodeNotFound       = "not_found"
	CodeConflict       = "conflict"
	CodeTooLarge       = "payload_too_large"
	CodeUnavailable    = "unavailable"
	CodeInternal       = "internal"
	CodeUnknownPrinter = "unknown_printer"
	CodeKeyReused      = "idempotency_key_reused" // 422: same key, different payload, printer, kind or copies
)

// Header names.
const (
	HeaderAPIKey = "X-Labelagent-Key"
)

// Printable escapes what a terminal or a log would take for a command in
// text from outside (a job's name, source, key, an error): control
// characters, bidirectional overrides and bytes that are not UTF-8 become
// Go escapes (\x1b, \u202e). The agent refuses such names at submission;
// this keeps jobs stored before that, and printers' own words, harmless.
func Printable(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i, w := 0, 0; i < len(s); i += w {
		r, size := utf8.DecodeRuneInString(s[i:])
		w = size
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
	}
	return b.String()
}
