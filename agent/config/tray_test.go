package config

import (
	"errors"
	"strings"
	"testing"
)

func TestTrayLowBalance(t *testing.T) {
	cases := []struct {
		body    string
		cents   int64
		problem string // "" when valid
	}{
		{"", 2000, ""},
		{"tray: {low_balance: 20}\n", 2000, ""},
		{"tray: {low_balance: \"12,50\"}\n", 1250, ""},
		{"tray: {low_balance: 12.5}\n", 1250, ""},
		{"tray: {low_balance: \"1.234,56\"}\n", 123456, ""},
		{"tray: {low_balance: 0}\n", 0, ""},
		{"tray: {low_balance: \"-5\"}\n", 0, `config.yaml:1: tray.low_balance: "-5" is not an amount in euros`},
		{"tray: {low_balance: zwanzig}\n", 0, `config.yaml:1: tray.low_balance: "zwanzig" is not an amount in euros`},
		{"tray:\n  low_balanse: 20\n", 0, `unknown key "low_balanse"; did you mean "low_balance"?`},
	}
	for _, c := range cases {
		p := write(t, c.body)
		cfg, err := load(p, noenv)
		if c.problem != "" {
			var ce *Error
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.problem) {
				t.Errorf("%q: err = %v, want %q", c.body, err, c.problem)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.body, err)
			continue
		}
		if got, err := cfg.Tray.LowBalanceCents(); err != nil || got != c.cents {
			t.Errorf("%q: LowBalanceCents = %d, %v; want %d", c.body, got, err, c.cents)
		}
	}
}
