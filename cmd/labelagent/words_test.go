package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/printer"
)

var update = flag.Bool("update", false, "rewrite the golden files of the CLI's output")

// goldenDir is absolute: some tests change their working directory.
var goldenDir = func() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return filepath.Join(wd, "testdata", "golden")
}()

// golden compares got with testdata/golden/NAME, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(goldenDir, name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to write it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// TestConfigCheckFindsEverything: one run of config check lists every
// problem of a file with problems of every kind — unknown keys (also in
// the carrier sections), wrong types, values not allowed (with the allowed
// ones), problems found after parsing, a value from an environment
// variable — each with file, line and key; run refuses with the same list.
func TestConfigCheckFindsEverything(t *testing.T) {
	bin := binary(t)
	fixture, err := filepath.Abs(filepath.Join("testdata", "config-problems.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	env := append(os.Environ(), "LABELAGENT_LISTEN=0.0.0.0:9180", "LABELAGENT_DATA_DIR="+data, "LABELAGENT_CONFIG=")
	run := func(args ...string) (string, string, int) {
		t.Helper()
		cmd := osexec.Command(bin, args...)
		cmd.Env = env
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if err != nil {
			code = cmd.ProcessState.ExitCode()
		}
		clean := func(s string) string {
			return strings.ReplaceAll(strings.ReplaceAll(s, fixture, "config-problems.yaml"), data, "$DATA")
		}
		return clean(out.String()), clean(errb.String()), code
	}
	for _, lang := range []string{"en", "de"} {
		_, check, code := run("--lang", lang, "config", "check", fixture)
		if code != 1 {
			t.Errorf("config check exit %d, want 1", code)
		}
		golden(t, "config-check."+lang, check)
		_, refused, code := run("--lang", lang, "run", "--config", fixture)
		if code != 1 {
			t.Errorf("run exit %d, want 1", code)
		}
		if refused != "labelagent: "+check {
			t.Errorf("run refused with other words than config check:\n--- run\n%s\n--- config check\n%s", refused, check)
		}
		lines := 0
		for _, l := range strings.Split(check, "\n") {
			if strings.HasPrefix(l, "  - config-problems.yaml:") {
				lines++
			}
		}
		if lines < 20 {
			t.Errorf("only %d problems with a line:\n%s", lines, check)
		}
	}
	out, _, code := run("config", "check", "--json", fixture)
	if code != 1 {
		t.Errorf("config check --json exit %d", code)
	}
	var res ConfigCheckJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("config check --json: %v\n%s", err, out)
	}
	if res.Valid || len(res.Problems) < 20 {
		t.Errorf("config check --json: valid %v, %d problems", res.Valid, len(res.Problems))
	}
	var env0 ProblemJSON
	for _, p := range res.Problems {
		if p.Env != "" {
			env0 = p
		}
		if p.Message == "" || (p.Line == 0 && p.Env == "") {
			t.Errorf("problem without words or place: %+v", p)
		}
	}
	if env0.Env != "LABELAGENT_LISTEN" || env0.Key != "listen" || env0.Line != 0 {
		t.Errorf("the listen address from the environment is not blamed on the variable: %+v", env0)
	}
	golden(t, "config-check.json", out)
}

// TestOfflineCommandsLeaveTheServiceAlone: convert and preview print no
// log lines, write nothing under the data directory, and "-o -" means
// standard output.
func TestOfflineCommandsLeaveTheServiceAlone(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	in := filepath.Join(dir, "label.zpl")
	if err := os.WriteFile(in, label(7), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "LABELAGENT_DATA_DIR="+data, "XDG_CACHE_HOME="+filepath.Join(dir, "cache"), "LC_ALL=C.UTF-8", "LABELAGENT_CONFIG=")
	for _, args := range [][]string{
		{"convert", in, "-o", "-"},
		{"convert", in, "--label", "4x6in", "-o", filepath.Join(dir, "out.zpl")},
		{"preview", in, "-o", filepath.Join(dir, "out.png")},
		{"--data-dir", data, "convert", in, "-o", "-"},
	} {
		cmd := osexec.Command(bin, args...)
		cmd.Env = env
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errb.String())
		}
		if strings.Contains(errb.String(), "level=") || strings.Contains(errb.String(), `"level"`) {
			t.Errorf("%v printed log lines:\n%s", args, errb.String())
		}
		if args[len(args)-1] == "-" && !strings.HasPrefix(out.String(), "^XA") {
			t.Errorf("%v: -o - did not write the ZPL to standard output: %q", args, out.String())
		}
		if _, err := os.Stat(data); !os.IsNotExist(err) {
			t.Fatalf("%v wrote under the data directory %s (%v)", args, data, err)
		}
	}
}

// TestConfigShowHidesSecrets: config show (human and JSON) prints secret
// values as ********, unless --secrets asks for them.
func TestConfigShowHidesSecrets(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "c.yaml")
	os.WriteFile(f, []byte("data_dir: "+dir+"\ninternetmarke:\n  enabled: false\n  api_key: key-4711\n  password: geheim\ndhl:\n  api_secret: s3cr3t\n  username: lager\n"), 0o600)
	for _, args := range [][]string{{"config", "show"}, {"config", "show", "--json"}, {"config", "show", "--secrets"}} {
		var out, errb bytes.Buffer
		app := newCLIApp("t", strings.NewReader(""), &out, &errb)
		app.env = func(string) string { return "" }
		root := app.root()
		root.SetArgs(append([]string{"--config", f}, args...))
		if err := root.Execute(); err != nil {
			t.Fatalf("%v: %v %s", args, err, errb.String())
		}
		got := out.String()
		secrets := []string{"key-4711", "geheim", "s3cr3t"}
		for _, s := range secrets {
			if shown := strings.Contains(got, s); shown != (args[len(args)-1] == "--secrets") {
				t.Errorf("%v: secret %q shown=%v:\n%s", args, s, shown, got)
			}
		}
		if !strings.Contains(got, "lager") {
			t.Errorf("%v: a value that is no secret is hidden:\n%s", args, got)
		}
	}
}

// TestStatesAndReasonsHaveWords: the keys built at run time (job states,
// printer states, wait reasons) exist in every language, so no operator
// ever reads a bare code.
func TestStatesAndReasonsHaveWords(t *testing.T) {
	var ids []string
	for _, s := range jobStates {
		ids = append(ids, "cli.state."+s)
	}
	for _, s := range []printer.State{printer.StateReady, printer.StatePaperOut, printer.StateRibbonOut, printer.StateHeadOpen,
		printer.StatePaused, printer.StateBufferFull, printer.StateOffline, printer.StateUnknown} {
		ids = append(ids, "cli.printer_state."+string(s))
	}
	for _, c := range []string{apitype.WaitPaused, apitype.WaitPaperOut, apitype.WaitHeadOpen, apitype.WaitRibbonOut,
		apitype.WaitPrinterError, apitype.WaitUnreachable, apitype.WaitBehind, apitype.WaitPreparingRenderer} {
		ids = append(ids, "wait."+c)
	}
	for _, id := range ids {
		for _, l := range i18n.Langs() {
			if !i18n.Default().Has(l, id) {
				t.Errorf("%s has no %s words", id, l)
			}
		}
	}
	de := i18n.For(i18n.German)
	w := &apitype.WaitReason{Code: apitype.WaitUnreachable, Printer: "zebra", Detail: "dial tcp 10.0.0.9:9100: connection refused"}
	if got := waitText(de, w); got != "zebra ist nicht erreichbar: dial tcp 10.0.0.9:9100: connection refused" {
		t.Errorf("unreachable with the last error: %q", got)
	}
	w.Detail = ""
	if got := waitText(de, w); got != "zebra ist nicht erreichbar" {
		t.Errorf("unreachable without detail: %q", got)
	}
	if got := waitText(i18n.For(i18n.English), &apitype.WaitReason{Code: apitype.WaitBehind, Printer: "zebra", Ahead: "41"}); got != "job 41 prints first" {
		t.Errorf("behind: %q", got)
	}
}

// TestLanguageChoice: LANG chooses German, the configuration's language
// wins over it, and --lang over both.
func TestLanguageChoice(t *testing.T) {
	dir := t.TempDir()
	cfgEN := filepath.Join(dir, "en.yaml")
	os.WriteFile(cfgEN, []byte("language: en\ndata_dir: "+dir+"\n"), 0o600)
	for _, c := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"LANG": "de_DE.UTF-8"}, nil, "ist gültig"},
		{map[string]string{"LANG": "en_US.UTF-8"}, nil, "is valid"},
		{map[string]string{"LC_ALL": "de_AT.UTF-8", "LANG": "en_US.UTF-8"}, nil, "ist gültig"},
		{map[string]string{"LANG": "de_DE.UTF-8"}, []string{"--config", cfgEN}, "is valid"},
		{map[string]string{"LANG": "en_US.UTF-8"}, []string{"--config", cfgEN, "--lang", "de"}, "ist gültig"},
	} {
		var out, errb bytes.Buffer
		app := newCLIApp("t", strings.NewReader(""), &out, &errb)
		app.env = func(k string) string { return c.env[k] }
		root := app.root()
		args := append([]string{"--data-dir", dir}, c.args...)
		root.SetArgs(append(args, "config", "check"))
		if err := root.Execute(); err != nil {
			t.Fatalf("%v %v: %v %s", c.env, c.args, err, errb.String())
		}
		if !strings.Contains(out.String(), c.want) {
			t.Errorf("%v %v: %q, want %q", c.env, c.args, out.String(), c.want)
		}
	}
}
