package client

import (
	"os"

	"github.com/labelagent/labelagent/agent/config"
)

func envListen() string { return os.Getenv(config.EnvListen) }
