package store

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// viewWrite matches a statement that writes a table a property's
// representation is read from.
var viewWrite = regexp.MustCompile(`(?i)\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(properties|groups|group_properties|photos|hotel_policies|tax_sets|organizations)\b`)

// TestViewWritesMarkTheirChange reads the store's code: every function
// that holds a statement writing a table a property is read from also
// marks its transaction with t.changed, so that cached properties are
// dropped. A write through the owned helpers is marked by them when the
// kind says view.
func TestViewWritesMarkTheirChange(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			var writes []string
			marks := false
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.BasicLit:
					if n.Kind == token.STRING && viewWrite.MatchString(n.Value) {
						writes = append(writes, viewWrite.FindString(n.Value))
					}
				case *ast.CallExpr:
					// owned.remove marks the unlinking statements it runs.
					if sel, ok := n.Fun.(*ast.SelectorExpr); ok && (sel.Sel.Name == "changed" || sel.Sel.Name == "remove") {
						marks = true
					}
				}
				return true
			})
			if len(writes) > 0 && !marks {
				t.Errorf("%s: %s writes %q but never calls t.changed", fset.Position(fn.Pos()), fn.Name.Name, writes)
			}
		}
	}
}
