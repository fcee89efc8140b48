// Package transport is the HTTP layer shared by the DHL Parcel DE clients
// (Shipping v2, Returns, Tracking): base URLs for production and sandbox, the
// dhl-api-key header, HTTP Basic or OAuth2 password-grant authentication with
// a cached token, timeouts, retries with backoff, and error bodies decoded by
// their declared charset into a typed *APIError an operator can act on.
package transport

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/labelagent/labelagent/internal/yamlstrict"
)

// Hosts of the live services.
const (
	ProductionURL = "https://api-eu.dhl.com"
	SandboxURL    = "https://api-sandbox.dhl.com"
	// TrackingSandboxURL is where the Unified Tracking API's test host lives.
	TrackingSandboxURL = "https://api-test.dhl.com"
)

// Base paths of the APIs below the host.
const (
	ShippingPath = "/parcel/de/shipping/v2"
	ReturnsPath  = "/parcel/de/shipping/returns/v1"
	TrackingPath = "/track/shipments"
	TokenPath    = "/parcel/de/account/auth/ropc/v1/token"
)

// Authentication modes.
const (
	AuthOAuth = "oauth" // OAuth2 password grant (recommended; Basic is being dropped)
	AuthBasic = "basic" // HTTP Basic with the business-portal user
)

// The public sandbox login from DHL's documents.
const (
	SandboxUser     = "user-valid"
	SandboxPassword = "SandboxPasswort2023!"
)

// Environment variables that override secrets in the configuration file, so
// that the file can be shared without them.
const (
	EnvAPIKey         = "LABELAGENT_DHL_API_KEY"
	EnvAPISecret      = "LABELAGENT_DHL_API_SECRET"
	EnvUsername       = "LABELAGENT_DHL_USERNAME"
	EnvPassword       = "LABELAGENT_DHL_PASSWORD"
	EnvTrackingAPIKey = "LABELAGENT_DHL_TRACKING_API_KEY"
	EnvBaseURL        = "LABELAGENT_DHL_BASE_URL"
)

// Config is the `dhl:` section of the agent's configuration file.
type Config struct {
	// BaseURL is the scheme and host the APIs live under (their base paths
	// are appended), e.g. https://api-eu.dhl.com or a simulator's URL.
	// Empty: production, or the sandbox when Sandbox is set.
	BaseURL string `yaml:"base_url,omitempty"`
	Sandbox bool   `yaml:"sandbox,omitempty"`
	// TrackingBaseURL overrides BaseURL for the Unified Tracking API, which
	// has its own test host.
	TrackingBaseURL string `yaml:"tracking_base_url,omitempty"`

	APIKey    string `yaml:"api_key,omitempty"`
	APISecret string `yaml:"api_secret,omitempty"`
	// TrackingAPIKey is the key of the app subscribed to Unified Tracking
	// (often a different app); empty: APIKey.
	TrackingAPIKey string `yaml:"tracking_api_key,omitempty"`
	Username       string `yaml:"username,omitempty"`
	Password       string `yaml:"password,omitempty"`
	Auth           string `yaml:"auth,omitempty"` // oauth (default) or basic

	// Profile is the user-group profile of shipments and closeouts.
	Profile string `yaml:"profile,omitempty"` // default STANDARD_GRUPPENPROFIL
	// BillingNumbers maps a product (V01PAK, V53WPAK, V54EPAK, V62KP,
	// V66WPI) to the 14-character billing number booked for it.
	BillingNumbers map[string]string `yaml:"billing_numbers,omitempty"`
	// ReturnBillingNumber is used for return labels ordered with a shipment.
	ReturnBillingNumber string `yaml:"return_billing_number,omitempty"`
	// Shipper is the sender printed on labels made from the command line or
	// from jobs that name none: a reference kept in the business portal
	// (shipper_ref) or an address.
	Shipper ShipperConfig `yaml:"shipper,omitempty"`
	// ReturnReceiverID is the Returns API receiver for German senders (deu).
	ReturnReceiverID string `yaml:"return_receiver_id,omitempty"`

	Timeout      time.Duration `yaml:"timeout,omitempty"`        // per HTTP attempt, default 30s
	MaxRetries   int           `yaml:"max_retries,omitempty"`    // default 3; negative: none
	MaxRetryWait time.Duration `yaml:"max_retry_wait,omitempty"` // longest Retry-After honoured, default 60s
}

// ShipperConfig is the default sender.
type ShipperConfig struct {
	ShipperRef    string `yaml:"shipper_ref,omitempty"`
	Name1         string `yaml:"name1,omitempty"`
	Name2         string `yaml:"name2,omitempty"`
	AddressStreet string `yaml:"street,omitempty"` // street and house number
	PostalCode    string `yaml:"postal_code,omitempty"`
	City          string `yaml:"city,omitempty"`
	Country       string `yaml:"country,omitempty"` // ISO 3166 alpha-3, default DEU
	Email         string `yaml:"email,omitempty"`
}

// DecodeConfig reads the dhl: section of the configuration file strictly:
// an unknown key is an error that names it, not a silently ignored typo.
func DecodeConfig(node *yaml.Node) (Config, error) {
	var c Config
	if node == nil || node.Kind == 0 {
		return c, nil
	}
	// Decoded from the node itself, so problems name the configuration
	// file's lines, all of them at once.
	if err := yamlstrict.Decode(node, &c); err != nil {
		return c, fmt.Errorf("dhl section: %w", err)
	}
	return c, nil
}

// DefaultProfile is DHL's standard user-group profile.
const DefaultProfile = "STANDARD_GRUPPENPROFIL"

// WithEnv returns a copy with secrets taken from the environment where set
// (LABELAGENT_DHL_API_KEY, _API_SECRET, _USERNAME, _PASSWORD,
// _TRACKING_API_KEY, _BASE_URL).
func (c Config) WithEnv(getenv func(string) string) Config {
	if getenv == nil {
		getenv = os.Getenv
	}
	set := func(dst *string, name string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	set(&c.APIKey, EnvAPIKey)
	set(&c.APISecret, EnvAPISecret)
	set(&c.Username, EnvUsername)
	set(&c.Password, EnvPassword)
	set(&c.TrackingAPIKey, EnvTrackingAPIKey)
	set(&c.BaseURL, EnvBaseURL)
	return c
}

// WithDefaults fills in what was left empty.
func (c Config) WithDefaults() Config {
	if c.BaseURL == "" {
		c.BaseURL = ProductionURL
		if c.Sandbox {
			c.BaseURL = SandboxURL
		}
	}
	if c.TrackingBaseURL == "" {
		c.TrackingBaseURL = c.BaseURL
		if c.Sandbox && c.BaseURL == SandboxURL {
			c.TrackingBaseURL = TrackingSandboxURL
		}
	}
	if c.TrackingAPIKey == "" {
		c.TrackingAPIKey = c.APIKey
	}
	if c.Sandbox && c.Username == "" && c.Password == "" {
		c.Username, c.Password = SandboxUser, SandboxPassword
	}
	if c.Auth == "" {
		c.Auth = AuthOAuth
		if c.APISecret == "" {
			c.Auth = AuthBasic // the token endpoint needs the secret
		}
	}
	if c.Profile == "" {
		c.Profile = DefaultProfile
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = 3
	}
	if c.MaxRetryWait == 0 {
		c.MaxRetryWait = 60 * time.Second
	}
	return c
}

// Validate reports what is missing or malformed, naming the setting.
func (c Config) Validate() error {
	var errs []error
	for _, u := range []struct{ name, v string }{{"dhl.base_url", c.BaseURL}, {"dhl.tracking_base_url", c.TrackingBaseURL}} {
		if u.v == "" {
			continue
		}
		p, err := url.Parse(u.v)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			errs = append(errs, fmt.Errorf("%s: %q is not an http(s) URL", u.name, u.v))
		}
	}
	if c.APIKey == "" {
		errs = append(errs, fmt.Errorf("dhl.api_key is empty (or set %s)", EnvAPIKey))
	}
	switch strings.ToLower(c.Auth) {
	case AuthOAuth:
		if c.APISecret == "" {
			errs = append(errs, fmt.Errorf("dhl.api_secret is needed for auth: oauth (or set %s)", EnvAPISecret))
		}
	case AuthBasic, "":
	default:
		errs = append(errs, fmt.Errorf("dhl.auth: %q is neither oauth nor basic", c.Auth))
	}
	if c.Username == "" || c.Password == "" {
		errs = append(errs, fmt.Errorf("dhl.username and dhl.password (the business-portal user) are needed (or set %s/%s)", EnvUsername, EnvPassword))
	}
	if c.Timeout < 0 {
		errs = append(errs, errors.New("dhl.timeout must not be negative"))
	}
	return errors.Join(errs...)
}

// secrets lists the values that must never appear in logs.
func (c Config) secrets() []string {
	var s []string
	for _, v := range []string{c.APIKey, c.APISecret, c.Password, c.TrackingAPIKey} {
		if len(v) >= 3 {
			s = append(s, v)
		}
	}
	return s
}
