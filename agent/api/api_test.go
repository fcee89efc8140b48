package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/labelagent/labelagent/agent"
	"github.com/labelagent/labelagent/agent/api"
	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/printer"
)

const key = "test-key-0123456789"

type fixture struct {
	a    *agent.Agent
	addr string
	cl   *client.Client
	out  string
}

func setup(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	cfg, err := config.Load("", func(c *config.Config) {
		c.DataDir = dir
		c.Jobs.MaxPayload = 4 << 10
		c.Printers = []printer.Config{{Name: "desk", Transport: "file"}}
	})
	if err != nil {
		t.Fatal(err)
	}
	f := serve(t, cfg, nil)
	p, _ := cfg.Printer("desk")
	f.out = p.File.Dir
	return f
}

func (f *fixture) do(t *testing.T, method, path, body string, hdr map[string]string) (int, apitype.Error, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+f.addr+path, strings.NewReader(body))
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var e apitype.Error
	_ = json.Unmarshal(data, &e)
	return resp.StatusCode, e, data
}

func TestSubmitThroughTheClientAndWatchItPrint(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	stream, err := f.cl.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	resp, err := f.cl.Submit(ctx, apitype.SubmitRequest{Kind: apitype.KindZPL, Payload: []byte("^XA^FDhi^FS^XZ"), Name: "order 1", IdempotencyKey: "o-1"})
	if err != nil || resp.Existing || resp.Job.State != apitype.StateQueued || resp.Job.Name != "order 1" {
		t.Fatalf("submit %+v %v", resp, err)
	}
	for {
		e, err := stream.Next()
		if err != nil {
			t.Fatal(err)
		}
		if e.Job != nil && e.Job.ID == resp.Job.ID && e.Job.State == apitype.StateDone {
			break
		}
	}
	again, err := f.cl.Submit(ctx, apitype.SubmitRequest{Kind: apitype.KindZPL, Payload: []byte("^XA^FDhi^FS^XZ"), Name: "order 1", IdempotencyKey: "o-1"})
	if err != nil || !again.Existing || again.Job.ID != resp.Job.ID {
		t.Fatalf("resubmit %+v %v", again, err)
	}
	j, err := f.cl.Job(ctx, resp.Job.ID)
	if err != nil || j.State != apitype.StateDone || len(j.History) < 3 {
		t.Fatalf("job %+v %v", j, err)
	}
	p, err := f.cl.Payload(ctx, j.ID)
	if err != nil || string(p) != "^XA^FDhi^FS^XZ" {
		t.Fatalf("payload %q %v", p, err)
	}
	list, err := f.cl.Jobs(ctx, client.JobsQuery{State: apitype.StateDone})
	if err != nil || len(list) != 1 {
		t.Fatalf("list %+v %v", list, err)
	}
	ps, err := f.cl.Printers(ctx)
	if err != nil || len(ps) != 1 || ps[0].Name != "desk" || !ps[0].Default || ps[0].Status.State != printer.StateReady {
		t.Fatalf("printers %+v %v", ps, err)
	}
	if p, err := f.cl.PausePrinter(ctx, "desk"); err != nil || !p.Paused {
		t.Fatalf("pause %+v %v", p, err)
	}
	if p, err := f.cl.ResumePrinter(ctx, "desk"); err != nil || p.Paused {
		t.Fatalf("resume %+v %v", p, err)
	}
	h, err := f.cl.Health(ctx)
	if err != nil || !h.OK {
		t.Fatalf("health %+v %v", h, err)
	}
}

func TestJSONSubmission(t *testing.T) {
	f := setup(t)
	body := `{"kind":"zpl","payload":"XlhBXkZEaGleRlNeWFo=","copies":2,"name":"json"}`
	code, e, data := f.do(t, "POST", "/api/v1/jobs", body, map[string]string{"Content-Type": "application/json", apitype.HeaderAPIKey: key})
	if code != http.StatusCreated {
		t.Fatalf("status %d %+v", code, e)
	}
	var r apitype.SubmitResponse
	if err := json.Unmarshal(data, &r); err != nil || r.Job.Copies != 2 || r.Job.PayloadSize != 14 {
		t.Fatalf("%s %v", data, err)
	}
}

func TestBadRequestsGetClearErrorsAndStoreNothing(t *testing.T) {
	f := setup(t)
	auth := map[string]string{apitype.HeaderAPIKey: key}
	js := map[string]string{apitype.HeaderAPIKey: key, "Content-Type": "application/json"}
	cases := []struct {
		name, method, path, body string
		hdr                      map[string]string
		status                   int
		code, msg                string
	}{
		{"no key", "GET", "/api/v1/jobs", "", nil, 401, apitype.CodeUnauthorized, "API key"},
		{"wrong key", "GET", "/api/v1/jobs", "", map[string]string{apitype.HeaderAPIKey: "guess"}, 401, apitype.CodeUnauthorized, "API key"},
		{"bearer key works", "GET", "/api/v1/jobs", "", map[string]string{"Authorization": "Bearer " + key}, 200, "", ""},
		{"foreign host", "GET", "/api/v1/health", "", map[string]string{"Host": "attacker.example:9180"}, 403, apitype.CodeForbidden, "only to localhost"},
		{"origin header", "POST", "/api/v1/jobs", "^XA^XZ", map[string]string{apitype.HeaderAPIKey: key, "Origin": "https://shop.example"}, 403, apitype.CodeForbidden, "web pages"},
		{"referer header", "GET", "/api/v1/jobs", "", map[string]string{apitype.HeaderAPIKey: key, "Referer": "https://shop.example/"}, 403, apitype.CodeForbidden, "web pages"},
		{"invalid json", "POST", "/api/v1/jobs", `{"kind":"zpl",`, js, 400, apitype.CodeBadRequest, "invalid JSON"},
		{"unknown json field", "POST", "/api/v1/jobs", `{"kind":"zpl","payload":"Xg==","colour":"red"}`, js, 400, apitype.CodeBadRequest, "colour"},
		{"empty json", "POST", "/api/v1/jobs", ``, js, 400, apitype.CodeBadRequest, "empty request body"},
		{"two json values", "POST", "/api/v1/jobs", `{"kind":"zpl","payload":"Xg=="} {}`, js, 400, apitype.CodeBadRequest, "more than one"},
		{"payload not base64", "POST", "/api/v1/jobs", `{"kind":"zpl","payload":"!!"}`, js, 400, apitype.CodeBadRequest, "invalid JSON"},
		{"empty raw payload", "POST", "/api/v1/jobs?kind=zpl", "", auth, 400, apitype.CodeBadRequest, "empty"},
		{"oversized raw payload", "POST", "/api/v1/jobs?kind=raw", strings.Repeat("x", 5<<10), auth, 413, apitype.CodeTooLarge, "max_payload"},
		{"oversized json payload", "POST", "/api/v1/jobs", `{"kind":"raw","payload":"` + strings.Repeat("eHh4", 3<<10) + `"}`, js, 413, apitype.CodeTooLarge, ""},
		{"unknown printer", "POST", "/api/v1/jobs?printer=zebra9", "^XA^XZ", auth, 404, apitype.CodeUnknownPrinter, `"zebra9"`},
		{"unknown query parameter", "POST", "/api/v1/jobs?printr=desk", "^XA^XZ", auth, 400, apitype.CodeBadRequest, `"printr"`},
		{"copies not a number", "POST", "/api/v1/jobs?copies=two", "^XA^XZ", auth, 400, apitype.CodeBadRequest, "copies"},
		{"unknown job", "GET", "/api/v1/jobs/424242", "", auth, 404, apitype.CodeNotFound, "424242"},
		{"malformed job id", "POST", "/api/v1/jobs/x1/cancel", "", auth, 404, apitype.CodeNotFound, ""},
		{"bad limit", "GET", "/api/v1/jobs?limit=0", "", auth, 400, apitype.CodeBadRequest, "limit"},
		{"unknown endpoint", "GET", "/api/v1/nothing", "", auth, 404, apitype.CodeNotFound, "no such endpoint"},
		{"unknown printer pause", "POST", "/api/v1/printers/zebra9/pause", "", auth, 404, apitype.CodeUnknownPrinter, ""},
		{"wrong content type for json", "POST", "/api/v1/jobs", "{}", map[string]string{apitype.HeaderAPIKey: key, "Content-Type": "application/jsonx"}, 400, apitype.CodeBadRequest, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, e, raw := f.do(t, c.method, c.path, c.body, c.hdr)
			if code != c.status || e.Code != c.code || !strings.Contains(e.Message, c.msg) {
				t.Fatalf("got %d %s, want %d %s mentioning %q", code, raw, c.status, c.code, c.msg)
			}
		})
	}
	jobs, err := f.a.Jobs(agent.JobFilter{})
	if err != nil || len(jobs) != 0 {
		t.Fatalf("refused requests stored %d jobs", len(jobs))
	}
}

func TestClientErrors(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	_, err := f.cl.Job(ctx, "77")
	if !client.IsNotFound(err) {
		t.Fatalf("unknown job: %v", err)
	}
	bad := &client.Client{Addr: f.addr, Key: "wrong"}
	_, err = bad.Jobs(ctx, client.JobsQuery{})
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Status != 401 {
		t.Fatalf("wrong key: %v", err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	_, err = (&client.Client{Addr: dead, Key: key}).Jobs(ctx, client.JobsQuery{})
	var nr *client.NotRunningError
	if !errors.As(err, &nr) || !strings.Contains(err.Error(), "labelagent run") {
		t.Fatalf("agent not running: %v", err)
	}
	_, err = (&client.Client{Addr: f.addr, DataDir: t.TempDir()}).Jobs(ctx, client.JobsQuery{})
	if err == nil || !strings.Contains(err.Error(), "api.key") {
		t.Fatalf("missing key file: %v", err)
	}
}

func TestEventStreamEndsWhenTheAgentStops(t *testing.T) {
	f := setup(t)
	// A stream that does not end fails the test with the deadline's error,
	// not go test's 10-minute alarm.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	stream, err := f.cl.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	go func() {
		time.Sleep(20 * time.Millisecond)
		f.a.Stop(ctx)
	}()
	for {
		_, err := stream.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("stream ended with %v, want io.EOF", err)
		}
	}
}

func TestValidHost(t *testing.T) {
	for host, ok := range map[string]bool{
		"localhost": true, "localhost:9180": true, "LOCALHOST:1": true, "127.0.0.1:9180": true,
		"[::1]:9180": true, "127.0.0.2": true, "[::1]": true,
		"": false, "example.com": false, "localhost.attacker.com:9180": false, "10.0.0.1:9180": false,
		"0.0.0.0:9180": false, "[::]:9180": false, "127.0.0.1.nip.io": false,
	} {
		if api.ValidHost(host) != ok {
			t.Errorf("ValidHost(%q) = %v, want %v", host, !ok, ok)
		}
	}
}
