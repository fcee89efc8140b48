package apitype

import "time"

// Browser pairing: web pages from an origin the operator approved print
// through the browser API with a token; the control API's /api/v1/origins
// endpoints let the CLI and the tray list, approve, deny and revoke them.

// Scopes an origin can be granted. Print is granted with every approval;
// shipping and postage spend money and are granted separately.
const (
	ScopePrint    = "print"
	ScopeShipping = "shipping"
	ScopePostage  = "postage"
)

// AllScopes lists every scope, print first.
func AllScopes() []string { return []string{ScopePrint, ScopeShipping, ScopePostage} }

// Origin states.
const (
	OriginPending  = "pending"  // asked to pair; the operator has not decided
	OriginApproved = "approved" // may print (with its token on the browser API)
	OriginDenied   = "denied"   // refused until the operator revokes the decision
)

// Origin is a web origin that asked to print, and what the operator decided.
type Origin struct {
	Origin string   `json:"origin"` // scheme://host[:port]
	State  string   `json:"state"`  // pending, approved, denied
	App    string   `json:"app,omitempty"`
	Code   string   `json:"code,omitempty"` // shown on the asking page too, so the operator can match them
	Via    string   `json:"via,omitempty"`  // "browser_api" or "browser_print"
	Scopes []string `json:"scopes,omitempty"`
	// Paired is true when a token is active (Browser Print pages have none).
	Paired    bool       `json:"paired"`
	Requested *time.Time `json:"requested,omitempty"` // the open request, if any
	Decided   *time.Time `json:"decided,omitempty"`
	LastUsed  *time.Time `json:"last_used,omitempty"`
}

// OriginList lists every known origin, pending first.
type OriginList struct {
	Origins []Origin `json:"origins"`
}

// OriginDecision approves, denies or revokes an origin. Scopes (approve
// only) default to print.
type OriginDecision struct {
	Origin string   `json:"origin"`
	Scopes []string `json:"scopes,omitempty"`
}

// Error codes of the browser API.
const (
	CodeNotPaired = "not_paired"    // no token, or the origin was never approved
	CodeDenied    = "denied"        // the operator denied this origin
	CodePending   = "pending"       // waiting for the operator
	CodeScope     = "scope_missing" // the origin lacks the scope this call needs
)
