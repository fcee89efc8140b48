package main

import (
	"log/slog"

	"github.com/labelagent/labelagent/agent"
	"github.com/labelagent/labelagent/agent/config"
)

// newPreparer chooses how payloads become printer bytes.
func newPreparer(cfg *config.Config, log *slog.Logger) agent.Preparer {
	return nil // the agent's built-in: ZPL and raw
}
