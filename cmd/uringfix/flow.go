package main

// Following values: every use of a tracked value either lets it move with
// the values it flows into or names why it must stay an *os.File.

import (
	"go/ast"
	"go/token"
	"go/types"
)

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
