// Command planted checks that the test suite catches the bugs it exists for.
// It plants each bug listed in bugs.txt (next to this file), one at a time,
// into a temporary copy of the repository and runs the suite against it.
// A bug that no test configuration catches is a survivor: some path or
// behaviour has no test. Run it by hand before a release and after large
// changes (it is not part of CI, and being in a dot directory it stays out of
// ./... and so out of go vet, go build and go test):
//
//	go run ./.ci/planted                     # the whole list
//	go run ./.ci/planted -only id,id         # some bugs
//	go run ./.ci/planted -list               # show the list; check every edit still applies
//	go run ./.ci/planted -keep               # keep the planted copies for a look
//	go run ./.ci/planted -skip '^TestX$'     # leave out a test that fails without any bug
//
// For each bug it copies the tracked files (git ls-files, as they are in the
// working tree; -rev HEAD takes the last commit instead, which is the choice
// while others are editing the checkout) to a temporary directory, applies
// the bug's edits (each find text must occur exactly once in its file: an
// entry that no longer matches, or whose copy no longer compiles, tests
// included, is reported BROKEN, so that the list is kept up to date with the
// code), then runs the configurations in order and stops at the first that
// fails:
//
//	default           go test -count=1 -timeout 5m ./...
//	syscall           the same with URINGFS_BACKEND=syscall
//	ring-metadata     the same with URINGFS_METADATA=ring
//	race, race+syscall, race+ring-metadata: the three with -race
//
// Within a configuration, the first package that fails ends it (-failfast,
// on by default): the bug is caught, and a bug that hangs the loop costs one
// package timeout, not one per package. -failfast=false runs every package,
// to see every test that fails. go test runs as CI runs it, without -json
// or -v (under -json the test binary's os.Stdout is not the one a package
// captured at init, and compat's TestStdStreams fails); the failing tests
// are read from its "--- FAIL:" lines, and the whole output of each failing
// run is kept in the log directory.
//
// Before the bugs it runs the unplanted copy through every configuration
// (the baseline; -baseline=false skips it): a test that fails without any
// bug would "catch" every bug and hide the survivors. If a test fails on
// its own, -skip leaves it out of every run (and the report should say so).
//
// One line per bug says whether it was caught, by which configuration and
// which tests, and how long it took; the summary follows. The exit status is
// 0 only when every bug was caught: 1 if one survived or an entry is broken,
// 2 if the run could not be made (a failing baseline, no sandbox).
//
// # Why the tests run in a sandbox
//
// The tests run as root, and a planted containment bug (a Root that lets
// ".." climb out, or follows an absolute symlink) turns the escape tests
// into real operations on the machine: once, a containment regression in a
// copy of the code made `go test ./uringfs/` delete /etc/passwd and chmod
// /etc (issue 20). So every command on a planted copy runs inside a private
// mount namespace (unshare --mount --propagation private) in which every
// top-level directory except /proc, /sys, /dev and /tmp (so /etc, /usr,
// /root, /boot, /var, /opt, /work with the shared checkout, ...), the
// repository the copy was taken from and the run's own pristine snapshot are
// bind-mounted read-only, submounts included. An escape then fails with
// EROFS, which fails a test, instead of damaging the machine. What stays
// writable: /tmp, the planted copy, the tests' TMPDIR (inside the run
// directory) and Go's build cache (GOCACHE, under /root here, mounted back
// read-write). Each time, before the tests start, the namespace is checked:
// a read-only directory that takes a write, or a writable one that does
// not, stops the run. The module cache stays read-only, so the modules must
// be downloaded already (the baseline shows it if they are not). Running
// needs root, for unshare; the tests are meant to run as root anyway.
//
// # Build cache
//
// Every copy of one run lives at the same path, so the Go build cache
// serves every package a bug does not touch: the first run of a copy
// compiles everything, the later ones only what the edit changed.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A config is one way of running the suite.
type config struct {
	name string
	race bool
	env  []string
}

var allConfigs = []config{
	{name: "default"},
	{name: "syscall", env: []string{"URINGFS_BACKEND=syscall"}},
	{name: "ring-metadata", env: []string{"URINGFS_METADATA=ring"}},
	{name: "race", race: true},
	{name: "race+syscall", race: true, env: []string{"URINGFS_BACKEND=syscall"}},
	{name: "race+ring-metadata", race: true, env: []string{"URINGFS_METADATA=ring"}},
}

var (
	flagOnly     = flag.String("only", "", "comma-separated ids: plant only these bugs")
	flagList     = flag.Bool("list", false, "list the bugs and check that each still applies, then exit")
	flagKeep     = flag.Bool("keep", false, "keep the temporary copies (one directory per bug) and say where")
	flagBugs     = flag.String("bugs", "", "the list of bugs (default: .ci/planted/bugs.txt in the repository)")
	flagRev      = flag.String("rev", "", "plant into this commit's tree instead of the working tree's tracked files")
	flagConfigs  = flag.String("configs", "", "comma-separated configurations to run, in order (default: all)")
	flagTimeout  = flag.Duration("timeout", 5*time.Minute, "go test -timeout for each configuration")
	flagBaseline = flag.Bool("baseline", true, "first run the unplanted copy through every configuration; stop if it fails")
	flagLogs     = flag.String("logs", "", "directory for the logs of failing runs (default: a new temporary directory)")
	flagFailfast = flag.Bool("failfast", true, "end a configuration at its first failing package (false: run every package, to see every test that fails)")
	flagSkip     = flag.String("skip", "", "go test -skip pattern: leave out tests that fail without any bug (say so in the report)")
)

func main() {
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: go run ./.ci/planted [flags]\n\nPlants each bug of bugs.txt in a copy of the repository and runs the test suite; reports the bugs no test catches.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	os.Exit(run())
}

func fatalf(format string, args ...any) int {
	fmt.Fprintf(os.Stderr, "planted: "+format+"\n", args...)
	return 2
}

func run() int {
	repo, err := gitOutput("", "rev-parse", "--show-toplevel")
	if err != nil {
		return fatalf("not in a git checkout: %v", err)
	}
	repo = strings.TrimSpace(repo)
	bugsFile := *flagBugs
	if bugsFile == "" {
		bugsFile = filepath.Join(repo, ".ci", "planted", "bugs.txt")
	}
	bugs, err := parseBugsFile(bugsFile)
	if err != nil {
		return fatalf("%v", err)
	}
	if *flagOnly != "" {
		var sel []*bug
		for _, id := range strings.Split(*flagOnly, ",") {
			id = strings.TrimSpace(id)
			i := slices.IndexFunc(bugs, func(b *bug) bool { return b.id == id })
			if i < 0 {
				return fatalf("-only: no bug %q in %s", id, bugsFile)
			}
			sel = append(sel, bugs[i])
		}
		bugs = sel
	}
	configs := allConfigs
	if *flagConfigs != "" {
		configs = nil
		for _, name := range strings.Split(*flagConfigs, ",") {
			i := slices.IndexFunc(allConfigs, func(c config) bool { return c.name == strings.TrimSpace(name) })
			if i < 0 {
				return fatalf("-configs: no configuration %q (have %s)", name, configNames(allConfigs))
			}
			configs = append(configs, allConfigs[i])
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	runDir, err := os.MkdirTemp("", "uring-planted-")
	if err != nil {
		return fatalf("%v", err)
	}
	// The run directory holds the tests' TMPDIR: everyone must be able to
	// pass through it, as through /tmp.
	if err := os.Chmod(runDir, 0o755); err != nil {
		return fatalf("%v", err)
	}
	keepRunDir := false
	defer func() {
		if !keepRunDir {
			os.RemoveAll(runDir)
		}
	}()
	pristine := filepath.Join(runDir, "pristine")
	if err := snapshot(repo, *flagRev, pristine); err != nil {
		return fatalf("copying the repository: %v", err)
	}
	from := "the working tree's tracked files"
	if *flagRev != "" {
		from = *flagRev
	}

	if *flagList {
		return list(bugs, pristine, from)
	}

	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	goBin, _ = filepath.Abs(goBin)
	gocache, err := exec.Command(goBin, "env", "GOCACHE").Output()
	if err != nil {
		return fatalf("go env GOCACHE: %v", err)
	}
	logDir := *flagLogs
	if logDir == "" {
		if logDir, err = os.MkdirTemp("", "uring-planted-logs-"); err != nil {
			return fatalf("%v", err)
		}
	} else if err := os.MkdirAll(logDir, 0o755); err != nil {
		return fatalf("%v", err)
	}
	logDir, _ = filepath.Abs(logDir)
	r := &runner{
		goBin:   goBin,
		work:    filepath.Join(runDir, "src"),
		tmp:     filepath.Join(runDir, "tmp"),
		configs: configs,
		logDir:  logDir,
		module:  modulePath(pristine),
	}
	r.sandbox, err = newSandbox(
		[]string{repo, pristine, logDir},
		[]string{r.work, r.tmp, strings.TrimSpace(string(gocache))},
	)
	if err != nil {
		return fatalf("%v", err)
	}

	start := time.Now()
	fmt.Printf("planting %d bugs into %s (%s), configurations: %s\n", len(bugs), repo, from, configNames(configs))
	if *flagSkip != "" {
		fmt.Printf("skipping tests matching %q in every run\n", *flagSkip)
	}
	if *flagBaseline {
		fmt.Fprintf(os.Stderr, "baseline: the unplanted copy through every configuration\n")
		res := r.plant(ctx, &bug{id: "baseline"})
		if ctx.Err() != nil {
			return fatalf("interrupted")
		}
		switch {
		case res.broken != "":
			fmt.Printf("baseline: BROKEN: %s\n", res.broken)
			return fatalf("the unplanted copy does not build; logs in %s", logDir)
		case res.caughtBy != "":
			fmt.Printf("baseline: FAILED in %s: %s (%s)\n", res.caughtBy, res.what(), round(res.took))
			return fatalf("the unplanted copy fails %s: results with bugs planted would mean nothing; logs in %s", res.caughtBy, logDir)
		}
		fmt.Printf("baseline: passes every configuration (%s)\n", round(res.took))
	}

	var results []*result
	for i, b := range bugs {
		fmt.Fprintf(os.Stderr, "[%d/%d] %s\n", i+1, len(bugs), b.id)
		res := r.plant(ctx, b)
		if ctx.Err() != nil {
			return fatalf("interrupted")
		}
		if *flagKeep {
			kept := filepath.Join(runDir, "keep-"+b.id)
			if err := os.Rename(r.work, kept); err == nil {
				res.kept = kept
				keepRunDir = true
			}
		}
		results = append(results, res)
		fmt.Println(res.line(b))
	}
	return summary(results, time.Since(start), logDir)
}

func configNames(cs []config) string {
	var names []string
	for _, c := range cs {
		names = append(names, c.name)
	}
	return strings.Join(names, ", ")
}

func round(d time.Duration) time.Duration { return d.Round(time.Second) }

// list prints the bugs and checks that every edit applies to the snapshot.
func list(bugs []*bug, pristine, from string) int {
	bad := 0
	for _, b := range bugs {
		status := "ok"
		for _, e := range b.edits {
			if err := e.check(pristine); err != nil {
				status = "BROKEN: " + err.Error()
				bad++
				break
			}
		}
		var files []string
		for _, e := range b.edits {
			if !slices.Contains(files, e.file) {
				files = append(files, e.file)
			}
		}
		fmt.Printf("%-26s %-12s %s\n  %s\n  %s\n", b.id, b.layer, strings.Join(files, ", "), b.imitates, status)
	}
	fmt.Printf("%d bugs, %d broken (checked against %s)\n", len(bugs), bad, from)
	if bad > 0 {
		return 1
	}
	return 0
}

func summary(results []*result, took time.Duration, logDir string) int {
	var caught, survived, broken []string
	by := map[string]int{}
	for _, r := range results {
		switch {
		case r.broken != "":
			broken = append(broken, r.id)
		case r.caughtBy == "":
			survived = append(survived, r.id)
		default:
			caught = append(caught, r.id)
			by[r.caughtBy]++
		}
	}
	fmt.Printf("\nsummary: %d planted: %d caught, %d survived, %d broken (%s)\n",
		len(results), len(caught), len(survived), len(broken), round(took))
	var parts []string
	for _, c := range allConfigs {
		if by[c.name] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", c.name, by[c.name]))
		}
	}
	if len(parts) > 0 {
		fmt.Printf("caught by: %s\n", strings.Join(parts, ", "))
	}
	if len(survived) > 0 {
		fmt.Printf("SURVIVORS: %s\n", strings.Join(survived, ", "))
	}
	if len(broken) > 0 {
		fmt.Printf("BROKEN entries: %s\n", strings.Join(broken, ", "))
	}
	fmt.Printf("logs of the failing runs: %s\n", logDir)
	if len(survived) > 0 || len(broken) > 0 {
		return 1
	}
	return 0
}

// ---------------------------------------------------------------------------
// The list of bugs.

type bug struct {
	id, layer, imitates string
	edits               []*edit
	line                int
}

type edit struct {
	file          string
	find, replace string
}

// parseBugsFile reads the format described at the top of bugs.txt.
func parseBugsFile(name string) ([]*bug, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var (
		bugs       []*bug
		cur        *bug
		ed         *edit    // the edit being read
		find, repl []string // its text so far
		mode       string   // "find" or "replace" while | lines belong to one, else ""
		sawRepl    bool
	)
	lines := strings.Split(string(data), "\n")
	errAt := func(i int, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", name, i+1, fmt.Sprintf(format, args...))
	}
	// finish closes the edit being read.
	finish := func(i int) error {
		if ed == nil {
			return nil
		}
		if !sawRepl {
			return errAt(i, "%s: the edit of %s needs find: and replace:", cur.id, ed.file)
		}
		ed.find, ed.replace = strings.Join(find, "\n"), strings.Join(repl, "\n")
		if strings.TrimSpace(ed.find) == "" {
			return errAt(i, "%s: the edit of %s has an empty find text", cur.id, ed.file)
		}
		if ed.find == ed.replace {
			return errAt(i, "%s: the edit of %s replaces its find text by itself", cur.id, ed.file)
		}
		cur.edits = append(cur.edits, ed)
		ed, find, repl, mode, sawRepl = nil, nil, nil, "", false
		return nil
	}
	for i, ln := range lines {
		if rest, ok := strings.CutPrefix(ln, "|"); ok {
			switch mode {
			case "find":
				find = append(find, rest)
			case "replace":
				repl = append(repl, rest)
			default:
				return nil, errAt(i, "a | line outside find: or replace:")
			}
			continue
		}
		t := strings.TrimSpace(ln)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") {
			if err := finish(i); err != nil {
				return nil, err
			}
			cur = &bug{id: strings.TrimSpace(t[1 : len(t)-1]), line: i + 1}
			if cur.id == "" || strings.ContainsAny(cur.id, " ,\t") {
				return nil, errAt(i, "bad id %q", cur.id)
			}
			if slices.ContainsFunc(bugs, func(b *bug) bool { return b.id == cur.id }) {
				return nil, errAt(i, "id %s used twice", cur.id)
			}
			bugs = append(bugs, cur)
			continue
		}
		key, val, ok := strings.Cut(t, ":")
		if !ok || cur == nil {
			return nil, errAt(i, "expected [id], key: value or a | line, got %q", ln)
		}
		val = strings.TrimSpace(val)
		mode = ""
		switch key {
		case "layer":
			cur.layer = val
		case "imitates":
			cur.imitates = val
		case "file":
			if err := finish(i); err != nil {
				return nil, err
			}
			ed = &edit{file: val}
		case "find":
			if ed == nil || find != nil || sawRepl {
				return nil, errAt(i, "%s: find: must follow a file: line", cur.id)
			}
			mode, find = "find", []string{}
		case "replace":
			if find == nil || sawRepl {
				return nil, errAt(i, "%s: replace: must follow find:", cur.id)
			}
			mode, repl, sawRepl = "replace", []string{}, true
		default:
			return nil, errAt(i, "unknown key %q", key)
		}
	}
	if err := finish(len(lines) - 1); err != nil {
		return nil, err
	}
	for _, b := range bugs {
		if b.layer == "" || b.imitates == "" || len(b.edits) == 0 {
			return nil, fmt.Errorf("%s:%d: %s needs layer:, imitates: and at least one file:/find:/replace: edit", name, b.line, b.id)
		}
	}
	return bugs, nil
}

// check reports whether the edit applies to the tree at dir.
func (e *edit) check(dir string) error {
	_, err := e.apply(dir, false)
	return err
}

func (e *edit) apply(dir string, write bool) (string, error) {
	p := filepath.Join(dir, filepath.FromSlash(e.file))
	data, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	s := string(data)
	if n := strings.Count(s, e.find); n != 1 {
		first, _, _ := strings.Cut(e.find, "\n")
		return "", fmt.Errorf("find text (%q...) occurs %d times in %s, want exactly once", strings.TrimSpace(first), n, e.file)
	}
	s = strings.Replace(s, e.find, e.replace, 1)
	if write {
		fi, err := os.Stat(p)
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(p, []byte(s), fi.Mode().Perm()); err != nil {
			return "", err
		}
	}
	return s, nil
}

// ---------------------------------------------------------------------------
// Copies of the tree.

func gitOutput(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// snapshot copies the tracked files of repo (or the tree of rev) to dst.
func snapshot(repo, rev, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	if rev != "" {
		archive := exec.Command("git", "-C", repo, "archive", "--format=tar", rev)
		untar := exec.Command("tar", "-x", "-C", dst)
		pipe, err := archive.StdoutPipe()
		if err != nil {
			return err
		}
		untar.Stdin = pipe
		var aerr, terr bytes.Buffer
		archive.Stderr, untar.Stderr = &aerr, &terr
		if err := archive.Start(); err != nil {
			return err
		}
		if err := untar.Run(); err != nil {
			archive.Wait()
			return fmt.Errorf("tar: %v: %s", err, terr.String())
		}
		if err := archive.Wait(); err != nil {
			return fmt.Errorf("git archive %s: %v: %s", rev, err, aerr.String())
		}
		return nil
	}
	out, err := gitOutput(repo, "ls-files", "-z", "--cached")
	if err != nil {
		return err
	}
	for _, name := range strings.Split(out, "\x00") {
		if name == "" {
			continue
		}
		src, to := filepath.Join(repo, name), filepath.Join(dst, name)
		fi, err := os.Lstat(src)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted in the working tree: the copy has it deleted too
		}
		if err != nil {
			return err
		}
		if fi.IsDir() {
			continue // a submodule
		}
		if err := copyEntry(src, to, fi); err != nil {
			return err
		}
	}
	return nil
}

// copyTree copies the tree at src to dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		return copyEntry(p, to, fi)
	})
}

func copyEntry(src, dst string, fi fs.FileInfo) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return os.Symlink(target, dst)
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func modulePath(dir string) string {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return ""
	}
	for _, ln := range strings.Split(string(data), "\n") {
		if m, ok := strings.CutPrefix(strings.TrimSpace(ln), "module "); ok {
			return strings.Trim(strings.TrimSpace(m), `"`)
		}
	}
	return ""
}

// ---------------------------------------------------------------------------
// The sandbox.

type sandbox struct {
	script string // sh script: set up the mounts, check them, then exec "$@" in $PLANTED_DIR
}

// newSandbox prepares the mount-namespace script: every top-level entry of
// / but /proc, /sys, /dev and /tmp becomes read-only with its submounts,
// and so do the paths in ro; the paths in rw are then mounted back
// read-write (they may lie inside a read-only directory).
func newSandbox(ro, rw []string) (*sandbox, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("the planted runs need root for their mount namespace (unshare --mount); the tests are meant to run as root anyway")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		return nil, errors.New("unshare (util-linux) not found: refusing to run planted bugs outside a read-only sandbox")
	}
	entries, err := os.ReadDir("/")
	if err != nil {
		return nil, err
	}
	var roots []string
	for _, e := range entries {
		p := "/" + e.Name()
		switch p {
		case "/proc", "/sys", "/dev", "/tmp":
			continue
		}
		if e.Type()&fs.ModeSymlink != 0 {
			continue // /bin -> usr/bin and the like: covered by their target
		}
		if e.IsDir() || e.Type().IsRegular() {
			roots = append(roots, p)
		}
	}
	roots = append(roots, ro...)
	mounts := mountPoints()
	var b strings.Builder
	b.WriteString("set -e\n")
	var probes []string
	for _, p := range roots {
		// --rbind keeps the submounts visible; each one is made read-only
		// too, since a remount changes one mount only.
		fmt.Fprintf(&b, "mount --rbind %s %s\n", shq(p), shq(p))
		for _, m := range mounts {
			if m == p || strings.HasPrefix(m, strings.TrimSuffix(p, "/")+"/") {
				fmt.Fprintf(&b, "mount -o remount,bind,ro %s 2>/dev/null || true\n", shq(m))
			}
		}
		fmt.Fprintf(&b, "mount -o remount,bind,ro %s\n", shq(p))
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			probes = append(probes, p)
		}
	}
	for _, p := range rw {
		if err := os.MkdirAll(p, 0o755); err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "mount --bind %s %s\nmount -o remount,bind,rw %s\n", shq(p), shq(p), shq(p))
	}
	// Refuse to run unless the protection took and the writable paths are.
	for _, p := range probes {
		f := shq(filepath.Join(p, ".planted-probe"))
		fmt.Fprintf(&b, "if ( : > %s ) 2>/dev/null; then rm -f %s; echo 'planted: sandbox: %s is writable' >&2; exit 125; fi\n", f, f, p)
	}
	for _, p := range rw {
		f := shq(filepath.Join(p, ".planted-probe"))
		fmt.Fprintf(&b, "( : > %s ) 2>/dev/null || { echo 'planted: sandbox: %s is not writable' >&2; exit 125; }\nrm -f %s\n", f, p, f)
	}
	b.WriteString("cd \"$PLANTED_DIR\"\nexec \"$@\"\n")
	return &sandbox{script: b.String()}, nil
}

// mountPoints returns the mount points of this namespace.
func mountPoints() []string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var out []string
	for _, ln := range strings.Split(string(data), "\n") {
		f := strings.Fields(ln)
		if len(f) > 4 {
			out = append(out, unescapeMount(f[4]))
		}
	}
	return out
}

// unescapeMount decodes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func shq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// command returns a command that runs args in dir inside the sandbox.
func (sb *sandbox) command(ctx context.Context, dir string, env []string, args ...string) *exec.Cmd {
	full := append([]string{"--mount", "--propagation", "private", "sh", "-c", sb.script, "planted-sandbox"}, args...)
	cmd := exec.CommandContext(ctx, "unshare", full...)
	cmd.Env = append(env, "PLANTED_DIR="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// On a timeout or an interrupt, kill the whole group: go test and the
	// test binaries it started.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// runGroup runs cmd, then kills what is left of its process group: a test
// binary that go test killed on its timeout can leave children behind
// (uringbench's child phases), stuck on a planted bug.
func runGroup(cmd *exec.Cmd) error {
	err := cmd.Run()
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	return err
}

// ---------------------------------------------------------------------------
// Running the suite.

type runner struct {
	goBin   string
	work    string // the planted copy, at the same path for every bug
	tmp     string // TMPDIR of the tests
	configs []config
	logDir  string
	module  string
	sandbox *sandbox
}

type result struct {
	id       string
	broken   string   // why the entry could not be run
	caughtBy string   // the configuration that failed
	failures []string // failing tests ("pkg.TestX") or package notes
	took     time.Duration
	log      string
	kept     string
}

func (r *result) what() string {
	const max = 6
	f := r.failures
	s := strings.Join(f[:min(len(f), max)], ", ")
	if len(f) > max {
		s += fmt.Sprintf(" (+%d more)", len(f)-max)
	}
	if s == "" {
		s = "go test failed without naming a test"
	}
	return s
}

func (r *result) line(b *bug) string {
	var s string
	switch {
	case r.broken != "":
		s = fmt.Sprintf("%-26s %-12s BROKEN    %s (%s)", b.id, b.layer, r.broken, round(r.took))
	case r.caughtBy == "":
		s = fmt.Sprintf("%-26s %-12s SURVIVED  no configuration failed (%s)", b.id, b.layer, round(r.took))
	default:
		s = fmt.Sprintf("%-26s %-12s caught    by %s: %s (%s)", b.id, b.layer, r.caughtBy, r.what(), round(r.took))
	}
	if r.kept != "" {
		s += "\n" + strings.Repeat(" ", 27) + "copy kept in " + r.kept
	}
	return s
}

// baseEnv is the environment of every go command: the caller's, without
// settings that would change which configuration runs.
func (r *runner) baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "URINGFS_") || strings.HasPrefix(kv, "TMPDIR=") || strings.HasPrefix(kv, "GOFLAGS=") {
			continue
		}
		env = append(env, kv)
	}
	// The copy has no .git, and the tests' temporary files go to a
	// directory of the run (removed with it).
	return append(env, "TMPDIR="+r.tmp, strings.TrimSpace("GOFLAGS="+os.Getenv("GOFLAGS")+" -buildvcs=false"))
}

// plant makes a fresh copy, applies b's edits, checks that it compiles and
// runs the configurations until one fails.
func (r *runner) plant(ctx context.Context, b *bug) *result {
	start := time.Now()
	res := &result{id: b.id}
	defer func() { res.took = time.Since(start) }()
	if err := os.RemoveAll(r.work); err != nil {
		res.broken = "removing the previous copy: " + err.Error()
		return res
	}
	os.RemoveAll(r.tmp)
	if err := copyTree(filepath.Join(filepath.Dir(r.work), "pristine"), r.work); err != nil {
		res.broken = "copying: " + err.Error()
		return res
	}
	// The tests' TMPDIR is what /tmp is: a test rerun as an unprivileged
	// user (the permission tests) must reach and use it.
	if err := os.MkdirAll(r.tmp, 0o755); err != nil {
		res.broken = err.Error()
		return res
	}
	os.Chmod(r.tmp, 0o1777)
	for _, e := range b.edits {
		if _, err := e.apply(r.work, true); err != nil {
			res.broken = err.Error()
			return res
		}
	}

	// Does it compile, tests included? -exec /bin/true builds every test
	// binary and runs none.
	var out bytes.Buffer
	cmd := r.sandbox.command(ctx, r.work, r.baseEnv(), r.goBin, "test", "-count=1", "-exec", "/bin/true", "./...")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := runGroup(cmd); err != nil {
		if ctx.Err() != nil {
			return res
		}
		log := r.saveLog(b.id, "build", out.Bytes())
		res.broken = "does not compile: " + firstLines(out.String(), 3) + " [log " + log + "]"
		if code, ok := exitCode(err); ok && code == 125 {
			res.broken = "sandbox failed: " + firstLines(out.String(), 3)
		}
		return res
	}

	for _, c := range r.configs {
		fmt.Fprintf(os.Stderr, "  %s: %s ...", b.id, c.name)
		t0 := time.Now()
		failed, failures, log, err := r.runConfig(ctx, b.id, c)
		fmt.Fprintf(os.Stderr, " %s (%s)\n", map[bool]string{true: "FAIL", false: "ok"}[failed], round(time.Since(t0)))
		if ctx.Err() != nil {
			return res
		}
		if err != nil {
			res.broken = err.Error()
			return res
		}
		if failed {
			if !slices.ContainsFunc(failures, func(f string) bool { return !strings.HasSuffix(f, ": build failed") }) {
				res.broken = "does not compile in " + c.name + ": " + strings.Join(failures, ", ") + " [log " + log + "]"
				return res
			}
			res.caughtBy, res.failures, res.log = c.name, failures, log
			return res
		}
	}
	return res
}

var (
	failLine    = regexp.MustCompile(`^\s*--- FAIL: ([^\s:]+)`)
	pkgLine     = regexp.MustCompile(`^(ok|FAIL)\s+(\S+)(.*)$`)
	runningLine = regexp.MustCompile(`^\t\t(\S+) \(`)
)

// runConfig runs the suite in one configuration. It runs go test as CI
// does, without -json or -v (which change what the test binary sees: under
// -json, os.Stdout is not the one a package captured at init), and reads
// the failing tests from the "--- FAIL:" lines, each package's from the
// lines before its "ok" or "FAIL" line.
func (r *runner) runConfig(ctx context.Context, id string, c config) (failed bool, failures []string, logPath string, err error) {
	args := []string{r.goBin, "test", "-count=1", "-timeout", flagTimeout.String()}
	if c.race {
		args = append(args, "-race")
	}
	if *flagSkip != "" {
		args = append(args, "-skip", *flagSkip)
	}
	args = append(args, "./...")
	// Beyond go test's own -timeout, which does not cover compiling.
	cctx, cancel := context.WithTimeout(ctx, *flagTimeout+15*time.Minute)
	defer cancel()
	// With -failfast, the first package that fails ends the run: the bug
	// is caught, and a bug that hangs the loop need not wait out the
	// timeout of every package.
	sctx, stopEarly := context.WithCancel(cctx)
	defer stopEarly()
	cmd := r.sandbox.command(sctx, r.work, append(r.baseEnv(), c.env...), args...)
	out := &lineWatcher{}
	if *flagFailfast {
		out.onLine = func(ln string) {
			if strings.HasPrefix(ln, "FAIL\t") {
				out.stopped = true
				stopEarly()
			}
		}
	}
	cmd.Stdout, cmd.Stderr = out, out
	werr := runGroup(cmd)
	if code, ok := exitCode(werr); ok && code == 125 && strings.Contains(out.String(), "planted: sandbox") {
		return false, nil, "", fmt.Errorf("sandbox failed: %s", firstLines(out.String(), 3))
	}

	var tests, notes []string
	var pending []string // failing tests of the package whose output is being read
	timedOut, running := false, false
	for _, ln := range strings.Split(out.String(), "\n") {
		switch m := pkgLine.FindStringSubmatch(ln); {
		case m != nil:
			pkg := r.shortPkg(m[2])
			for _, t := range pending {
				tests = append(tests, pkg+"."+t)
			}
			if m[1] == "FAIL" {
				switch {
				case strings.Contains(m[3], "[build failed]") || strings.Contains(m[3], "[setup failed]"):
					notes = append(notes, pkg+": build failed")
				case timedOut:
					notes = append(notes, pkg+": timed out")
				case len(pending) == 0:
					notes = append(notes, pkg+": failed outside any test (TestMain, a panic, an exit)")
				}
			}
			pending, timedOut, running = nil, false, false
		case strings.HasPrefix(ln, "panic: test timed out"):
			timedOut = true
		case strings.TrimSpace(ln) == "running tests:":
			running = true
		case running && runningLine.MatchString(ln):
			pending = append(pending, runningLine.FindStringSubmatch(ln)[1]+" (timed out)")
		default:
			running = false
			if m := failLine.FindStringSubmatch(ln); m != nil {
				pending = append(pending, m[1])
			}
		}
	}
	if !out.stopped && cctx.Err() != nil && ctx.Err() == nil {
		notes = append(notes, "go test killed after "+(*flagTimeout+15*time.Minute).String())
	}
	failed = werr != nil || len(tests) > 0 || len(notes) > 0
	if !failed {
		return false, nil, "", nil
	}
	// A failed subtest fails its parent: name only the innermost.
	slices.Sort(tests)
	tests = slices.Compact(tests)
	for _, n := range tests {
		if !slices.ContainsFunc(tests, func(m string) bool { return strings.HasPrefix(m, n+"/") }) {
			failures = append(failures, n)
		}
	}
	failures = append(notes, failures...)
	if len(failures) == 0 {
		failures = []string{"go test failed: " + firstLines(out.String(), 2)}
	}
	logPath = r.saveLog(id, c.name, out.Bytes())
	return true, failures, logPath, nil
}

// lineWatcher collects output and calls onLine with each complete line.
type lineWatcher struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	partial []byte
	onLine  func(string)
	stopped bool
}

func (w *lineWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if w.onLine == nil {
		return len(p), nil
	}
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.onLine(string(w.partial[:i]))
		w.partial = w.partial[i+1:]
	}
	return len(p), nil
}

func (w *lineWatcher) String() string { w.mu.Lock(); defer w.mu.Unlock(); return w.buf.String() }
func (w *lineWatcher) Bytes() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return bytes.Clone(w.buf.Bytes())
}

func (r *runner) shortPkg(p string) string {
	if p == r.module {
		return filepath.Base(r.module)
	}
	return strings.TrimPrefix(p, r.module+"/")
}

func (r *runner) saveLog(id, what string, data []byte) string {
	p := filepath.Join(r.logDir, id+"."+what+".log")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return "(not saved: " + err.Error() + ")"
	}
	return p
}

func exitCode(err error) (int, bool) {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), true
	}
	return 0, false
}

func firstLines(s string, n int) string {
	var out []string
	for _, ln := range strings.Split(strings.TrimSpace(s), "\n") {
		if ln = strings.TrimSpace(ln); ln != "" && !strings.HasPrefix(ln, "#") {
			out = append(out, ln)
		}
		if len(out) == n {
			break
		}
	}
	return strings.Join(out, " | ")
}
