//go:build !tray

package main

import (
	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/agent/i18n"
)

// The default build is the service binary: it links no Fyne (the tray needs
// cgo and OpenGL). `labelagent tray` then says how to get one.
func (app *cliApp) newTrayCmd() *cobra.Command {
	return &cobra.Command{
		Use: "tray",
		// Its help differs from the tray build's "tray".
		Annotations: map[string]string{helpKeyAnnotation: "tray_none"},
		Args:        cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return &exitError{code: 2, err: i18n.E("tray.no_tray_build")}
		},
	}
}

// runDefault is `labelagent` with no arguments: without the tray built in,
// the help.
func (app *cliApp) runDefault(cmd *cobra.Command, _ []string) error { return cmd.Help() }
