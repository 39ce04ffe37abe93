package sanitize

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestFindingKindsComplete reads the package's source (and textenc's,
// whose findings pass through) and collects every string literal used as
// a finding kind: the kind argument of finding and fail, the Kind of a
// Finding literal, the ambiguity kinds appended to a part, and textenc's
// Kind constants. Each must be in findingKinds, and each entry of the
// table must still be produced somewhere, so the metric's label set and
// its documentation follow the code.
func TestFindingKindsComplete(t *testing.T) {
	used := map[string]string{} // kind → where
	for _, dir := range []string{".", "textenc"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
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
			add := func(e ast.Expr) {
				if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					k, _ := strconv.Unquote(lit.Value)
					used[k] = fset.Position(lit.Pos()).String()
				}
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.FuncDecl:
					if n.Name.Name == "transferDecoder" {
						// Its check functions return the kinds as []string.
						ast.Inspect(n, func(n ast.Node) bool {
							if c, ok := n.(*ast.CompositeLit); ok {
								if _, ok := c.Type.(*ast.ArrayType); ok {
									for _, el := range c.Elts {
										add(el)
									}
								}
							}
							return true
						})
					}
				case *ast.CallExpr:
					switch callName(n.Fun) {
					case "finding":
						if len(n.Args) == 3 {
							add(n.Args[1])
						}
					case "fail":
						if len(n.Args) == 2 {
							add(n.Args[0])
						}
					case "dropAddress":
						if len(n.Args) == 3 {
							add(n.Args[1])
						}
					case "append":
						if len(n.Args) > 1 {
							if sel, ok := n.Args[0].(*ast.SelectorExpr); ok && (sel.Sel.Name == "ambiguous" || sel.Sel.Name == "ambig") {
								for _, a := range n.Args[1:] {
									add(a)
								}
							}
						}
					}
				case *ast.CompositeLit:
					if callName(n.Type) != "Finding" {
						break
					}
					for i, el := range n.Elts {
						if kv, ok := el.(*ast.KeyValueExpr); ok {
							if id, ok := kv.Key.(*ast.Ident); ok && id.Name == "Kind" {
								add(kv.Value)
							}
						} else if dir == "." && i == 1 || dir == "textenc" && i == 0 {
							add(el) // Finding{path, kind, detail} / textenc.Finding{kind, detail}
						}
					}
				case *ast.ValueSpec:
					for i, id := range n.Names {
						if dir == "textenc" && strings.HasPrefix(id.Name, "Kind") && i < len(n.Values) {
							add(n.Values[i])
						}
					}
				}
				return true
			})
		}
	}
	if len(used) < 20 {
		t.Fatalf("found only %d kinds in the source: the scan is broken", len(used))
	}
	var unknown, stale []string
	for k, at := range used {
		if !KnownFinding(k) {
			unknown = append(unknown, k+" ("+at+")")
		}
	}
	for _, k := range FindingKinds() {
		if _, ok := used[k]; !ok {
			stale = append(stale, k)
		}
	}
	sort.Strings(unknown)
	if len(unknown) > 0 {
		t.Errorf("finding kinds missing from findingKinds: %s", strings.Join(unknown, ", "))
	}
	if len(stale) > 0 {
		t.Errorf("findingKinds lists kinds the code no longer reports: %s", strings.Join(stale, ", "))
	}
	for k := range structural {
		if !KnownFinding(k) {
			t.Errorf("structural kind %q is not in findingKinds", k)
		}
	}
}

// callName is the name of a called function or a type: f, x.f.
func callName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return e.Sel.Name
	}
	return ""
}
