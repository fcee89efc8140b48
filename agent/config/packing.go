package config

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labelagent/labelagent/printer/scale"
)

// PackingConfig is the packing station: the rules that pick a carrier
// product and a printer for an order, the scale, and where tracking
// numbers are reported back to the shop.
type PackingConfig struct {
	Rules  []RuleConfig `yaml:"rules"`
	Scale  scale.Config `yaml:"scale"`
	Report ReportConfig `yaml:"report"`
}

// RuleConfig maps order facts to a carrier product and a printer. Rules
// are tried in order; the first whose conditions all hold is taken.
type RuleConfig struct {
	Name string   `yaml:"name"`
	When RuleWhen `yaml:"when"`
	// Carrier is dhl, internetmarke or franking.
	Carrier string `yaml:"carrier"`
	// Product: a DHL product (V01PAK, V62KP, V53WPAK …), an INTERNETMARKE
	// product code (1 = Standardbrief), or an Online Franking product id.
	Product string `yaml:"product"`
	// Printer for the label; empty: the carrier's printer or the default.
	Printer string `yaml:"printer"`
}

// RuleWhen are a rule's conditions; an empty one always holds.
type RuleWhen struct {
	MinWeightG   int      `yaml:"min_weight_g"`
	MaxWeightG   int      `yaml:"max_weight_g"`
	Countries    []string `yaml:"countries"`     // ISO alpha-2 or alpha-3
	NotCountries []string `yaml:"not_countries"` // ISO alpha-2 or alpha-3
	MaxLengthMM  int      `yaml:"max_length_mm"`
	MaxWidthMM   int      `yaml:"max_width_mm"`
	MaxHeightMM  int      `yaml:"max_height_mm"`
	Channels     []string `yaml:"channels"`
	ProductHint  string   `yaml:"product_hint"`
}

// ReportConfig is the shop's endpoint for tracking numbers.
type ReportConfig struct {
	URL     string            `yaml:"url"`
	Headers map[string]string `yaml:"headers"` // "$NAME" reads the environment variable
	Timeout time.Duration     `yaml:"timeout"`
}

// Carriers a rule can name.
var Carriers = []string{"dhl", "internetmarke", "franking"}

func (c *Config) packingDefaults() {
	if c.Packing.Report.Timeout == 0 {
		c.Packing.Report.Timeout = 15 * time.Second
	}
	for i := range c.Packing.Rules {
		r := &c.Packing.Rules[i]
		if r.Name == "" {
			r.Name = fmt.Sprintf("rule %d", i+1)
		}
		r.Carrier = strings.ToLower(strings.TrimSpace(r.Carrier))
	}
}

func (c *Config) validatePacking(printers map[string]bool, names []string) []error {
	var errs []error
	add := func(p *Problem) { errs = append(errs, p) }
	for i, r := range c.Packing.Rules {
		k := fmt.Sprintf("packing.rules[%d]", i)
		if !slices.Contains(Carriers, r.Carrier) {
			add(problem(k+".carrier", "config.not_one_of", "value", r.Carrier, "allowed", Carriers))
		}
		switch {
		case r.Product == "" && r.Carrier != "franking":
			add(problem(k+".product", "config.empty"))
		case r.Carrier == "internetmarke":
			if n, err := strconv.Atoi(r.Product); err != nil || n <= 0 {
				add(problem(k+".product", "config.im_product", "value", r.Product))
			}
		}
		if r.Printer != "" && !printers[r.Printer] {
			add(problem(k+".printer", "config.not_a_printer", "value", r.Printer, "allowed", names))
		}
		w := r.When
		if w.MaxWeightG > 0 && w.MinWeightG > w.MaxWeightG {
			add(problem(k+".when.min_weight_g", "config.min_above_max", "min", w.MinWeightG, "max", w.MaxWeightG))
		}
		for _, v := range []struct {
			key string
			n   int
		}{{"min_weight_g", w.MinWeightG}, {"max_weight_g", w.MaxWeightG}, {"max_length_mm", w.MaxLengthMM}, {"max_width_mm", w.MaxWidthMM}, {"max_height_mm", w.MaxHeightMM}} {
			if v.n < 0 {
				add(problem(k+".when."+v.key, "config.at_least", "value", v.n, "min", 0))
			}
		}
		for j, cc := range append(append([]string{}, w.Countries...), w.NotCountries...) {
			if !validCountry(cc) {
				key := fmt.Sprintf("%s.when.countries[%d]", k, j)
				if j >= len(w.Countries) {
					key = fmt.Sprintf("%s.when.not_countries[%d]", k, j-len(w.Countries))
				}
				add(problem(key, "config.bad_country", "value", cc))
			}
		}
	}
	if u := c.Packing.Report.URL; u != "" {
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			add(problem("packing.report.url", "config.bad_url", "value", u))
		}
	}
	if s := c.Packing.Scale; s.Device != "" {
		if s.Baud < 0 || (s.Baud > 0 && s.Baud < 300) {
			add(problem("packing.scale.baud", "config.at_least", "value", s.Baud, "min", 300))
		}
		if p := strings.ToLower(s.Parity); p != "" && !slices.Contains([]string{"none", "even", "odd"}, p) {
			add(problem("packing.scale.parity", "config.not_one_of", "value", s.Parity, "allowed", []string{"none", "even", "odd"}))
		}
	}
	return errs
}

func validCountry(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) != 2 && len(s) != 3 {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') {
			return false
		}
	}
	return true
}
