package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/labelagent/labelagent/agent/api/browser"
	"github.com/labelagent/labelagent/agent/i18n"
)

func newBrowserCmd(app *cliApp) *cobra.Command {
	cmd := &cobra.Command{Use: "browser"}
	cert := &cobra.Command{Use: "cert"}
	var certFile string
	var nssdbs []string
	var dryRun bool
	certPath := func() (string, error) {
		if certFile != "" {
			return certFile, nil
		}
		cfg, err := app.Config()
		if err != nil {
			return "", err
		}
		return browser.CertPath(cfg.DataDir), nil
	}
	path := &cobra.Command{
		Use:  "path",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := certPath()
			if err != nil {
				return err
			}
			if app.jsonOut {
				return app.printJSON(map[string]string{"certificate": p})
			}
			fmt.Fprintln(app.stdout, p)
			return nil
		},
	}
	install := &cobra.Command{
		Use:  "install",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := certPath()
			if err != nil {
				return err
			}
			if _, err := os.Stat(p); err != nil {
				return i18n.Wrap(err, "browser.cli_cert_missing", "file", p)
			}
			steps, err := certInstallSteps(runtime.GOOS, p, nssdbs)
			if err != nil {
				return err
			}
			var done []string
			for _, s := range steps {
				if dryRun {
					fmt.Fprintln(app.stdout, strings.Join(s.argv, " "))
					continue
				}
				out, err := exec.CommandContext(cmd.Context(), s.argv[0], s.argv[1:]...).CombinedOutput()
				if err != nil && !s.mayFail {
					return i18n.Wrap(fmt.Errorf("%s: %w: %s", strings.Join(s.argv, " "), err, strings.TrimSpace(string(out))), "browser.cli_cert_failed", "store", s.store)
				}
				if s.store != "" && !s.mayFail {
					done = append(done, s.store)
				}
			}
			if dryRun {
				return nil
			}
			if app.jsonOut {
				return app.printJSON(map[string]any{"certificate": p, "stores": done})
			}
			for _, d := range done {
				fmt.Fprintln(app.stdout, app.L().T("browser.cli_cert_installed", "store", d))
			}
			fmt.Fprintln(app.stdout, app.L().T("browser.cli_cert_restart"))
			return nil
		},
	}
	install.Flags().StringVar(&certFile, "cert", "", "")
	path.Flags().StringVar(&certFile, "cert", "", "")
	install.Flags().StringSliceVar(&nssdbs, "nssdb", nil, "")
	install.Flags().BoolVar(&dryRun, "dry-run", false, "")
	cert.AddCommand(path, install)
	cmd.AddCommand(cert)
	return cmd
}

type certStep struct {
	argv    []string
	store   string // what the user is told
	mayFail bool   // clean-up before the real step
}

// certInstallSteps says how to make the user's browsers trust the agent's
// certificate: the user's Root store on Windows, the login keychain on
// macOS, the NSS databases Chromium and Firefox read on Linux.
func certInstallSteps(goos, cert string, nssdbs []string) ([]certStep, error) {
	switch goos {
	case "windows":
		return []certStep{{argv: []string{"certutil.exe", "-user", "-f", "-addstore", "Root", cert}, store: "Windows (current user, Root)"}}, nil
	case "darwin":
		home, _ := os.UserHomeDir()
		kc := filepath.Join(home, "Library", "Keychains", "login.keychain-db")
		return []certStep{{argv: []string{"security", "add-trusted-cert", "-r", "trustRoot", "-p", "ssl", "-k", kc, cert}, store: "macOS login keychain"}}, nil
	}
	if _, err := exec.LookPath("certutil"); err != nil {
		return nil, i18n.E("browser.cli_no_certutil")
	}
	if len(nssdbs) == 0 {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, err
		}
		nssdbs = append(nssdbs, filepath.Join(home, ".pki", "nssdb")) // Chromium, Chrome
		for _, pat := range []string{".mozilla/firefox/*", "snap/firefox/common/.mozilla/firefox/*"} {
			ms, _ := filepath.Glob(filepath.Join(home, pat, "cert9.db"))
			for _, m := range ms {
				nssdbs = append(nssdbs, filepath.Dir(m))
			}
		}
	}
	var steps []certStep
	for _, db := range nssdbs {
		if _, err := os.Stat(filepath.Join(db, "cert9.db")); errors.Is(err, os.ErrNotExist) {
			if err := os.MkdirAll(db, 0o700); err != nil {
				return nil, err
			}
			steps = append(steps, certStep{argv: []string{"certutil", "-N", "--empty-password", "-d", "sql:" + db}})
		}
		// A renewed certificate replaces the old one of the same name.
		steps = append(steps,
			certStep{argv: []string{"certutil", "-D", "-d", "sql:" + db, "-n", browser.CertName}, mayFail: true},
			certStep{argv: []string{"certutil", "-A", "-d", "sql:" + db, "-t", "P,,", "-n", browser.CertName, "-i", cert}, store: "NSS " + db})
	}
	return steps, nil
}
