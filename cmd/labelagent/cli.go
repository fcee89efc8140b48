package main

// Shared CLI output: the reader's language, --json, JSON Lines streams,
// error reports (human or JSON), Ctrl+C, decimal input and "-o -". Every
// command prints through these so that what a person or a script reads is
// the same everywhere.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/labelagent/labelagent/agent/client"
	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/agent/i18n"
)

// L returns the reader's localizer: --lang, else the configuration's
// language, else LC_ALL / LC_MESSAGES / LANG, else the Windows user's
// language; English when none of them is German or English.
func (app *cliApp) L() *i18n.Localizer {
	if app.loc != nil {
		return app.loc
	}
	explicit := app.lang
	if _, ok := i18n.ParseLang(explicit); !ok {
		explicit = ""
		// The configuration is read only when one is named or installed:
		// an offline command on a bare machine needs no file.
		if app.configPath != "" || config.DefaultConfigFile() != "" {
			if cfg, _ := app.Config(); cfg != nil {
				explicit = cfg.Language
			}
		}
	}
	app.loc = i18n.For(i18n.Detect(app.getenv, explicit))
	return app.loc
}

// checkLang refuses a --lang the catalog does not speak.
func (app *cliApp) checkLang() error {
	if app.lang == "" {
		return nil
	}
	if _, ok := i18n.ParseLang(app.lang); !ok {
		return i18n.E("cli.bad_lang", "value", app.lang, "allowed", app.L().Or(langNames()))
	}
	return nil
}

func langNames() []string {
	var out []string
	for _, l := range i18n.Langs() {
		out = append(out, string(l))
	}
	return out
}

// T is app.L().T, for brevity in commands.
func (app *cliApp) T(id string, kv ...any) string { return app.L().T(id, kv...) }

// say prints one line of catalog text to standard output.
func (app *cliApp) say(id string, kv ...any) {
	fmt.Fprintln(app.stdout, app.L().T(id, kv...))
}

// note prints one line of catalog text to standard error: progress and
// notes that are not the command's result (so they never mix with --json or
// "-o -" output).
func (app *cliApp) note(id string, kv ...any) {
	fmt.Fprintln(app.stderr, app.L().T(id, kv...))
}

// emit prints a result: v as JSON with --json, else what human writes.
func (app *cliApp) emit(v any, human func(w io.Writer) error) error {
	if app.jsonOut {
		return app.printJSON(v)
	}
	return human(app.stdout)
}

// printJSON writes one indented JSON document.
func (app *cliApp) printJSON(v any) error {
	enc := json.NewEncoder(app.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// printJSONLine writes one compact JSON object on one line: streams
// (jobs watch, print --wait) are JSON Lines, one object per line.
func (app *cliApp) printJSONLine(v any) error {
	enc := json.NewEncoder(app.stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// exitError ends the program with a code other than 1, or quietly (nil
// err: the command has said everything already).
type exitError struct {
	code int
	err  error
	msg  string // Deprecated: use err (an i18n error) so the reader's language is used.
}

func (e *exitError) Error() string {
	switch {
	case e.err != nil:
		return e.err.Error()
	case e.msg != "":
		return e.msg
	}
	return fmt.Sprintf("exit status %d", e.code)
}

func (e *exitError) Unwrap() error { return e.err }

// quiet ends the program with code after the command reported the problem.
func quiet(code int) error { return &exitError{code: code} }

// CLIError is what a failed command prints with --json, on standard error:
//
//	{"error": {"code": "not_found", "message": "…", "id": "job.not_found", "args": {"id": "7"}, "status": 404}}
//
// code is machine-readable and stable; message is in the reader's language;
// id and args are the catalog entry, for programs that localize themselves.
type CLIError struct {
	Code     string         `json:"code"`
	Message  string         `json:"message"`
	ID       string         `json:"id,omitempty"`
	Args     map[string]any `json:"args,omitempty"`
	Status   int            `json:"status,omitempty"`   // the agent's HTTP status, when it answered
	Problems []ProblemJSON  `json:"problems,omitempty"` // configuration problems
}

// CLI error codes for failures that did not come from the agent's answer.
const (
	codeFailed     = "failed"      // the command did not succeed (the message says why)
	codeUsage      = "usage"       // wrong flags or arguments
	codeNotRunning = "not_running" // nothing answers at the agent's address
	codeConfig     = "config"      // the configuration has problems
)

// report prints err for the reader and returns the exit status.
func (app *cliApp) report(err error) int {
	code := 1
	var ex *exitError
	if errors.As(err, &ex) {
		code = ex.code
		switch {
		case ex.err != nil:
			err = ex.err
		case ex.msg != "":
			err = errors.New(ex.msg)
		default:
			return code
		}
	}
	err = cobraWords(err)
	if app.jsonOut {
		ce := app.cliError(err)
		enc := json.NewEncoder(app.stderr)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(struct {
			Error CLIError `json:"error"`
		}{ce})
		return code
	}
	fmt.Fprintln(app.stderr, "labelagent: "+app.L().Err(err))
	return code
}

func (app *cliApp) cliError(err error) CLIError {
	l := app.L()
	ce := CLIError{Code: codeFailed, Message: l.Err(err)}
	var api *client.APIError
	var nr *client.NotRunningError
	var cfgErr *config.Error
	var ie *i18n.Error
	var ue *usageError
	switch {
	case errors.As(err, &api):
		ce.Code, ce.Status, ce.ID, ce.Args = api.Code, api.Status, api.ID, api.Args
	case errors.As(err, &nr):
		ce.Code = codeNotRunning
	case errors.As(err, &cfgErr):
		ce.Code = codeConfig
		ce.Problems = problemsJSON(l, cfgErr)
	case errors.As(err, &ue):
		ce.Code = codeUsage
	}
	if ce.ID == "" && errors.As(err, &ie) {
		ce.ID, ce.Args = ie.ID, ie.ArgMap()
		if ce.Code == codeFailed && strings.HasPrefix(ie.ID, "config.") {
			ce.Code = codeConfig
		}
	}
	return ce
}

// usageError is a wrong flag or argument.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usage marks err as the caller's mistake (code "usage" in JSON).
func usage(err error) error { return &usageError{err} }

// refuse says a flag's value is not allowed and lists the allowed ones.
func (app *cliApp) refuse(flag, value string, allowed []string) error {
	return usage(i18n.E("cli.bad_value", "flag", flag, "value", value, "allowed", app.L().Or(allowed)))
}

// interrupted reports whether the command ended because the user pressed
// Ctrl+C (or the service manager sent SIGTERM): following a stream then
// ends normally, with status 0.
func interrupted(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || isClosedStream(err))
}

func isClosedStream(err error) bool {
	s := err.Error()
	return strings.Contains(s, "context canceled") || strings.Contains(s, "use of closed network connection")
}

// decimal is a flag value that takes a number as a German or English reader
// types it: "1,5" or "1.5" (and "1.234,5").
type decimal struct{ v *float64 }

func (d decimal) String() string {
	if d.v == nil {
		return ""
	}
	return fmt.Sprint(*d.v)
}

func (d decimal) Set(s string) error {
	f, err := i18n.ParseDecimal(s)
	if err != nil {
		return i18n.E("cli.not_a_number", "value", s)
	}
	*d.v = f
	return nil
}

func (decimal) Type() string { return "number" }

// decimalVar defines a flag holding a number typed with a decimal comma or
// point (e.g. --weight 1,5).
func decimalVar(fs *pflag.FlagSet, p *float64, name string, value float64, usage string) {
	*p = value
	fs.Var(decimal{p}, name, usage)
}

// writeOutput writes data to the file name, or to standard output when name
// is "-" (everywhere an -o flag exists). Files are written atomically.
func (app *cliApp) writeOutput(name string, data []byte) error {
	if name == "-" {
		_, err := app.stdout.Write(data)
		return err
	}
	return writeFileAtomic(name, data)
}

// getenv reads the environment (tests replace it).
func (app *cliApp) getenv(k string) string {
	if app.env != nil {
		return app.env(k)
	}
	return os.Getenv(k)
}

// offlineLogger is the log of commands that work without the agent
// (convert, preview): silent, since what they say goes through the
// catalog, unless --log-level asks for the log.
func (app *cliApp) offlineLogger() *slog.Logger {
	if app.logLevel == "" {
		return slog.New(slog.DiscardHandler)
	}
	return app.Logger()
}

// completePrinters offers the running agent's printer names (nothing when
// it does not answer: completion must never hang or complain).
func (app *cliApp) completePrinters(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 && cmd.Args != nil && cmd.Args(cmd, append(args, "x")) != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), 2*time.Second)
	defer cancel()
	ps, err := app.Client().Printers(ctx)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	names := make([]string, 0, len(ps))
	for _, p := range ps {
		names = append(names, p.Name)
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// cobra's and pflag's refusals, which they word in English (and with
// "arg(s)"), as catalog errors.
var cobraRefusals = []struct {
	re *regexp.Regexp
	id string
}{
	{regexp.MustCompile(`^accepts (\d+) arg\(s\), received (\d+)$`), "cli.args_exact"},
	{regexp.MustCompile(`^accepts at most (\d+) arg\(s\), received (\d+)$`), "cli.args_at_most"},
	{regexp.MustCompile(`^requires at least (\d+) arg\(s\), only received (\d+)$`), "cli.args_at_least"},
	{regexp.MustCompile(`^unknown command "([^"]*)" for "([^"]*)"`), "cli.unknown_command"},
	{regexp.MustCompile(`^unknown flag: (\S+)$`), "cli.unknown_flag"},
	{regexp.MustCompile(`^unknown shorthand flag: '(.)' in (\S+)$`), "cli.unknown_flag"},
	{regexp.MustCompile(`^flag needs an argument: (?:'(.)' in )?(\S+)$`), "cli.flag_needs_value"},
	{regexp.MustCompile(`^invalid argument "([^"]*)" for "(?:-\w, )?(--[\w-]+)" flag: (.*)$`), "cli.flag_bad_value"},
}

func cobraWords(err error) error {
	var ie *i18n.Error
	msg := err.Error()
	if errors.As(err, &ie) && msg == ie.Error() {
		return err // our own words already
	}
	for _, r := range cobraRefusals {
		m := r.re.FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		switch r.id {
		case "cli.args_exact", "cli.args_at_most", "cli.args_at_least":
			want, _ := strconv.Atoi(m[1])
			got, _ := strconv.Atoi(m[2])
			return usage(i18n.E(r.id, "want", want, "got", got))
		case "cli.unknown_command":
			return usage(i18n.E(r.id, "name", m[1], "parent", m[2]))
		case "cli.unknown_flag":
			return usage(i18n.E(r.id, "flag", m[len(m)-1]))
		case "cli.flag_needs_value":
			return usage(i18n.E(r.id, "flag", m[2]))
		case "cli.flag_bad_value":
			// The value type's own words say what was expected ("not a
			// number" from decimal, or strconv's); keep ours, drop Go's.
			switch {
			case ie != nil && ie.Arg("flag") != nil:
				// A value type of ours refused it naming the flag itself.
				return usage(ie)
			case ie != nil:
				// A value type of ours said why, in the catalog's words.
				return usage(i18n.KWrap(nil, ie, r.id, "value", m[1], "flag", m[2]))
			}
			detail := m[3]
			if strings.Contains(detail, "strconv.") {
				detail = ""
			}
			return usage(i18n.E(r.id, "value", m[1], "flag", m[2], "detail", detail))
		}
	}
	return err
}
