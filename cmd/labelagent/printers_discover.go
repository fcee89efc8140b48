package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/labelagent/labelagent/printer/discover"
)

// DiscoverJSON is `printers discover --json`.
type DiscoverJSON struct {
	Found    []FoundJSON `json:"found"`
	Problems []string    `json:"problems"` // what could not be looked at, and why
}

// FoundJSON is one printer or port found: config is the entry for the
// printers: list with the configuration file's keys, snippet the same as YAML.
type FoundJSON struct {
	Kind        string         `json:"kind"` // usb, serial, spool
	Description string         `json:"description"`
	Likely      bool           `json:"likely"` // looks like a label printer
	Config      map[string]any `json:"config"`
	Snippet     string         `json:"snippet"`
}

func newPrintersDiscoverCmd(app *cliApp) *cobra.Command {
	var only []string
	cmd := &cobra.Command{
		Use:  "discover",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			src := discover.Sources{}
			if len(only) == 0 {
				src = discover.Everything
			}
			for _, o := range only {
				switch strings.ToLower(o) {
				case "usb":
					src.USB = true
				case "serial":
					src.Serial = true
				case "spool", "cups", "windows":
					src.Spool = true
				default:
					return app.refuse("--only", o, []string{"usb", "serial", "spool"})
				}
			}
			found, errs := discover.Discover(cmd.Context(), src)
			if app.jsonOut {
				r := DiscoverJSON{Found: []FoundJSON{}, Problems: []string{}}
				for _, f := range found {
					// The entry as it is written in the configuration file.
					var entry map[string]any
					if b, err := yaml.Marshal(f.Config); err == nil {
						_ = yaml.Unmarshal(b, &entry)
					}
					r.Found = append(r.Found, FoundJSON{Kind: f.Kind, Description: f.Description, Likely: f.Likely, Config: entry, Snippet: f.Snippet()})
				}
				for _, e := range errs {
					r.Problems = append(r.Problems, app.L().Err(e))
				}
				return app.printJSON(r)
			}
			out := app.stdout
			if len(found) == 0 {
				app.say("cli.discover_none")
			}
			for _, f := range found {
				mark := ""
				if f.Likely {
					mark = "  " + app.T("cli.discover_likely")
				}
				fmt.Fprintf(out, "%s: %s%s\n", f.Kind, f.Description, mark)
				for _, line := range strings.Split(strings.TrimRight(f.Snippet(), "\n"), "\n") {
					fmt.Fprintln(out, "    "+line)
				}
				fmt.Fprintln(out)
			}
			for _, e := range errs {
				app.note("cli.discover_note", "text", app.L().Err(e))
			}
			if len(found) > 0 {
				app.say("cli.discover_next")
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&only, "only", nil, "")
	return cmd
}
