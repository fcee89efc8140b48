package ui

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/client"
	"github.com/labelagent/labelagent/agent/i18n"
)

// Station is this PC's link to the warehouse's NATS servers, as the agent
// reports it (GET /api/v1/stations); nil in State when NATS is not set up.
type Station struct {
	Connected bool
	Server    string
	Error     string
	Buffered  int   // events waiting for the server
	Dropped   int64 // events lost to a full buffer
}

// readStation asks the agent for the station's NATS link. Not configured
// (or an agent without the endpoint) is nil, not an error.
func readStation(ctx context.Context, cl *client.Client) (*Station, error) {
	sl, err := cl.Stations(ctx)
	var ae *client.APIError
	if errors.As(err, &ae) && (ae.Code == "nats_not_configured" || ae.Status == 404) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &Station{Connected: sl.Connected, Server: sl.Server, Error: sl.Error, Buffered: sl.Buffered, Dropped: sl.Dropped}, nil
}

// StationText words the NATS link for the header and the menu.
func StationText(l *i18n.Localizer, s *Station) string {
	if s == nil {
		return ""
	}
	if s.Connected {
		t := l.T("tray.station.connected", "server", apitype.Printable(s.Server))
		if s.Buffered > 0 {
			t += " " + l.N("tray.station.buffered", s.Buffered)
		}
		return t
	}
	t := l.T("tray.station.disconnected")
	if s.Error != "" {
		t += ": " + apitype.Printable(s.Error)
	}
	if s.Buffered > 0 {
		t += " " + l.N("tray.station.buffered", s.Buffered)
	}
	return t
}

// AgentBinary finds the labelagent program beside exe (the tray's own
// executable): the packages install labelagent-tray next to labelagent.
// Else the one on PATH; "" when there is none (then the tray offers no
// "start the service").
func AgentBinary(exe string) string {
	name := "labelagent"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if exe != "" {
		p := filepath.Join(filepath.Dir(exe), name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return ""
}

// CanStartService reports whether the tray knows a labelagent program to
// start the service with.
func (m *Model) CanStartService() bool { return m.opts.AgentBin != "" }

// serviceStatus is `labelagent service status --json`.
type serviceStatus struct {
	Name      string `json:"name"`
	System    string `json:"system"`
	Installed bool   `json:"installed"`
	Running   bool   `json:"running"`
	State     string `json:"state"`
}

// StartService starts the installed agent service through the labelagent
// program (`service status`, then `service start`, which ask the system's
// service manager: systemd, SysV or Windows'). It returns what to tell
// the operator; an error when the service is not installed or could not
// be started, with the reason (most often: only an administrator may).
// Once the service answers, the model reconnects by itself.
func (m *Model) StartService(ctx context.Context) (string, error) {
	bin := m.opts.AgentBin
	l := m.L()
	if bin == "" {
		return "", i18n.E("tray.service.no_program")
	}
	// run returns the program's standard output and what it said to the
	// operator (its error message, else its output).
	run := func(args ...string) (stdout, said string, err error) {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append([]string{"--lang", string(l.Lang())}, args...)...)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err = cmd.Run()
		said = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(errOut.String()), "labelagent:"))
		if said == "" {
			said = strings.TrimSpace(out.String())
		}
		if err != nil && said == "" {
			said = err.Error()
		}
		return out.String(), said, err
	}
	out, said, _ := run("service", "status", "--json") // exits 3 when not running
	var st serviceStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		return "", i18n.E("tray.service.start_failed", "error", said)
	}
	if !st.Installed {
		return "", i18n.E("tray.service.not_installed", "name", st.Name)
	}
	if st.Running {
		return l.T("tray.service.already_running", "name", st.Name), nil
	}
	if _, said, err := run("service", "start"); err != nil {
		return "", i18n.E("tray.service.start_failed", "error", said)
	}
	return l.T("tray.service.started", "name", st.Name), nil
}

// StampProducts is the price list for the buy dialog.
func (m *Model) StampProducts(ctx context.Context) ([]apitype.StampProduct, error) {
	return m.client().StampProducts(ctx)
}

// NewPurchaseKey makes the idempotency key of one buy dialog: pressing
// "buy" again after an answer was lost asks for the same purchase, which
// the agent's journal then answers instead of buying twice.
func NewPurchaseKey() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "tray-" + hex.EncodeToString(b)
}

// BuyStamps buys stamps through the agent (which journals the purchase,
// pays from the Portokasse and prints through its queue), then reloads the
// balance and the purchases.
func (m *Model) BuyStamps(ctx context.Context, key string, product, quantity int) (apitype.StampPurchase, error) {
	p, err := m.client().BuyStamps(ctx, apitype.StampBuyRequest{IdempotencyKey: key, Product: product, Quantity: quantity, Reference: "tray"})
	m.refreshSlow(ctx, false)
	return p, err
}

// ProductText is a product in the buy dialog: its name and price.
func ProductText(l *i18n.Localizer, p apitype.StampProduct) string {
	return l.T("tray.buy.product", "name", apitype.Printable(p.Name), "price", l.Money(int64(p.PriceCents)))
}

// BoughtText says what a purchase came to.
func BoughtText(l *i18n.Localizer, p apitype.StampPurchase) string {
	return l.T("tray.buy.done", "line", PurchaseLine(l, p))
}
