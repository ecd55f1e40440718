package main

// Values the analysis cannot follow, or may not change (generated files,
// tests without -test, files other build tags select), stay in os.

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"strings"
)

// freeze keeps every package object a left-alone file uses in os.
func (a *analysis) freeze(f *ast.File, why string) {
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Ident:
			a.freezeObj(a.p.info.Uses[n], n.Pos(), "used in "+why)
		case *ast.CompositeLit:
			if st, ok := a.typeOf(n).Underlying().(*types.Struct); ok {
				for i := 0; i < st.NumFields(); i++ {
					a.freezeObj(st.Field(i), n.Pos(), "used in "+why)
				}
			}
		}
		return true
	})
}

func (a *analysis) freezeObj(obj types.Object, pos token.Pos, why string) {
	if obj == nil || obj.Pkg() != a.p.types {
		return
	}
	switch obj := obj.(type) {
	case *types.Var:
		if a.tracked(obj.Type()) {
			a.varNode(obj).stay(pos, obj.Name(), "%s", why)
		}
	case *types.Func:
		sig := obj.Type().(*types.Signature)
		for _, tup := range []*types.Tuple{sig.Params(), sig.Results()} {
			for i := 0; i < tup.Len(); i++ {
				if a.tracked(tup.At(i).Type()) {
					a.varNode(tup.At(i)).stay(pos, varName(tup.At(i), obj), "%s", why)
				}
			}
		}
	}
}

// freezeIgnored keeps in os whatever a file excluded by build constraints
// may name: it is not type-checked, so names are matched by spelling.
func (a *analysis) freezeIgnored() {
	for _, name := range a.p.ignored {
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			continue
		}
		used := map[string]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok {
				used[id.Name] = true
			}
			return true
		})
		why := "named in " + filepath.Base(name) + ", which the build constraints exclude"
		for _, obj := range a.p.info.Defs {
			if obj == nil || !used[obj.Name()] {
				continue
			}
			if v, ok := obj.(*types.Var); ok && v.Parent() != a.p.types.Scope() && !v.IsField() && a.funcOf[v] == nil {
				continue // a local variable: not visible from another file
			}
			a.freezeObj(obj, obj.Pos(), why)
		}
	}
}

// coverage keeps in os every tracked value whose use the analysis did not
// follow.
func (a *analysis) coverage() {
	for id, obj := range a.p.info.Uses {
		v, ok := obj.(*types.Var)
		if !ok || !a.tracked(v.Type()) || a.handled[id] {
			continue
		}
		if f := a.fileAt(id.Pos()); f == nil || a.p.frozen[f] != "" {
			continue
		}
		e := ast.Expr(id)
		if sel, ok := a.parent[id].(*ast.SelectorExpr); ok && sel.Sel == id {
			e = sel
		}
		for {
			p, ok := a.parent[e].(*ast.ParenExpr)
			if !ok {
				break
			}
			e = p
		}
		if a.handled[e] {
			continue
		}
		a.varNode(v).stay(id.Pos(), id.Name, "used in %s, which uringfix does not follow", describe(a.parent[e]))
	}
	for call, n := range a.calls {
		if !a.handled[call] && len(n.calls) > 0 {
			n.stay(call.Pos(), "", "used in %s, which uringfix does not follow", describe(a.parent[call]))
		}
	}
}

// describe names the kind of syntax n for reports.
func describe(n ast.Node) string {
	switch n.(type) {
	case *ast.SwitchStmt, *ast.CaseClause:
		return "a switch statement"
	case *ast.SelectStmt, *ast.CommClause:
		return "a select statement"
	}
	s := strings.TrimPrefix(fmt.Sprintf("%T", n), "*ast.")
	return "a " + strings.TrimSuffix(strings.TrimSuffix(s, "Expr"), "Stmt") + " expression"
}
