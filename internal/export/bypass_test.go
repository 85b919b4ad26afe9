package export

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// csvWriters are the packages allowed to write CSV without this package: none of the product's.
// The simulated tenant writes Microsoft's own product-names file (a stand-in for a download from
// Microsoft, never a file of ours that people open).
var csvWriters = map[string]bool{
	"internal/export":                true,
	"internal/tenantsim":             true,
	"internal/tenantsim/identity":    true,
	"internal/tenantsim/odata":       true,
	"internal/tenantsim/sdktest":     true,
	"internal/tenantsim/simtest":     true,
	"internal/tenantsim/conformance": true,
}

// TestNoCSVBypassesTheNeutraliser reads the whole module's source: outside this package (and
// the simulator), nothing may write CSV with encoding/csv, so every CSV people download from the
// product (group report, license report, activity log, job outcomes) goes through CSV.Write
// and its one neutraliser.
func TestNoCSVBypassesTheNeutraliser(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); n == "node_modules" || n == "testdata" || strings.HasPrefix(n, ".") && n != "." && n != ".." {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		checked++
		name := ""
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == "encoding/csv" {
				name = "csv"
				if imp.Name != nil {
					name = imp.Name.Name
				}
			}
		}
		if name == "" || csvWriters[rel] {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == name && sel.Sel.Name == "NewWriter" {
				t.Errorf("%s: writes CSV with encoding/csv; write it with internal/export so every cell is neutralised", fset.Position(sel.Pos()))
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("read only %d files: is the walk broken?", checked)
	}
}
