package agent_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// recordWords lists, per package directory, the functions whose arguments
// end up in a record people read later (a job's history and last error),
// so must be catalog messages, not English: the message id is a string
// literal, but no other literal and no fmt.Sprintf/fmt.Errorf/errors.New
// may make up the words. Fields listed may only be set from kept words.
var recordWords = []struct {
	dir    string
	calls  map[string]bool // function or method names
	fields map[string]bool // struct fields holding words people read
	min    int             // calls at least found (the guard still sees the code)
}{
	// The job queue: history notes and last_error.
	{".", map[string]bool{"transition": true, "fail": true, "hold": true, "retryOrFail": true, "setLastError": true},
		map[string]bool{"LastError": true, "Note": true}, 20},
	// The stamp purchase journal: a purchase's error and print error.
	{"purchase", map[string]bool{"setError": true, "setPrintError": true, "fail": true, "markPaid": true},
		map[string]bool{"Error": true, "PrintError": true}, 10},
	// Job sources: a feed's or hot folder's refusals and last error.
	{"sources", map[string]bool{"fail": true, "reject": true},
		map[string]bool{"LastError": true}, 10},
	// The Online Franking cart journal: a cart's problem.
	{"franking", map[string]bool{"problem": true, "setError": true},
		map[string]bool{"Error": true}, 5},
	// The packing station's scan results.
	{"packing", map[string]bool{"setMessage": true}, map[string]bool{"Message": true}, 3},
	// The NATS station: its last error (sources, doctor, tray), the
	// reasons it rejects messages for, the stations list's error.
	{"station", map[string]bool{"note": true, "reject": true},
		map[string]bool{"LastError": true, "Reason": true, "Error": true}, 12},
}

// TestNoEnglishInRecords fails when words people read in the job queue's
// records are written in English in the code instead of the catalog.
func TestNoEnglishInRecords(t *testing.T) {
	for _, rw := range recordWords {
		files, _ := filepath.Glob(filepath.Join(rw.dir, "*.go"))
		checked := 0
		for _, p := range files {
			if strings.HasSuffix(p, "_test.go") {
				continue
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, p, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.CallExpr:
					if !rw.calls[callName(x.Fun)] {
						return true
					}
					checked++
					for _, arg := range x.Args {
						if w := englishIn(arg); w != "" {
							t.Errorf("%s: %s(…) is given words outside the catalog (%s): use msg(\"area.key\", …) or i18n.E and add the words to agent/i18n/locales", fset.Position(arg.Pos()), callName(x.Fun), w)
						}
					}
				case *ast.KeyValueExpr:
					// A field set in a composite literal (Reason: …).
					if k, ok := x.Key.(*ast.Ident); ok && rw.fields[k.Name] {
						if w := englishIn(x.Value); w != "" {
							t.Errorf("%s: %s is set to words outside the catalog (%s)", fset.Position(x.Pos()), k.Name, w)
						}
					}
				case *ast.AssignStmt:
					for i, lhs := range x.Lhs {
						sel, ok := lhs.(*ast.SelectorExpr)
						if !ok || !rw.fields[sel.Sel.Name] || i >= len(x.Rhs) {
							continue
						}
						if w := englishIn(x.Rhs[i]); w != "" {
							t.Errorf("%s: %s is set to words outside the catalog (%s)", fset.Position(x.Pos()), sel.Sel.Name, w)
						}
					}
				}
				return true
			})
		}
		if checked < rw.min {
			t.Errorf("%s: only %d calls checked; has the code moved?", rw.dir, checked)
		}
	}
}

func callName(fun ast.Expr) string {
	switch f := fun.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		return f.Sel.Name
	}
	return ""
}

// englishIn names the first thing in e that makes up words outside the
// catalog: a string literal that is not a message id (the first argument
// of msg/i18n.E/i18n.K/…), or a call that formats words.
func englishIn(e ast.Expr) string {
	found := ""
	ast.Inspect(e, func(n ast.Node) bool {
		if found != "" {
			return false
		}
		switch x := n.(type) {
		case *ast.CallExpr:
			if sel, ok := x.Fun.(*ast.SelectorExpr); ok {
				if pkg, ok := sel.X.(*ast.Ident); ok {
					switch pkg.Name + "." + sel.Sel.Name {
					case "fmt.Sprintf", "fmt.Errorf", "errors.New", "fmt.Sprint":
						found = pkg.Name + "." + sel.Sel.Name
						return false
					}
				}
			}
		case *ast.BasicLit:
			if x.Kind == token.STRING && !isKeyOrName(x.Value) {
				found = x.Value
			}
		}
		return true
	})
	return found
}

// isKeyOrName: a catalog key ("area.what") or an argument name ("printer")
// — lower-case words joined by dots or underscores, no spaces — or no
// words at all (a separator).
func isKeyOrName(lit string) bool {
	s := strings.Trim(lit, "`\"")
	if !strings.ContainsFunc(s, unicode.IsLetter) {
		return true // a separator (", ") is no words
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_') {
			return false
		}
	}
	return true
}
