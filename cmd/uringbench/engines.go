package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/afero"
	"github.com/uringfs/uring"
	"github.com/uringfs/uring/uringfs"
)

// Engine names as they appear in -engines and in the report.
const (
	engineOS      = "os"      // os.File
	engineUring   = "uring"   // uringfs on the process loop as the environment sets it up
	engineSyscall = "syscall" // uringfs with URINGFS_BACKEND=syscall, always in a child process
	engineFio     = "fio"     // fio --ioengine=io_uring, the workloads in fioWorkloads only (-fio)
)

// benchFile is the part of *os.File and *uringfs.File the workloads use.
type benchFile interface {
	io.Reader
	io.ReaderAt
	io.Seeker
	io.WriterAt
	io.Writer
	Readdirnames(n int) ([]string, error)
	Sync() error
	Close() error
}

// engine is one file API under test, running in this process.
type engine struct {
	name string
	open func(name string, flag int, perm fs.FileMode) (benchFile, error)
	// readFile reads a whole file in one call (os.ReadFile, uringfs.ReadFile).
	// If it is nil the readfile workload opens, reads and closes instead.
	readFile func(name string) ([]byte, error)
	// The metadata and tree workloads (meta.go) call these.
	stat, lstat func(name string) (fs.FileInfo, error)
	dirFS       func(dir string) fs.FS
	afero       afero.Fs
}

var osEngine = &engine{
	name: engineOS,
	open: func(name string, flag int, perm fs.FileMode) (benchFile, error) {
		f, err := os.OpenFile(name, flag, perm)
		if err != nil {
			return nil, err
		}
		return f, nil
	},
	readFile: os.ReadFile,
	stat:     os.Stat,
	lstat:    os.Lstat,
	dirFS:    os.DirFS,
	afero:    afero.NewOsFs(),
}

// uringEngine serves both "uring" and "syscall": which backend the loop uses
// is decided by URINGFS_BACKEND when the process starts.
func uringEngine(name string) *engine {
	return &engine{
		name: name,
		open: func(name string, flag int, perm fs.FileMode) (benchFile, error) {
			f, err := uringfs.OpenFile(name, flag, perm)
			if err != nil {
				return nil, err
			}
			return f, nil
		},
		readFile: uringfs.ReadFile,
		stat:     uringfs.Stat,
		lstat:    uringfs.Lstat,
		dirFS:    uringfs.DirFS,
		afero:    uring.NewFs(),
	}
}

func engineByName(name string) (*engine, error) {
	switch name {
	case engineOS:
		return osEngine, nil
	case engineUring, engineSyscall:
		return uringEngine(name), nil
	}
	return nil, fmt.Errorf("unknown engine %q", name)
}

// childFlag, as the first argument, makes the binary run one phase described
// by the JSON in the second argument and print its result as JSON. It is not
// in -help: only the tool itself passes it.
const childFlag = "-child-phase"

// childProgressPrefix starts the lines a child writes to stderr to report how
// many operations it has done, so the parent can keep its progress line live.
const childProgressPrefix = "uringbench-progress "

// runChild runs one phase in a fresh copy of this binary. The engines that
// need their own process get one: "syscall" because the loop's backend is
// fixed at process start, and, with -isolate, all of them, so that thread
// counts, loop counters and CPU time belong to one engine alone.
func runChild(spec phaseSpec, onProgress func(ops int64, elapsed time.Duration)) phaseResult {
	res := phaseResult{phaseSpec: spec, Threads: -1, CPU: -1, Others: -1}
	exe, err := os.Executable()
	if err != nil {
		res.Err = "cannot find own executable: " + err.Error()
		return res
	}
	arg, err := json.Marshal(spec)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	cmd := exec.Command(exe, childFlag, string(arg))
	cmd.Env = os.Environ()
	if spec.Engine == engineSyscall {
		cmd.Env = withEnv(cmd.Env, "URINGFS_BACKEND", "syscall")
	}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		res.Err = err.Error()
		return res
	}
	if err := cmd.Start(); err != nil {
		res.Err = "start child: " + err.Error()
		return res
	}
	var other strings.Builder // whatever else the child said, for error reports
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, childProgressPrefix); ok {
			var ops, ns int64
			if _, err := fmt.Sscan(rest, &ops, &ns); err == nil && onProgress != nil {
				onProgress(ops, time.Duration(ns))
			}
			continue
		}
		if other.Len() < 4096 {
			other.WriteString(line)
			other.WriteByte('\n')
		}
	}
	waitErr := cmd.Wait()
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		res = phaseResult{phaseSpec: spec, Threads: -1, CPU: -1, Others: -1}
		msg := strings.TrimSpace(other.String())
		if waitErr != nil {
			msg = waitErr.Error() + ": " + msg
		}
		res.Err = "child: " + strings.TrimSpace(msg)
	}
	return res
}

// withEnv returns env with key set to value, replacing any earlier setting.
func withEnv(env []string, key, value string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return append(out, key+"="+value)
}

// childMain is the child side of runChild.
func childMain(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "uringbench: child mode wants one JSON argument")
		return 2
	}
	var spec phaseSpec
	if err := json.Unmarshal([]byte(args[0]), &spec); err != nil {
		fmt.Fprintln(stderr, "uringbench: child spec:", err)
		return 2
	}
	progress := func(ops int64, elapsed time.Duration) {
		fmt.Fprintln(stderr, childProgressPrefix+strconv.FormatInt(ops, 10)+" "+strconv.FormatInt(int64(elapsed), 10))
	}
	res := runPhase(spec, progress)
	if err := json.NewEncoder(stdout).Encode(res); err != nil {
		fmt.Fprintln(stderr, "uringbench: child result:", err)
		return 1
	}
	return 0
}
