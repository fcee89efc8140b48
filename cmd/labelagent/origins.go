package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/agent/apitype"
	"github.com/labelagent/labelagent/agent/i18n"
)

func newOriginsCmd(app *cliApp) *cobra.Command {
	cmd := &cobra.Command{
		Use:  "origins",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return listOrigins(app, cmd)
		},
	}
	list := &cobra.Command{
		Use:  "list",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return listOrigins(app, cmd)
		},
	}
	var scopes []string
	approve := &cobra.Command{
		Use:  "approve ORIGIN",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := app.Client().ApproveOrigin(cmd.Context(), args[0], scopes)
			if err != nil {
				return err
			}
			return app.originDone(o, app.L().T("browser.cli_approved", "origin", o.Origin, "scopes", scopeWords(app.L(), o.Scopes)))
		},
	}
	approve.Flags().StringSliceVar(&scopes, "scope", nil, "")
	deny := &cobra.Command{
		Use:  "deny ORIGIN",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := app.Client().DenyOrigin(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return app.originDone(o, app.L().T("browser.cli_denied", "origin", o.Origin))
		},
	}
	revoke := &cobra.Command{
		Use:  "revoke ORIGIN",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := app.Client().RevokeOrigin(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return app.originDone(o, app.L().T("browser.cli_revoked", "origin", o.Origin))
		},
	}
	cmd.AddCommand(list, approve, deny, revoke)
	return cmd
}

func (app *cliApp) originDone(o apitype.Origin, text string) error {
	if app.jsonOut {
		return app.printJSON(o)
	}
	fmt.Fprintln(app.stdout, text)
	return nil
}

func scopeWords(l *i18n.Localizer, scopes []string) string {
	out := make([]string, 0, len(scopes))
	for _, s := range scopes {
		id := "browser.dash_scope_" + s
		out = append(out, l.T(id))
	}
	return strings.Join(out, ", ")
}

func listOrigins(app *cliApp, cmd *cobra.Command) error {
	l := app.L()
	os, err := app.Client().Origins(cmd.Context())
	if err != nil {
		return err
	}
	if app.jsonOut {
		return app.printJSON(apitype.OriginList{Origins: os})
	}
	if len(os) == 0 {
		fmt.Fprintln(app.stdout, l.T("browser.cli_no_origins"))
		return nil
	}
	t := newTable(app.stdout)
	fmt.Fprintln(t, l.T("browser.cli_origins_header"))
	for _, o := range os {
		when := ""
		switch {
		case o.Requested != nil:
			when = app.ago(*o.Requested)
		case o.LastUsed != nil:
			when = app.ago(*o.LastUsed)
		case o.Decided != nil:
			when = app.ago(*o.Decided)
		}
		fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\t%s\n", o.Origin, l.T(stateID(o.State)), o.Code, scopeWords(app.L(), o.Scopes), short(o.App, 30), when)
	}
	return t.Flush()
}

func stateID(state string) string { return "browser.dash_state_" + state }
