package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/dhl/privateshipping"
	"github.com/labelagent/labelagent/dhl/sim"
	frsim "github.com/labelagent/labelagent/dhl/sim/franking"
	imsim "github.com/labelagent/labelagent/dhl/sim/internetmarke"
	"github.com/labelagent/labelagent/dhl/transport"
)

func newSimulateCmd(app *cliApp) *cobra.Command {
	var (
		addr string
		opt  sim.Options
	)
	cmd := &cobra.Command{
		Use:  "simulate",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return usage(i18n.E("simulate.bad_addr", "addr", addr))
			}
			if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
				return usage(i18n.E("simulate.not_loopback", "addr", addr))
			}
			opt.Logger = app.Logger()
			s := sim.New(opt)
			im, err := imsim.NewDemo()
			if err != nil {
				return err
			}
			mux := http.NewServeMux()
			mux.Handle("/", s)
			for _, p := range []string{imsim.BasePath + "/", "/download/", imsim.ControlPath + "/"} {
				mux.Handle(p, im.Handler())
			}
			fr := frsim.New(frsim.Options{Logger: app.Logger()})
			mux.Handle(privateshipping.BasePath+"/", fr)
			mux.Handle(frsim.ControlPath+"/", fr)
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return err
			}
			if err := app.simulatorReady(simulatorInfo(s, im, "http://"+ln.Addr().String())); err != nil {
				return err
			}
			srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
			done := make(chan error, 1)
			go func() { done <- srv.Serve(ln) }()
			select {
			case err := <-done:
				return err
			case <-cmd.Context().Done():
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:9190", "")
	f.Int64Var(&opt.Seed, "seed", 1, "")
	f.StringVar(&opt.APIKey, "api-key", "", "")
	f.StringVar(&opt.APISecret, "api-secret", "", "")
	f.StringVar(&opt.SpecPath, "spec", "", "")
	f.Float64Var(&opt.TrackingPerSecond, "tracking-per-second", 0, "")
	f.IntVar(&opt.TrackingDailyQuota, "tracking-daily-quota", 0, "")
	return cmd
}

// SimulatorJSON is what `simulate --json` prints once it listens: where
// each API is served and the configuration that points the agent at it.
type SimulatorJSON struct {
	BaseURL        string            `json:"base_url"`
	Endpoints      map[string]string `json:"endpoints"` // shipping, returns, tracking, token, internetmarke, franking
	ContractChecks bool              `json:"contract_checks"`
	ContractError  string            `json:"contract_error,omitempty"` // why ../shared/specs could not be loaded
	Config         string            `json:"config"`                   // YAML for the agent's configuration file
}

func simulatorInfo(s *sim.Server, im *imsim.Server, base string) SimulatorJSON {
	key, secret, user, password := s.Credentials()
	cfg := s.Config(base)
	info := SimulatorJSON{
		BaseURL: base,
		Endpoints: map[string]string{
			"shipping": base + transport.ShippingPath, "returns": base + transport.ReturnsPath,
			"tracking": base + transport.TrackingPath, "token": base + transport.TokenPath,
			"internetmarke": base + imsim.BasePath, "franking": base + privateshipping.BasePath,
		},
		ContractChecks: s.Validating(),
	}
	if err := s.SpecError(); err != nil {
		info.ContractError = err.Error()
	}
	info.Config = fmt.Sprintf(`dhl:
  base_url: %s
  api_key: %s
  api_secret: %s
  username: %s
  password: %q
  auth: oauth
  billing_numbers:
    V01PAK: "%s"
    V53WPAK: "%s"
    V54EPAK: "%s"
    V62KP: "%s"
    V66WPI: "%s"
  shipper:
    name1: My Online Shop GmbH
    street: Sträßchensweg 10
    postal_code: "53113"
    city: Bonn
%sfranking:
  enabled: true
  base_url: %s
  api_key: %s
  default_product: PAKET_5KG_DE
  sender: {name2: My Online Shop GmbH, street: Sträßchensweg, street_number: "10", postal_code: "53113", city: Bonn, country: DEU, email: versand@example.com}
`, base, key, secret, user, password,
		cfg.BillingNumbers["V01PAK"], cfg.BillingNumbers["V53WPAK"], cfg.BillingNumbers["V54EPAK"], cfg.BillingNumbers["V62KP"], cfg.BillingNumbers["V66WPI"],
		im.ConfigYAML(base), base, frsim.DefaultAPIKey)
	return info
}

// simulatorReady says where the simulators listen, in the reader's words
// (or as one JSON object with --json).
func (app *cliApp) simulatorReady(info SimulatorJSON) error {
	if app.jsonOut {
		return app.printJSONLine(info)
	}
	l := app.L()
	yes := l.T("simulate.contract_off")
	if info.ContractChecks {
		yes = l.T("simulate.contract_on")
	}
	fmt.Fprintln(app.stdout, l.T("simulate.listening", "url", info.BaseURL))
	for _, e := range []struct{ name, id string }{
		{"shipping", "simulate.endpoint_shipping"}, {"returns", "simulate.endpoint_returns"},
		{"tracking", "simulate.endpoint_tracking"}, {"token", "simulate.endpoint_token"},
		{"internetmarke", "simulate.endpoint_internetmarke"}, {"franking", "simulate.endpoint_franking"},
	} {
		fmt.Fprintf(app.stdout, "  %-22s %s\n", l.T(e.id), info.Endpoints[e.name])
	}
	fmt.Fprintf(app.stdout, "  %s\n\n%s\n%s", yes, l.T("simulate.config"), info.Config)
	if info.ContractError != "" {
		app.note("simulate.contract_missing", "err", info.ContractError)
	}
	return nil
}
