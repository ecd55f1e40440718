package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"strings"
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

// osTypeExpr returns the os.File or os.Root selector of a declared type
// *os.File or *os.Root, or nil if the type is written another way.
func (a *analysis) osTypeExpr(te ast.Expr) *ast.SelectorExpr {
	for {
		p, ok := te.(*ast.ParenExpr)
		if !ok {
			break
		}
		te = p.X
	}
	st, ok := te.(*ast.StarExpr)
	if !ok {
		return nil
	}
	sel, ok := ast.Unparen(st.X).(*ast.SelectorExpr)
	if !ok || !a.isOSPkg(sel.X) || (sel.Sel.Name != "File" && sel.Sel.Name != "Root") {
		return nil
	}
	return sel
}

func (a *analysis) isOSPkg(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	if !ok {
		return false
	}
	pn, ok := a.p.info.Uses[id].(*types.PkgName)
	return ok && pn.Imported().Path() == "os"
}

// osFunc returns the name of the os package-level function e denotes, or "".
func (a *analysis) osFunc(e ast.Expr) (*ast.SelectorExpr, string) {
	sel, ok := ast.Unparen(e).(*ast.SelectorExpr)
	if !ok || !a.isOSPkg(sel.X) {
		return nil, ""
	}
	if _, ok := a.p.info.Uses[sel.Sel].(*types.Func); !ok {
		return nil, ""
	}
	return sel, sel.Sel.Name
}

// sameSignature reports whether the os object and the uringfs object of
// the same name have the same type, once *os.File and *os.Root are read as
// their uringfs counterparts.
func (a *analysis) sameSignature(osT, uT types.Type) bool {
	os, ok1 := osT.(*types.Signature)
	u, ok2 := uT.(*types.Signature)
	if !ok1 || !ok2 || os.Variadic() != u.Variadic() {
		return false
	}
	same := func(x, y *types.Tuple) bool {
		if x.Len() != y.Len() {
			return false
		}
		for i := 0; i < x.Len(); i++ {
			xt, yt := x.At(i).Type(), y.At(i).Type()
			if a.tracked(xt) {
				xt = a.uringType(xt)
			}
			if !types.Identical(xt, yt) {
				return false
			}
		}
		return true
	}
	return same(os.Params(), u.Params()) && same(os.Results(), u.Results())
}

func (a *analysis) uringFunc(name string) types.Object {
	return a.p.uringfs.Scope().Lookup(name)
}

// exprNode returns the set of the tracked value e, or nil for nil.
func (a *analysis) exprNode(e ast.Expr) *node {
	e = ast.Unparen(e)
	switch e := e.(type) {
	case *ast.Ident:
		switch obj := a.p.info.ObjectOf(e).(type) {
		case *types.Nil:
			return nil
		case *types.Var:
			return a.varNode(obj)
		}
	case *ast.SelectorExpr:
		if sel := a.p.info.Selections[e]; sel != nil && sel.Kind() == types.FieldVal {
			return a.varNode(sel.Obj().(*types.Var))
		}
		if v, ok := a.p.info.Uses[e.Sel].(*types.Var); ok {
			if v.Pkg() != nil && v.Pkg().Path() == "os" {
				return fixed(e.Pos(), "holds os.%s", v.Name())
			}
			return a.varNode(v)
		}
	case *ast.CallExpr:
		return a.callNode(e, 0)
	case *ast.TypeAssertExpr:
		return fixed(e.Pos(), "holds a value asserted from an interface")
	case *ast.IndexExpr:
		return fixed(e.Pos(), "holds an element of %s", a.typeOf(e.X))
	case *ast.StarExpr:
		return fixed(e.Pos(), "holds a value read through a pointer")
	}
	return fixed(e.Pos(), "holds the value of %s", types.ExprString(e))
}

// callNode returns the set of result i of call.
func (a *analysis) callNode(call *ast.CallExpr, i int) *node {
	if n, ok := a.calls[call]; ok {
		return n
	}
	fun := ast.Unparen(call.Fun)
	if sel, name := a.osFunc(fun); sel != nil && fileFuncs[name] {
		n := &node{calls: []*ast.SelectorExpr{sel}}
		u := a.uringFunc(name)
		if u == nil || !a.sameSignature(a.p.info.Uses[sel.Sel].Type(), u.Type()) {
			n.stay(call.Pos(), "", "uringfs.%s differs from os.%s", name, name)
		}
		a.calls[call] = n
		return n
	}
	if sel, ok := fun.(*ast.SelectorExpr); ok {
		if s := a.p.info.Selections[sel]; s != nil && s.Kind() == types.MethodVal && a.tracked(a.typeOf(sel.X)) {
			// Root.Open and friends: the result moves with the root.
			n := a.exprNode(sel.X)
			if n == nil {
				n = &node{}
			}
			a.handled[call] = true
			return n
		}
	}
	if fn := a.calledFunc(call); fn != nil && fn.Pkg() == a.p.types {
		sig := fn.Type().(*types.Signature)
		if i < sig.Results().Len() {
			return a.varNode(sig.Results().At(i))
		}
	}
	return fixed(call.Pos(), "returned by %s", types.ExprString(call.Fun))
}

// calledFunc returns the declared function or method call calls, if any.
func (a *analysis) calledFunc(call *ast.CallExpr) *types.Func {
	fun := ast.Unparen(call.Fun)
	switch f := fun.(type) {
	case *ast.IndexExpr:
		fun = f.X
	case *ast.IndexListExpr:
		fun = f.X
	}
	var id *ast.Ident
	switch f := fun.(type) {
	case *ast.Ident:
		id = f
	case *ast.SelectorExpr:
		id = f.Sel
	}
	if id == nil {
		return nil
	}
	fn, _ := a.p.info.Uses[id].(*types.Func)
	if fn != nil {
		fn = fn.Origin()
	}
	return fn
}

// flowVar records that the value e is stored in v.
func (a *analysis) flowVar(e ast.Expr, v *types.Var) {
	a.handled[ast.Unparen(e)] = true
	if n := a.exprNode(e); n != nil {
		union(a.varNode(v), n)
	}
}

// sink records that the tracked value e goes to a place of type dst, which
// is not a variable of the package: an interface it implements is fine,
// anything else keeps it in os, described by what.
func (a *analysis) sink(e ast.Expr, dst types.Type, what string) {
	a.handled[ast.Unparen(e)] = true
	n := a.exprNode(e)
	if n == nil {
		return
	}
	if dst != nil {
		if it, ok := dst.Underlying().(*types.Interface); ok {
			if !types.Implements(a.uringType(a.typeOf(e)), it) {
				n.stay(e.Pos(), a.nameOf(e), "%s, which %s does not implement", what, a.uringType(a.typeOf(e)))
			} else if a.asserts != token.NoPos {
				n.stay(e.Pos(), a.nameOf(e), "%s, and the package asserts *os.File at %s", what, a.pos(a.asserts))
			}
			return
		}
	}
	n.stay(e.Pos(), a.nameOf(e), "%s", what)
}

func (a *analysis) nameOf(e ast.Expr) string {
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return e.Sel.Name
	}
	return ""
}

// assign records a value flowing into the assignment target lhs.
func (a *analysis) assign(lhs, rhs ast.Expr, rhsNode func() *node) {
	lhs = ast.Unparen(lhs)
	a.handled[lhs] = true
	if id, ok := lhs.(*ast.Ident); ok && id.Name == "_" {
		a.handled[ast.Unparen(rhs)] = true
		return
	}
	if !a.tracked(a.typeOf(lhs)) {
		if rhs != nil && a.tracked(a.typeOf(rhs)) {
			if sel, ok := lhs.(*ast.SelectorExpr); ok && isCmdStdio(a.p.info.Uses[sel.Sel]) {
				a.sink(rhs, nil, cmdStdioWhy(sel.Sel.Name))
				return
			}
			a.sink(rhs, a.typeOf(lhs), "assigned to "+a.describeDst(lhs))
		}
		return
	}
	var dst *node
	switch l := lhs.(type) {
	case *ast.Ident:
		if v, ok := a.p.info.ObjectOf(l).(*types.Var); ok {
			dst = a.varNode(v)
		}
	case *ast.SelectorExpr:
		dst = a.exprNode(l)
	}
	if dst == nil {
		dst = fixed(lhs.Pos(), "stored in %s", types.ExprString(lhs))
	}
	if rhs != nil {
		a.handled[ast.Unparen(rhs)] = true
	}
	if n := rhsNode(); n != nil {
		union(dst, n)
	}
}

func (a *analysis) describeDst(lhs ast.Expr) string {
	if sel, ok := lhs.(*ast.SelectorExpr); ok {
		if s := a.p.info.Selections[sel]; s != nil && s.Kind() == types.FieldVal {
			return typeName(s.Recv()) + "." + sel.Sel.Name
		}
	}
	return types.ExprString(lhs)
}

func typeName(t types.Type) string {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	if n, ok := t.(*types.Named); ok {
		if n.Obj().Pkg() != nil {
			return n.Obj().Pkg().Name() + "." + n.Obj().Name()
		}
		return n.Obj().Name()
	}
	return t.String()
}

// visit records the flows of tracked values at one syntax node.
func (a *analysis) visit(n ast.Node) {
	info := a.p.info
	switch n := n.(type) {
	case *ast.AssignStmt:
		if len(n.Lhs) == len(n.Rhs) {
			for i := range n.Lhs {
				r := n.Rhs[i]
				a.assign(n.Lhs[i], r, func() *node { return a.exprNode(r) })
			}
		} else if call, ok := ast.Unparen(n.Rhs[0]).(*ast.CallExpr); ok && len(n.Rhs) == 1 {
			a.handled[call] = true
			for i := range n.Lhs {
				i := i
				a.assign(n.Lhs[i], nil, func() *node { return a.callNode(call, i) })
			}
		}
	case *ast.ValueSpec:
		if len(n.Names) == len(n.Values) {
			for i := range n.Names {
				r := n.Values[i]
				a.assign(n.Names[i], r, func() *node { return a.exprNode(r) })
			}
		} else if len(n.Values) == 1 {
			if call, ok := ast.Unparen(n.Values[0]).(*ast.CallExpr); ok {
				a.handled[call] = true
				for i := range n.Names {
					i := i
					a.assign(n.Names[i], nil, func() *node { return a.callNode(call, i) })
				}
			}
		}
	case *ast.ReturnStmt:
		sig := a.enclosingSig(n)
		if sig == nil {
			return
		}
		res := sig.Results()
		if len(n.Results) == res.Len() {
			for i, r := range n.Results {
				if a.tracked(a.typeOf(r)) {
					a.toVar(r, res.At(i), "returned")
				}
			}
		} else if len(n.Results) == 1 {
			if call, ok := ast.Unparen(n.Results[0]).(*ast.CallExpr); ok {
				a.handled[call] = true
				for i := 0; i < res.Len(); i++ {
					t, ok := a.typeOf(call).(*types.Tuple)
					if !ok || !a.tracked(t.At(i).Type()) {
						continue
					}
					if cn := a.callNode(call, i); cn != nil {
						union(a.varNode(res.At(i)), cn)
					}
				}
			}
		}
	case *ast.CallExpr:
		a.visitCall(n)
	case *ast.SelectorExpr:
		if sel, name := a.osFunc(n); sel != nil && plainFuncs[name] {
			a.plainCall(sel)
		}
		s := info.Selections[n]
		if s == nil || !a.tracked(a.typeOf(n.X)) {
			return
		}
		a.handled[ast.Unparen(n.X)] = true
		xn := a.exprNode(n.X)
		if xn == nil {
			return
		}
		if s.Kind() != types.MethodVal {
			xn.stay(n.Pos(), a.nameOf(n.X), "%s used as a method expression", n.Sel.Name)
			return
		}
		ut := a.uringType(a.typeOf(n.X))
		obj, _, _ := types.LookupFieldOrMethod(ut, true, nil, n.Sel.Name)
		m, _ := obj.(*types.Func)
		switch {
		case m == nil:
			xn.stay(n.Sel.Pos(), a.nameOf(n.X), "calls %s, which %s lacks", n.Sel.Name, ut)
		case !a.sameSignature(s.Obj().Type(), m.Type()):
			xn.stay(n.Sel.Pos(), a.nameOf(n.X), "%s.%s has another signature in uringfs", typeName(a.typeOf(n.X)), n.Sel.Name)
		}
	case *ast.CompositeLit:
		t := a.typeOf(n)
		if t == nil {
			return
		}
		switch u := t.Underlying().(type) {
		case *types.Struct:
			for i, el := range n.Elts {
				var fv *types.Var
				val := el
				if kv, ok := el.(*ast.KeyValueExpr); ok {
					val = kv.Value
					if id, ok := kv.Key.(*ast.Ident); ok {
						fv, _ = info.Uses[id].(*types.Var)
						a.handled[id] = true
					}
				} else if i < u.NumFields() {
					fv = u.Field(i)
				}
				if fv == nil || !a.tracked(a.typeOf(val)) {
					continue
				}
				if fv.Pkg() == a.p.types {
					a.toVar(val, fv, "stored")
				} else if isCmdStdio(fv) {
					a.sink(val, nil, cmdStdioWhy(fv.Name()))
				} else {
					a.sink(val, fv.Type(), "stored in "+typeName(t)+"."+fv.Name())
				}
			}
		case *types.Slice, *types.Array, *types.Map:
			var elem types.Type
			switch u := u.(type) {
			case *types.Slice:
				elem = u.Elem()
			case *types.Array:
				elem = u.Elem()
			case *types.Map:
				elem = u.Elem()
			}
			for _, el := range n.Elts {
				val := el
				if kv, ok := el.(*ast.KeyValueExpr); ok {
					if a.tracked(a.typeOf(kv.Key)) {
						a.sink(kv.Key, u.(*types.Map).Key(), "used as a key of "+t.String())
					}
					val = kv.Value
				}
				if a.tracked(a.typeOf(val)) {
					if a.toExtraFiles(n) {
						a.sink(val, nil, "passed to exec.Cmd.ExtraFiles")
					} else {
						a.sink(val, elem, "stored in a "+types.TypeString(t, types.RelativeTo(a.p.types)))
					}
				}
			}
		}
	case *ast.BinaryExpr:
		if n.Op != token.EQL && n.Op != token.NEQ {
			return
		}
		xt, yt := a.tracked(a.typeOf(n.X)), a.tracked(a.typeOf(n.Y))
		switch {
		case xt && a.isNil(n.Y):
			a.handled[ast.Unparen(n.X)] = true
		case yt && a.isNil(n.X):
			a.handled[ast.Unparen(n.Y)] = true
		case xt && yt:
			a.handled[ast.Unparen(n.X)] = true
			a.handled[ast.Unparen(n.Y)] = true
			xn, yn := a.exprNode(n.X), a.exprNode(n.Y)
			if xn != nil && yn != nil {
				if yn.isFixed() {
					xn.stay(n.Pos(), a.nameOf(n.X), "compared with %s", types.ExprString(n.Y))
				}
				if xn.isFixed() {
					yn.stay(n.Pos(), a.nameOf(n.Y), "compared with %s", types.ExprString(n.X))
				}
				union(xn, yn)
			}
		case xt:
			a.sink(n.X, a.typeOf(n.Y), "compared with "+types.ExprString(n.Y))
		case yt:
			a.sink(n.Y, a.typeOf(n.X), "compared with "+types.ExprString(n.X))
		}
	case *ast.UnaryExpr:
		if n.Op == token.AND && a.tracked(a.typeOf(n.X)) {
			a.sink(n.X, nil, "its address is taken")
		}
	case *ast.SendStmt:
		if a.tracked(a.typeOf(n.Value)) {
			var elem types.Type
			if ch, ok := a.typeOf(n.Chan).Underlying().(*types.Chan); ok {
				elem = ch.Elem()
			}
			a.sink(n.Value, elem, "sent on a channel")
		}
	case *ast.RangeStmt:
		for _, e := range []ast.Expr{n.Key, n.Value} {
			if e != nil && a.tracked(a.typeOf(e)) {
				a.handled[ast.Unparen(e)] = true
				if id, ok := e.(*ast.Ident); ok {
					if v, ok := info.ObjectOf(id).(*types.Var); ok {
						a.varNode(v).stay(e.Pos(), id.Name, "ranges over %s", types.ExprString(n.X))
					}
				}
			}
		}
	case *ast.IndexExpr:
		if a.tracked(a.typeOf(n.Index)) {
			if m, ok := a.typeOf(n.X).Underlying().(*types.Map); ok {
				a.sink(n.Index, m.Key(), "used as a map key")
			}
		}
	case *ast.ExprStmt:
		// A value computed and dropped goes nowhere.
		if call, ok := ast.Unparen(n.X).(*ast.CallExpr); ok {
			a.handled[call] = true
		}
	case *ast.TypeSwitchStmt:
		for _, c := range n.Body.List {
			if obj, ok := info.Implicits[c].(*types.Var); ok && a.tracked(obj.Type()) {
				a.varNode(obj).stay(c.Pos(), obj.Name(), "asserted from an interface")
			}
		}
	}
}

func (a *analysis) isNil(e ast.Expr) bool {
	tv, ok := a.p.info.Types[ast.Unparen(e)]
	return ok && tv.IsNil()
}

// isCmdStdio reports whether obj is exec.Cmd's Stdin, Stdout or Stderr:
// exec gives the child an *os.File's descriptor itself, but copies any
// other reader or writer through a pipe and a goroutine.
func isCmdStdio(obj types.Object) bool {
	if obj == nil || obj.Pkg() == nil || obj.Pkg().Path() != "os/exec" {
		return false
	}
	switch obj.Name() {
	case "Stdin", "Stdout", "Stderr":
		return true
	}
	return false
}

func cmdStdioWhy(field string) string {
	return "assigned to exec.Cmd." + field + " (the child gets an *os.File's descriptor, other values through a pipe)"
}

// isExtraFiles reports whether field fv is exec.Cmd's ExtraFiles.
func (a *analysis) isExtraFiles(fv types.Object) bool {
	return fv != nil && fv.Name() == "ExtraFiles" && fv.Pkg() != nil && fv.Pkg().Path() == "os/exec"
}

// toExtraFiles reports whether the literal lit is given to
// exec.Cmd.ExtraFiles, in an exec.Cmd literal or an assignment.
func (a *analysis) toExtraFiles(lit *ast.CompositeLit) bool {
	switch p := a.parent[lit].(type) {
	case *ast.KeyValueExpr:
		if id, ok := p.Key.(*ast.Ident); ok {
			return a.isExtraFiles(a.p.info.Uses[id])
		}
	case *ast.AssignStmt:
		for i, r := range p.Rhs {
			if r == lit && i < len(p.Lhs) {
				if sel, ok := ast.Unparen(p.Lhs[i]).(*ast.SelectorExpr); ok {
					return a.isExtraFiles(a.p.info.Uses[sel.Sel])
				}
			}
		}
	}
	return false
}

// toVar records e flowing into the package variable v (a parameter, result
// or field), which may itself be unable to move.
func (a *analysis) toVar(e ast.Expr, v *types.Var, what string) {
	if !a.tracked(v.Type()) {
		a.sink(e, v.Type(), what+" as "+v.Type().String())
		return
	}
	a.flowVar(e, v)
}

func (a *analysis) enclosingSig(n ast.Node) *types.Signature {
	for p := a.parent[n]; p != nil; p = a.parent[p] {
		switch f := p.(type) {
		case *ast.FuncLit:
			sig, _ := a.typeOf(f).(*types.Signature)
			return sig
		case *ast.FuncDecl:
			if fn, ok := a.p.info.Defs[f.Name].(*types.Func); ok {
				return fn.Type().(*types.Signature)
			}
			return nil
		}
	}
	return nil
}

// visitCall records arguments flowing into parameters, plain os calls and
// the exec.Cmd and append special cases.
func (a *analysis) visitCall(call *ast.CallExpr) {
	info := a.p.info
	tv := info.Types[call.Fun]
	if tv.IsType() {
		if len(call.Args) == 1 && a.tracked(a.typeOf(call.Args[0])) {
			a.sink(call.Args[0], tv.Type, "converted to "+types.ExprString(call.Fun))
		}
		return
	}
	if tv.IsBuiltin() {
		id, _ := ast.Unparen(call.Fun).(*ast.Ident)
		for i, arg := range call.Args {
			if !a.tracked(a.typeOf(arg)) {
				continue
			}
			what := "passed to " + types.ExprString(call.Fun)
			if id != nil && id.Name == "append" && i > 0 {
				what = "appended to " + types.ExprString(call.Args[0])
				if sel, ok := ast.Unparen(call.Args[0]).(*ast.SelectorExpr); ok && sel.Sel.Name == "ExtraFiles" {
					if a.isExtraFiles(info.Uses[sel.Sel]) {
						what = "passed to exec.Cmd.ExtraFiles"
					}
				}
			}
			a.sink(arg, nil, what)
		}
		return
	}
	sig, ok := tv.Type.(*types.Signature)
	if !ok {
		return
	}
	fn := a.calledFunc(call)
	local := fn != nil && fn.Pkg() == a.p.types
	var params *types.Tuple = sig.Params()
	if local {
		params = fn.Type().(*types.Signature).Params()
	}
	args := call.Args
	// g(f()) with a multi-value f.
	if len(args) == 1 && params.Len() > 1 {
		if inner, ok := ast.Unparen(args[0]).(*ast.CallExpr); ok {
			if t, ok := a.typeOf(inner).(*types.Tuple); ok {
				a.handled[inner] = true
				for i := 0; i < t.Len() && i < params.Len(); i++ {
					if !a.tracked(t.At(i).Type()) {
						continue
					}
					src := a.callNode(inner, i)
					if local && a.tracked(params.At(i).Type()) {
						union(a.varNode(params.At(i)), src)
					} else {
						src.stay(inner.Pos(), "", "passed to %s", types.ExprString(call.Fun))
					}
				}
				return
			}
		}
	}
	for i, arg := range args {
		if !a.tracked(a.typeOf(arg)) {
			continue
		}
		var pt types.Type
		var pv *types.Var
		switch {
		case sig.Variadic() && i >= sig.Params().Len()-1:
			last := sig.Params().At(sig.Params().Len() - 1)
			if call.Ellipsis == token.NoPos {
				pt = last.Type().(*types.Slice).Elem()
			} else {
				pt = last.Type()
			}
		case i < sig.Params().Len():
			pt = sig.Params().At(i).Type()
			if local {
				pv = params.At(i)
			}
		}
		if pv != nil && a.tracked(pt) && a.tracked(pv.Type()) {
			a.flowVar(arg, pv)
			continue
		}
		a.sink(arg, pt, "passed to "+a.calleeName(call, fn))
	}
}

func (a *analysis) calleeName(call *ast.CallExpr, fn *types.Func) string {
	if fn != nil {
		if sig := fn.Type().(*types.Signature); sig.Recv() != nil {
			return typeName(sig.Recv().Type()) + "." + fn.Name()
		}
		if fn.Pkg() != nil && fn.Pkg() != a.p.types {
			return fn.Pkg().Name() + "." + fn.Name()
		}
		return fn.Name()
	}
	return types.ExprString(call.Fun)
}

// plainCall records a call or value of an os function that keeps its
// signature in uringfs.
func (a *analysis) plainCall(sel *ast.SelectorExpr) {
	u := a.uringFunc(sel.Sel.Name)
	if u != nil && a.sameSignature(a.p.info.Uses[sel.Sel].Type(), u.Type()) {
		a.plain[sel] = true
	}
}

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
