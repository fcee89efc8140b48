package config

import (
	"fmt"
	"net/url"
	"regexp"
	"time"
)

// NATSConfig joins the station to a warehouse over NATS JetStream: jobs for
// the station and its pools come in, job, shipment and printer events go
// out, and a key-value bucket says which stations are alive.
type NATSConfig struct {
	// URLs of the servers (nats://host:4222, tls://…); empty: NATS is off.
	URLs []string `yaml:"urls"`
	// Credentials: a creds file (JWT + NKey), an NKey seed file, or a user
	// and password ("$NAME" reads the environment variable NAME).
	CredsFile string `yaml:"creds_file"`
	NKeyFile  string `yaml:"nkey_file"`
	User      string `yaml:"user"`
	Password  string `yaml:"password"`
	TLS       struct {
		CAFile   string `yaml:"ca_file"`
		CertFile string `yaml:"cert_file"`
		KeyFile  string `yaml:"key_file"`
	} `yaml:"tls"`
	// Station is this station's name (subjects, the key in the bucket).
	Station string `yaml:"station"`
	// Pools the station takes jobs for ("parcel-line"): a job sent to a
	// pool is printed by exactly one of its stations.
	Pools []string `yaml:"pools"`
	// Prefix of every subject (default "labelagent").
	Prefix string `yaml:"prefix"`
	// JobStream and EventStream are the JetStream streams (created when
	// missing and the credentials allow it).
	JobStream   string `yaml:"job_stream"`
	EventStream string `yaml:"event_stream"`
	// Replicas of the streams and the bucket the station creates (1; 3 on
	// a 3-node cluster).
	Replicas int `yaml:"replicas"`
	// Bucket is the key-value bucket of station states.
	Bucket string `yaml:"bucket"`
	// Heartbeat is how often the station writes its state (default 10s);
	// an entry older than three heartbeats is gone.
	Heartbeat time.Duration `yaml:"heartbeat"`
	// AckWait is how long a fetched job may stay unacknowledged before the
	// server delivers it again (default 30s).
	AckWait time.Duration `yaml:"ack_wait"`
	// EventBuffer bounds the events kept while the server is unreachable
	// (default 10000; older ones are dropped first, and counted).
	EventBuffer int `yaml:"event_buffer"`
	// Printer receives jobs that name none (default: default_printer).
	Printer string `yaml:"printer"`
	// PoolBacklog is how many jobs the printer of pool jobs (Printer) may
	// hold before the station stops taking pool jobs (default 2: one
	// printing, one ready behind it), so a pool's jobs go to the stations
	// whose printers are free instead of piling up at one of them.
	PoolBacklog int `yaml:"pool_backlog"`
}

// Enabled reports whether the station joins a NATS warehouse.
func (n NATSConfig) Enabled() bool { return len(n.URLs) > 0 }

var natsToken = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func (c *Config) natsDefaults() {
	n := &c.NATS
	if n.Prefix == "" {
		n.Prefix = "labelagent"
	}
	if n.JobStream == "" {
		n.JobStream = "LABELAGENT_JOBS"
	}
	if n.EventStream == "" {
		n.EventStream = "LABELAGENT_EVENTS"
	}
	if n.Bucket == "" {
		n.Bucket = "labelagent_stations"
	}
	if n.Replicas == 0 {
		n.Replicas = 1
	}
	if n.Heartbeat == 0 {
		n.Heartbeat = 10 * time.Second
	}
	if n.AckWait == 0 {
		n.AckWait = 30 * time.Second
	}
	if n.EventBuffer == 0 {
		n.EventBuffer = 10000
	}
	if n.PoolBacklog == 0 {
		n.PoolBacklog = 2
	}
}

func (c *Config) validateNATS(printers map[string]bool, names []string) []error {
	n := c.NATS
	if !n.Enabled() {
		return nil
	}
	var errs []error
	add := func(p *Problem) { errs = append(errs, p) }
	for i, u := range n.URLs {
		pu, err := url.Parse(u)
		if err != nil || pu.Host == "" || (pu.Scheme != "nats" && pu.Scheme != "tls" && pu.Scheme != "ws" && pu.Scheme != "wss") {
			add(problem(fmt.Sprintf("nats.urls[%d]", i), "config.bad_nats_url", "value", u))
		}
	}
	if !natsToken.MatchString(n.Station) {
		add(problem("nats.station", "config.bad_token", "value", n.Station))
	}
	for i, p := range n.Pools {
		if !natsToken.MatchString(p) {
			add(problem(fmt.Sprintf("nats.pools[%d]", i), "config.bad_token", "value", p))
		}
	}
	for _, kv := range [][2]string{{"nats.prefix", n.Prefix}, {"nats.job_stream", n.JobStream}, {"nats.event_stream", n.EventStream}, {"nats.bucket", n.Bucket}} {
		if !natsToken.MatchString(kv[1]) {
			add(problem(kv[0], "config.bad_token", "value", kv[1]))
		}
	}
	creds := 0
	for _, v := range []string{n.CredsFile, n.NKeyFile, n.User} {
		if v != "" {
			creds++
		}
	}
	if creds > 1 {
		add(problem("nats.creds_file", "config.nats_one_credential"))
	}
	if (n.TLS.CertFile == "") != (n.TLS.KeyFile == "") {
		add(problem("nats.tls.cert_file", "config.nats_cert_pair"))
	}
	if n.Heartbeat < time.Second {
		add(problem("nats.heartbeat", "config.too_short", "value", n.Heartbeat.String(), "min", "1s"))
	}
	if n.AckWait < time.Second {
		add(problem("nats.ack_wait", "config.too_short", "value", n.AckWait.String(), "min", "1s"))
	}
	if n.Replicas < 1 || n.Replicas > 5 {
		add(problem("nats.replicas", "config.at_least", "value", n.Replicas, "min", 1))
	}
	if n.PoolBacklog < 1 {
		add(problem("nats.pool_backlog", "config.at_least", "value", n.PoolBacklog, "min", 1))
	}
	if n.EventBuffer < 0 {
		add(problem("nats.event_buffer", "config.at_least", "value", n.EventBuffer, "min", 0))
	}
	if n.Printer != "" && !printers[n.Printer] {
		add(problem("nats.printer", "config.not_a_printer", "value", n.Printer, "allowed", names))
	}
	return errs
}
