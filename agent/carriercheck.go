package agent

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/dhl/internetmarke"
	"github.com/labelagent/labelagent/dhl/parcel"
	"github.com/labelagent/labelagent/dhl/transport"
)

// CheckCarriers asks every configured carrier whether it accepts the
// configured credentials, with a cheap authenticated call that changes
// nothing: INTERNETMARKE's login, and for DHL Parcel DE Shipping a label
// lookup of a shipment number that cannot exist (an authenticated read: a
// 401/403 means the credentials are refused; any other answer that they
// were accepted). The answers' Date header gives the clock skew, which
// matters because DHL refuses tokens and shipment dates off by minutes.
func (a *Agent) CheckCarriers(ctx context.Context) []apitype.CarrierCheck {
	out := []apitype.CarrierCheck{a.checkDHL(ctx), a.checkInternetmarke(ctx)}
	return out
}

// skewRecorder notes the Date header of every answer.
type skewRecorder struct {
	next http.RoundTripper
	now  func() time.Time
	skew *float64
}

func (s *skewRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	sent := s.now()
	resp, err := s.next.RoundTrip(r)
	if err == nil {
		if d, perr := http.ParseTime(resp.Header.Get("Date")); perr == nil {
			// The Date has one-second resolution; compare with the middle
			// of the exchange.
			mid := sent.Add(s.now().Sub(sent) / 2)
			v := d.Sub(mid.Truncate(time.Second)).Seconds()
			s.skew = &v
		}
	}
	return resp, err
}

func (a *Agent) recordingClient(skew **float64) *http.Client {
	rec := &skewRecorder{next: http.DefaultTransport, now: a.now}
	*skew = nil
	return &http.Client{Timeout: 20 * time.Second, Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := rec.RoundTrip(r)
		*skew = rec.skew
		return resp, err
	})}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func (a *Agent) checkDHL(ctx context.Context) apitype.CarrierCheck {
	c := apitype.CarrierCheck{Carrier: "dhl", Result: "not_configured", Checked: a.now()}
	if a.cfg.DHL.Kind == 0 {
		return c
	}
	c.Configured = true
	dc, err := transport.DecodeConfig(&a.cfg.DHL)
	if err != nil {
		c.Result, c.Detail = "error", err.Error()
		return c
	}
	var skew *float64
	tr, err := transport.New(dc.WithEnv(os.Getenv), transport.WithLogger(a.log.With("carrier", "dhl", "check", true)),
		transport.WithHTTPClient(a.recordingClient(&skew)))
	if err != nil {
		c.Result, c.Detail = "error", err.Error()
		return c
	}
	// A syntactically valid shipment number no label was made for.
	_, err = parcel.New(tr).GetLabels(ctx, []string{"00340434000000000000"}, parcel.LabelOptions{})
	c.ClockSkewSeconds = skew
	c.Result, c.Detail = classify(err)
	return c
}

func (a *Agent) checkInternetmarke(ctx context.Context) apitype.CarrierCheck {
	c := apitype.CarrierCheck{Carrier: "internetmarke", Result: "not_configured", Checked: a.now()}
	if a.postage == nil || a.postage.Client == nil {
		return c
	}
	c.Configured = true
	var skew *float64
	cl, err := internetmarke.New(a.postage.Client.Config(), internetmarke.WithHTTPClient(a.recordingClient(&skew)),
		internetmarke.WithLogger(a.log.With("carrier", "internetmarke", "check", true)))
	if err != nil {
		c.Result, c.Detail = "error", err.Error()
		return c
	}
	_, err = cl.Login(ctx)
	c.ClockSkewSeconds = skew
	c.Result, c.Detail = classify(err)
	return c
}

// classify turns a carrier call's outcome into a check result.
func classify(err error) (string, string) {
	if err == nil {
		return "ok", ""
	}
	var dae *transport.APIError
	if errors.As(err, &dae) {
		switch dae.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return "rejected", err.Error()
		case http.StatusTooManyRequests:
			return "error", err.Error()
		}
		if dae.StatusCode < 500 {
			return "ok", "" // authenticated; the made-up shipment was (rightly) not found
		}
		return "error", err.Error()
	}
	var iae *internetmarke.APIError
	if errors.As(err, &iae) {
		if iae.Status == http.StatusUnauthorized || iae.Status == http.StatusForbidden {
			return "rejected", err.Error()
		}
		return "error", err.Error()
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
		return "unreachable", err.Error()
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return "unreachable", err.Error()
	}
	return "error", err.Error()
}
