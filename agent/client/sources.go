package client

import (
	"context"
	"net/http"

	"github.com/labelagent/labelagent/agent/apitype"
)

// Sources reports the agent's job sources (hot folders, feeds, NATS).
func (c *Client) Sources(ctx context.Context) ([]apitype.SourceStatus, error) {
	var out apitype.SourceList
	err := c.Do(ctx, http.MethodGet, "/sources", nil, nil, "", &out)
	return out.Sources, err
}

// Stations lists the warehouse's stations from the NATS key-value bucket.
func (c *Client) Stations(ctx context.Context) (apitype.StationList, error) {
	var out apitype.StationList
	err := c.Do(ctx, http.MethodGet, "/stations", nil, nil, "", &out)
	return out, err
}
