package config

import (
	"os"
	"path/filepath"
	"runtime"
)

// SystemConfigFile is where the installer puts the configuration.
func SystemConfigFile() string {
	switch runtime.GOOS {
	case "windows":
		return filepath.Join(programData(), "labelagent", "config.yaml")
	case "darwin":
		return "/Library/Application Support/labelagent/config.yaml"
	default:
		return "/etc/labelagent/config.yaml"
	}
}

// SystemDataDir is the service's data directory.
func SystemDataDir() string {
	switch runtime.GOOS {
	case "windows":
		return filepath.Join(programData(), "labelagent", "data")
	case "darwin":
		return "/Library/Application Support/labelagent/data"
	default:
		return "/var/lib/labelagent"
	}
}

// UserDataDir is the data directory of an agent run by a normal user (a
// developer's `make run`, a trial without installing).
func UserDataDir() string {
	if runtime.GOOS == "linux" {
		if d := os.Getenv("XDG_STATE_HOME"); d != "" {
			return filepath.Join(d, "labelagent")
		}
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, ".local", "state", "labelagent")
		}
	}
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "labelagent")
	}
	return filepath.Join(os.TempDir(), "labelagent")
}

// DefaultDataDir is the system directory for a privileged agent (the
// installed service), otherwise the user's own.
func DefaultDataDir() string {
	if privileged() {
		return SystemDataDir()
	}
	return UserDataDir()
}

// ClientDataDir is where the CLI and the tray look for the API key: the
// installed service's directory when it exists, otherwise the user's own.
func ClientDataDir() string {
	if d := os.Getenv(EnvDataDir); d != "" {
		return d
	}
	if _, err := os.Stat(SystemDataDir()); err == nil {
		return SystemDataDir()
	}
	return UserDataDir()
}

// DefaultConfigFile is the file read when none is named: $LABELAGENT_CONFIG,
// else the system file if it exists, else none (embedded defaults).
func DefaultConfigFile() string {
	if f := os.Getenv(EnvConfig); f != "" {
		return f
	}
	if _, err := os.Stat(SystemConfigFile()); err == nil {
		return SystemConfigFile()
	}
	return ""
}

func programData() string {
	if d := os.Getenv("ProgramData"); d != "" {
		return d
	}
	return `C:\ProgramData`
}

func privileged() bool {
	if runtime.GOOS == "windows" {
		// The service runs as LocalSystem; a user's trial run writes under
		// %AppData%. Without a token check, ProgramData's writability decides.
		f, err := os.CreateTemp(programData(), ".labelagent-probe-*")
		if err != nil {
			return false
		}
		f.Close()
		os.Remove(f.Name())
		return true
	}
	return os.Geteuid() == 0
}
