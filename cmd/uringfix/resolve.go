package main

// Naming what the analysis meets: the os file functions and types, their
// uringfs counterparts, and the function a call reaches.

import (
	"go/ast"
	"go/types"
)

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

func (a *analysis) nameOf(e ast.Expr) string {
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return e.Sel.Name
	}
	return ""
}
