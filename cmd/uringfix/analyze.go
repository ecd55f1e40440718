package main

// The analysis: a graph of the values that hold an *os.File or *os.Root
// (variables, parameters, results, fields), joined where one flows into
// another, each group moving to uringfs together or staying for a reason.

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"path/filepath"
)

// fileFuncs are the os functions that return an *os.File or *os.Root:
// they move only when every use of the value they return can take the
// uringfs type instead.
var fileFuncs = map[string]bool{
	"Open": true, "Create": true, "OpenFile": true, "CreateTemp": true,
	"NewFile": true, "OpenInRoot": true, "OpenRoot": true,
}

// plainFuncs are the os functions with the same signature in uringfs:
// every call (or value) of them moves.
var plainFuncs = map[string]bool{
	"ReadFile": true, "WriteFile": true, "ReadDir": true, "Stat": true,
	"Lstat": true, "Mkdir": true, "MkdirAll": true, "Remove": true,
	"RemoveAll": true, "Rename": true, "Symlink": true, "Readlink": true,
	"Link": true, "Chmod": true, "Chown": true, "Lchown": true,
	"Chtimes": true, "Truncate": true, "MkdirTemp": true, "DirFS": true,
}

// node is a set of values that must all keep the os type or all move to
// the uringfs type, because they flow into one another.
type node struct {
	parent *node
	why    *reason             // non-nil: the set stays in os
	vars   []*types.Var        // this package's variables in the set
	calls  []*ast.SelectorExpr // os.Open and friends producing values of the set
	types  []*ast.SelectorExpr // os.File / os.Root in declared types of the set
}

// reason is why a set of values keeps its os type.
type reason struct {
	pos  token.Pos
	text string
	via  string // the variable the reason is about, if any
}

func (n *node) find() *node {
	for n.parent != nil {
		if n.parent.parent != nil {
			n.parent = n.parent.parent
		}
		n = n.parent
	}
	return n
}

func union(a, b *node) {
	a, b = a.find(), b.find()
	if a == b {
		return
	}
	b.parent = a
	if a.why == nil {
		a.why = b.why
	}
	a.vars = append(a.vars, b.vars...)
	a.calls = append(a.calls, b.calls...)
	a.types = append(a.types, b.types...)
	b.vars, b.calls, b.types = nil, nil, nil
}

// isFixed reports whether n stands for a value from outside the package
// (os.Stdin, another package's result), which stays in os by nature.
func (n *node) isFixed() bool {
	r := n.find()
	return r.why != nil && len(r.vars) == 0 && len(r.calls) == 0 && len(r.types) == 0
}

func (n *node) stay(pos token.Pos, via, format string, args ...any) {
	n = n.find()
	if n.why == nil {
		n.why = &reason{pos: pos, text: fmt.Sprintf(format, args...), via: via}
	}
}

// analysis holds the state of one package's flow analysis.
type analysis struct {
	p        *pkg
	api      bool
	osFile   types.Type // *os.File
	osRoot   types.Type // *os.Root
	parent   map[ast.Node]ast.Node
	fileOf   map[ast.Node]*ast.File
	vars     map[*types.Var]*node
	calls    map[*ast.CallExpr]*node
	handled  map[ast.Expr]bool // values whose destination was understood
	declType map[*types.Var]ast.Expr
	funcOf   map[*types.Var]*types.Func // parameters and results of declared funcs
	fieldOf  map[*types.Var]*types.TypeName
	sharedTy map[ast.Expr]*node
	asValue  map[*types.Func]token.Pos // functions used other than by calling them
	ifaceFns map[string]bool           // method names of the package's interfaces
	asserts  token.Pos                 // a type assertion to *os.File, if any
	plain    map[*ast.SelectorExpr]bool
	locals   map[*types.Var]bool // variables declared in function bodies
}

func analyze(p *pkg, api bool) *analysis {
	a := &analysis{
		p: p, api: api,
		parent:   map[ast.Node]ast.Node{},
		fileOf:   map[ast.Node]*ast.File{},
		vars:     map[*types.Var]*node{},
		calls:    map[*ast.CallExpr]*node{},
		handled:  map[ast.Expr]bool{},
		declType: map[*types.Var]ast.Expr{},
		funcOf:   map[*types.Var]*types.Func{},
		fieldOf:  map[*types.Var]*types.TypeName{},
		sharedTy: map[ast.Expr]*node{},
		asValue:  map[*types.Func]token.Pos{},
		ifaceFns: map[string]bool{},
		plain:    map[*ast.SelectorExpr]bool{},
		locals:   map[*types.Var]bool{},
	}
	for _, imp := range p.types.Imports() {
		if imp.Path() == "os" {
			a.osFile = types.NewPointer(imp.Scope().Lookup("File").Type())
			a.osRoot = types.NewPointer(imp.Scope().Lookup("Root").Type())
		}
	}
	if a.osFile == nil {
		return a // no os, nothing to do (an *os.File would need it)
	}
	a.prepare()
	for _, f := range p.files {
		if why, ok := p.frozen[f]; ok {
			a.freeze(f, why)
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			a.visit(n)
			return true
		})
	}
	a.freezeIgnored()
	a.coverage()
	// Variables no value flows into still move or get a report line.
	for id, obj := range p.info.Defs {
		if v, ok := obj.(*types.Var); ok && a.tracked(v.Type()) {
			if f := a.fileAt(id.Pos()); f != nil && p.frozen[f] == "" {
				a.varNode(v)
			}
		}
	}
	for _, f := range p.files {
		if p.frozen[f] != "" {
			continue
		}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok {
				if fn, ok := p.info.Defs[fd.Name].(*types.Func); ok {
					res := fn.Type().(*types.Signature).Results()
					for i := 0; i < res.Len(); i++ {
						if a.tracked(res.At(i).Type()) {
							a.varNode(res.At(i))
						}
					}
				}
			}
		}
	}
	return a
}

// tracked reports whether t is *os.File or *os.Root.
func (a *analysis) tracked(t types.Type) bool {
	return t != nil && (types.Identical(t, a.osFile) || types.Identical(t, a.osRoot))
}

// uringType is the uringfs type standing for the tracked type t.
func (a *analysis) uringType(t types.Type) types.Type {
	name := "File"
	if types.Identical(t, a.osRoot) {
		name = "Root"
	}
	return types.NewPointer(a.p.uringfs.Scope().Lookup(name).Type())
}

func (a *analysis) typeOf(e ast.Expr) types.Type {
	if tv, ok := a.p.info.Types[e]; ok {
		return tv.Type
	}
	if id, ok := e.(*ast.Ident); ok {
		if obj := a.p.info.ObjectOf(id); obj != nil {
			return obj.Type()
		}
	}
	return nil
}

// prepare records parents, declared types, parameter owners, fields,
// interface method names and functions used as values.
func (a *analysis) prepare() {
	info := a.p.info
	for _, f := range a.p.files {
		var stack []ast.Node
		ast.Inspect(f, func(n ast.Node) bool {
			if n == nil {
				stack = stack[:len(stack)-1]
				return false
			}
			if len(stack) > 0 {
				a.parent[n] = stack[len(stack)-1]
			}
			a.fileOf[n] = f
			stack = append(stack, n)
			switch n := n.(type) {
			case *ast.FuncDecl:
				fn, _ := info.Defs[n.Name].(*types.Func)
				if fn == nil {
					break
				}
				sig := fn.Type().(*types.Signature)
				a.fieldVars(n.Type.Params, sig.Params(), fn)
				a.fieldVars(n.Type.Results, sig.Results(), fn)
			case *ast.TypeSpec:
				tn, _ := info.Defs[n.Name].(*types.TypeName)
				if st, ok := n.Type.(*ast.StructType); ok && tn != nil {
					for _, fld := range st.Fields.List {
						for _, id := range fld.Names {
							if v, ok := info.Defs[id].(*types.Var); ok {
								a.fieldOf[v] = tn
							}
						}
					}
				}
			case *ast.Field:
				for _, id := range n.Names {
					if v, ok := info.Defs[id].(*types.Var); ok {
						a.declType[v] = n.Type
					}
				}
			case *ast.AssignStmt:
				if n.Tok == token.DEFINE {
					for _, l := range n.Lhs {
						if id, ok := l.(*ast.Ident); ok {
							if v, ok := info.Defs[id].(*types.Var); ok {
								a.locals[v] = true
							}
						}
					}
				}
			case *ast.RangeStmt:
				for _, l := range []ast.Expr{n.Key, n.Value} {
					if id, ok := l.(*ast.Ident); ok {
						if v, ok := info.Defs[id].(*types.Var); ok {
							a.locals[v] = true
						}
					}
				}
			case *ast.ValueSpec:
				for _, id := range n.Names {
					if v, ok := info.Defs[id].(*types.Var); ok && v.Parent() != a.p.types.Scope() {
						a.locals[v] = true
					}
				}
				if n.Type != nil {
					for _, id := range n.Names {
						if v, ok := info.Defs[id].(*types.Var); ok {
							a.declType[v] = n.Type
						}
					}
				}
			case *ast.TypeAssertExpr:
				if n.Type != nil && a.tracked(a.typeOf(n.Type)) && a.asserts == token.NoPos {
					a.asserts = n.Pos()
				}
			case *ast.CaseClause:
				if v, ok := info.Implicits[n].(*types.Var); ok {
					a.locals[v] = true
				}
				for _, e := range n.List {
					if a.tracked(a.typeOf(e)) && a.asserts == token.NoPos {
						if _, ok := a.parent[n].(*ast.BlockStmt); ok {
							if _, ok := a.parent[a.parent[n]].(*ast.TypeSwitchStmt); ok {
								a.asserts = e.Pos()
							}
						}
					}
				}
			}
			return true
		})
	}
	for id, obj := range info.Uses {
		fn, ok := obj.(*types.Func)
		if !ok || fn.Pkg() != a.p.types {
			continue
		}
		var e ast.Node = id
		if sel, ok := a.parent[id].(*ast.SelectorExpr); ok && sel.Sel == id {
			e = sel
		}
		for {
			if par, ok := a.parent[e].(*ast.ParenExpr); ok {
				e = par
				continue
			}
			if ix, ok := a.parent[e].(*ast.IndexExpr); ok && ix.X == e {
				e = ix // instantiation
				continue
			}
			if ix, ok := a.parent[e].(*ast.IndexListExpr); ok && ix.X == e {
				e = ix
				continue
			}
			break
		}
		if call, ok := a.parent[e].(*ast.CallExpr); !ok || call.Fun != e {
			if _, seen := a.asValue[fn]; !seen {
				a.asValue[fn] = id.Pos()
			}
		}
	}
	for _, tv := range info.Types {
		if tv.Type == nil {
			continue
		}
		if it, ok := tv.Type.Underlying().(*types.Interface); ok {
			for i := 0; i < it.NumMethods(); i++ {
				a.ifaceFns[it.Method(i).Name()] = true
			}
		}
	}
	for _, obj := range info.Defs {
		if tn, ok := obj.(*types.TypeName); ok {
			if it, ok := tn.Type().Underlying().(*types.Interface); ok {
				for i := 0; i < it.NumMethods(); i++ {
					a.ifaceFns[it.Method(i).Name()] = true
				}
			}
		}
	}
}

// fieldVars maps the parameters or results of a declared function to their
// declared types and the function, unnamed ones included.
func (a *analysis) fieldVars(fl *ast.FieldList, tup *types.Tuple, fn *types.Func) {
	if fl == nil {
		return
	}
	i := 0
	for _, fld := range fl.List {
		n := len(fld.Names)
		if n == 0 {
			n = 1
		}
		for j := 0; j < n && i < tup.Len(); j++ {
			v := tup.At(i)
			a.declType[v] = fld.Type
			a.funcOf[v] = fn
			i++
		}
	}
}

// fixed is a set that stays in os from the start.
func fixed(pos token.Pos, format string, args ...any) *node {
	n := &node{}
	n.stay(pos, "", format, args...)
	return n
}

func (a *analysis) pos(p token.Pos) string {
	pp := a.p.fset.Position(p)
	return fmt.Sprintf("%s:%d:%d", filepath.Base(pp.Filename), pp.Line, pp.Column)
}

// varName names v in reports.
func varName(v *types.Var, fn *types.Func) string {
	if v.Name() != "" && v.Name() != "_" {
		return v.Name()
	}
	if fn != nil {
		return fn.Name() + "'s result"
	}
	return "_"
}

// varNode returns the set of the variable v, creating it: a variable that
// cannot move is a set that stays, with the reason.
func (a *analysis) varNode(v *types.Var) *node {
	if n, ok := a.vars[v]; ok {
		return n
	}
	n := &node{}
	a.vars[v] = n
	name := varName(v, a.funcOf[v])
	if v.Pkg() != a.p.types {
		if v.IsField() {
			n.stay(v.Pos(), "", "field %s of a type of package %s", v.Name(), v.Pkg().Name())
		} else {
			n.stay(v.Pos(), "", "variable %s of package %s", v.Name(), v.Pkg().Name())
		}
		return n
	}
	file := a.fileAt(v.Pos())
	if file != nil {
		if _, frozen := a.p.frozen[file]; !frozen {
			n.vars = append(n.vars, v)
		}
	}
	if te, ok := a.declType[v]; ok {
		if sel := a.osTypeExpr(te); sel != nil {
			n.types = append(n.types, sel)
			if other, ok := a.sharedTy[te]; ok {
				union(other, n) // a, b *os.File move together
			} else {
				a.sharedTy[te] = n
			}
		} else {
			n.stay(te.Pos(), name, "declared with type %s", types.ExprString(te))
		}
	}
	if file == nil {
		n.stay(v.Pos(), name, "declared outside the files uringfix reads")
	} else if why, ok := a.p.frozen[file]; ok {
		n.stay(v.Pos(), name, "declared in %s", why)
	}
	switch {
	case v.IsField():
		if v.Embedded() {
			n.stay(v.Pos(), name, "embedded field")
		}
		tn := a.fieldOf[v]
		if !a.api && v.Exported() && (tn == nil || tn.Exported()) {
			n.stay(v.Pos(), name, "exported field (-api moves it)")
		}
	case a.funcOf[v] != nil:
		fn := a.funcOf[v]
		sig := fn.Type().(*types.Signature)
		if !a.api && fn.Exported() {
			n.stay(v.Pos(), name, "in the signature of exported %s (-api moves it)", fn.Name())
		}
		if sig.Recv() != nil && a.ifaceFns[fn.Name()] {
			n.stay(v.Pos(), name, "in the signature of method %s, which an interface of the package names", fn.Name())
		}
		if pos, ok := a.asValue[fn]; ok {
			n.stay(pos, name, "%s is used as a function value", fn.Name())
		}
		if fn.Name() == "main" || fn.Name() == "init" {
			n.stay(v.Pos(), name, "in the signature of %s", fn.Name())
		}
		if sig.Variadic() && sig.Params().Len() > 0 && sig.Params().At(sig.Params().Len()-1) == v {
			n.stay(v.Pos(), name, "variadic parameter")
		}
	case v.Parent() == a.p.types.Scope():
		if !a.api && v.Exported() {
			n.stay(v.Pos(), name, "exported variable (-api moves it)")
		}
	case a.locals[v]:
	default:
		n.stay(v.Pos(), name, "parameter or result of a function literal or type")
	}
	return n
}

func (a *analysis) fileAt(pos token.Pos) *ast.File {
	tf := a.p.fset.File(pos)
	for _, f := range a.p.files {
		if a.p.fset.File(f.Pos()) == tf {
			return f
		}
	}
	return nil
}
