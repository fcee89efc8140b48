// Package client is the typed Go client of the agent's control API, used by
// the CLI and the tray. The zero Client works: it talks to the default
// address and reads the API key from the agent's data directory.
package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/labelagent/labelagent/agent/apikey"
	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/agent/i18n"
)

// Client talks to one agent.
type Client struct {
	// Addr is the agent's host:port (default 127.0.0.1:9180, or $LABELAGENT_LISTEN).
	Addr string
	// Key is the API key; empty: read api.key from DataDir.
	Key string
	// DataDir holds api.key; empty: where the installed service or a
	// user's agent keeps it (config.ClientDataDir).
	DataDir string
	// Lang is the language for the agent's error messages ("de", "en"),
	// sent as Accept-Language; empty: the agent's own.
	Lang string
	// HTTP is the HTTP client (default: one without a timeout, since the
	// event stream stays open; calls are bounded by their contexts).
	HTTP *http.Client

	mu  sync.Mutex
	key string
}

// APIError is an error answer from the agent.
type APIError struct {
	Status  int
	Code    string
	Message string // in the language of Client.Lang
	ID      string // catalog id of the message (empty from older agents)
	Args    map[string]any
}

func (e *APIError) Error() string { return e.Message }

// NotRunningError means nothing answers at the agent's address.
type NotRunningError struct {
	Addr string
	Err  error
}

func (e *NotRunningError) Error() string { return e.words().Error() }

func (e *NotRunningError) words() *i18n.Error { return i18n.E("client.not_running", "addr", e.Addr) }

// Unwrap gives the catalog words (so the reader's language is used) and
// the dial error.
func (e *NotRunningError) Unwrap() []error { return []error{e.words(), e.Err} }

// IsNotFound reports whether err is a 404 from the agent.
func IsNotFound(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

func (c *Client) addr() string {
	if c.Addr != "" {
		return c.Addr
	}
	return DefaultAddr()
}

// DefaultAddr is $LABELAGENT_LISTEN or the default control address.
func DefaultAddr() string {
	if a := envListen(); a != "" {
		return a
	}
	return config.DefaultListen
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

func (c *Client) apiKey() (string, error) {
	if c.Key != "" {
		return c.Key, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.key != "" {
		return c.key, nil
	}
	dir := c.DataDir
	if dir == "" {
		dir = config.ClientDataDir()
	}
	k, err := apikey.Read(dir)
	if err != nil {
		return "", i18n.Wrap(err, "client.no_key", "dir", dir)
	}
	c.key = k
	return k, nil
}

// Do sends a request to path (under /api/v1) and decodes a JSON answer into
// out (unless nil). body is sent with contentType. Extension packages use it
// for their endpoints.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body io.Reader, contentType string, out any) error {
	resp, err := c.send(ctx, method, path, query, body, contentType, true)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("read labelagent's answer to %s %s: %w", method, path, err)
	}
	return nil
}

func (c *Client) send(ctx context.Context, method, path string, query url.Values, body io.Reader, contentType string, auth bool) (*http.Response, error) {
	u := url.URL{Scheme: "http", Host: c.addr(), Path: "/api/v1" + path}
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.Lang != "" {
		req.Header.Set("Accept-Language", c.Lang)
	}
	if auth {
		key, err := c.apiKey()
		if err != nil {
			return nil, err
		}
		req.Header.Set(apitype.HeaderAPIKey, key)
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		if isRefused(err) {
			return nil, &NotRunningError{Addr: c.addr(), Err: err}
		}
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 400 {
		defer resp.Body.Close()
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		var e apitype.Error
		if json.Unmarshal(data, &e) != nil || e.Message == "" {
			e = apitype.Error{Status: resp.StatusCode, Code: "http_" + strconv.Itoa(resp.StatusCode), Message: strings.TrimSpace(string(data))}
		}
		return nil, &APIError{Status: resp.StatusCode, Code: e.Code, Message: e.Message, ID: e.ID, Args: e.Args}
	}
	return resp, nil
}

func isRefused(err error) bool {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// Health asks whether the agent is up; it needs no key.
func (c *Client) Health(ctx context.Context) (apitype.Health, error) {
	var h apitype.Health
	resp, err := c.send(ctx, http.MethodGet, "/health", nil, nil, "", false)
	if err != nil {
		return h, err
	}
	defer resp.Body.Close()
	return h, json.NewDecoder(resp.Body).Decode(&h)
}

// Submit sends a job (as a raw body: no base64) and returns it once the
// agent has stored it durably.
func (c *Client) Submit(ctx context.Context, req apitype.SubmitRequest) (apitype.SubmitResponse, error) {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("printer", req.Printer)
	set("kind", string(req.Kind))
	set("idempotency_key", req.IdempotencyKey)
	set("name", req.Name)
	set("source", req.Source)
	if req.Copies != 0 {
		q.Set("copies", strconv.Itoa(req.Copies))
	}
	var out apitype.SubmitResponse
	err := c.Do(ctx, http.MethodPost, "/jobs", q, bytes.NewReader(req.Payload), "application/octet-stream", &out)
	return out, err
}

// JobsQuery filters Jobs.
type JobsQuery struct {
	Printer string
	State   apitype.JobState
	Limit   int
	Before  string
}

// Jobs lists jobs, newest first.
func (c *Client) Jobs(ctx context.Context, f JobsQuery) ([]apitype.Job, error) {
	q := url.Values{}
	if f.Printer != "" {
		q.Set("printer", f.Printer)
	}
	if f.State != "" {
		q.Set("state", string(f.State))
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	if f.Before != "" {
		q.Set("before", f.Before)
	}
	var out apitype.JobList
	err := c.Do(ctx, http.MethodGet, "/jobs", q, nil, "", &out)
	return out.Jobs, err
}

// Job returns one job with its history.
func (c *Client) Job(ctx context.Context, id string) (apitype.Job, error) {
	var j apitype.Job
	err := c.Do(ctx, http.MethodGet, "/jobs/"+url.PathEscape(id), nil, nil, "", &j)
	return j, err
}

// Payload returns the bytes a job was submitted with.
func (c *Client) Payload(ctx context.Context, id string) ([]byte, error) {
	resp, err := c.send(ctx, http.MethodGet, "/jobs/"+url.PathEscape(id)+"/payload", nil, nil, "", true)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

// Cancel cancels a job.
func (c *Client) Cancel(ctx context.Context, id string) (apitype.Job, error) {
	var j apitype.Job
	err := c.Do(ctx, http.MethodPost, "/jobs/"+url.PathEscape(id)+"/cancel", nil, nil, "", &j)
	return j, err
}

// Retry queues a finished job again.
func (c *Client) Retry(ctx context.Context, id string) (apitype.Job, error) {
	var j apitype.Job
	err := c.Do(ctx, http.MethodPost, "/jobs/"+url.PathEscape(id)+"/retry", nil, nil, "", &j)
	return j, err
}

// Printers lists the configured printers with their status.
func (c *Client) Printers(ctx context.Context) ([]apitype.Printer, error) {
	var out apitype.PrinterList
	err := c.Do(ctx, http.MethodGet, "/printers", nil, nil, "", &out)
	return out.Printers, err
}

// Printer reports one printer.
func (c *Client) Printer(ctx context.Context, name string) (apitype.Printer, error) {
	var p apitype.Printer
	err := c.Do(ctx, http.MethodGet, "/printers/"+url.PathEscape(name), nil, nil, "", &p)
	return p, err
}

// PausePrinter stops a printer taking jobs.
func (c *Client) PausePrinter(ctx context.Context, name string) (apitype.Printer, error) {
	var p apitype.Printer
	err := c.Do(ctx, http.MethodPost, "/printers/"+url.PathEscape(name)+"/pause", nil, nil, "", &p)
	return p, err
}

// ResumePrinter resumes a paused printer.
func (c *Client) ResumePrinter(ctx context.Context, name string) (apitype.Printer, error) {
	var p apitype.Printer
	err := c.Do(ctx, http.MethodPost, "/printers/"+url.PathEscape(name)+"/resume", nil, nil, "", &p)
	return p, err
}

// EventStream is an open stream of agent events.
type EventStream struct {
	body io.ReadCloser
	sc   *bufio.Scanner
	ctx  context.Context
}

// Events opens the event stream; it returns once the agent has accepted
// it, so anything that changes afterwards will be seen. Close it when done.
func (c *Client) Events(ctx context.Context) (*EventStream, error) {
	resp, err := c.send(ctx, http.MethodGet, "/events", nil, nil, "", true)
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	return &EventStream{body: resp.Body, sc: sc, ctx: ctx}, nil
}

// Next waits for the next event. It returns io.EOF when the agent closes
// the stream (it is stopping). An EventLagged means events were missed:
// reload what you show.
func (s *EventStream) Next() (apitype.Event, error) {
	var data []byte
	for s.sc.Scan() {
		line := s.sc.Bytes()
		switch {
		case len(line) == 0 && len(data) > 0:
			var e apitype.Event
			if err := json.Unmarshal(data, &e); err != nil {
				return e, fmt.Errorf("bad event from labelagent: %w", err)
			}
			return e, nil
		case bytes.HasPrefix(line, []byte("data: ")):
			data = append(data, line[len("data: "):]...)
		}
	}
	if err := s.ctx.Err(); err != nil {
		return apitype.Event{}, err
	}
	if err := s.sc.Err(); err != nil {
		return apitype.Event{}, err
	}
	return apitype.Event{}, io.EOF
}

// Close ends the stream.
func (s *EventStream) Close() error { return s.body.Close() }

// WatchEvents streams events to fn until ctx ends, fn returns an error, or
// the agent closes the stream (io.EOF).
func (c *Client) WatchEvents(ctx context.Context, fn func(apitype.Event) error) error {
	s, err := c.Events(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	for {
		e, err := s.Next()
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
}
