package apitype

import "time"

// CarrierCheck is the answer of one carrier to a cheap authenticated call
// without side effects (`labelagent doctor`): are the credentials accepted?
type CarrierCheck struct {
	Carrier    string `json:"carrier"`    // dhl, internetmarke
	Configured bool   `json:"configured"` // the configuration has its section
	// Result: ok | rejected (credentials refused) | unreachable | error | not_configured
	Result string `json:"result"`
	Detail string `json:"detail,omitempty"` // the service's or the network's own words
	// ClockSkewSeconds is the carrier's clock (its Date header) minus this
	// machine's, when the answer carried one.
	ClockSkewSeconds *float64  `json:"clock_skew_seconds,omitempty"`
	Checked          time.Time `json:"checked"`
}

// CarrierChecks is GET /api/v1/carriers/check.
type CarrierChecks struct {
	Carriers []CarrierCheck `json:"carriers"`
}
