// Package config loads the agent's one YAML configuration file: strict (an
// unknown key is an error naming file, line and key), with defaults for
// everything, per-OS default paths, and environment overrides for the two
// settings IT most often changes without editing the file.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

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

	Log LogConfig `yaml:"log"`

	Jobs JobsConfig `yaml:"jobs"`

	// DefaultPrinter receives jobs that name no printer.
	DefaultPrinter string           `yaml:"default_printer"`
	Printers       []printer.Config `yaml:"printers"`

	// Carrier sections are kept as raw YAML here and decoded strictly by the
	// carrier packages, so this package does not depend on them.
	DHL           yaml.Node `yaml:"dhl,omitempty"`
	Internetmarke yaml.Node `yaml:"internetmarke,omitempty"`

	// source is the file this came from ("" for embedded defaults).
	source string
}

// LogConfig: where logs go and how much.
type LogConfig struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
	File   string `yaml:"file"`   // empty: standard error (the journal or the service manager collects it)
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

// Source names the file the configuration came from, or "embedded defaults".
func (c *Config) Source() string {
	if c.source == "" {
		return "embedded defaults"
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
}

// applyEnv lets the environment override the file.
func (c *Config) applyEnv(getenv func(string) string) {
	if v := getenv(EnvListen); v != "" {
		c.Listen = v
	}
	if v := getenv(EnvDataDir); v != "" {
		c.DataDir = v
	}
}

// Load reads path ("" for the embedded defaults), applies the environment,
// then overrides (command-line flags), then defaults, and validates. Every
// problem found is returned in one error, with the configuration as far as
// it could be read.
func Load(path string, overrides ...func(*Config)) (*Config, error) {
	return load(path, os.Getenv, overrides...)
}

func load(path string, getenv func(string) string, overrides ...func(*Config)) (*Config, error) {
	c := &Config{}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read configuration: %w", err)
		}
		if err := decode(path, data, c); err != nil {
			return nil, err
		}
		c.source = path
	}
	c.applyEnv(getenv)
	for _, o := range overrides {
		o(c)
	}
	c.applyDefaults()
	if errs := c.Validate(); len(errs) > 0 {
		return c, &Error{File: c.Source(), Problems: errs}
	}
	return c, nil
}

// decode parses YAML strictly: unknown keys and wrong types are errors that
// name the file and line.
func decode(path string, data []byte, c *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(c)
	if errors.Is(err, io.EOF) {
		return nil // an empty file means all defaults
	}
	if err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			probs := make([]error, 0, len(te.Errors))
			for _, e := range te.Errors {
				probs = append(probs, errors.New(humanYAML(e)))
			}
			return &Error{File: path, Problems: probs}
		}
		return &Error{File: path, Problems: []error{errors.New(humanYAML(strings.TrimPrefix(err.Error(), "yaml: ")))}}
	}
	return nil
}

var reFieldNotFound = regexp.MustCompile(`^line (\d+): field (\S+) not found in type \S+$`)

// humanYAML rewrites the decoder's Go-flavoured messages for IT staff.
func humanYAML(msg string) string {
	if m := reFieldNotFound.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("line %s: unknown key %q", m[1], m[2])
	}
	return msg
}

// Error lists every problem of a configuration.
type Error struct {
	File     string
	Problems []error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "configuration %s has %d problem", e.File, len(e.Problems))
	if len(e.Problems) != 1 {
		b.WriteString("s")
	}
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p.Error())
	}
	return b.String()
}

// Validate lists every problem; nil means the configuration is usable.
func (c *Config) Validate() []error {
	var errs []error
	if err := CheckLoopback(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("listen: %w", err))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("data_dir is empty"))
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log.level %q: use debug, info, warn or error", c.Log.Level))
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log.format %q: use text or json", c.Log.Format))
	}
	j := c.Jobs
	if j.MaxPayload < 1024 {
		errs = append(errs, fmt.Errorf("jobs.max_payload %s is too small (at least 1KiB)", j.MaxPayload))
	}
	if j.Retention < time.Minute {
		errs = append(errs, fmt.Errorf("jobs.retention %s is too short (at least 1m)", j.Retention))
	}
	if j.MaxAttempts < 1 {
		errs = append(errs, fmt.Errorf("jobs.max_attempts %d: at least 1", j.MaxAttempts))
	}
	if j.RetryInitial <= 0 || j.RetryMax < j.RetryInitial {
		errs = append(errs, fmt.Errorf("jobs.retry_initial %s and jobs.retry_max %s: both positive, max not below initial", j.RetryInitial, j.RetryMax))
	}
	if j.MaxCopies < 1 {
		errs = append(errs, fmt.Errorf("jobs.max_copies %d: at least 1", j.MaxCopies))
	}
	seen := map[string]bool{}
	for i, p := range c.Printers {
		if seen[p.Name] {
			errs = append(errs, fmt.Errorf("printers[%d]: name %q is used twice", i, p.Name))
		}
		seen[p.Name] = true
		errs = append(errs, p.Validate()...)
	}
	if c.DefaultPrinter != "" && !seen[c.DefaultPrinter] {
		errs = append(errs, fmt.Errorf("default_printer %q is not one of the printers", c.DefaultPrinter))
	}
	return errs
}

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
		return fmt.Errorf("%q is not host:port: %w", addr, err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q: port %q is not a number from 0 to 65535", addr, port)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q is not a loopback address (use 127.0.0.1 or [::1])", addr)
	}
	return nil
}

// Size is a byte count written like 16MiB, 512KiB or 1048576.
type Size int64

// UnmarshalYAML parses sizes with binary or decimal units.
func (s *Size) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseSize(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
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
