package main

// The CLI's help in the reader's language. The command tree is built
// without words: every command's Short, Long and Example and every flag's
// usage live in the message catalog (agent/i18n/locales/help.*.toml), under
// keys made from the command's path:
//
//	help.ship.cancel.short / .long / .example   a command ("help.root.…" for labelagent itself)
//	help.ship.cancel.args                        the arguments in its usage line ("ID|SHIPMENT-NUMBER|ORDER-REF...")
//	help.ship.flag.weight                         a flag of that command
//	help.flag.json                                a flag that says the same on every command
//
// localizeHelp fills them in, in the language the rest of the output uses,
// once the flags are parsed (--lang, --config), before cobra prints help,
// usage, the version or completions. cobra's and pflag's own words ("Usage:",
// "Flags:", "(default …)", the help and completion commands) are replaced by
// catalog words too. TestHelpIsComplete fails when a text is missing.

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/labelagent/labelagent/agent/config"
	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/dhl/sim"
)

// Annotations that change where a command's help is found.
const (
	// helpKeyAnnotation names a command's help keys when its path cannot
	// (two builds with a different command under the same name).
	helpKeyAnnotation = "labelagent/help-key"
	// helpLikeAnnotation names a sibling command whose texts (and its
	// subcommands' texts) this one shares where it has none of its own.
	helpLikeAnnotation = "labelagent/help-like"
)

// helpKeys are the catalog key prefixes of c's texts, its own first:
// "help.ship.cancel".
func helpKeys(c *cobra.Command) []string {
	if k := c.Annotations[helpKeyAnnotation]; k != "" {
		return []string{"help." + k}
	}
	if !c.HasParent() {
		return []string{"help.root"}
	}
	names := []string{c.Name()}
	if like := c.Annotations[helpLikeAnnotation]; like != "" {
		names = append(names, like)
	}
	var out []string
	for _, p := range helpKeys(c.Parent()) {
		if p == "help.root" {
			p = "help"
		}
		for _, n := range names {
			out = append(out, p+"."+n)
		}
	}
	return out
}

// helpKey is the key of one of c's texts ("short", "long", "example",
// "flag.NAME"): the first of c's keys the catalog has, else "".
func helpKey(c *cobra.Command, field string) string {
	for _, k := range helpKeys(c) {
		if i18n.Default().Has(i18n.English, k+"."+field) {
			return k + "." + field
		}
	}
	return ""
}

// flagKey is the catalog key of the usage of flag name defined on c: the
// command's own text if the catalog has one, else the text the flag has
// everywhere.
func flagKey(c *cobra.Command, name string) string {
	if k := helpKey(c, "flag."+name); k != "" {
		return k
	}
	return "help.flag." + name
}

// helpData is what help texts may refer to: values that depend on the
// platform or live in code, and words said elsewhere too, so the catalog
// does not repeat them.
func helpData(l *i18n.Localizer, c *cobra.Command) []any {
	return []any{
		"control_commands", l.T("emulate.commands"),
		"name", c.Name(),
		"path", c.CommandPath(),
		"system_config", config.SystemConfigFile(),
		"default_listen", config.DefaultListen,
		"sim_api_key", sim.DefaultAPIKey,
		"sim_api_secret", sim.DefaultAPISecret,
	}
}

// localizeHelp words the whole command tree in the reader's language.
func (app *cliApp) localizeHelp(root *cobra.Command) {
	l := app.L()
	if app.helpLang == l.Lang() {
		return
	}
	app.helpLang = l.Lang()
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		localizeCommand(l, c)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// localizeCommand words one command and the flags it defines (inherited
// flags are worded where they are defined).
func localizeCommand(l *i18n.Localizer, c *cobra.Command) {
	data := helpData(l, c)
	text := func(field string) string {
		key := helpKey(c, field)
		if key == "" {
			return ""
		}
		return strings.TrimRight(l.T(key, data...), "\n")
	}
	c.Short, c.Long, c.Example = text("short"), text("long"), text("example")
	c.InitDefaultHelpFlag()
	c.LocalFlags().VisitAll(func(f *pflag.Flag) {
		f.Usage = l.T(flagKey(c, f.Name), data...)
	})
}

// helpOf is cobra's help function in the reader's language.
func (app *cliApp) helpOf(root *cobra.Command) func(*cobra.Command, []string) {
	return func(c *cobra.Command, _ []string) {
		app.localizeHelp(root)
		w := c.OutOrStdout()
		if s := strings.TrimRight(firstNonEmpty(c.Long, c.Short), " \t\n"); s != "" {
			fmt.Fprintf(w, "%s\n\n", s)
		}
		if c.Runnable() || c.HasSubCommands() {
			_ = app.writeUsage(w, c)
		}
	}
}

// usageOf is cobra's usage function in the reader's language.
func (app *cliApp) usageOf(root *cobra.Command) func(*cobra.Command) error {
	return func(c *cobra.Command) error {
		app.localizeHelp(root)
		return app.writeUsage(c.OutOrStderr(), c)
	}
}

// writeUsage is cobra's usage text (the same sections in the same order),
// with the catalog's words.
func (app *cliApp) writeUsage(w io.Writer, c *cobra.Command) error {
	l := app.L()
	var b strings.Builder
	b.WriteString(l.T("help.word.usage"))
	if c.Runnable() {
		b.WriteString("\n  " + useLine(l, c))
	}
	if c.HasAvailableSubCommands() {
		b.WriteString("\n  " + c.CommandPath() + " [" + l.T("help.word.command") + "]")
	}
	if len(c.Aliases) > 0 {
		b.WriteString("\n\n" + l.T("help.word.aliases") + "\n  " + c.NameAndAliases())
	}
	if c.HasExample() {
		b.WriteString("\n\n" + l.T("help.word.examples") + "\n" + c.Example)
	}
	if c.HasAvailableSubCommands() {
		b.WriteString("\n\n" + l.T("help.word.commands"))
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() || sub.Name() == "help" {
				fmt.Fprintf(&b, "\n  %-*s %s", sub.NamePadding(), sub.Name(), sub.Short)
			}
		}
	}
	if c.HasAvailableLocalFlags() {
		b.WriteString("\n\n" + l.T("help.word.flags") + "\n" + flagUsages(l, c.LocalFlags()))
	}
	if c.HasAvailableInheritedFlags() {
		b.WriteString("\n\n" + l.T("help.word.global_flags") + "\n" + flagUsages(l, c.InheritedFlags()))
	}
	if c.HasHelpSubCommands() {
		b.WriteString("\n\n" + l.T("help.word.topics"))
		for _, sub := range c.Commands() {
			if sub.IsAdditionalHelpTopicCommand() {
				fmt.Fprintf(&b, "\n  %-*s %s", sub.CommandPathPadding(), sub.CommandPath(), sub.Short)
			}
		}
	}
	if c.HasAvailableSubCommands() {
		b.WriteString("\n\n" + l.T("help.word.more", "path", c.CommandPath()))
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// useLine is cobra's UseLine with the arguments and "[flags]" in the
// reader's words.
func useLine(l *i18n.Localizer, c *cobra.Command) string {
	line := c.Use
	if k := helpKey(c, "args"); k != "" {
		line = c.Name() + " " + l.T(k)
	}
	if c.HasParent() {
		line = c.Parent().CommandPath() + " " + line
	}
	if c.DisableFlagsInUseLine || !c.HasAvailableFlags() || strings.Contains(line, "[flags]") {
		return line
	}
	return line + " [" + l.T("help.word.flags_placeholder") + "]"
}

// flagUsages is pflag's FlagUsages (the same columns) with "(default …)"
// in the reader's words.
func flagUsages(l *i18n.Localizer, fs *pflag.FlagSet) string {
	type row struct{ left, usage string }
	var rows []row
	width := 0
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		left := "      --" + f.Name
		if f.Shorthand != "" && f.ShorthandDeprecated == "" {
			left = "  -" + f.Shorthand + ", --" + f.Name
		}
		varname, usage := pflag.UnquoteUsage(f)
		if varname != "" {
			left += " " + varname
		}
		if f.NoOptDefVal != "" && !(f.Value.Type() == "bool" && f.NoOptDefVal == "true") {
			left += "[=" + f.NoOptDefVal + "]"
		}
		if !zeroDefault(f) {
			def := f.DefValue
			if f.Value.Type() == "string" {
				def = fmt.Sprintf("%q", def)
			}
			usage += " " + l.T("help.word.default", "value", def)
		}
		if f.Deprecated != "" {
			usage += " " + l.T("help.word.deprecated", "why", f.Deprecated)
		}
		width = max(width, len(left))
		rows = append(rows, row{left, usage})
	})
	var b strings.Builder
	for i, r := range rows {
		if i > 0 {
			b.WriteString("\n")
		}
		// pflag pads by bytes; so does this, so columns match cobra's.
		b.WriteString(r.left + strings.Repeat(" ", width-len(r.left)+3) + r.usage)
	}
	return b.String()
}

// zeroDefault reports whether a flag's default is its type's zero value,
// which pflag does not show.
func zeroDefault(f *pflag.Flag) bool {
	switch f.Value.Type() {
	case "bool":
		return f.DefValue == "false" || f.DefValue == ""
	case "duration":
		return f.DefValue == "0" || f.DefValue == "0s"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "count", "float32", "float64":
		return f.DefValue == "0"
	case "string":
		return f.DefValue == ""
	case "stringSlice", "stringArray", "intSlice":
		return f.DefValue == "[]"
	}
	switch f.DefValue {
	case "false", "<nil>", "", "0":
		return true
	}
	return false
}

// newHelpCmd is cobra's help command in the reader's language.
func (app *cliApp) newHelpCmd(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use: "help [command]",
		ValidArgsFunction: func(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			app.localizeHelp(root)
			c, _, err := root.Find(args)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []cobra.Completion
			for _, sub := range c.Commands() {
				if (sub.IsAvailableCommand() || sub.Name() == "help") && strings.HasPrefix(sub.Name(), toComplete) {
					out = append(out, cobra.CompletionWithDesc(sub.Name(), sub.Short))
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, rest, err := root.Find(args)
			if err != nil || len(rest) > 0 {
				return usage(i18n.E("cli.unknown_command", "name", strings.Join(args, " "), "parent", root.Name()))
			}
			c.InitDefaultHelpFlag()
			return c.Help()
		},
	}
}

// versionLine is what --version prints.
func (app *cliApp) versionLine() string {
	return app.T("help.word.version_line", "version", app.version)
}

// completionLang takes --lang from the command line being completed (cobra
// does not parse the flags of a completion request), so that descriptions
// come in the language the finished command would print in.
func (app *cliApp) completionLang(words []string) {
	if app.lang != "" {
		return
	}
	for i, w := range words {
		v, ok := strings.CutPrefix(w, "--lang=")
		if !ok && w == "--lang" && i+1 < len(words) {
			v, ok = words[i+1], true
		}
		if _, valid := i18n.ParseLang(v); ok && valid {
			app.lang = v
		}
	}
}
