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
		Use:   "simulate",
		Short: "Run the DHL and Deutsche Post API simulators (Shipping v2, Returns, Tracking, INTERNETMARKE) locally",
		Long: `Serve local simulators of the DHL Parcel DE APIs under their real paths, for trying the agent
offline and for shop developers. It prints the base URL and credentials to put in the dhl:
section of the configuration. Requests are checked against the official contract when
../shared/specs is found. Faults can be injected with POST /_sim/faults, e.g.
  curl -d '{"path":"/parcel/de/shipping/v2/orders","status":429,"retry_after_s":2}' URL/_sim/faults
Fields: method, path (prefix), status (400–599, or 0 with delay_ms for a slow answer),
retry_after_s, delay_ms, latin1_html (an ISO-8859-1 HTML error page), drop (carry the
request out, then cut the connection: a lost answer), times.
GET URL/_sim/shipments lists the shipments created (what the business portal would show).
POST URL/_sim/expire-tokens revokes all access tokens (the next call gets a 401).

The simulator answers in DHL's real shapes, also the rare ones:
  - several shipments in one order: 207 with each shipment's own status, and DHL's count
    ("1 of 2 shipments successfully created.");
  - a shipment reference (refNo) beginning with SIM-206: status 206 GeneralShipmentError,
    a shipment number and no label; SIM-BADLABEL: status 200 with a label whose base64
    does not decode; SIM-WEAK: status 400 for a weak validation error with DHL's warnings;
  - a country code that is not ISO alpha-3 (e.g. consignee country DE, sent with local
    checks skipped): 400 with {propertyPath: "shipments[i]….country", message} items;
  - cancelling (or reprinting) a number DHL does not know, or one cancelled already:
    item status 204 UnknownShipmentNumber, in a 207 for several numbers and a 400 for one;
  - tracking 7777777770 (DHL's documented express number): an answer whose id is a JSON
    number; an unknown number: 404 problem document (title, status, detail, instance);
  - tracking SIM-429: 429 without Retry-After (calls too fast, as DHL's 1-per-second limit
    answers); SIM-429-RA: 429 with Retry-After: 2; SIM-QUOTA: 429 saying the daily quota is
    used up (Retry-After until midnight, Berlin). The real limits apply too (1 call a second,
    250 a day per API key).

INTERNETMARKE is served on the same address: a Portokasse with 50,00 € in it and the app
approved; its state and faults are under URL/_sim/internetmarke (GET state, POST faults,
approve, balance, expire-tokens).

DHL Online Franking is served there too, under /parcel/de/shipping/private/v1; a cart is paid by
opening its entryUrl, or by POST URL/_sim/franking/carts/{id}/pay?notifies=N, which then calls the
cart's notify URL N times as DHL does. State: GET URL/_sim/franking/state; faults: POST
URL/_sim/franking/faults {"path": …, "status": 503} or {"drop": true} (answer lost).`,
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
	f.StringVar(&addr, "addr", "127.0.0.1:9190", "loopback address to listen on (port 0: any free port)")
	f.Int64Var(&opt.Seed, "seed", 1, "seed of the shipment numbers")
	f.StringVar(&opt.APIKey, "api-key", "", "API key to accept (default "+sim.DefaultAPIKey+")")
	f.StringVar(&opt.APISecret, "api-secret", "", "API secret to accept (default "+sim.DefaultAPISecret+")")
	f.StringVar(&opt.SpecPath, "spec", "", "Shipping v2 contract to check requests against (default: ../shared/specs if found; - for none)")
	f.Float64Var(&opt.TrackingPerSecond, "tracking-per-second", 0, "tracking calls allowed per second (default 1; negative: no limit)")
	f.IntVar(&opt.TrackingDailyQuota, "tracking-daily-quota", 0, "tracking calls allowed per day (default 250; negative: no limit)")
	return cmd
}
