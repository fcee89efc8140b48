package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/agent/apitype"
)

// newSourcesCmd is "labelagent sources": the hot folders, feeds and NATS
// consumers the running agent takes jobs from.
func newSourcesCmd(app *cliApp) *cobra.Command {
	return &cobra.Command{
		Use:  "sources",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			list, err := app.Client().Sources(cmd.Context())
			if err != nil {
				return err
			}
			return app.emit(apitype.SourceList{Sources: list}, func(w io.Writer) error {
				if len(list) == 0 {
					app.say("sources.cli.none")
					return nil
				}
				l := app.L()
				t := newTable(w)
				fmt.Fprintln(t, l.T("sources.cli.header"))
				for _, s := range list {
					last := ""
					if s.LastError != "" && s.LastErrorAt != nil {
						last = l.Time(*s.LastErrorAt) + " " + short(apitype.Printable(s.LastError), 70)
					}
					fmt.Fprintf(t, "%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\n", apitype.Printable(s.Name), s.Kind,
						l.T("sources.state."+s.State), s.Delivered, s.Duplicates, s.Rejected, apitype.Printable(s.Where), last)
				}
				return t.Flush()
			})
		},
	}
}
