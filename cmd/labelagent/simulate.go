package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

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
				return fmt.Errorf("--addr %q: %w", addr, err)
			}
			if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
				return fmt.Errorf("--addr %q: the simulator listens on loopback addresses only", addr)
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
			base := "http://" + ln.Addr().String()
			key, secret, user, password := s.Credentials()
			cfg := s.Config(base)
			fmt.Fprintf(app.stdout, `DHL simulator listening on %s
  Shipping v2: %s%s
  Returns:     %s%s
  Tracking:    %s%s
  OAuth token: %s%s
  contract checks: %v

Configuration for the agent:
dhl:
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
%s`, base, base, transport.ShippingPath, base, transport.ReturnsPath, base, transport.TrackingPath, base, transport.TokenPath,
				s.Validating(), base, key, secret, user, password,
				cfg.BillingNumbers["V01PAK"], cfg.BillingNumbers["V53WPAK"], cfg.BillingNumbers["V54EPAK"], cfg.BillingNumbers["V62KP"], cfg.BillingNumbers["V66WPI"], im.ConfigYAML(base))
			fmt.Fprintf(app.stdout, `franking:
  enabled: true
  base_url: %s
  api_key: %s
  default_product: PAKET_5KG_DE
  sender: {name2: My Online Shop GmbH, street: Sträßchensweg, street_number: "10", postal_code: "53113", city: Bonn, country: DEU, email: versand@example.com}
`, base, frsim.DefaultAPIKey)
			if err := s.SpecError(); err != nil {
				fmt.Fprintf(app.stderr, "warning: contract not loaded, requests are not checked: %v\n", err)
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
