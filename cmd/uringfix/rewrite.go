package main

import (
	"fmt"
	"go/ast"
	"go/format"
	"go/token"
	"go/types"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// edit replaces src[start:end] with text.
type edit struct {
	start, end int
	text       string
}

// change is one move to uringfs, for the report.
type change struct {
	pos  token.Position
	text string
}

// fileResult is the new content of one file.
type fileResult struct {
	name     string
	old, new []byte
	changes  []change
}

// result is the outcome of fixing one package.
type result struct {
	pkg   *pkg
	files []*fileResult
	stays []stay // sorted by position
}

// stay is one report line on a value that keeps its os type.
type stay struct {
	pos  token.Position
	text string
}

// fix computes the new content of the files of p.
func fix(p *pkg, api bool) (*result, error) {
	a := analyze(p, api)
	res := &result{pkg: p}
	// The sets that move, and the selectors whose os becomes uringfs.
	moveX := map[*ast.SelectorExpr]string{} // selector -> change text
	seen := map[*node]bool{}
	var stays []stay
	for _, n := range a.allNodes() {
		r := n.find()
		if seen[r] {
			continue
		}
		seen[r] = true
		if r.why == nil {
			for _, sel := range r.calls {
				moveX[sel] = "os." + sel.Sel.Name + " -> uringfs." + sel.Sel.Name
			}
			for _, sel := range r.types {
				moveX[sel] = "*os." + sel.Sel.Name + " -> *uringfs." + sel.Sel.Name
			}
			continue
		}
		stays = append(stays, a.stayLines(r)...)
	}
	for sel := range a.plain {
		moveX[sel] = "os." + sel.Sel.Name + " -> uringfs." + sel.Sel.Name
	}
	sort.Slice(stays, func(i, j int) bool {
		if stays[i].pos.Filename != stays[j].pos.Filename {
			return stays[i].pos.Filename < stays[j].pos.Filename
		}
		if stays[i].pos.Offset != stays[j].pos.Offset {
			return stays[i].pos.Offset < stays[j].pos.Offset
		}
		return stays[i].text < stays[j].text
	})
	// Variables of one name at one place (a struct embedded in several
	// values, say) give the same line: the report says it once.
	stays = slices.CompactFunc(stays, func(a, b stay) bool {
		return a.pos.Filename == b.pos.Filename && a.pos.Offset == b.pos.Offset && a.text == b.text
	})
	res.stays = stays
	for _, f := range p.files {
		if p.frozen[f] != "" {
			continue
		}
		fr, err := a.rewriteFile(f, moveX)
		if err != nil {
			return nil, err
		}
		if fr != nil {
			res.files = append(res.files, fr)
		}
	}
	return res, nil
}

func (a *analysis) allNodes() []*node {
	var ns []*node
	for _, n := range a.vars {
		ns = append(ns, n)
	}
	for _, n := range a.calls {
		ns = append(ns, n)
	}
	return ns
}

// stayLines reports a set that stays in os: one line per variable of the
// package in it, or one for its os call if it has none.
func (a *analysis) stayLines(r *node) []stay {
	why := r.why
	pos := a.p.fset.Position(why.pos)
	var lines []stay
	for _, v := range r.vars {
		name := varName(v, a.funcOf[v])
		text := why.text
		if why.via != "" && why.via != name {
			text += " (via " + why.via + ")"
		}
		lines = append(lines, stay{pos, fmt.Sprintf("%s stays %s: %s", name, a.osTypeName(v.Type()), text)})
	}
	if len(lines) > 0 {
		return lines
	}
	for _, sel := range r.calls {
		lines = append(lines, stay{a.p.fset.Position(sel.Pos()), fmt.Sprintf("os.%s stays: %s", sel.Sel.Name, why.text)})
	}
	return lines
}

// osTypeName is how reports spell the tracked type t.
func (a *analysis) osTypeName(t types.Type) string {
	if types.Identical(t, a.osRoot) {
		return "*os.Root"
	}
	return "*os.File"
}

// rewriteFile applies the moves in f, fixes its imports and formats it.
func (a *analysis) rewriteFile(f *ast.File, moveX map[*ast.SelectorExpr]string) (*fileResult, error) {
	fset := a.p.fset
	src := a.p.src[f]
	tf := fset.File(f.Pos())
	off := func(p token.Pos) int { return tf.Offset(p) }
	var edits []edit
	var changes []change
	// The name uringfs goes by in this file, if imported already.
	uname := "uringfs"
	var osSpec *ast.ImportSpec
	for _, is := range f.Imports {
		path, _ := strconv.Unquote(is.Path.Value)
		if path == uringfsPath && is.Name != nil {
			uname = is.Name.Name
		}
		if path == "os" {
			osSpec = is
		}
	}
	moved := 0
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if text, ok := moveX[sel]; ok {
			edits = append(edits, edit{off(sel.X.Pos()), off(sel.X.End()), uname})
			changes = append(changes, change{fset.Position(sel.Pos()), text})
			moved++
		}
		return true
	})
	if moved == 0 {
		return nil, nil
	}
	// Is os still used?
	osUses := 0
	for id, obj := range a.p.info.Uses {
		if pn, ok := obj.(*types.PkgName); ok && pn.Imported().Path() == "os" && tf == fset.File(id.Pos()) {
			osUses++
		}
	}
	dropOS := osSpec != nil && osUses == moved && (osSpec.Name == nil || osSpec.Name.Name != "_" && osSpec.Name.Name != ".")
	hasU := false
	for _, is := range f.Imports {
		if path, _ := strconv.Unquote(is.Path.Value); path == uringfsPath {
			hasU = true
		}
	}
	quoted := strconv.Quote(uringfsPath)
	osDecl := a.importDecl(f, osSpec)
	switch {
	case dropOS && !hasU && osDecl != nil && !osDecl.Lparen.IsValid():
		// import "os" becomes import "…/uringfs".
		edits = append(edits, edit{off(osSpec.Pos()), off(osSpec.End()), quoted})
		dropOS = false
		hasU = true
	case dropOS:
		edits = append(edits, a.deleteSpec(f, osSpec, osDecl))
	}
	if !hasU {
		var group, last *ast.GenDecl
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT {
				last = g
				if g.Lparen.IsValid() && group == nil {
					group = g
				}
			}
		}
		switch {
		case group != nil:
			text := "\t" + quoted + "\n"
			if allStd(group) {
				text = "\n" + text // a group of its own, after the standard library
			}
			edits = append(edits, edit{off(group.Rparen), off(group.Rparen), text})
		case last != nil && len(last.Specs) == 1 && !(dropOS && last == osDecl):
			// import "x" becomes a group of x and uringfs.
			spec := last.Specs[0]
			old := string(src[off(spec.Pos()):off(spec.End())])
			sep := "\n\t"
			if allStd(last) {
				sep = "\n\n\t"
			}
			edits = append(edits, edit{off(last.Pos()), off(last.End()), "import (\n\t" + old + sep + quoted + "\n)"})
		case last != nil:
			edits = append(edits, edit{off(last.End()), off(last.End()), "\n\nimport " + quoted})
		default:
			edits = append(edits, edit{off(f.Name.End()), off(f.Name.End()), "\n\nimport " + quoted})
		}
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].start > edits[j].start })
	out := append([]byte(nil), src...)
	for _, e := range edits {
		out = append(out[:e.start:e.start], append([]byte(e.text), out[e.end:]...)...)
	}
	formatted, err := format.Source(out)
	if err != nil {
		return nil, fmt.Errorf("%s: formatting the rewritten file: %v", a.p.names[f], err)
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].pos.Offset < changes[j].pos.Offset })
	return &fileResult{name: a.p.names[f], old: src, new: formatted, changes: changes}, nil
}

func (a *analysis) importDecl(f *ast.File, spec *ast.ImportSpec) *ast.GenDecl {
	if spec == nil {
		return nil
	}
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT {
			for _, s := range g.Specs {
				if s == spec {
					return g
				}
			}
		}
	}
	return nil
}

// deleteSpec removes an import spec: its whole line in a group, or the
// whole declaration.
func (a *analysis) deleteSpec(f *ast.File, spec *ast.ImportSpec, decl *ast.GenDecl) edit {
	tf := a.p.fset.File(f.Pos())
	src := a.p.src[f]
	if !decl.Lparen.IsValid() {
		return edit{tf.Offset(decl.Pos()), tf.Offset(decl.End()), ""}
	}
	start, end := tf.Offset(spec.Pos()), tf.Offset(spec.End())
	if spec.Doc != nil {
		start = tf.Offset(spec.Doc.Pos())
	}
	if spec.Comment != nil {
		end = tf.Offset(spec.Comment.End())
	}
	ls := start
	for ls > 0 && (src[ls-1] == ' ' || src[ls-1] == '\t') {
		ls--
	}
	le := end
	for le < len(src) && (src[le] == ' ' || src[le] == '\t' || src[le] == ';') {
		le++
	}
	if (ls == 0 || src[ls-1] == '\n') && le < len(src) && src[le] == '\n' {
		return edit{ls, le + 1, ""}
	}
	return edit{start, end, ""}
}

// allStd reports whether every import of the declaration is of the
// standard library (no dot in the first path element).
func allStd(g *ast.GenDecl) bool {
	for _, s := range g.Specs {
		path, _ := strconv.Unquote(s.(*ast.ImportSpec).Path.Value)
		first, _, _ := strings.Cut(path, "/")
		if strings.Contains(first, ".") {
			return false
		}
	}
	return true
}
