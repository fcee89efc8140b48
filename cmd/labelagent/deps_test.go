package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strconv"
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

// TestCLICallsNoCarrier guards the house rule that the agent owns every
// carrier call: the CLI may use the carrier packages' types, constants and
// pure helpers (to build a request for the agent), and run the simulators
// (`simulate`, offline), but it calls no function of a carrier client
// package except the pure ones listed here.
func TestCLICallsNoCarrier(t *testing.T) {
	const dhl = "github.com/labelagent/labelagent/dhl/"
	pure := map[string]bool{
		dhl + "internetmarke.ParseCents": true, // "12,50" → cents, no I/O
	}
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		carrier := map[string]string{} // local name → import path
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if !strings.HasPrefix(path, dhl) || strings.HasPrefix(path, dhl+"sim") {
				continue
			}
			local := path[strings.LastIndex(path, "/")+1:]
			if imp.Name != nil {
				local = imp.Name.Name
			}
			carrier[local] = path
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			pkg, ok := sel.X.(*ast.Ident)
			if !ok || carrier[pkg.Name] == "" {
				return true
			}
			calls++
			if fn := carrier[pkg.Name] + "." + sel.Sel.Name; !pure[fn] {
				t.Errorf("%s: the CLI calls %s; carrier actions go through the agent (agent/client)", fset.Position(call.Pos()), fn)
			}
			return true
		})
	}
	if calls == 0 {
		t.Fatal("found no call into a carrier package at all: the guard no longer sees the code (im.ParseCents is one)")
	}
}
