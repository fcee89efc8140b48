package config

import (
	"math"

	"github.com/labelagent/labelagent/agent/i18n"
)

// DefaultLowBalance is tray.low_balance when the file leaves it out.
const DefaultLowBalance = "20"

// TrayConfig is the tray: section: what the operator's tray is told by the
// agent (through the control API, never from this file, which the tray's
// user may not be able to read).
type TrayConfig struct {
	// LowBalance is the Portokasse balance in euros below which the tray
	// notifies the operator once ("20", "12,50" or "12.50"; "0": never).
	LowBalance string `yaml:"low_balance,omitempty"`
}

// LowBalanceCents is tray.low_balance in cents (0: never notify).
func (t TrayConfig) LowBalanceCents() (int64, error) {
	s := t.LowBalance
	if s == "" {
		s = DefaultLowBalance
	}
	f, err := i18n.ParseDecimal(s)
	if err != nil || f < 0 || f > 1e7 || math.IsNaN(f) {
		return 0, i18n.E("config.tray_low_balance", "value", s)
	}
	return int64(math.Round(f * 100)), nil
}

func (c *Config) validateTray() []error {
	if _, err := c.Tray.LowBalanceCents(); err != nil {
		return []error{&Problem{Key: "tray.low_balance", Err: err}}
	}
	return nil
}
