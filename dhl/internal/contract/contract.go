// Package contract checks HTTP traffic against the carriers' official OpenAPI
// contracts in ../shared/specs, so that the clients and the simulators are
// held to the same document the live services publish.
package contract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// The contract files in ../shared/specs.
const (
	ParcelShipping = "parcel-de-shipping-v2.1.13.openapi.yaml"
	Internetmarke  = "internetmarke-v1.30.openapi.yaml"
)

// SpecPath returns the path of a contract file in ../shared/specs beside the
// module root, or skips the test with a clear message where it is absent (a
// clone without ../shared still passes).
func SpecPath(tb testing.TB, name string) string {
	tb.Helper()
	p, err := FindSpec(name)
	if err != nil {
		tb.Skipf("skipping contract check: %v (the contracts live in ../shared/specs beside the checkout)", err)
	}
	return p
}

// FindSpec looks for ../shared/specs/name above the working directory.
func FindSpec(name string) (string, error) {
	if dir := os.Getenv("LABELAGENT_SHARED"); dir != "" {
		p := filepath.Join(dir, "specs", name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, "..", "shared", "specs", name)
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("contract %s not found at %s", name, p)
			}
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("contract %s: module root not found", name)
		}
		dir = parent
	}
}

// Contract is a loaded OpenAPI document with a router over its paths.
type Contract struct {
	doc    *openapi3.T
	router routers.Router
	server *url.URL // the first server: requests are matched as if sent there
}

var loaded sync.Map // path -> *Contract; parsing a 2,000-line spec once per test binary is enough

// Load parses and validates the OpenAPI file at path.
func Load(path string) (*Contract, error) {
	if c, ok := loaded.Load(path); ok {
		return c.(*Contract), nil
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("load contract %s: %w", path, err)
	}
	if err := doc.Validate(context.Background(), openapi3.DisableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("contract %s is not valid OpenAPI: %w", path, err)
	}
	if len(doc.Servers) == 0 {
		return nil, fmt.Errorf("contract %s names no server", path)
	}
	srv, err := url.Parse(doc.Servers[0].URL)
	if err != nil {
		return nil, fmt.Errorf("contract %s: server URL: %w", path, err)
	}
	// Match only the first server so that a request is routed once.
	doc.Servers = doc.Servers[:1]
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("contract %s: %w", path, err)
	}
	c := &Contract{doc: doc, router: router, server: srv}
	loaded.Store(path, c)
	return c, nil
}

// MustLoad loads the contract named name from ../shared/specs or skips the test.
func MustLoad(tb testing.TB, name string) *Contract {
	tb.Helper()
	c, err := Load(SpecPath(tb, name))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// Doc is the parsed document (read-only).
func (c *Contract) Doc() *openapi3.T { return c.doc }

// route finds the operation for a request sent to any host under the
// contract's base path (a simulator on 127.0.0.1 serves the same paths).
func (c *Contract) route(r *http.Request) (*routers.Route, map[string]string, *http.Request, error) {
	u := *r.URL
	u.Scheme, u.Host = c.server.Scheme, c.server.Host
	rr := r.Clone(r.Context())
	rr.URL = &u
	rr.Host = c.server.Host
	route, params, err := c.router.FindRoute(rr)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s %s: not in the contract: %w", r.Method, r.URL.Path, err)
	}
	return route, params, rr, nil
}

// authenticate accepts a request that carries the credential a security
// scheme names; the simulator checks the values themselves.
func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	s := in.SecurityScheme
	h := in.RequestValidationInput.Request.Header
	switch s.Type {
	case "apiKey":
		switch s.In {
		case "header":
			if h.Get(s.Name) == "" {
				return fmt.Errorf("header %s missing", s.Name)
			}
		case "query":
			if in.RequestValidationInput.Request.URL.Query().Get(s.Name) == "" {
				return fmt.Errorf("query parameter %s missing", s.Name)
			}
		}
	case "http":
		want := strings.ToLower(s.Scheme)
		got := strings.ToLower(h.Get("Authorization"))
		if !strings.HasPrefix(got, want+" ") {
			return fmt.Errorf("authorization %s missing", s.Scheme)
		}
	case "oauth2", "openIdConnect":
		if !strings.HasPrefix(strings.ToLower(h.Get("Authorization")), "bearer ") {
			return errors.New("bearer token missing")
		}
	}
	return nil
}

func options() *openapi3filter.Options {
	return &openapi3filter.Options{
		AuthenticationFunc: authenticate,
		MultiError:         true,
	}
}

// ValidateRequest checks method, path, parameters, security and body of r.
// body is the request body (r.Body is not read).
func (c *Contract) ValidateRequest(r *http.Request, body []byte) error {
	route, params, rr, err := c.route(r)
	if err != nil {
		return err
	}
	rr.Body = io.NopCloser(bytes.NewReader(body))
	in := &openapi3filter.RequestValidationInput{Request: rr, PathParams: params, Route: route, Options: options()}
	if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
		return fmt.Errorf("request %s %s breaks the contract: %w", r.Method, r.URL.Path, err)
	}
	return nil
}

// ValidateResponse checks a response to r against the operation's declared
// responses: status, content type and body.
func (c *Contract) ValidateResponse(r *http.Request, reqBody []byte, status int, header http.Header, body []byte) error {
	route, params, rr, err := c.route(r)
	if err != nil {
		return err
	}
	rr.Body = io.NopCloser(bytes.NewReader(reqBody))
	opts := options()
	opts.IncludeResponseStatus = true
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: rr, PathParams: params, Route: route, Options: opts},
		Status:                 status,
		Header:                 header,
		Options:                opts,
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(r.Context(), in); err != nil {
		return fmt.Errorf("response %d to %s %s breaks the contract: %w", status, r.Method, r.URL.Path, err)
	}
	return nil
}

// Checker is an http.RoundTripper that validates every request and response
// passing through it and records each breach. Put it under a client in tests.
type Checker struct {
	Contract *Contract
	Next     http.RoundTripper // nil: http.DefaultTransport
	// SkipResponse, when set, exempts a response from checking (for faults a
	// test injects on purpose that the contract does not describe).
	SkipResponse func(status int) bool
	// Skip, when set, passes requests it returns true for unchecked (calls
	// to another API behind the same client, such as the OAuth token
	// endpoint or Unified Tracking, which this contract does not describe).
	Skip func(r *http.Request) bool

	mu       sync.Mutex
	breaches []error
	requests int
}

// RoundTrip validates, forwards and validates again.
func (ck *Checker) RoundTrip(r *http.Request) (*http.Response, error) {
	if ck.Skip != nil && ck.Skip(r) {
		next := ck.Next
		if next == nil {
			next = http.DefaultTransport
		}
		return next.RoundTrip(r)
	}
	var reqBody []byte
	if r.Body != nil {
		b, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		reqBody = b
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	ck.record(ck.Contract.ValidateRequest(r, reqBody))
	next := ck.Next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	if ck.SkipResponse != nil && ck.SkipResponse(resp.StatusCode) {
		return resp, nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	ck.record(ck.Contract.ValidateResponse(r, reqBody, resp.StatusCode, resp.Header, body))
	return resp, nil
}

func (ck *Checker) record(err error) {
	ck.mu.Lock()
	defer ck.mu.Unlock()
	ck.requests++
	if err != nil {
		ck.breaches = append(ck.breaches, err)
	}
}

// Requests returns how many requests and responses were checked.
func (ck *Checker) Requests() int {
	ck.mu.Lock()
	defer ck.mu.Unlock()
	return ck.requests
}

// Breaches returns what failed validation so far.
func (ck *Checker) Breaches() []error {
	ck.mu.Lock()
	defer ck.mu.Unlock()
	return append([]error(nil), ck.breaches...)
}

// AssertClean fails tb for every breach recorded.
func (ck *Checker) AssertClean(tb testing.TB) {
	tb.Helper()
	for _, err := range ck.Breaches() {
		tb.Error(err)
	}
}
