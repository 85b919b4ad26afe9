package server

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// TestEveryLoggedActionIsFilterable reads the source of every package that writes to the
// activity log: every action written (a model.Activity literal's Action, a job kind's Action,
// or an assignment to .Action) must be a string or a model.Action constant that the activity
// page's filter offers. (internal/jobs writes its kinds' actions; jobs.New refuses a kind
// whose action the filter does not offer.)
func TestEveryLoggedActionIsFilterable(t *testing.T) {
	fset := token.NewFileSet()
	var files []string
	for _, pattern := range []string{"*.go", "../assign/*.go", "../app/*.go", "../../cmd/tenantdesk/*.go"} {
		more, err := filepath.Glob(pattern)
		if err != nil || len(more) == 0 {
			t.Fatalf("no files of %s: %v", pattern, err)
		}
		files = append(files, more...)
	}
	// The operations that record their own writes (template management) are held to it too.
	ops, err := filepath.Glob("../templates/*.go")
	if err == nil {
		var al []string
		al, err = filepath.Glob("../alerts/*.go") // alert channels, rules and tests
		ops = append(ops, al...)
	}
	if err != nil {
		t.Fatal(err)
	}
	files = append(append(files, ops...), "../model/activity.go") // where the constants are
	consts := map[string]string{}
	var parsed []*ast.File
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, f)
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
				for _, spec := range g.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, n := range vs.Names {
						if lit, ok := valueAt(vs.Values, i).(*ast.BasicLit); ok && strings.HasPrefix(n.Name, "Action") {
							consts[n.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			}
		}
	}
	found := 0
	check := func(e ast.Expr) {
		found++
		pos := fset.Position(e.Pos())
		var val string
		switch x := e.(type) {
		case *ast.BasicLit:
			val, _ = strconv.Unquote(x.Value)
		case *ast.SelectorExpr:
			v, ok := consts[x.Sel.Name]
			if pkg, _ := x.X.(*ast.Ident); !ok || pkg == nil || pkg.Name != "model" {
				t.Errorf("%s: action %s is not a model.Action constant", pos, x.Sel.Name)
				return
			}
			val = v
		default:
			t.Errorf("%s: action is computed; name an Action constant", pos)
			return
		}
		if !slices.Contains(activityActions, val) {
			t.Errorf("%s: action %q is not offered by the activity filter", pos, val)
		}
	}
	for _, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.CompositeLit:
				if sel, ok := x.Type.(*ast.SelectorExpr); ok && (sel.Sel.Name == "Activity" || sel.Sel.Name == "Kind") {
					for _, el := range x.Elts {
						if kv, ok := el.(*ast.KeyValueExpr); ok {
							if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Action" {
								check(kv.Value)
							}
						}
					}
				}
			case *ast.AssignStmt:
				for i, lhs := range x.Lhs {
					if sel, ok := lhs.(*ast.SelectorExpr); ok && sel.Sel.Name == "Action" && i < len(x.Rhs) {
						check(x.Rhs[i])
					}
				}
			}
			return true
		})
	}
	if found < 8 {
		t.Errorf("found only %d logged actions: is the source scan broken?", found)
	}
	for name, v := range consts {
		if !slices.Contains(activityActions, v) {
			t.Errorf("%s = %q is not in activityActions", name, v)
		}
	}
}

func valueAt(vs []ast.Expr, i int) ast.Expr {
	if i < len(vs) {
		return vs[i]
	}
	return nil
}

func TestActivityFilterOffersEveryAction(t *testing.T) {
	snap := testSnapshot()
	st := openStore(t, &snap)
	deps := testDeps(t, st, nil)
	deps.Activity = st
	s, err := New(deps)
	if err != nil {
		t.Fatal(err)
	}
	res := do(t, s.Handler(), "GET", "/activity", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /activity: %d", res.StatusCode)
	}
	var offered []string
	res.doc(t).Find(`select[name=action] option`).Each(func(_ int, o *goquery.Selection) {
		if v := o.AttrOr("value", ""); v != "" {
			offered = append(offered, v)
		}
	})
	for _, a := range []string{model.ActionSignIn, model.ActionRefused, model.ActionRefresh, model.ActionRefreshErrors, model.ActionReprocess, model.ActionIPRefresh, model.ActionIPImport} {
		if !slices.Contains(offered, a) {
			t.Errorf("the action filter lacks %q: %v", a, offered)
		}
	}
}
