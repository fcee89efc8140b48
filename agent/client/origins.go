package client

import (
	"context"
	"net/http"

	"github.com/labelagent/labelagent/agent/apitype"
)

// Browser pairing: the agent's /api/v1/origins endpoints.

// Origins lists the web origins that asked to print, open requests first.
func (c *Client) Origins(ctx context.Context) ([]apitype.Origin, error) {
	var l apitype.OriginList
	err := c.Do(ctx, http.MethodGet, "/origins", nil, nil, "", &l)
	return l.Origins, err
}

// ApproveOrigin lets origin print, with the extra scopes given (print is
// always granted).
func (c *Client) ApproveOrigin(ctx context.Context, origin string, scopes []string) (apitype.Origin, error) {
	var o apitype.Origin
	err := c.postJSON(ctx, "/origins/approve", apitype.OriginDecision{Origin: origin, Scopes: scopes}, &o)
	return o, err
}

// DenyOrigin refuses origin until the decision is revoked.
func (c *Client) DenyOrigin(ctx context.Context, origin string) (apitype.Origin, error) {
	var o apitype.Origin
	err := c.postJSON(ctx, "/origins/deny", apitype.OriginDecision{Origin: origin}, &o)
	return o, err
}

// RevokeOrigin forgets origin: its token stops working, and a denied one
// may ask again.
func (c *Client) RevokeOrigin(ctx context.Context, origin string) (apitype.Origin, error) {
	var o apitype.Origin
	err := c.postJSON(ctx, "/origins/revoke", apitype.OriginDecision{Origin: origin}, &o)
	return o, err
}
