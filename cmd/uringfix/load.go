package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// uringfsPath is the import path of the package uses are moved to.
const uringfsPath = "github.com/uringfs/uring/uringfs"

// listPkg is the part of go list -json output the tool reads.
type listPkg struct {
	Dir            string
	ImportPath     string
	Name           string
	ForTest        string
	Export         string
	GoFiles        []string
	CgoFiles       []string
	IgnoredGoFiles []string
	ImportMap      map[string]string
	DepOnly        bool
	Error          *struct{ Err string }
	DepsErrors     []*struct{ Err string }
}

// pkg is one type-checked package to fix.
type pkg struct {
	path    string // import path as the user knows it
	dir     string
	fset    *token.FileSet
	files   []*ast.File
	names   map[*ast.File]string // absolute file names
	src     map[*ast.File][]byte
	frozen  map[*ast.File]string // files left alone, with the reason
	ignored []string             // files excluded by build constraints
	types   *types.Package
	info    *types.Info
	uringfs *types.Package
}

// goList runs go list in dir and decodes its stream of JSON objects.
func goList(dir string, args ...string) ([]*listPkg, error) {
	cmd := exec.Command("go", append([]string{"list", "-e", "-json"}, args...)...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %v\n%s", err, strings.TrimSpace(stderr.String()))
	}
	var pkgs []*listPkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		p := new(listPkg)
		if err := dec.Decode(p); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

// load lists, parses and type-checks the packages matching patterns. It
// fails, naming the package and its errors, if any of them (or their tests)
// does not build, and if the module cannot import uringfs.
func load(dir string, patterns []string, withTests bool) ([]*pkg, error) {
	args := append([]string{"-export", "-deps", "-test"}, patterns...)
	list, err := goList(dir, args...)
	if err != nil {
		return nil, err
	}
	ulist, err := goList(dir, "-export", "-deps", uringfsPath)
	if err != nil {
		return nil, err
	}
	u := ulist[len(ulist)-1] // -deps lists the package after its dependencies
	if u.ImportPath != uringfsPath || u.Export == "" {
		msg := "not found"
		if u.Error != nil {
			msg = u.Error.Err
		}
		return nil, fmt.Errorf("cannot load %s (add it to go.mod: go get %s): %s", uringfsPath, uringfsPath, msg)
	}
	// uringfs and what it imports cannot import uringfs.
	cycle := map[string]bool{}
	for _, p := range ulist {
		cycle[p.ImportPath] = true
	}
	byID := map[string]*listPkg{}
	for _, p := range list {
		byID[p.ImportPath] = p
	}
	uringfsExport := u.Export
	// Roots: the packages the patterns named, in the variant that
	// includes their in-package tests, and their external tests with -test.
	var roots []*listPkg
	var broken []string
	for _, p := range list {
		if p.DepOnly {
			continue
		}
		if strings.HasSuffix(p.ImportPath, ".test") {
			continue // the generated test main
		}
		if base := strings.Fields(p.ImportPath)[0]; cycle[base] || cycle[strings.TrimSuffix(base, "_test")] && p.ForTest == "" {
			return nil, fmt.Errorf("%s: uringfs imports it, so it cannot use uringfs (leave it out of the patterns)", base)
		}
		if p.Error != nil || len(p.DepsErrors) > 0 {
			var errs []string
			if p.Error != nil {
				errs = append(errs, p.Error.Err)
			}
			for _, e := range p.DepsErrors {
				errs = append(errs, e.Err)
			}
			broken = append(broken, fmt.Sprintf("%s:\n\t%s", p.ImportPath, strings.Join(errs, "\n\t")))
			continue
		}
		if p.ForTest == "" {
			if byID[p.ImportPath+" ["+p.ImportPath+".test]"] != nil {
				continue // the test variant stands for it
			}
			roots = append(roots, p)
			continue
		}
		if p.Name != "" && strings.HasSuffix(p.ImportPath, "_test ["+p.ForTest+".test]") {
			if withTests {
				roots = append(roots, p)
			}
			continue
		}
		if strings.HasPrefix(p.ImportPath, p.ForTest+" [") {
			roots = append(roots, p)
		}
	}
	if len(broken) > 0 {
		return nil, fmt.Errorf("refusing to change packages that do not build; fix these first:\n%s", strings.Join(broken, "\n"))
	}
	var pkgs []*pkg
	for _, r := range roots {
		if len(r.CgoFiles) > 0 {
			return nil, fmt.Errorf("%s uses cgo, which uringfix does not handle", r.ImportPath)
		}
		p, err := check(r, byID, uringfsExport, withTests)
		if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

var generatedRE = regexp.MustCompile(`^// Code generated .* DO NOT EDIT\.$`)

// isGenerated reports whether src carries the standard generated-code
// comment before its package clause.
func isGenerated(src []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(nil, len(src)+1)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if generatedRE.MatchString(line) {
			return true
		}
		if strings.HasPrefix(line, "package ") {
			return false
		}
	}
	return false
}

// check parses and type-checks one listed package with the export data go
// list built for its dependencies.
func check(lp *listPkg, byID map[string]*listPkg, uringfsExport string, withTests bool) (*pkg, error) {
	p := &pkg{
		path:   strings.Fields(lp.ImportPath)[0],
		dir:    lp.Dir,
		fset:   token.NewFileSet(),
		names:  map[*ast.File]string{},
		src:    map[*ast.File][]byte{},
		frozen: map[*ast.File]string{},
	}
	for _, name := range lp.GoFiles {
		full := filepath.Join(lp.Dir, name)
		src, err := os.ReadFile(full)
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(p.fset, full, src, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		p.files = append(p.files, f)
		p.names[f] = full
		p.src[f] = src
		switch {
		case isGenerated(src):
			p.frozen[f] = "generated file " + name
		case strings.HasSuffix(name, "_test.go") && !withTests:
			p.frozen[f] = "test file " + name + " (-test moves uses there)"
		}
	}
	for _, name := range lp.IgnoredGoFiles {
		p.ignored = append(p.ignored, filepath.Join(lp.Dir, name))
	}
	lookup := func(path string) (io.ReadCloser, error) {
		if path == uringfsPath && lp.ImportMap[path] == "" {
			if dep := byID[path]; dep == nil || dep.Export == "" {
				return os.Open(uringfsExport)
			}
		}
		id := path
		if m, ok := lp.ImportMap[path]; ok {
			id = m
		}
		dep := byID[id]
		if dep == nil || dep.Export == "" {
			return nil, fmt.Errorf("no export data for %s", id)
		}
		return os.Open(dep.Export)
	}
	imp := importer.ForCompiler(p.fset, "gc", lookup)
	p.info = &types.Info{
		Types:      map[ast.Expr]types.TypeAndValue{},
		Defs:       map[*ast.Ident]types.Object{},
		Uses:       map[*ast.Ident]types.Object{},
		Implicits:  map[ast.Node]types.Object{},
		Selections: map[*ast.SelectorExpr]*types.Selection{},
		Scopes:     map[ast.Node]*types.Scope{},
	}
	var errs []error
	conf := types.Config{Importer: imp, Error: func(err error) { errs = append(errs, err) }}
	p.types, _ = conf.Check(p.path, p.fset, p.files, p.info)
	if len(errs) > 0 {
		return nil, fmt.Errorf("refusing to change %s, which does not type-check: %w", p.path, errors.Join(errs...))
	}
	u, err := imp.Import(uringfsPath)
	if err != nil {
		return nil, err
	}
	p.uringfs = u
	// A file where the name uringfs means something else is left alone.
	for _, f := range p.files {
		for id, obj := range p.info.Defs {
			if id.Name == "uringfs" && obj != nil && p.fset.File(id.Pos()) == p.fset.File(f.Pos()) {
				if _, isPkg := obj.(*types.PkgName); !isPkg {
					p.frozen[f] = "file " + filepath.Base(p.names[f]) + " (it declares the name uringfs)"
				}
			}
		}
	}
	return p, nil
}
