// Package config loads the agent's one YAML configuration file: strict (an
// unknown key is an error naming file, line and key), with defaults for
// everything, per-OS default paths, and environment overrides for the two
// settings IT most often changes without editing the file.
package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/internal/yamlstrict"
	"github.com/labelagent/labelagent/printer"
)

// Environment variables that override the file.
const (
	EnvListen  = "LABELAGENT_LISTEN"
	EnvDataDir = "LABELAGENT_DATA_DIR"
	EnvConfig  = "LABELAGENT_CONFIG"
)

// DefaultListen is the control API's address: loopback only.
const DefaultListen = "127.0.0.1:9180"

// Config is the whole configuration file.
type Config struct {
	// Listen is the control API address; it must be a loopback address.
	Listen string `yaml:"listen"`
	// DataDir holds the job store, the API key and the file printer's output.
	DataDir string `yaml:"data_dir"`

	// Language is the language of what the agent and its CLI say: "de" or
	// "en"; empty: the system's (LANG / LC_MESSAGES, the Windows user's).
	Language string `yaml:"language,omitempty"`

	Log LogConfig `yaml:"log"`

	Jobs JobsConfig `yaml:"jobs"`

	// DefaultPrinter receives jobs that name no printer.
	DefaultPrinter string           `yaml:"default_printer"`
	Printers       []printer.Config `yaml:"printers"`

	// Browser is the browser API, the dashboard and Browser Print compatibility.
	Browser BrowserConfig `yaml:"browser"`

	// Carrier sections are kept as raw YAML here and decoded strictly by the
	// carrier packages, so this package does not depend on them.
	DHL           yaml.Node `yaml:"dhl,omitempty"`
	Internetmarke yaml.Node `yaml:"internetmarke,omitempty"`
	// Franking is DHL Online Franking (Parcel DE Private Shipping).
	Franking yaml.Node `yaml:"franking,omitempty"`

	// Shipments configures the agent's DHL shipment service (shipments.go).
	Shipments ShipmentsConfig `yaml:"shipments,omitempty"`
	// Sources are where jobs come from besides the control API.
	Sources SourcesConfig `yaml:"sources,omitempty"`

	// Packing is the packing station: rules, scale, reports to the shop.
	Packing PackingConfig `yaml:"packing,omitempty"`

	// NATS joins the station to a warehouse over NATS JetStream.
	NATS NATSConfig `yaml:"nats,omitempty"`

	// Tray is what the operator's tray is told (tray.go).
	Tray TrayConfig `yaml:"tray,omitempty"`

	// source is the file this came from ("" for embedded defaults).
	source string
	// ix locates keys in the file; origin names the environment variable
	// or flag a key's value came from; decodeErrs are the problems found
	// while reading the file, kept so every check reports them.
	ix         *index
	origin     map[string]string
	decodeErrs []error
}

// LogConfig: where logs go and how much.
type LogConfig struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
	File   string `yaml:"file"`   // empty: standard error (the journal or the service manager collects it)
	// The file is rotated (lumberjack) at MaxSizeMB, keeping MaxFiles old
	// files for at most MaxAgeDays; 0 takes the defaults 10, 5 and 30.
	MaxSizeMB  int `yaml:"max_size_mb,omitempty"`
	MaxFiles   int `yaml:"max_files,omitempty"`
	MaxAgeDays int `yaml:"max_age_days,omitempty"`
}

// JobsConfig: queue behaviour.
type JobsConfig struct {
	// MaxPayload is the largest accepted job, e.g. "16MiB".
	MaxPayload Size `yaml:"max_payload"`
	// Retention is how long finished jobs are kept before they are pruned.
	Retention time.Duration `yaml:"retention"`
	// MaxAttempts is how often a failing write is tried before the job fails.
	MaxAttempts int `yaml:"max_attempts"`
	// RetryInitial and RetryMax bound the backoff between attempts.
	RetryInitial time.Duration `yaml:"retry_initial"`
	RetryMax     time.Duration `yaml:"retry_max"`
	// MaxCopies caps copies per job against typos like 1000 instead of 10.
	MaxCopies int `yaml:"max_copies"`
}

// EmbeddedDefaults is what Source says when no file was read.
const EmbeddedDefaults = "embedded defaults"

// Source names the file the configuration came from, or "embedded defaults".
func (c *Config) Source() string {
	if c.source == "" {
		return EmbeddedDefaults
	}
	return c.source
}

// OutputDir is where the default file printer writes.
func (c *Config) OutputDir() string { return filepath.Join(c.DataDir, "output") }

// Default returns the embedded defaults: one file printer in the data
// directory, so the agent does its whole job on a machine with no printer.
func Default() *Config {
	c := &Config{
		Listen:  DefaultListen,
		DataDir: DefaultDataDir(),
		Log:     LogConfig{Level: "info", Format: "text"},
		Jobs: JobsConfig{
			MaxPayload:   16 << 20,
			Retention:    7 * 24 * time.Hour,
			MaxAttempts:  10,
			RetryInitial: time.Second,
			RetryMax:     time.Minute,
			MaxCopies:    100,
		},
	}
	return c
}

// applyDefaults fills what the file left out.
func (c *Config) applyDefaults() {
	defer c.sourceDefaults()
	defer c.packingDefaults()
	defer c.natsDefaults()
	d := Default()
	if c.Listen == "" {
		c.Listen = d.Listen
	}
	if c.DataDir == "" {
		c.DataDir = d.DataDir
	}
	if c.Log.Level == "" {
		c.Log.Level = d.Log.Level
	}
	if c.Log.Format == "" {
		c.Log.Format = d.Log.Format
	}
	j := &c.Jobs
	if j.MaxPayload == 0 {
		j.MaxPayload = d.Jobs.MaxPayload
	}
	if j.Retention == 0 {
		j.Retention = d.Jobs.Retention
	}
	if j.MaxAttempts == 0 {
		j.MaxAttempts = d.Jobs.MaxAttempts
	}
	if j.RetryInitial == 0 {
		j.RetryInitial = d.Jobs.RetryInitial
	}
	if j.RetryMax == 0 {
		j.RetryMax = d.Jobs.RetryMax
	}
	if j.MaxCopies == 0 {
		j.MaxCopies = d.Jobs.MaxCopies
	}
	if len(c.Printers) == 0 {
		// No printers configured: one file printer, so jobs still go somewhere visible.
		c.Printers = []printer.Config{{Name: "file", Transport: "file"}}
	}
	for i := range c.Printers {
		p := &c.Printers[i]
		if p.Transport == "file" && p.File.Dir == "" {
			p.File.Dir = filepath.Join(c.DataDir, "output", p.Name)
		}
	}
	if c.DefaultPrinter == "" && len(c.Printers) > 0 {
		c.DefaultPrinter = c.Printers[0].Name
	}
	c.Browser.applyDefaults()
}

// applyEnv lets the environment override the file.
func (c *Config) applyEnv(getenv func(string) string) {
	if v := getenv(EnvListen); v != "" {
		c.Listen = v
		c.SetOrigin("listen", EnvListen)
	}
	if v := getenv(EnvDataDir); v != "" {
		c.DataDir = v
		c.SetOrigin("data_dir", EnvDataDir)
	}
}

// SetOrigin records that key's value came from an environment variable
// (NAME) or a command-line flag (--name), so a problem with it blames that
// instead of a line of the file.
func (c *Config) SetOrigin(key, from string) {
	if c.origin == nil {
		c.origin = map[string]string{}
	}
	c.origin[key] = from
}

// DecodeProblems are the problems found while reading the file (unknown
// keys, values of the wrong type); Validate finds the rest.
func (c *Config) DecodeProblems() []error { return c.decodeErrs }

// Load reads path ("" for the embedded defaults), applies the environment,
// then overrides (command-line flags), then defaults, and validates. Every
// problem found is returned in one error, with the configuration as far as
// it could be read.
func Load(path string, overrides ...func(*Config)) (*Config, error) {
	return load(path, os.Getenv, overrides...)
}

func load(path string, getenv func(string) string, overrides ...func(*Config)) (*Config, error) {
	c := &Config{ix: newIndex(nil)}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, i18n.Wrap(err, "config.cannot_read", "file", path)
		}
		c.source = path
		if err := c.decode(data); err != nil {
			return nil, err
		}
	}
	c.applyEnv(getenv)
	for _, o := range overrides {
		o(c)
	}
	c.applyDefaults()
	return c, c.Locate(append(append([]error(nil), c.decodeErrs...), c.Validate()...))
}

// decode parses YAML strictly: every unknown key and every value of the
// wrong type is a problem that names the line; the rest is decoded, so the
// checks after parsing still see it. Only broken YAML syntax stops reading.
func (c *Config) decode(data []byte) error {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		p := &Problem{File: c.source, Err: i18n.E("config.syntax", "detail", msg)}
		if m := reLine.FindStringSubmatch(msg); m != nil {
			p.Line, _ = strconv.Atoi(m[1])
			p.Err = i18n.E("config.syntax", "detail", m[2])
		}
		return &Error{File: c.source, Problems: []error{p}}
	}
	if root.Kind == 0 {
		return nil // an empty file means all defaults
	}
	c.ix = newIndex(&root)
	err := yamlstrict.Decode(&root, c)
	var te *yaml.TypeError
	if errors.As(err, &te) {
		c.decodeErrs = c.ix.yamlProblems(c.source, te.Errors)
	} else if err != nil {
		c.decodeErrs = []error{&Problem{File: c.source, Err: err}}
	}
	return nil
}

// Validate lists every problem found after parsing, each with its key;
// nil means the configuration is usable. Locate adds the lines.
func (c *Config) Validate() []error {
	var errs []error
	add := func(p *Problem) { errs = append(errs, p) }
	if err := CheckLoopback(c.Listen); err != nil {
		add(&Problem{Key: "listen", Err: err})
	}
	if c.DataDir == "" {
		add(problem("data_dir", "config.empty"))
	}
	if c.Language != "" {
		if _, ok := i18n.ParseLang(c.Language); !ok {
			add(problem("language", "config.not_one_of", "value", c.Language, "allowed", []string{"de", "en"}))
		}
	}
	if !slices.Contains(logLevels, c.Log.Level) {
		add(problem("log.level", "config.not_one_of", "value", c.Log.Level, "allowed", logLevels))
	}
	if !slices.Contains(logFormats, c.Log.Format) {
		add(problem("log.format", "config.not_one_of", "value", c.Log.Format, "allowed", logFormats))
	}
	for _, f := range []struct {
		key string
		v   int
	}{{"log.max_size_mb", c.Log.MaxSizeMB}, {"log.max_files", c.Log.MaxFiles}, {"log.max_age_days", c.Log.MaxAgeDays}} {
		if f.v < 0 {
			add(problem(f.key, "config.negative", "value", f.v))
		}
	}
	j := c.Jobs
	if j.MaxPayload < 1024 {
		add(problem("jobs.max_payload", "config.too_small", "value", j.MaxPayload.String(), "min", "1KiB"))
	}
	if j.Retention < time.Minute {
		add(problem("jobs.retention", "config.too_short", "value", j.Retention.String(), "min", "1m"))
	}
	if j.MaxAttempts < 1 {
		add(problem("jobs.max_attempts", "config.at_least", "value", j.MaxAttempts, "min", 1))
	}
	switch {
	case j.RetryInitial <= 0:
		add(problem("jobs.retry_initial", "config.positive", "value", j.RetryInitial.String()))
	case j.RetryMax < j.RetryInitial:
		add(problem("jobs.retry_max", "config.retry_max_below", "value", j.RetryMax.String(), "initial", j.RetryInitial.String()))
	}
	if j.MaxCopies < 1 {
		add(problem("jobs.max_copies", "config.at_least", "value", j.MaxCopies, "min", 1))
	}
	seen := map[string]bool{}
	var names []string
	for i, p := range c.Printers {
		if seen[p.Name] {
			add(problem(fmt.Sprintf("printers[%d].name", i), "config.printer_twice", "name", p.Name))
		}
		if !seen[p.Name] {
			names = append(names, p.Name)
		}
		seen[p.Name] = true
		for _, e := range p.Validate() {
			// Keys relative to this entry, also when two share a name.
			var pp *printer.ConfigProblem
			if errors.As(e, &pp) {
				add(&Problem{Key: fmt.Sprintf("printers[%d].%s", i, pp.Key), Err: e})
			} else {
				add(&Problem{Key: fmt.Sprintf("printers[%d]", i), Err: e})
			}
		}
	}
	if c.DefaultPrinter != "" && !seen[c.DefaultPrinter] {
		add(problem("default_printer", "config.not_a_printer", "value", c.DefaultPrinter, "allowed", names))
	}
	errs = append(errs, c.Browser.validate()...)
	errs = append(errs, c.validateSources(seen, names)...)
	errs = append(errs, c.validatePacking(seen, names)...)
	errs = append(errs, c.validateNATS(seen, names)...)
	errs = append(errs, c.validateTray()...)
	return errs
}

var (
	logLevels  = []string{"debug", "info", "warn", "error"}
	logFormats = []string{"text", "json"}
)

// Printer returns the printer named name.
func (c *Config) Printer(name string) (printer.Config, bool) {
	for _, p := range c.Printers {
		if p.Name == name {
			return p, true
		}
	}
	return printer.Config{}, false
}

// CheckLoopback accepts host:port only where host is a loopback address or
// "localhost": the control API must never be reachable from the network.
func CheckLoopback(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return i18n.E("config.listen_not_hostport", "value", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return i18n.E("config.listen_bad_port", "value", addr, "port", port)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return i18n.E("config.listen_not_loopback", "value", addr)
	}
	return nil
}

// Size is a byte count written like 16MiB, 512KiB or 1048576.
type Size int64

// UnmarshalYAML parses sizes with binary or decimal units.
func (s *Size) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseSize(n.Value)
	if err != nil {
		// A type error lets decoding go on to the rest of the file.
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: cannot unmarshal !!str `%s` into config.Size", n.Line, n.Value)}}
	}
	*s = v
	return nil
}

// MarshalYAML writes the size back in its most readable form.
func (s Size) MarshalYAML() (any, error) { return s.String(), nil }

func (s Size) String() string {
	switch {
	case s >= 1<<30 && s%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", s>>30)
	case s >= 1<<20 && s%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", s>>20)
	case s >= 1<<10 && s%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", s>>10)
	}
	return strconv.FormatInt(int64(s), 10) + "B"
}

var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"k": 1000, "kb": 1000, "kib": 1 << 10,
	"m": 1000 * 1000, "mb": 1000 * 1000, "mib": 1 << 20,
	"g": 1000 * 1000 * 1000, "gb": 1000 * 1000 * 1000, "gib": 1 << 30,
}

var reSize = regexp.MustCompile(`^\s*(\d+)\s*([A-Za-z]*)\s*$`)

// ParseSize reads "16MiB", "500kB", "1048576".
func ParseSize(v string) (Size, error) {
	m := reSize.FindStringSubmatch(v)
	if m == nil {
		return 0, fmt.Errorf("size %q: write a number with an optional unit, e.g. 16MiB", v)
	}
	mult, ok := sizeUnits[strings.ToLower(m[2])]
	if !ok {
		return 0, fmt.Errorf("size %q: unknown unit %q (use B, KiB, MiB, GiB, kB, MB, GB)", v, m[2])
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || n > (1<<50)/mult {
		return 0, fmt.Errorf("size %q is too large", v)
	}
	return Size(n * mult), nil
}
