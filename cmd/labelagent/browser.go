package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/labelagent/labelagent/agent"
	"github.com/labelagent/labelagent/agent/api"
	"github.com/labelagent/labelagent/agent/api/browser"
	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/agent/pairing"
)

// browserSurface is the browser API, the dashboard and Browser Print
// compatibility, each on its own loopback listener.
type browserSurface struct {
	servers []*http.Server
	end     context.CancelFunc
	lines   [][2]string // for the banner
}

// startBrowser opens the pairing registry (its control API endpoints are
// mounted even when the browser API is off) and serves the browser
// listeners. A listener that cannot open is logged and left out: the agent
// still prints from every other source.
func startBrowser(cfg *config.Config, a *agent.Agent, control *api.Server, key string, log *slog.Logger) (*browserSurface, error) {
	reg, err := pairing.Open(a.Store().DB(), cfg.Browser.PairingTimeout, nil)
	if err != nil {
		return nil, err
	}
	browser.MountOrigins(control, reg)
	bs := &browserSurface{}
	if !cfg.Browser.On() {
		return bs, nil
	}
	base, end := context.WithCancel(context.Background())
	bs.end = end
	srv := browser.New(browser.Options{Agent: a, Origins: reg, Control: control.Handler(), Key: key, Logger: log})
	var cert *tls.Certificate
	needTLS := cfg.Browser.HTTPSListen != "" || (cfg.Browser.BrowserPrint.Enabled && cfg.Browser.BrowserPrint.HTTPSListen != "off")
	if needTLS {
		c, renewed, err := browser.LoadOrCreateCert(cfg.DataDir, time.Now())
		if err != nil {
			log.Error("HTTPS for browsers is off: cannot make its certificate", "err", err)
		} else {
			cert = &c
			if renewed {
				log.Warn("made a new HTTPS certificate for browsers; run `labelagent browser cert install` as each user", "file", browser.CertPath(cfg.DataDir))
			}
		}
	}
	// what names the server in the log, label in the banner (a catalog key).
	serve := func(what, label, addr string, h http.Handler, useTLS bool) {
		if useTLS && cert == nil {
			return
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			hint := ""
			if errors.Is(err, syscall.EADDRINUSE) {
				hint = " (the address is in use: another program, or Zebra Browser Print, listens there)"
			}
			log.Error(what+" is off: cannot listen"+hint, "addr", addr, "err", err)
			return
		}
		hs := browser.NewHTTPServer(h, log)
		hs.BaseContext = func(net.Listener) context.Context { return base }
		scheme := "http"
		if useTLS {
			scheme = "https"
			hs.TLSConfig = browser.TLSConfig(*cert)
			ln = tls.NewListener(ln, hs.TLSConfig)
		}
		bs.servers = append(bs.servers, hs)
		go func() {
			if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error(what+" failed", "err", err)
			}
		}()
		url := fmt.Sprintf("%s://%s/", scheme, ln.Addr())
		bs.lines = append(bs.lines, [2]string{label, url})
		log.Info(what+" listening", "url", url)
	}
	serve("browser API", "cli.banner_browser_api", cfg.Browser.Listen, srv.Handler(), false)
	if cfg.Browser.HTTPSListen != "" {
		serve("browser API (HTTPS)", "cli.banner_browser_api_https", cfg.Browser.HTTPSListen, srv.Handler(), true)
	}
	if bp := cfg.Browser.BrowserPrint; bp.Enabled {
		serve("Browser Print", "cli.banner_browser_print", bp.Listen, srv.ZebraHandler(), false)
		if bp.HTTPSListen != "off" {
			serve("Browser Print (HTTPS)", "cli.banner_browser_print_https", bp.HTTPSListen, srv.ZebraHandler(), true)
		}
	}
	return bs, nil
}

// dashboard is the dashboard's address for the banner, or "".
func (bs *browserSurface) dashboard() string {
	for _, l := range bs.lines {
		if l[0] == "cli.banner_browser_api" {
			return l[1] + "dashboard/"
		}
	}
	return ""
}

// stop closes the listeners and ends open event streams.
func (bs *browserSurface) stop(ctx context.Context) {
	if bs == nil {
		return
	}
	if bs.end != nil {
		bs.end()
	}
	for _, s := range bs.servers {
		_ = s.Shutdown(ctx)
	}
}
