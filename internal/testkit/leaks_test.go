package testkit_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/uringfs/uring/internal/testkit"
)

// leakChildEnv names what TestLeakChild does in a re-executed test binary.
const leakChildEnv = "TESTKIT_LEAK_CHILD"

// leakFileEnv names the file the "fd" child opens and leaves open.
const leakFileEnv = "TESTKIT_LEAK_FILE"

// TestMain checks this package's own tests for leaks. In the "baseline"
// child it first starts a goroutine and opens a file that stay until exit,
// as a process-wide event loop would.
func TestMain(m *testing.M) {
	if os.Getenv(leakChildEnv) == "baseline" {
		go parkForever()
		f, err := os.Open(os.Args[0])
		if err != nil {
			panic(err)
		}
		held = append(held, f)
	}
	testkit.Main(m)
}

// held keeps what a child leaks reachable, so that no cleanup closes it.
var held []any

func parkForever() { select {} }

// TestLeakChild is the body of the re-executed test binaries below.
func TestLeakChild(t *testing.T) {
	switch mode := os.Getenv(leakChildEnv); mode {
	case "":
		t.Skip("runs only as a child of the leak check tests")
	case "goroutine":
		go parkForever()
	case "fd":
		f, err := os.Open(os.Getenv(leakFileEnv))
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, f)
	case "late":
		// A goroutine on its way out and a file nobody refers to any more
		// are within the grace: gone a moment after the tests end.
		go time.Sleep(300 * time.Millisecond)
		if _, err := os.Open(os.Args[0]); err != nil {
			t.Fatal(err)
		}
	case "baseline":
		// TestMain set up what must not count as a leak.
	case "failing":
		go parkForever()
		t.Error("failing on purpose")
	default:
		t.Fatalf("unknown %s=%q", leakChildEnv, mode)
	}
}

// runLeakChild runs TestLeakChild in mode in a child process and returns
// its output and exit status.
func runLeakChild(t *testing.T, mode string, env ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLeakChild$", "-test.count=1", "-test.timeout=1m")
	cmd.Env = append(os.Environ(), append(env, leakChildEnv+"="+mode, "GORACE=atexit_sleep_ms=0")...)
	out, err := cmd.CombinedOutput()
	if err == nil {
		return string(out), 0
	}
	ee, ok := err.(*exec.ExitError)
	if !ok {
		t.Fatalf("child %s: %v\n%s", mode, err, out)
	}
	return string(out), ee.ExitCode()
}

func TestRunReportsLeakedGoroutine(t *testing.T) {
	t.Parallel()
	out, code := runLeakChild(t, "goroutine")
	if code != 1 {
		t.Errorf("child leaking a goroutine exited with status %d, want 1", code)
	}
	for _, want := range []string{
		"leak check: 1 goroutine(s) running code of this module started by the tests",
		"testkit_test.parkForever()",
		"created by github.com/uringfs/uring/internal/testkit_test.TestLeakChild",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "file descriptor(s)") {
		t.Errorf("child leaking only a goroutine reported descriptors:\n%s", out)
	}
}

func TestRunReportsLeakedFd(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("descriptors are checked on Linux only")
	}
	t.Parallel()
	path := filepath.Join(t.TempDir(), "left-open")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := runLeakChild(t, "fd", leakFileEnv+"="+path)
	if code != 1 {
		t.Errorf("child leaking a descriptor exited with status %d, want 1", code)
	}
	for _, want := range []string{
		"leak check: 1 file descriptor(s) opened by the tests and not closed",
		" -> " + path + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "goroutine(s)") {
		t.Errorf("child leaking only a descriptor reported goroutines:\n%s", out)
	}
}

// TestRunQuietWhenNothingLeaks checks that what goes away within the grace,
// and what was there before Run, is not reported.
func TestRunQuietWhenNothingLeaks(t *testing.T) {
	for _, mode := range []string{"late", "baseline"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			out, code := runLeakChild(t, mode)
			if code != 0 || strings.Contains(out, "leak check") {
				t.Errorf("child %s exited with status %d, want 0 and no report:\n%s", mode, code, out)
			}
		})
	}
}

// TestRunQuietWhenTestsFail checks that failing tests keep their own
// status and output, without a leak report on top.
func TestRunQuietWhenTestsFail(t *testing.T) {
	t.Parallel()
	out, code := runLeakChild(t, "failing")
	if code != 1 || !strings.Contains(out, "failing on purpose") || strings.Contains(out, "leak check") {
		t.Errorf("failing child exited with status %d, want 1 with its own failure and no report:\n%s", code, out)
	}
}
