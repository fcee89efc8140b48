package privateshipping

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"time"

	"gopkg.in/yaml.v3"
)

// Environment variables that override the file.
const (
	EnvAPIKey  = "LABELAGENT_FRANKING_API_KEY"
	EnvBaseURL = "LABELAGENT_FRANKING_BASE_URL"
)

// Config is the `franking:` section of the agent's configuration.
type Config struct {
	Enabled bool `yaml:"enabled"`
	// BaseURL is scheme and host; empty: production, or the sandbox.
	BaseURL string `yaml:"base_url"`
	Sandbox bool   `yaml:"sandbox"`
	APIKey  string `yaml:"api_key"`
	// Printer gets the labels of paid carts ("" = the default printer).
	Printer string `yaml:"printer"`
	// Sender is the German street address every cart ships from.
	Sender Address `yaml:"sender"`
	// DefaultProduct is used when a request names none.
	DefaultProduct string `yaml:"default_product"`
	// Output: "label" prints the label (default), "qr" keeps the QR code
	// for drop-off at a DHL location.
	Output string `yaml:"output"`
	// PollInterval is how often unpaid carts are asked (default 15s).
	PollInterval time.Duration `yaml:"poll_interval"`
	// CatalogRefresh is how old the cached catalog may get (default 24h).
	CatalogRefresh time.Duration `yaml:"catalog_refresh"`
	// CartExpiry: an unpaid cart older than this is given up (default 72h).
	CartExpiry time.Duration `yaml:"cart_expiry"`
	Notify     NotifyConfig  `yaml:"notify"`
}

// NotifyConfig is the optional listener DHL calls after payment. Without
// it carts are polled (a packing PC behind NAT cannot be called).
type NotifyConfig struct {
	// Listen is host:port of the notify listener; empty: off.
	Listen string `yaml:"listen"`
	// PublicURL is how DHL reaches it (https://…/notify), registered with
	// DHL through a service ticket; the agent appends /{token}.
	PublicURL string `yaml:"public_url"`
	// CertFile and KeyFile serve HTTPS (TLS 1.2+); without them the listener
	// speaks plain HTTP behind a TLS-terminating proxy.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// TokenTTL is how long a cart's notify token is valid (default 7 days).
	TokenTTL time.Duration `yaml:"token_ttl"`
}

// DecodeConfig reads the section strictly and applies the environment.
func DecodeConfig(node *yaml.Node, getenv func(string) string) (Config, error) {
	var c Config
	if node != nil && node.Kind != 0 {
		b, err := yaml.Marshal(node)
		if err != nil {
			return c, fmt.Errorf("franking section: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			return c, fmt.Errorf("franking section: %w", err)
		}
	}
	if getenv != nil {
		if v := getenv(EnvAPIKey); v != "" {
			c.APIKey = v
		}
		if v := getenv(EnvBaseURL); v != "" {
			c.BaseURL = v
		}
	}
	return c.WithDefaults(), nil
}

// WithDefaults fills in the defaults.
func (c Config) WithDefaults() Config {
	if c.BaseURL == "" {
		c.BaseURL = ProductionURL
		if c.Sandbox {
			c.BaseURL = SandboxURL
		}
	}
	if c.Output == "" {
		c.Output = "label"
	}
	if c.PollInterval == 0 {
		c.PollInterval = 15 * time.Second
	}
	if c.CatalogRefresh == 0 {
		c.CatalogRefresh = 24 * time.Hour
	}
	if c.CartExpiry == 0 {
		c.CartExpiry = 72 * time.Hour
	}
	if c.Notify.TokenTTL == 0 {
		c.Notify.TokenTTL = 7 * 24 * time.Hour
	}
	if c.Sender.Country == "" {
		c.Sender.Country = "DEU"
	}
	return c
}

// Problems lists every mistake in an enabled section.
func (c Config) Problems() []string {
	if !c.Enabled {
		return nil
	}
	var out []string
	if c.APIKey == "" {
		out = append(out, "franking.api_key is empty (or set "+EnvAPIKey+")")
	}
	if u, err := url.Parse(c.BaseURL); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		out = append(out, fmt.Sprintf("franking.base_url %q is not an http(s) URL", c.BaseURL))
	}
	for _, e := range ValidateAddress("franking.sender", c.Sender, true) {
		out = append(out, e.Error())
	}
	if c.Output != "label" && c.Output != "qr" {
		out = append(out, fmt.Sprintf("franking.output %q: want label or qr", c.Output))
	}
	if c.PollInterval < time.Second {
		out = append(out, "franking.poll_interval must be at least 1s")
	}
	if n := c.Notify; n.Listen != "" {
		if _, _, err := net.SplitHostPort(n.Listen); err != nil {
			out = append(out, fmt.Sprintf("franking.notify.listen %q: want host:port", n.Listen))
		}
		// DHL calls only https; plain http is allowed for a loopback host
		// (the simulator and demos on one machine).
		u, err := url.Parse(n.PublicURL)
		loopback := false
		if err == nil {
			ip := net.ParseIP(u.Hostname())
			loopback = u.Hostname() == "localhost" || (ip != nil && ip.IsLoopback())
		}
		if err != nil || u.Host == "" || !(u.Scheme == "https" || (u.Scheme == "http" && loopback)) {
			out = append(out, "franking.notify.public_url must be the https:// URL DHL calls (registered with DHL)")
		}
		if (n.CertFile == "") != (n.KeyFile == "") {
			out = append(out, "franking.notify.cert_file and key_file go together")
		}
	}
	return out
}
