package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func noenv(string) string { return "" }

func TestDefaultsNeedNoFile(t *testing.T) {
	c, err := load("", noenv)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != DefaultListen || len(c.Printers) != 1 || c.Printers[0].Transport != "file" || c.DefaultPrinter != "file" {
		t.Fatalf("defaults %+v", c)
	}
	if c.Printers[0].File.Dir != filepath.Join(c.DataDir, "output", "file") {
		t.Fatalf("file printer dir %q", c.Printers[0].File.Dir)
	}
	if c.Source() != "embedded defaults" || c.Jobs.MaxPayload != 16<<20 {
		t.Fatalf("source %q payload %d", c.Source(), c.Jobs.MaxPayload)
	}
}

func TestFullFile(t *testing.T) {
	p := write(t, `
listen: "[::1]:9999"
data_dir: /srv/labelagent
log: {level: debug, format: json, file: /var/log/labelagent.log}
jobs:
  max_payload: 2MiB
  retention: 48h
  max_attempts: 3
  retry_initial: 500ms
  retry_max: 10s
default_printer: zebra
printers:
  - name: zebra
    transport: tcp
    tcp: {address: "192.0.2.10:9100", connect_timeout: 3s}
    profile: {dpi: 300, label: 910-300-600}
  - name: desk
    transport: file
`)
	c, err := load(p, noenv)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "[::1]:9999" || c.Jobs.MaxPayload != 2<<20 || c.Jobs.Retention != 48*time.Hour || c.Jobs.RetryInitial != 500*time.Millisecond {
		t.Fatalf("%+v", c)
	}
	z, ok := c.Printer("zebra")
	if !ok || z.TCP.Address != "192.0.2.10:9100" || z.TCP.ConnectTimeout != 3*time.Second || z.Profile.DPI != 300 {
		t.Fatalf("zebra %+v", z)
	}
	if d, _ := c.Printer("desk"); d.File.Dir != "/srv/labelagent/output/desk" {
		t.Fatalf("desk dir %q", d.File.Dir)
	}
}

func TestEnvironmentOverridesFileAndFlagsOverrideEnvironment(t *testing.T) {
	p := write(t, "listen: 127.0.0.1:1111\ndata_dir: /from/file\n")
	env := map[string]string{EnvListen: "127.0.0.1:2222", EnvDataDir: "/from/env"}
	c, err := load(p, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:2222" || c.DataDir != "/from/env" {
		t.Fatalf("env not applied: %s %s", c.Listen, c.DataDir)
	}
	c, _ = load(p, func(k string) string { return env[k] }, func(c *Config) { c.DataDir = "/from/flag" })
	if c.DataDir != "/from/flag" {
		t.Fatalf("flag not applied: %s", c.DataDir)
	}
}

func TestBadFilesListEveryProblem(t *testing.T) {
	cases := []struct {
		name string
		body string
		want []string
	}{
		{"unknown key names line and key", "listen: 127.0.0.1:1\nprinterz: []\n", []string{"config.yaml:2: printerz:", `unknown key "printerz"; did you mean "printers"?`}},
		{"unknown nested key", "printers:\n  - name: a\n    transport: file\n    colour: red\n", []string{"config.yaml:4: printers[0].colour:", `unknown key "colour"`}},
		{"wrong type", "jobs:\n  max_attempts: many\n", []string{"config.yaml:2: jobs.max_attempts:", `"many" is not a whole number`}},
		{"bad size", "jobs:\n  max_payload: 12 parsecs\n", []string{"config.yaml:2: jobs.max_payload:", "is not a size such as 16MiB"}},
		{"broken yaml", "listen: [\n", []string{"yaml"}},
		{"public listen", "listen: 0.0.0.0:9180\n", []string{"listen", "not a loopback address"}},
		{"several problems at once", "listen: 192.0.2.1:80\nlog: {level: loud}\njobs: {max_attempts: -1}\n", []string{"3 problems", "loopback", "log.level", "max_attempts"}},
		{"unknown transport", "printers:\n  - name: a\n    transport: carrier-pigeon\n", []string{`config.yaml:3: printers[0].transport: "carrier-pigeon" is not allowed; use file, tcp, serial, usb or spool`}},
		{"missing address", "printers:\n  - name: a\n    transport: tcp\n", []string{"tcp.address"}},
		{"duplicate names", "printers:\n  - {name: a, transport: file}\n  - {name: a, transport: file}\n", []string{`config.yaml:3: printers[1].name: the name "a" is used by two printers`}},
		{"default not a printer", "default_printer: b\nprinters:\n  - {name: a, transport: file}\n", []string{`config.yaml:1: default_printer: "b" is not one of the printers (a)`}},
		{"bad printer name", "printers:\n  - {name: 'a b/c', transport: file}\n", []string{"printer name"}},
		{"bad dpi", "printers:\n  - {name: a, transport: file, profile: {dpi: 250}}\n", []string{`config.yaml:2: printers[0].profile.dpi: "250" is not allowed; use 203, 300 or 600`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := write(t, c.body)
			_, err := load(p, noenv)
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *config.Error", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, p) {
				t.Errorf("error %q does not name the file", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
		})
	}
}

func TestEmptyFileMeansDefaults(t *testing.T) {
	c, err := load(write(t, "# nothing yet\n"), noenv)
	if err != nil || c.Listen != DefaultListen {
		t.Fatalf("%v %+v", err, c)
	}
}

func TestMissingFile(t *testing.T) {
	if _, err := load("/nonexistent/labelagent.yaml", noenv); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("err = %v", err)
	}
}

func TestParseSize(t *testing.T) {
	cases := []struct {
		in   string
		want Size
		ok   bool
	}{
		{"16MiB", 16 << 20, true}, {"512KiB", 512 << 10, true}, {"1048576", 1 << 20, true},
		{"2 GiB", 2 << 30, true}, {"500kB", 500000, true}, {"1mb", 1000000, true}, {"7b", 7, true},
		{"", 0, false}, {"-1MiB", 0, false}, {"1.5MiB", 0, false}, {"12 parsecs", 0, false},
		{"99999999999999999999", 0, false}, {"9999999999GiB", 0, false},
	}
	for _, c := range cases {
		got, err := ParseSize(c.in)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("ParseSize(%q) = %d, %v; want %d ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
	for _, s := range []Size{16 << 20, 3 << 30, 1 << 10, 1500} {
		back, err := ParseSize(s.String())
		if err != nil || back != s {
			t.Errorf("round trip %d -> %q -> %d %v", s, s.String(), back, err)
		}
	}
}

func TestCheckLoopback(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:9180": true, "localhost:1": true, "[::1]:9180": true, "127.8.9.10:80": true,
		"0.0.0.0:9180": false, ":9180": false, "192.168.1.5:9180": false, "[::]:1": false,
		"example.com:80": false, "127.0.0.1": false, "127.0.0.1:http": false, "127.0.0.1:70000": false,
	} {
		if err := CheckLoopback(addr); (err == nil) != ok {
			t.Errorf("CheckLoopback(%q) = %v, want ok=%v", addr, err, ok)
		}
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte("listen: 127.0.0.1:1\nprinters:\n  - {name: a, transport: tcp, tcp: {address: 'h:9100'}}\n"))
	f.Add([]byte("jobs: {max_payload: 1MiB, retention: 1h}\n"))
	f.Add([]byte("printers: [{name: x, transport: serial, serial: {device: /dev/ttyS0, baud: 9600}}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := load(p, noenv)
		if err == nil && len(c.Validate()) != 0 {
			t.Fatal("Load accepted a configuration that Validate refuses")
		}
	})
}
