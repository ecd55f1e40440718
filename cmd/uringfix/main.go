package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

func main() {
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, "uringfix:", err)
		os.Exit(2)
	}
	os.Exit(run(wd, os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command-line flags.
type options struct {
	write bool // -w
	diff  bool // -diff
	api   bool // -api
	test  bool // -test
}

// run is the command: it returns the exit status.
func run(dir string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("uringfix", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.BoolVar(&o.write, "w", false, "rewrite the files (default: print what would change)")
	fs.BoolVar(&o.diff, "diff", false, "print the changes as a unified diff")
	fs.BoolVar(&o.api, "api", false, "also move *os.File in the exported API of the packages")
	fs.BoolVar(&o.test, "test", false, "also move uses in _test.go files")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: uringfix [-w] [-diff] [-api] [-test] packages...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	patterns := fs.Args()
	if len(patterns) == 0 {
		patterns = []string{"."}
	}
	results, err := fixPackages(dir, patterns, o)
	if err != nil {
		fmt.Fprintln(stderr, "uringfix:", err)
		return 1
	}
	rel := func(name string) string {
		if r, err := filepath.Rel(dir, name); err == nil && !strings.HasPrefix(r, "..") {
			return r
		}
		return name
	}
	status := 0
	for _, r := range results {
		for _, f := range r.files {
			switch {
			case o.diff:
				d, err := unifiedDiff(rel(f.name), f.old, f.new)
				if err != nil {
					fmt.Fprintln(stderr, "uringfix:", err)
					return 1
				}
				stdout.Write(d)
			case !o.write:
				for _, c := range f.changes {
					fmt.Fprintf(stdout, "%s:%d:%d: %s\n", rel(c.pos.Filename), c.pos.Line, c.pos.Column, c.text)
				}
			}
		}
		for _, s := range r.stays {
			fmt.Fprintf(stdout, "%s:%d:%d: %s\n", rel(s.pos.Filename), s.pos.Line, s.pos.Column, s.text)
		}
		if o.write && len(r.files) > 0 {
			if err := writeAndVerify(dir, r); err != nil {
				fmt.Fprintln(stderr, "uringfix:", err)
				status = 1
			}
		}
	}
	return status
}

// fixPackages loads the packages and computes their new files.
func fixPackages(dir string, patterns []string, o options) ([]*result, error) {
	pkgs, err := load(dir, patterns, o.test)
	if err != nil {
		return nil, err
	}
	var results []*result
	for _, p := range pkgs {
		r, err := fix(p, o.api)
		if err != nil {
			return nil, err
		}
		results = append(results, r)
	}
	return results, nil
}

// writeAndVerify writes the new files of r, then builds and vets the
// package; if that fails it puts the old files back and says so.
func writeAndVerify(dir string, r *result) error {
	var written []*fileResult
	restore := func() error {
		var errs []error
		for _, f := range written {
			errs = append(errs, os.WriteFile(f.name, f.old, 0o666))
		}
		return errors.Join(errs...)
	}
	for _, f := range r.files {
		if err := os.WriteFile(f.name, f.new, 0o666); err != nil {
			return errors.Join(err, restore())
		}
		written = append(written, f)
	}
	for _, args := range [][]string{{"build", "-o", os.DevNull}, {"vet"}} {
		cmd := exec.Command("go", append(args, r.pkg.dir)...)
		cmd.Dir = dir
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			var names []string
			for _, f := range written {
				names = append(names, filepath.Base(f.name))
			}
			if rerr := restore(); rerr != nil {
				return fmt.Errorf("%s: go %s failed after rewriting, and restoring failed: %v\n%s", r.pkg.path, args[0], rerr, out.String())
			}
			return fmt.Errorf("%s: reverted %s: go %s failed after rewriting:\n%s", r.pkg.path, strings.Join(names, ", "), args[0], strings.TrimSpace(out.String()))
		}
	}
	return nil
}
