// Package stationtest serves the tests of NATS stations (agent/station and
// the end-to-end tests of the binary): a NATS server whose station users
// have exactly the permissions the README documents.
package stationtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// ReadmePermissions is the README's permission block ("permissions: {…}")
// for station st7 in the pool parcel-line, the way an administrator
// copies it, with the station and the pool replaced.
func ReadmePermissions(readme, station, pool string) (string, error) {
	data, err := os.ReadFile(readme)
	if err != nil {
		return "", err
	}
	_, rest, ok := strings.Cut(string(data), "<!-- station-permissions")
	if !ok {
		return "", fmt.Errorf("%s has no station-permissions block", readme)
	}
	_, rest, _ = strings.Cut(rest, "```\n")
	block, _, ok := strings.Cut(rest, "```")
	if !ok || !strings.HasPrefix(block, "permissions: {") {
		return "", fmt.Errorf("%s: the station-permissions block is not a permissions: {…} block:\n%s", readme, block)
	}
	return strings.NewReplacer("st7", station, "parcel-line", pool).Replace(block), nil
}

// User is a user of the server: with Permissions "" it may do anything,
// else Permissions is a nats-server "permissions: {…}" block.
type User struct {
	Name, Password, Permissions string
}

// Server starts a JetStream server on a free loopback port with its store
// in dir and these users, from a configuration file as an administrator
// writes one. Stop it with Shutdown.
func Server(dir string, users ...User) (*server.Server, error) {
	var us []string
	for _, u := range users {
		us = append(us, fmt.Sprintf("{ user: %q, password: %q, %s }", u.Name, u.Password, u.Permissions))
	}
	conf := fmt.Sprintf("listen: \"127.0.0.1:-1\"\njetstream { store_dir: %q }\nauthorization {\n  users = [\n    %s\n  ]\n}\n",
		filepath.Join(dir, "store"), strings.Join(us, "\n    "))
	path := filepath.Join(dir, "nats.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		return nil, err
	}
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		return nil, fmt.Errorf("the configuration does not load: %w\n%s", err, conf)
	}
	opts.NoLog, opts.NoSigs = true, true
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, err
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("nats server did not start")
	}
	return s, nil
}
