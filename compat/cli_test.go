package compat_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uringfs/uring/uringfs"
)

// The command-line program of testdata/lines, written against os: flags,
// standard input or a file, standard output or -o file, an interrupt.
const cliSource = "testdata/lines/main.go"

// TestCommandLineProgram builds testdata/lines twice, as written and with
// only its import of os changed to this package (through go build -overlay,
// so the text on disk stays the os program), runs both on the same inputs,
// and requires the same standard output, standard error, exit status and
// files left behind. It also checks that the compat build runs on uringfs:
// it links the package, and (on the io_uring backend) it holds rings with
// submissions on them while it waits on its standard input, where the os
// build holds none.
func TestCommandLineProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two programs")
	}
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		if goTool, err = exec.LookPath("go"); err != nil {
			t.Skip("no go command to build with")
		}
	}
	bin := t.TempDir()
	src, err := os.ReadFile(cliSource)
	if err != nil {
		t.Fatal(err)
	}
	const osImport, compatImport = "\t\"os\"\n", "\tos \"github.com/uringfs/uring/compat\"\n"
	if strings.Count(string(src), osImport) != 1 {
		t.Fatalf("%s does not import os exactly once", cliSource)
	}
	swapped := filepath.Join(bin, "main.go")
	if err := os.WriteFile(swapped, []byte(strings.Replace(string(src), osImport, compatImport, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(cliSource)
	if err != nil {
		t.Fatal(err)
	}
	overlay, _ := json.Marshal(map[string]any{"Replace": map[string]string{abs: swapped}})
	overlayFile := filepath.Join(bin, "overlay.json")
	if err := os.WriteFile(overlayFile, overlay, 0o644); err != nil {
		t.Fatal(err)
	}
	goCmd := func(args ...string) string {
		out, err := exec.Command(goTool, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	progOS, progCompat := filepath.Join(bin, "os", "lines"), filepath.Join(bin, "compat", "lines")
	goCmd("build", "-o", progOS, "./testdata/lines")
	goCmd("build", "-overlay", overlayFile, "-o", progCompat, "./testdata/lines")
	const uringfsPkg = "github.com/uringfs/uring/uringfs"
	if deps := goCmd("list", "-deps", "./testdata/lines"); strings.Contains(deps, uringfsPkg) {
		t.Errorf("the os build links %s", uringfsPkg)
	}
	if deps := goCmd("list", "-deps", "-overlay", overlayFile, "./testdata/lines"); !strings.Contains(deps, uringfsPkg+"\n") {
		t.Errorf("the compat build does not link %s", uringfsPkg)
	}

	input := "the quick brown fox\njumps over\n\nthe lazy dog\n"
	setup := func(dir string) {
		for name, data := range map[string]string{"in.txt": input, "out.txt": "old content, longer than what replaces it\n" + input + input} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, sc := range []struct {
		name  string
		args  []string
		env   []string
		stdin string // text piped in; "@in.txt" makes in.txt itself the standard input
	}{
		{name: "stdin pipe to stdout", stdin: input},
		{name: "stdin dash, env prefix", args: []string{"-u", "-"}, env: []string{"LINES_PREFIX=> "}, stdin: input},
		{name: "file to stdout", args: []string{"in.txt"}},
		{name: "file to -o -", args: []string{"-u", "-o", "-", "in.txt"}},
		{name: "file to existing -o file", args: []string{"-o", "out.txt", "in.txt"}},
		{name: "stdin to new -o file", args: []string{"-u", "-o", "new.txt"}, stdin: input},
		{name: "regular file as stdin", args: []string{"-o", "new.txt"}, stdin: "@in.txt"},
		{name: "missing input", args: []string{"missing.txt"}},
		{name: "output in missing dir", args: []string{"-o", "no/such/out.txt", "in.txt"}},
		{name: "bad flag", args: []string{"-x"}},
		{name: "two args", args: []string{"in.txt", "in.txt"}},
	} {
		t.Run(sc.name, func(t *testing.T) {
			run := func(prog string) cliResult {
				dir := t.TempDir()
				setup(dir)
				cmd := exec.Command(prog, sc.args...)
				cmd.Args[0] = "lines" // as the usage message shows it
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), sc.env...)
				if name, ok := strings.CutPrefix(sc.stdin, "@"); ok {
					f, err := os.Open(filepath.Join(dir, name))
					if err != nil {
						t.Fatal(err)
					}
					defer f.Close()
					cmd.Stdin = f
				} else {
					cmd.Stdin = strings.NewReader(sc.stdin)
				}
				return runCLI(t, cmd, dir)
			}
			want, got := run(progOS), run(progCompat)
			if d := want.diff(got); d != "" {
				t.Errorf("os and compat builds differ:\n%s", d)
			}
			if t.Failed() || testing.Verbose() {
				t.Logf("os build: %s", want)
			}
		})
	}

	t.Run("interrupt", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("os.Interrupt cannot be sent on Windows")
		}
		backend, _ := uringfs.Backend()
		run := func(prog string, compatBuild bool) cliResult {
			dir := t.TempDir()
			setup(dir)
			cmd := exec.Command(prog, "-o", "out.txt")
			cmd.Dir = dir
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer pw.Close()
			cmd.Stdin = pr
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			pr.Close()
			pw.WriteString("one two\nthree\nfour five six\n")
			// The program writes each line out as it reads a pipe: wait for
			// three, while it waits for a fourth.
			deadline := time.Now().Add(20 * time.Second)
			for {
				b, _ := os.ReadFile(filepath.Join(dir, "out.txt"))
				if bytes.Count(b, []byte("\n")) == 3 && !bytes.Contains(b, []byte("old content")) {
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					cmd.Wait()
					t.Fatalf("no three lines out after 20s: %q", b)
				}
				time.Sleep(10 * time.Millisecond)
			}
			if runtime.GOOS == "linux" {
				rings, sqes := uringSubmissions(cmd.Process.Pid)
				switch {
				case !compatBuild && rings > 0:
					t.Errorf("the os build holds %d io_uring descriptors", rings)
				case compatBuild && backend == "uring" && (rings == 0 || sqes == 0):
					t.Errorf("the compat build, blocked on its stdin, holds %d rings with %d submissions", rings, sqes)
				case compatBuild:
					t.Logf("compat build (backend %s): %d rings, %d submissions so far", backend, rings, sqes)
				}
			}
			if err := cmd.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
			return waitCLI(t, cmd, dir, &stdout, &stderr)
		}
		want, got := run(progOS, false), run(progCompat, true)
		if want.code != 130 || !strings.Contains(want.files["out.txt"], "interrupted after 3 lines") {
			t.Errorf("the os build did not stop as designed: %s", want)
		}
		if d := want.diff(got); d != "" {
			t.Errorf("os and compat builds differ:\n%s", d)
		}
	})
}

// cliResult is what one run of the program shows: its outputs, its exit
// status and the files it left in its directory.
type cliResult struct {
	stdout, stderr string
	code           int
	files          map[string]string
}

func (r cliResult) String() string {
	return fmt.Sprintf("exit %d\nstdout: %q\nstderr: %q\nfiles: %q", r.code, r.stdout, r.stderr, r.files)
}

func (r cliResult) diff(o cliResult) string {
	var b strings.Builder
	if r.code != o.code {
		fmt.Fprintf(&b, "exit status: os %d, compat %d\n", r.code, o.code)
	}
	if r.stdout != o.stdout {
		fmt.Fprintf(&b, "stdout:\n  os     %q\n  compat %q\n", r.stdout, o.stdout)
	}
	if r.stderr != o.stderr {
		fmt.Fprintf(&b, "stderr:\n  os     %q\n  compat %q\n", r.stderr, o.stderr)
	}
	for name, data := range r.files {
		if odata, ok := o.files[name]; !ok || odata != data {
			fmt.Fprintf(&b, "file %s:\n  os     %q\n  compat %q (present: %v)\n", name, data, odata, ok)
		}
	}
	for name := range o.files {
		if _, ok := r.files[name]; !ok {
			fmt.Fprintf(&b, "file %s: only the compat build left it\n", name)
		}
	}
	return b.String()
}

func runCLI(t *testing.T, cmd *exec.Cmd, dir string) cliResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return waitCLI(t, cmd, dir, &stdout, &stderr)
}

func waitCLI(t *testing.T, cmd *exec.Cmd, dir string, stdout, stderr *bytes.Buffer) cliResult {
	t.Helper()
	r := cliResult{files: map[string]string{}}
	err := cmd.Wait()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	r.stdout, r.stderr = stdout.String(), stderr.String()
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			b, _ := os.ReadFile(p)
			fi, _ := d.Info()
			rel, _ := filepath.Rel(dir, p)
			r.files[rel] = fi.Mode().String() + " " + string(b)
		}
		return nil
	})
	return r
}

// uringSubmissions counts the io_uring descriptors process pid holds and
// the submissions made on them, from /proc/pid/fdinfo (SqTail).
func uringSubmissions(pid int) (rings int, sqes uint64) {
	fdDir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, _ := os.ReadDir(fdDir)
	for _, e := range entries {
		if l, _ := os.Readlink(filepath.Join(fdDir, e.Name())); l != "anon_inode:[io_uring]" {
			continue
		}
		rings++
		info, _ := os.ReadFile(fmt.Sprintf("/proc/%d/fdinfo/%s", pid, e.Name()))
		for _, line := range strings.Split(string(info), "\n") {
			if v, ok := strings.CutPrefix(line, "SqTail:"); ok {
				n, _ := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
				sqes += n
			}
		}
	}
	return rings, sqes
}
