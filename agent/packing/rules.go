package packing

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/text/language"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/agent/i18n"
)

// Country returns the ISO 3166 alpha-2 code of an alpha-2 or alpha-3 code
// ("DEU" → "DE"), upper case; "" when it is no known region.
func Country(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	if s == "" {
		return ""
	}
	r, err := language.ParseRegion(s)
	if err != nil || !r.IsCountry() {
		return ""
	}
	return r.String()
}

// Country3 returns the alpha-3 code DHL's APIs take ("DE" → "DEU").
func Country3(s string) string {
	r, err := language.ParseRegion(strings.ToUpper(strings.TrimSpace(s)))
	if err != nil {
		return ""
	}
	return r.ISO3()
}

// Facts are what rules look at, taken from an order (and the scale).
type Facts struct {
	WeightGrams                 int
	Country                     string // alpha-2
	LengthMM, WidthMM, HeightMM int
	Channel                     string
	ProductHint                 string
}

// FactsOf reads an order's facts; weight overrides the order's weight when
// positive.
func FactsOf(o apitype.Order, weight int) Facts {
	f := Facts{WeightGrams: o.WeightGrams, Country: Country(o.Recipient.Country), LengthMM: o.LengthMM,
		WidthMM: o.WidthMM, HeightMM: o.HeightMM, Channel: o.Channel, ProductHint: o.ProductHint}
	if weight > 0 {
		f.WeightGrams = weight
	}
	if f.Country == "" && strings.TrimSpace(o.Recipient.Country) == "" {
		f.Country = "DE"
	}
	return f
}

func countrySet(list []string) []string {
	var out []string
	for _, c := range list {
		if cc := Country(c); cc != "" {
			out = append(out, cc)
		}
	}
	return out
}

// check tells whether a rule's conditions hold for f, and why not (as
// catalog words).
func check(r config.RuleConfig, f Facts) (bool, i18n.Message) {
	w := r.When
	why := func(id string, kv ...any) i18n.Message { return i18n.Message{ID: id, Args: kv} }
	switch {
	case w.MinWeightG > 0 && f.WeightGrams < w.MinWeightG:
		return false, why("packing.why.weight_below", "weight", f.WeightGrams, "min", w.MinWeightG)
	case w.MaxWeightG > 0 && f.WeightGrams > w.MaxWeightG:
		return false, why("packing.why.weight_above", "weight", f.WeightGrams, "max", w.MaxWeightG)
	case w.MaxWeightG > 0 && f.WeightGrams == 0:
		return false, why("packing.why.no_weight")
	case len(w.Countries) > 0 && !slices.Contains(countrySet(w.Countries), f.Country):
		return false, why("packing.why.country_not", "country", f.Country, "allowed", strings.Join(w.Countries, ", "))
	case slices.Contains(countrySet(w.NotCountries), f.Country):
		return false, why("packing.why.country_excluded", "country", f.Country)
	case w.MaxLengthMM > 0 && f.LengthMM > w.MaxLengthMM:
		return false, why("packing.why.length_above", "value", f.LengthMM, "max", w.MaxLengthMM)
	case w.MaxWidthMM > 0 && f.WidthMM > w.MaxWidthMM:
		return false, why("packing.why.width_above", "value", f.WidthMM, "max", w.MaxWidthMM)
	case w.MaxHeightMM > 0 && f.HeightMM > w.MaxHeightMM:
		return false, why("packing.why.height_above", "value", f.HeightMM, "max", w.MaxHeightMM)
	case len(w.Channels) > 0 && !slices.ContainsFunc(w.Channels, func(c string) bool { return strings.EqualFold(c, f.Channel) }):
		return false, why("packing.why.channel_not", "channel", f.Channel, "allowed", strings.Join(w.Channels, ", "))
	case w.ProductHint != "" && !strings.EqualFold(w.ProductHint, f.ProductHint):
		return false, why("packing.why.hint_not", "hint", f.ProductHint, "want", w.ProductHint)
	}
	return true, why("packing.why.all_hold")
}

// WhyIn words a rule check's reason in l's language.
func WhyIn(c apitype.RuleCheck, l *i18n.Localizer) string {
	if c.WhyID == "" {
		return c.Why
	}
	kv := make([]any, 0, 2*len(c.WhyArgs))
	for k, v := range c.WhyArgs {
		kv = append(kv, k, v)
	}
	return l.T(c.WhyID, kv...)
}

// Match returns the first rule whose conditions hold, and every rule's
// verdict up to it (for "rules test").
func Match(rules []config.RuleConfig, f Facts) (config.RuleConfig, bool, []apitype.RuleCheck) {
	var checks []apitype.RuleCheck
	for _, r := range rules {
		ok, why := check(r, f)
		c := apitype.RuleCheck{Rule: r.Name, Matched: ok, Why: i18n.For(i18n.English).T(why.ID, why.Args...), WhyID: why.ID}
		for i := 0; i+1 < len(why.Args); i += 2 {
			if c.WhyArgs == nil {
				c.WhyArgs = map[string]any{}
			}
			c.WhyArgs[why.Args[i].(string)] = why.Args[i+1]
		}
		checks = append(checks, c)
		if ok {
			return r, true, checks
		}
	}
	return config.RuleConfig{}, false, checks
}

// covers reports whether rule a holds for every order rule b holds for, so
// that b after a can never match.
func covers(a, b config.RuleWhen) bool {
	if a.MinWeightG > 0 && (b.MinWeightG < a.MinWeightG) {
		return false
	}
	if a.MaxWeightG > 0 && (b.MaxWeightG == 0 || b.MaxWeightG > a.MaxWeightG) {
		return false
	}
	if len(a.Countries) > 0 {
		if len(b.Countries) == 0 {
			return false
		}
		ac := countrySet(a.Countries)
		for _, c := range countrySet(b.Countries) {
			if !slices.Contains(ac, c) {
				return false
			}
		}
	}
	if len(a.NotCountries) > 0 {
		bc := countrySet(b.Countries)
		for _, c := range countrySet(a.NotCountries) {
			if len(bc) == 0 || slices.Contains(bc, c) {
				if !slices.Contains(countrySet(b.NotCountries), c) {
					return false
				}
			}
		}
	}
	for _, d := range [][2]int{{a.MaxLengthMM, b.MaxLengthMM}, {a.MaxWidthMM, b.MaxWidthMM}, {a.MaxHeightMM, b.MaxHeightMM}} {
		if d[0] > 0 && (d[1] == 0 || d[1] > d[0]) {
			return false
		}
	}
	if len(a.Channels) > 0 {
		if len(b.Channels) == 0 {
			return false
		}
		for _, c := range b.Channels {
			if !slices.ContainsFunc(a.Channels, func(x string) bool { return strings.EqualFold(x, c) }) {
				return false
			}
		}
	}
	if a.ProductHint != "" && !strings.EqualFold(a.ProductHint, b.ProductHint) {
		return false
	}
	return true
}

// Finding is a problem of a rule table.
type Finding struct {
	Rule    int    // index of the rule, -1 for the table
	Name    string // rule name
	Reason  string // unreachable: why
	Example string // uncovered: an order no rule takes
}

// Analyze finds rules that can never match (an earlier rule takes every
// order they would, or their own conditions contradict each other) and
// sample orders no rule covers.
func Analyze(rules []config.RuleConfig) []Finding {
	var out []Finding
	for i, r := range rules {
		w := r.When
		if w.MaxWeightG > 0 && w.MinWeightG > w.MaxWeightG {
			out = append(out, Finding{Rule: i, Name: r.Name, Reason: "its weight range is empty"})
			continue
		}
		if len(w.Countries) > 0 {
			left := 0
			for _, c := range countrySet(w.Countries) {
				if !slices.Contains(countrySet(w.NotCountries), c) {
					left++
				}
			}
			if left == 0 {
				out = append(out, Finding{Rule: i, Name: r.Name, Reason: "every country it names is also excluded"})
				continue
			}
		}
		for j := 0; j < i; j++ {
			if covers(rules[j].When, w) {
				out = append(out, Finding{Rule: i, Name: r.Name, Reason: fmt.Sprintf("rule %s before it takes every order it would", rules[j].Name)})
				break
			}
		}
	}
	if len(rules) == 0 {
		return out
	}
	// Sample orders: the weights and destinations a packing station sees.
	channels := []string{""}
	for _, r := range rules {
		channels = append(channels, r.When.Channels...)
	}
	for _, country := range []string{"DE", "AT", "FR", "CH", "GB", "US"} {
		for _, g := range []int{100, 900, 4000, 25000} {
			for _, ch := range channels {
				if _, ok, _ := Match(rules, Facts{WeightGrams: g, Country: country, Channel: ch}); !ok {
					ex := fmt.Sprintf("%d g to %s", g, country)
					if ch != "" {
						ex += " from channel " + ch
					}
					return append(out, Finding{Rule: -1, Example: ex})
				}
			}
		}
	}
	return out
}
