package main

import (
	"bytes"
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/labelagent/labelagent/agent/i18n"
)

// helpCLI runs the command line in-process with the given environment
// (nil: an empty one) and returns what it printed.
func helpCLI(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	app := newCLIApp("1.2.3", strings.NewReader(""), &out, &errb)
	app.env = func(k string) string { return env[k] }
	root := app.root()
	root.SetArgs(args)
	if err := root.ExecuteContext(context.Background()); err != nil {
		code = app.report(err)
	}
	return out.String(), errb.String(), code
}

// helpTree is the command tree as cobra completes it before running a
// command (with its help and completion commands), worded in lang.
func helpTree(t *testing.T, lang i18n.Lang) (*cliApp, *cobra.Command) {
	t.Helper()
	app := newCLIApp("1.2.3", strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
	app.env = func(string) string { return "" }
	root := app.root()
	app.lang = string(lang) // after root(), which sets the flag's default
	app.localizeHelp(root)
	return app, root
}

func walkCommands(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		walkCommands(sub, fn)
	}
}

// TestHelpIsComplete: every command has its one-line description in both
// languages, every flag its usage, and the German help of every command
// holds none of the English texts. A new command or flag without catalog
// words fails here.
func TestHelpIsComplete(t *testing.T) {
	cat := i18n.Default()
	_, en := helpTree(t, i18n.English)
	deApp, de := helpTree(t, i18n.German)
	var enTexts = map[string][]string{} // command path → its English texts
	commands := 0
	walkCommands(en, func(c *cobra.Command) {
		path := c.CommandPath()
		commands++
		short := helpKey(c, "short")
		if short == "" {
			t.Errorf("%s: no help text (add help.%s.short to agent/i18n/locales/help.*.toml)", path, strings.ReplaceAll(strings.TrimPrefix(path, "labelagent "), " ", "."))
		}
		if _, args, ok := strings.Cut(c.Use, " "); ok {
			// The usage line's arguments: the catalog's English is the code's.
			k := helpKey(c, "args")
			if k == "" || cat.For(i18n.English).T(k) != args {
				t.Errorf("%s: want %s.args = %q in help.en.toml", path, helpKeys(c)[0], args)
			}
		}
		for _, field := range []string{"short", "long", "example", "args"} {
			k := helpKey(c, field)
			if k == "" {
				continue
			}
			for _, l := range i18n.Langs() {
				if !cat.Has(l, k) {
					t.Errorf("%s: %s has no %s text", path, k, l)
				}
			}
			if field == "short" || field == "long" {
				enTexts[path] = append(enTexts[path], strings.TrimSpace(cat.For(i18n.English).T(k, helpData(cat.For(i18n.English), c)...)))
			}
		}
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			k := flagKey(c, f.Name)
			for _, l := range i18n.Langs() {
				if !cat.Has(l, k) {
					t.Errorf("%s --%s: no %s usage (add help.flag.%s or %s.flag.%s)", path, f.Name, l, f.Name, helpKeys(c)[0], f.Name)
				}
			}
			enTexts[path] = append(enTexts[path], f.Usage)
		})
	})
	if commands < 90 {
		t.Fatalf("walked %d commands; the tree is not complete", commands)
	}
	walkCommands(de, func(c *cobra.Command) {
		if c.Hidden && c.Short == "" {
			return // cobra's own hidden requests (__complete)
		}
		var page bytes.Buffer
		c.SetOut(&page)
		deApp.helpOf(de)(c, nil)
		for _, s := range enTexts[c.CommandPath()] {
			// Prose only: a one-word usage ("city") is part of the flag's name.
			if strings.Contains(s, " ") && strings.Contains(page.String(), s) {
				t.Errorf("the German help of %s still says %q", c.CommandPath(), s)
			}
		}
		for _, w := range []string{"Usage:", "Flags:", "Global Flags:", "Available Commands:", "for more information", "(default "} {
			if strings.Contains(page.String(), w) {
				t.Errorf("the German help of %s still says %q", c.CommandPath(), w)
			}
		}
	})
}

// TestOfflineCommandsSaySo: a command that works without the agent says so
// in its help, in both languages (the house rule).
func TestOfflineCommandsSaySo(t *testing.T) {
	offline := [][]string{
		{"convert"}, {"preview"}, {"config", "check"}, {"config", "show"}, {"emulate"}, {"simulate"},
		{"browser", "cert"}, {"browser", "cert", "install"}, {"service", "status"}, {"printers", "discover"},
	}
	for _, l := range i18n.Langs() {
		_, root := helpTree(t, l)
		for _, path := range offline {
			c, _, err := root.Find(path)
			if err != nil || c == root {
				t.Fatalf("%v: %v", path, err)
			}
			if !strings.Contains(c.Short+c.Long, "offline") {
				t.Errorf("%s (%s) does not say it works offline: %q", c.CommandPath(), l, c.Short)
			}
		}
	}
}

// TestHelpGolden: the help pages people read, as files a reviewer reads,
// in both languages, for every way of asking for help.
func TestHelpGolden(t *testing.T) {
	pages := [][]string{
		{"--help"},
		{"ship", "--help"},
		{"ship", "cancel", "-h"},
		{"help", "stamp", "buy"},
		{"jobs"},
		{"convert", "--help"},
		{"manifest", "--help"},
		{"completion", "bash", "--help"},
		{"help", "nosuch"},
		{"--version"},
	}
	for _, lang := range []string{"en", "de"} {
		var b strings.Builder
		for _, p := range pages {
			args := append([]string{"--lang", lang}, p...)
			out, errOut, code := helpCLI(t, nil, args...)
			b.WriteString("$ labelagent " + strings.Join(args, " ") + "\n" + out)
			if errOut != "" {
				b.WriteString("[stderr] " + errOut)
			}
			if code != 0 {
				b.WriteString("[exit " + string(rune('0'+code)) + "]\n")
			}
			b.WriteString("\n")
		}
		golden(t, "help."+lang, b.String())
	}
}

// TestHelpFollowsTheLanguage: help is chosen like every other output: the
// system's language, overridden by --lang (before or after the command).
func TestHelpFollowsTheLanguage(t *testing.T) {
	de := map[string]string{"LANG": "de_DE.UTF-8"}
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte("language: de\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"ship", "--help"}, "Ask the running agent for the DHL shipment"},
		{de, []string{"ship", "--help"}, "Fragt den laufenden Agenten nach der DHL-Sendung"},
		{map[string]string{"LC_ALL": "de_AT.UTF-8", "LANG": "en_US.UTF-8"}, []string{"help", "ship"}, "Aufruf:"},
		{de, []string{"ship", "--help", "--lang", "en"}, "Usage:"},
		{nil, []string{"-c", cfg, "printers", "--help"}, "Globale Optionen:"},
		{de, []string{"--config", cfg, "--lang", "en", "printers", "--help"}, "Global Flags:"},
		{nil, []string{"--lang", "de", "stamp"}, "INTERNETMARKE-Briefmarken aus der Portokasse kaufen und drucken"},
		{de, []string{"--version"}, "labelagent Version 1.2.3"},
		{de, []string{"--version", "--json"}, `"version": "1.2.3"`},
	} {
		out, errOut, code := helpCLI(t, tc.env, tc.args...)
		if code != 0 || !strings.Contains(out, tc.want) {
			t.Errorf("%v %v: exit %d, want %q in:\n%s%s", tc.env, tc.args, code, tc.want, out, errOut)
		}
	}
}

// TestCompletionDescriptionsFollowTheLanguage: the shell shows command and
// flag descriptions in the reader's language.
func TestCompletionDescriptionsFollowTheLanguage(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"__complete", "ship", ""}, "cancel\tCancel shipments at DHL"},
		{map[string]string{"LANG": "de_DE.UTF-8"}, []string{"__complete", "ship", ""}, "cancel\tSendungen vor dem Tagesabschluss bei DHL stornieren"},
		{nil, []string{"__complete", "--lang", "de", "ship", "--wei"}, "--weight\tGewicht in kg"},
		{nil, []string{"__complete", "--lang=de", "help", "st"}, "stamp\tINTERNETMARKE-Porto"},
	} {
		out, errOut, _ := helpCLI(t, tc.env, tc.args...)
		if !strings.Contains(out, tc.want) {
			t.Errorf("%v %v: want %q in:\n%s%s", tc.env, tc.args, tc.want, out, errOut)
		}
	}
}

// TestHelpOfTheBinary: the built program answers --help in the language of
// its environment, as a shell user meets it.
func TestHelpOfTheBinary(t *testing.T) {
	bin := binary(t)
	for _, tc := range []struct {
		lang string
		args []string
		want []string
	}{
		{"de_DE.UTF-8", []string{"stamp", "buy", "--help"}, []string{"Kauft Briefmarken", "Aufruf:\n  labelagent stamp buy [Optionen]", "Globale Optionen:"}},
		{"en_GB.UTF-8", []string{"help", "stamp", "buy"}, []string{"Buy stamps and print them", "Usage:\n  labelagent stamp buy [flags]", "Global Flags:"}},
	} {
		cmd := exec.Command(bin, tc.args...)
		cmd.Env = []string{"LANG=" + tc.lang, "HOME=" + t.TempDir(), "LABELAGENT_CONFIG=" + filepath.Join(t.TempDir(), "none.yaml")}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", tc.args, err, out)
		}
		for _, w := range tc.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("LANG=%s %v: want %q in:\n%s", tc.lang, tc.args, w, out)
			}
		}
	}
}

// TestTrayBuildHelpIsComplete: tray.go is compiled only with -tags tray, so
// the tree walk above sees tray_none.go's command; its flags are read from
// the source instead, and its texts must be in the catalog too.
func TestTrayBuildHelpIsComplete(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "tray.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"help.tray.short", "help.tray.long"}
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) < 3 {
			return true
		}
		if sel, ok := call.Fun.(*ast.SelectorExpr); !ok || !strings.HasSuffix(sel.Sel.Name, "Var") && !strings.HasSuffix(sel.Sel.Name, "VarP") {
			return true
		}
		if lit, ok := call.Args[1].(*ast.BasicLit); ok && lit.Kind == token.STRING {
			name := strings.Trim(lit.Value, `"`)
			key := "help.tray.flag." + name
			if !i18n.Default().Has(i18n.English, key) {
				key = "help.flag." + name
			}
			keys = append(keys, key)
		}
		return true
	})
	if len(keys) < 3 {
		t.Fatalf("found no flags in tray.go (%v): is the test still reading the right file?", keys)
	}
	for _, k := range keys {
		for _, l := range i18n.Langs() {
			if !i18n.Default().Has(l, k) {
				t.Errorf("tray.go: %s has no %s text", k, l)
			}
		}
	}
}

// BenchmarkHelpPage: what `labelagent --lang de ship --help` costs beyond
// starting the program: building the command tree, wording all of it from
// the catalog and writing one page.
func BenchmarkHelpPage(b *testing.B) {
	for b.Loop() {
		var out bytes.Buffer
		app := newCLIApp("1.2.3", strings.NewReader(""), &out, &out)
		app.env = func(string) string { return "" }
		root := app.root()
		root.SetArgs([]string{"--lang", "de", "ship", "--help"})
		if err := root.Execute(); err != nil || out.Len() == 0 {
			b.Fatal(err)
		}
	}
}

// BenchmarkCommandTree: the same without the help (what every other
// command pays: the tree is built without words, which come only for help).
func BenchmarkCommandTree(b *testing.B) {
	for b.Loop() {
		app := newCLIApp("1.2.3", strings.NewReader(""), io.Discard, io.Discard)
		app.root()
	}
}
