package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestHouseRules guards the dependency rules of docs/architecture.md.
func TestHouseRules(t *testing.T) {
	deps := func(pkg string) []string {
		t.Helper()
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		return strings.Fields(string(out))
	}
	const mod = "github.com/labelagent/labelagent/"
	for _, d := range deps("github.com/labelagent/labelagent/cmd/labelagent") {
		if strings.HasPrefix(d, "fyne.io/") || d == mod+"ui" || strings.HasPrefix(d, mod+"ui/") {
			t.Errorf("the service binary imports %s: the tray must stay out of it", d)
		}
	}
	for _, pkg := range []string{mod + "dhl/...", mod + "printer/...", mod + "zpl/..."} {
		out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}: {{join .Imports " "}}`, pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			from, imports, _ := strings.Cut(line, ": ")
			for _, imp := range strings.Fields(imports) {
				if imp == mod+"agent" || strings.HasPrefix(imp, mod+"agent/") {
					t.Errorf("%s imports %s: dhl, printer and zpl must not depend on the agent", from, imp)
				}
			}
		}
	}
	for _, d := range deps(mod + "agent/...") {
		if d == mod+"ui" || strings.HasPrefix(d, mod+"ui/") {
			t.Errorf("agent depends on %s", d)
		}
	}
}
