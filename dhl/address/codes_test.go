package address_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/labelagent/labelagent/dhl/address"
	"github.com/labelagent/labelagent/dhl/parcel"
	"github.com/labelagent/labelagent/dhl/returns"
)

// Every problem a checker records names a code its package words, with
// the arguments that wording needs: the agent's catalog is keyed by these
// codes, so a code spelt wrong would reach the operator as a bare code.
func TestEveryCheckedProblemHasWords(t *testing.T) {
	for _, pkg := range []struct {
		dir   string
		words address.Words
	}{
		{"../parcel", parcel.Problems()},
		{"../returns", returns.Problems()},
		{".", address.Words{}},
	} {
		files, err := filepath.Glob(filepath.Join(pkg.dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		calls := 0
		for _, f := range files {
			if filepath.Ext(f) != ".go" || len(f) > 8 && f[len(f)-8:] == "_test.go" {
				continue
			}
			fset := token.NewFileSet()
			file, err := parser.ParseFile(fset, f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(file, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				var codeAt int
				switch sel.Sel.Name {
				case "Add":
					codeAt = 1
				case "Match":
					codeAt = 3
				default:
					return true
				}
				if len(call.Args) <= codeAt {
					return true
				}
				lit, ok := call.Args[codeAt].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true // a code passed on (Match's, dropPointCountry's): checked where it is written
				}
				code, _ := strconv.Unquote(lit.Value)
				kv := []any{}
				if sel.Sel.Name == "Match" {
					kv = append(kv, "value", "x")
				}
				for i := codeAt + 1; i+1 < len(call.Args); i += 2 {
					k, ok := call.Args[i].(*ast.BasicLit)
					if !ok {
						t.Errorf("%s: %s: argument names must be literals", fset.Position(call.Pos()), code)
						continue
					}
					key, _ := strconv.Unquote(k.Value)
					kv = append(kv, key, []any{1}) // prints, and ranges for a list
				}
				calls++
				if _, ok := pkg.words.Render(code, kv...); ok {
					return true
				}
				if _, ok := address.Common().Render(code, kv...); ok {
					return true
				}
				t.Errorf("%s: problem %q has no English words for arguments %v", fset.Position(call.Pos()), code, kv)
				return true
			})
		}
		if calls < 5 {
			t.Errorf("%s: found only %d checks; has the checker's API changed?", pkg.dir, calls)
		}
	}
}
