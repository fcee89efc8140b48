package main

import (
	"context"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/labelagent/labelagent/agent/config"
)

// checkNATS says whether the station reaches its warehouse's NATS servers
// and whether its credentials let it take jobs: through the running agent
// (its connection and the NATS source's last error), else by reaching the
// servers' ports.
func (d *doctor) checkNATS(ctx context.Context, cfg *config.Config, running bool) {
	n := cfg.NATS
	if !n.Enabled() {
		return
	}
	l := d.l
	if !running {
		for _, raw := range n.URLs {
			u, err := url.Parse(raw)
			if err != nil {
				continue
			}
			host := u.Host
			if u.Port() == "" {
				host = net.JoinHostPort(u.Hostname(), "4222")
			}
			c, err := (&net.Dialer{Timeout: 3 * time.Second}).DialContext(ctx, "tcp", host)
			if err != nil {
				d.add("nats", u.Redacted(), "fail", l.T("doctor.nats_unreachable", "server", u.Redacted()), l.T("doctor.fix_nats_network"), err.Error())
				continue
			}
			c.Close()
			d.add("nats", u.Redacted(), "ok", l.T("doctor.nats_reachable", "server", u.Redacted()), "", "")
		}
		return
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	list, err := d.app.Client().Stations(sctx)
	switch {
	case err != nil:
		d.add("nats", n.Station, "warn", l.T("doctor.nats_unknown"), "", l.Err(err))
		return
	case !list.Connected:
		d.add("nats", n.Station, "fail", l.T("doctor.nats_disconnected", "station", n.Station), l.T("doctor.fix_nats_network"), list.Error)
		return
	}
	d.add("nats", list.Server, "ok", l.T("doctor.nats_connected", "station", n.Station, "server", list.Server, "stations", len(list.Stations)), "", "")
	srcs, err := d.app.Client().Sources(sctx)
	if err != nil {
		return
	}
	for _, s := range srcs {
		if s.Kind == "nats" && s.LastError != "" && strings.Contains(strings.ToLower(s.LastError), "permission") {
			d.add("nats", n.Station, "fail", l.T("doctor.nats_permissions", "station", n.Station), l.T("doctor.fix_nats_permissions"), s.LastError)
		}
	}
}
