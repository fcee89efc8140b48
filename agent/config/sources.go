package config

import (
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"time"
)

// SourcesConfig: where jobs come from besides the control API.
type SourcesConfig struct {
	HotFolders []HotFolderConfig `yaml:"hot_folders"`
	Feeds      []FeedConfig      `yaml:"feeds"`
}

// HotFolderConfig is a folder whose files are printed: .zpl/.prn as ZPL,
// .pdf, .png, anything else sent raw. Printed files move to done/, refused
// ones to failed/ with a .reason.txt beside them.
type HotFolderConfig struct {
	Name    string `yaml:"name"`
	Dir     string `yaml:"dir"`
	Printer string `yaml:"printer"` // empty: default_printer
	Copies  int    `yaml:"copies"`
	// Poll is how often the folder is listed besides change notifications
	// (network shares do not notify). Default 2s.
	Poll time.Duration `yaml:"poll"`
	// Settle: a file is taken when its size and time stayed the same this
	// long, so one still being written is left alone. Default 1s.
	Settle time.Duration `yaml:"settle"`
}

// FeedConfig is a remote job feed the agent polls (HTTP JSON).
type FeedConfig struct {
	Name string `yaml:"name"`
	URL  string `yaml:"url"`
	// Headers are sent with every request (e.g. Authorization); a value
	// "$NAME" is read from the environment variable NAME.
	Headers map[string]string `yaml:"headers"`
	// Interval between polls while the feed answers; default 10s. While it
	// does not, polls back off up to MaxBackoff (default 5m).
	Interval   time.Duration `yaml:"interval"`
	MaxBackoff time.Duration `yaml:"max_backoff"`
	Printer    string        `yaml:"printer"` // for entries that name none; empty: default_printer
	// Ack is how delivered entries are acknowledged: "post" (a JSON list to
	// AckURL, default), "delete" (DELETE AckURL/{id}), or "none".
	Ack    string `yaml:"ack"`
	AckURL string `yaml:"ack_url"` // default: URL + "/ack"
	// Timeout of one request; default 30s.
	Timeout time.Duration `yaml:"timeout"`
}

var feedAcks = []string{"post", "delete", "none"}

func (c *Config) sourceDefaults() {
	for i := range c.Sources.HotFolders {
		h := &c.Sources.HotFolders[i]
		if h.Name == "" {
			h.Name = filepath.Base(filepath.Clean(h.Dir))
		}
		if h.Poll == 0 {
			h.Poll = 2 * time.Second
		}
		if h.Settle == 0 {
			h.Settle = time.Second
		}
		if h.Copies == 0 {
			h.Copies = 1
		}
	}
	for i := range c.Sources.Feeds {
		f := &c.Sources.Feeds[i]
		if f.Name == "" {
			if u, err := url.Parse(f.URL); err == nil {
				f.Name = u.Host
			}
		}
		if f.Interval == 0 {
			f.Interval = 10 * time.Second
		}
		if f.MaxBackoff == 0 {
			f.MaxBackoff = 5 * time.Minute
		}
		if f.Ack == "" {
			f.Ack = "post"
		}
		if f.AckURL == "" && f.URL != "" {
			f.AckURL = f.URL + "/ack"
		}
		if f.Timeout == 0 {
			f.Timeout = 30 * time.Second
		}
	}
}

// validateSources checks the sources section; printers names the printers.
func (c *Config) validateSources(printers map[string]bool, names []string) []error {
	var errs []error
	add := func(p *Problem) { errs = append(errs, p) }
	checkPrinter := func(key, name string) {
		if name != "" && !printers[name] {
			add(problem(key, "config.not_a_printer", "value", name, "allowed", names))
		}
	}
	seen := map[string]bool{}
	for i, h := range c.Sources.HotFolders {
		k := fmt.Sprintf("sources.hot_folders[%d]", i)
		if h.Dir == "" {
			add(problem(k+".dir", "config.empty"))
		}
		if seen["hot:"+h.Name] {
			add(problem(k+".name", "config.source_twice", "name", h.Name))
		}
		seen["hot:"+h.Name] = true
		checkPrinter(k+".printer", h.Printer)
		if h.Copies < 1 || h.Copies > c.Jobs.MaxCopies {
			add(problem(k+".copies", "config.at_least", "value", h.Copies, "min", 1))
		}
		if h.Poll < 100*time.Millisecond {
			add(problem(k+".poll", "config.too_short", "value", h.Poll.String(), "min", "100ms"))
		}
		if h.Settle < 0 {
			add(problem(k+".settle", "config.positive", "value", h.Settle.String()))
		}
	}
	for i, f := range c.Sources.Feeds {
		k := fmt.Sprintf("sources.feeds[%d]", i)
		if u, err := url.Parse(f.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add(problem(k+".url", "config.bad_url", "value", f.URL))
		}
		if seen["feed:"+f.Name] {
			add(problem(k+".name", "config.source_twice", "name", f.Name))
		}
		seen["feed:"+f.Name] = true
		checkPrinter(k+".printer", f.Printer)
		if !slices.Contains(feedAcks, f.Ack) {
			add(problem(k+".ack", "config.not_one_of", "value", f.Ack, "allowed", feedAcks))
		}
		if f.Ack != "none" {
			if u, err := url.Parse(f.AckURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				add(problem(k+".ack_url", "config.bad_url", "value", f.AckURL))
			}
		}
		if f.Interval < time.Second {
			add(problem(k+".interval", "config.too_short", "value", f.Interval.String(), "min", "1s"))
		}
		if f.MaxBackoff < f.Interval {
			add(problem(k+".max_backoff", "config.too_short", "value", f.MaxBackoff.String(), "min", f.Interval.String()))
		}
	}
	return errs
}
