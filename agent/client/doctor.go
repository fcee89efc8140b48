package client

import (
	"context"
	"net/http"

	"github.com/labelagent/labelagent/agent/apitype"
)

// CheckCarriers asks the agent whether each configured carrier accepts its
// credentials (a cheap authenticated call without side effects).
func (c *Client) CheckCarriers(ctx context.Context) ([]apitype.CarrierCheck, error) {
	var out apitype.CarrierChecks
	err := c.Do(ctx, http.MethodGet, "/carriers/check", nil, nil, "", &out)
	return out.Carriers, err
}
