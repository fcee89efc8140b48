package config

import (
	"errors"
	"fmt"
	"time"
)

// DefaultBrowserListen is the browser API's address: loopback only, beside
// the control API's port.
const DefaultBrowserListen = "127.0.0.1:9181"

// Zebra Browser Print's fixed addresses, which existing web pages call.
const (
	DefaultBrowserPrintListen      = "127.0.0.1:9100"
	DefaultBrowserPrintHTTPSListen = "127.0.0.1:9101"
)

// BrowserConfig is the browser-facing surface: the paired print API for web
// pages, the operator's dashboard, and the optional Zebra Browser Print
// compatible endpoints.
type BrowserConfig struct {
	// Enabled turns the browser API and the dashboard on (default true).
	Enabled *bool `yaml:"enabled"`
	// Listen is the browser API's address; it must be a loopback address.
	Listen string `yaml:"listen"`
	// HTTPSListen, when set, also serves the browser API over HTTPS with a
	// certificate the agent makes for localhost (`labelagent browser cert
	// install` makes the user's browsers trust it). Empty: no HTTPS.
	HTTPSListen string `yaml:"https_listen"`
	// RatePerSecond and Burst bound each origin's requests (default 20/s, burst 60).
	RatePerSecond float64 `yaml:"rate_per_second"`
	Burst         int     `yaml:"burst"`
	// PairingTimeout is how long a pairing request waits for the operator (default 10m).
	PairingTimeout time.Duration `yaml:"pairing_timeout"`
	// BrowserPrint is the Zebra Browser Print compatible surface (off by default).
	BrowserPrint BrowserPrintConfig `yaml:"browser_print"`
}

// BrowserPrintConfig switches on the endpoints of Zebra Browser Print
// (/available, /default, /write, /read, /config), so web pages written for
// it print through labelagent unchanged.
type BrowserPrintConfig struct {
	Enabled     bool   `yaml:"enabled"`
	Listen      string `yaml:"listen"`       // default 127.0.0.1:9100
	HTTPSListen string `yaml:"https_listen"` // default 127.0.0.1:9101; "off" disables HTTPS
}

// On reports whether the browser API is enabled.
func (b BrowserConfig) On() bool { return b.Enabled == nil || *b.Enabled }

func (b *BrowserConfig) applyDefaults() {
	if b.Listen == "" {
		b.Listen = DefaultBrowserListen
	}
	if b.RatePerSecond == 0 {
		b.RatePerSecond = 20
	}
	if b.Burst == 0 {
		b.Burst = 60
	}
	if b.PairingTimeout == 0 {
		b.PairingTimeout = 10 * time.Minute
	}
	bp := &b.BrowserPrint
	if bp.Listen == "" {
		bp.Listen = DefaultBrowserPrintListen
	}
	if bp.HTTPSListen == "" {
		bp.HTTPSListen = DefaultBrowserPrintHTTPSListen
	}
}

func (b *BrowserConfig) validate() []error {
	var errs []error
	if err := CheckLoopback(b.Listen); err != nil {
		errs = append(errs, fmt.Errorf("browser.listen: %w", err))
	}
	if b.HTTPSListen != "" {
		if err := CheckLoopback(b.HTTPSListen); err != nil {
			errs = append(errs, fmt.Errorf("browser.https_listen: %w", err))
		}
	}
	if b.RatePerSecond < 0 || b.Burst < 1 {
		errs = append(errs, errors.New("browser.rate_per_second must not be negative and browser.burst at least 1"))
	}
	if b.PairingTimeout < 10*time.Second {
		errs = append(errs, fmt.Errorf("browser.pairing_timeout %s is too short (at least 10s)", b.PairingTimeout))
	}
	bp := b.BrowserPrint
	if err := CheckLoopback(bp.Listen); err != nil {
		errs = append(errs, fmt.Errorf("browser.browser_print.listen: %w", err))
	}
	if bp.HTTPSListen != "off" {
		if err := CheckLoopback(bp.HTTPSListen); err != nil {
			errs = append(errs, fmt.Errorf("browser.browser_print.https_listen: %w (or \"off\")", err))
		}
	}
	return errs
}
