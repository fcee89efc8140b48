package agent

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/franking"
	"github.com/labelagent/labelagent/agent/i18n"
	ps "github.com/labelagent/labelagent/dhl/privateshipping"
)

// Franking is the agent's DHL Online Franking service: the client and the
// cart journal that prints each paid label exactly once.
type Franking struct {
	Client  *ps.Client
	Journal *franking.Journal
	Config  ps.Config
	// NotifyAddr is where the notify listener listens ("" when off).
	NotifyAddr string
}

// Franking returns the Online Franking service, or nil when the
// configuration does not enable it.
func (a *Agent) Franking() *Franking { return a.franking }

// startFranking opens the cart journal in the store, starts its poller and,
// when configured, the notify listener DHL calls after payment.
func (a *Agent) startFranking() error {
	cfg, err := ps.DecodeConfig(&a.cfg.Franking, os.Getenv)
	if err != nil || !cfg.Enabled {
		return err
	}
	log := a.log.With("part", "franking")
	cl, err := ps.New(cfg.BaseURL, cfg.APIKey, ps.WithLogger(log))
	if err != nil {
		return err
	}
	submit := func(ctx context.Context, printerName, key, name string, pdf []byte) (string, error) {
		j, _, err := a.Submit(ctx, apitype.SubmitRequest{Printer: printerName, Kind: apitype.KindPDF, Payload: pdf,
			IdempotencyKey: key, Name: name, Source: "franking"})
		return j.ID, err
	}
	j, err := franking.Open(a.store.DB(), cl, franking.Options{Config: cfg, Submit: submit, Now: a.now, Log: log,
		OnChange: func(c *franking.Cart) {
			w := WireCartIn(c, a.Words()) // the bus speaks the agent's language
			a.bus.publish(apitype.Event{Type: apitype.EventFranking, Franking: &w})
		}})
	if err != nil {
		return err
	}
	f := &Franking{Client: cl, Journal: j, Config: cfg}
	if cfg.Notify.Listen != "" {
		addr, err := a.serveNotify(j, cfg.Notify)
		if err != nil {
			return err
		}
		f.NotifyAddr = addr
	}
	a.franking = f
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		j.Run(a.runCtx)
	}()
	log.Info("DHL Online Franking enabled", "base_url", cfg.BaseURL, "notify", f.NotifyAddr)
	return nil
}

// serveNotify starts the notify listener: HTTPS (TLS 1.2+) with the
// configured certificate, or plain HTTP behind a TLS-terminating proxy.
func (a *Agent) serveNotify(j *franking.Journal, n ps.NotifyConfig) (string, error) {
	ln, err := net.Listen("tcp", n.Listen)
	if err != nil {
		return "", fmt.Errorf("franking notify listener on %s: %w", n.Listen, err)
	}
	srv := &http.Server{Handler: http.MaxBytesHandler(j.NotifyHandler(), 1<<16), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 90 * time.Second, MaxHeaderBytes: 16 << 10}
	if n.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(n.CertFile, n.KeyFile)
		if err != nil {
			ln.Close()
			return "", fmt.Errorf("franking notify certificate: %w", err)
		}
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	a.wg.Add(2)
	go func() {
		defer a.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("franking notify listener failed", "err", err)
		}
	}()
	go func() {
		defer a.wg.Done()
		<-a.runCtx.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()
	return ln.Addr().String(), nil
}

// WireAddress converts an address to its wire form.
func WireAddress(x ps.Address) apitype.FrankingAddress {
	return apitype.FrankingAddress{Name1: x.Name1, Name2: x.Name2, Name3: x.Name3, Street: x.Street,
		StreetNumber: x.StreetNumber, AddressAddition1: x.AddressAddition1, AddressAddition2: x.AddressAddition2,
		PostalCode: x.PLZ, City: x.City, Province: x.Province, Country: x.Country, Email: x.Email, Phone: x.Phone}
}

// AddressFromWire converts a wire address.
func AddressFromWire(x apitype.FrankingAddress) ps.Address {
	return ps.Address{Name1: x.Name1, Name2: x.Name2, Name3: x.Name3, Street: x.Street,
		StreetNumber: x.StreetNumber, AddressAddition1: x.AddressAddition1, AddressAddition2: x.AddressAddition2,
		PLZ: x.PostalCode, City: x.City, Province: x.Province, Country: x.Country, Email: x.Email, Phone: x.Phone}
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// WireCart converts a journal cart to its wire form, worded in English
// (ActionID lets a client word the action itself).
func WireCart(c *franking.Cart) apitype.FrankingCart { return WireCartIn(c, i18n.For(i18n.English)) }

// WireCartIn converts a journal cart to its wire form, its action and
// history notes in l's language.
func WireCartIn(c *franking.Cart, l *i18n.Localizer) apitype.FrankingCart {
	w := apitype.FrankingCart{ID: c.ID, OrderRef: c.Request.OrderRef, State: string(c.State),
		ShoppingCartID: c.ShoppingCartID, EntryURL: c.EntryURL, TotalCents: c.Total, Output: c.Request.Output,
		Printer: c.Request.Printer, Receiver: WireAddress(c.Request.Receiver), PaymentOpened: timeOrNil(c.PaymentOpened),
		PaidAt: timeOrNil(c.PaidAt), PaidVia: c.PaidVia, DoneAt: timeOrNil(c.DoneAt), Error: c.ErrorIn(l), Action: c.Action,
		Created: c.Created, Updated: c.Updated}
	for _, it := range c.Items {
		w.Items = append(w.Items, apitype.FrankingItem{ItemID: it.ItemID, ProductID: it.ProductID, PriceCents: it.Price,
			PAKID: it.PAKID, ShipmentNo: it.ShipmentNo, HasLabel: it.HasLabel, HasQR: it.HasQR, JobID: it.JobID})
	}
	for _, h := range c.History {
		note := h.Note
		if h.NoteID != "" {
			note = l.T(h.NoteID, franking.Args(h.NoteArgs)...)
		}
		w.History = append(w.History, apitype.FrankingChange{At: h.At, State: string(h.State), Note: note})
	}
	if c.ActionID != "" {
		w.Action, w.ActionID, w.ActionArgs = l.T(c.ActionID, franking.Args(c.ActionArgs)...), c.ActionID, c.ActionArgs
	}
	return w
}

// WireProduct converts a catalog product.
func WireProduct(p ps.Product) apitype.FrankingProduct {
	w := apitype.FrankingProduct{ID: p.ID, Name: p.Name, Description: p.Description, PriceCents: int64(p.Price),
		Destinations: p.Destinations, MaxWeightGrams: p.MaxWeightGrams}
	for _, s := range p.Services {
		w.Services = append(w.Services, apitype.FrankingService{ID: s.ID, Name: s.Name, PriceCents: int64(s.Price)})
	}
	return w
}
