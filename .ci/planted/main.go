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
//
// # Files
//
// main.go holds the flags, the configurations and the order of a run;
// bugs.go the list of bugs; tree.go the copies of the tree; sandbox.go the
// mount namespace; suite.go the go test runs of one planted copy; report.go
// the per-bug lines, -list and the summary.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
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
