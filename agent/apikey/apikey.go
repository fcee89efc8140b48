// Package apikey keeps the control API's key in a file in the data
// directory. Only the service's account and the operators can read it: on
// Linux and macOS the file is mode 0600 for the agent's user, plus read
// access (0640) for the group "labelagent" only where that group exists
// (the installer creates it) — never for a user's primary group, which
// others share. A key file found wider than that is tightened at start.
// On Windows the data directory under ProgramData inherits read access for
// local users. The CLI and the tray read it there.
package apikey

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// FileName is the key file's name in the data directory.
const FileName = "api.key"

// Path is the key file for dataDir.
func Path(dataDir string) string { return filepath.Join(dataDir, FileName) }

// Ensure returns the key in dataDir, creating it (256 random bits) if
// absent, and tightens the permissions of an existing key file that others
// could read (logged on log, which may be nil).
func Ensure(dataDir string, log *slog.Logger) (string, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return ensure(dataDir, log, operatorGroup)
}

func ensure(dataDir string, log *slog.Logger, group func() (int, bool)) (string, error) {
	key, err := Read(dataDir)
	if err == nil {
		if err := tighten(Path(dataDir), group, log); err != nil {
			return "", err
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("make API key: %w", err)
	}
	key = base64.RawURLEncoding.EncodeToString(b[:])
	path := Path(dataDir)
	tmp, err := os.CreateTemp(dataDir, ".api.key-*")
	if err != nil {
		return "", fmt.Errorf("write API key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(key + "\n"); err != nil {
		tmp.Close()
		return "", fmt.Errorf("write API key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("write API key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("write API key: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return "", fmt.Errorf("write API key: %w", err)
	}
	shareWithOperators(tmp.Name(), group)
	// Link, not rename: if another process created the key meanwhile, keep theirs.
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, os.ErrExist) {
		if err := os.Rename(tmp.Name(), path); err != nil {
			return "", fmt.Errorf("write API key: %w", err)
		}
	}
	return Read(dataDir)
}

// Read returns the key stored in dataDir.
func Read(dataDir string) (string, error) {
	data, err := os.ReadFile(Path(dataDir))
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return "", fmt.Errorf("read API key %s: permission denied (add your user to the labelagent group, then log in again): %w", Path(dataDir), err)
		}
		return "", fmt.Errorf("read API key: %w", err)
	}
	key := strings.TrimSpace(string(data))
	if key == "" {
		return "", fmt.Errorf("API key file %s is empty", Path(dataDir))
	}
	return key, nil
}
