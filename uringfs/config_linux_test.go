package uringfs_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/sched"
	"github.com/uringfs/uring/uringfs"
)

// The process-wide loop is shared by every test of this binary, and
// TestMain starts it before any test runs. The tests here start, configure
// and shut down loops of their own, so each runs its scenario in a child
// process of the test binary (TestConfigChild), which begins with Shutdown
// and ends with it: the child's own leak check (testkit.Run) then also
// proves that a shut-down loop leaves no goroutine or descriptor behind.

const configChildEnv = "URINGFS_TEST_CONFIG_CHILD"

// runConfigChild runs TestConfigChild for scenario with the loop's
// environment variables cleared and then set from env, fails t if the
// child fails, and returns its output.
func runConfigChild(t *testing.T, scenario string, env ...string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestConfigChild$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), configChildEnv+"="+scenario, "GORACE=atexit_sleep_ms=0",
		"URINGFS_BACKEND=", "URINGFS_RINGS=", "URINGFS_METADATA=")
	cmd.Env = append(cmd.Env, env...)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestConfigChild") {
		t.Fatalf("child %q: %v\n%s", scenario, err, out)
	}
	return string(out)
}

// results returns the child's RESULT lines.
func results(out string) []string {
	var rs []string
	for _, line := range strings.Split(out, "\n") {
		if r, ok := strings.CutPrefix(line, "RESULT "); ok {
			rs = append(rs, r)
		}
	}
	return rs
}

// uringAvailable reports whether this kernel gives this process io_uring.
func uringAvailable() bool {
	l, err := sched.New(sched.Config{Backend: sched.BackendURing, Rings: 1})
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// ringWorkers counts the goroutines serving a ring.
func ringWorkers() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Count(string(buf), "sched.(*shard).worker(")
}

// ringWorkersAfterShutdown counts the ring workers once a Shutdown has
// returned. Close returns when each worker has signalled its end, which it
// does from a deferred call: the goroutine itself may be on its way out
// for a moment after that, so the count is given a second to settle.
func ringWorkersAfterShutdown() int {
	n := ringWorkers()
	for deadline := time.Now().Add(time.Second); n > 0 && time.Now().Before(deadline); n = ringWorkers() {
		time.Sleep(time.Millisecond)
	}
	return n
}

// defaultRings is the number of rings of the process-wide loop, which
// uringfs runs on.
func defaultRings() int {
	l, err := sched.Default()
	if err != nil {
		return -1
	}
	return l.Rings()
}

// TestConfigChild is the body of the child processes; configChildEnv names
// the scenario.
func TestConfigChild(t *testing.T) {
	scenario := os.Getenv(configChildEnv)
	if scenario == "" {
		t.Skip("runs only as a child of the configuration tests")
	}
	if err := uringfs.Shutdown(); err != nil { // TestMain's loop
		t.Fatal(err)
	}
	defer func() {
		if err := uringfs.Shutdown(); err != nil {
			t.Error(err)
		}
	}()
	configure := func(cfg uringfs.Config) {
		t.Helper()
		if err := uringfs.Shutdown(); err != nil {
			t.Fatal(err)
		}
		if err := uringfs.Configure(cfg); err != nil {
			t.Fatal(err)
		}
	}
	report := func() {
		b, err := uringfs.LoopBackend()
		fmt.Printf("RESULT backend=%s rings=%d err=%v\n", b, defaultRings(), err != nil)
	}
	switch scenario {
	case "rings":
		// The child runs with URINGFS_RINGS=3 and URINGFS_BACKEND=syscall.
		configure(uringfs.Config{Backend: uringfs.BackendAuto, Rings: 2, Entries: 64})
		report()
		configure(uringfs.Config{Backend: uringfs.BackendAuto})
		report()
		configure(uringfs.Config{})
		report()
	case "fallback":
		defer sched.InjectFaults(&sched.FaultPlan{SetupErr: unix.EPERM})()
		var calls atomic.Int32
		var reason error
		onFallback := func(r error) {
			calls.Add(1)
			reason = r
			// The callback may call into the package.
			if fr := uringfs.FallbackReason(); fr != r {
				t.Errorf("in OnFallback: FallbackReason() = %v, want %v", fr, r)
			}
		}
		configure(uringfs.Config{OnFallback: onFallback})
		for range 3 {
			if _, err := uringfs.Stat(os.TempDir()); err != nil {
				t.Fatal(err)
			}
		}
		b, _ := uringfs.LoopBackend()
		fmt.Printf("RESULT auto: calls=%d eperm=%v backend=%s\n", calls.Load(), errors.Is(reason, unix.EPERM), b)
		configure(uringfs.Config{Backend: uringfs.BackendURing, OnFallback: onFallback})
		_, err := uringfs.Stat(os.TempDir())
		fmt.Printf("RESULT uring: calls=%d unavailable=%v\n", calls.Load(), errors.Is(err, uringfs.ErrUnavailable))
		configure(uringfs.Config{Backend: uringfs.BackendSyscall, OnFallback: onFallback})
		_, err = uringfs.Stat(os.TempDir())
		fmt.Printf("RESULT syscall: calls=%d err=%v\n", calls.Load(), err)
	case "shutdown":
		fmt.Printf("RESULT workers after shutdown: %d\n", ringWorkersAfterShutdown())
		before := runtime.NumGoroutine()
		dir := t.TempDir()
		f, err := uringfs.Create(filepath.Join(dir, "f"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := uringfs.LoopBackend()
		if b == uringfs.BackendURing && ringWorkers() != defaultRings() {
			t.Errorf("%d ring workers for %d rings", ringWorkers(), defaultRings())
		}
		fmt.Printf("RESULT configure while running: %v\n", uringfs.Configure(uringfs.Config{}) == uringfs.ErrLoopStarted)
		if err := uringfs.Shutdown(); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("RESULT workers after shutdown: %d\n", ringWorkersAfterShutdown())
		// A write may complete on the caller (RWF_NOWAIT); fsync needs the
		// loop.
		err = f.Sync()
		fmt.Printf("RESULT sync on the closed loop: loop closed=%v\n", errors.Is(err, uringfs.ErrLoopClosed))
		// Close still releases the descriptor (the leak check would see it).
		fmt.Printf("RESULT close on the closed loop: %v\n", f.Close())
		// The next call starts a new loop.
		if err := uringfs.WriteFile(filepath.Join(dir, "g"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := uringfs.Shutdown(); err != nil {
			t.Fatal(err)
		}
		// Goroutines on their way out get a moment.
		for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		fmt.Printf("RESULT goroutines back to the count before the loop: %v\n", runtime.NumGoroutine() <= before)
		fmt.Printf("RESULT configure after shutdown: %v\n", uringfs.Configure(uringfs.Config{}))
	case "examples":
		defer sched.InjectFaults(nil)()
		for _, ex := range []struct {
			name string
			fn   func()
		}{
			{"Configure", ExampleConfigure},
			{"Config_onFallback", ExampleConfig_onFallback},
			{"ErrUnavailable", ExampleErrUnavailable},
			{"Shutdown", ExampleShutdown},
		} {
			if err := uringfs.Shutdown(); err != nil {
				t.Fatal(err)
			}
			// Each example starts from the default configuration.
			if err := uringfs.Configure(uringfs.Config{}); err != nil {
				t.Fatal(err)
			}
			if ex.name == "Config_onFallback" || ex.name == "ErrUnavailable" {
				// Show the fallback and the refusal.
				sched.InjectFaults(&sched.FaultPlan{SetupErr: unix.EPERM})
			} else {
				sched.InjectFaults(nil)
			}
			fmt.Printf("EXAMPLE %s\n", ex.name)
			ex.fn()
			fmt.Printf("END %s\n", ex.name)
			uringfs.Configure(uringfs.Config{}) // fails with ErrLoopStarted when the example leaves the loop running
		}
	default:
		t.Fatalf("unknown scenario %q", scenario)
	}
}

func expectResults(t *testing.T, out string, want []string) {
	t.Helper()
	got := results(out)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("child results:\n%s\nwant:\n%s\n\nchild output:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), out)
	}
}

// TestConfigureRings: Configure chooses the backend and the number of
// rings, and wins over the environment field by field.
func TestConfigureRings(t *testing.T) {
	out := runConfigChild(t, "rings", "URINGFS_RINGS=3", "URINGFS_BACKEND=syscall")
	want := []string{
		"backend=uring rings=2 err=false", // Configure wins
		"backend=uring rings=3 err=false", // Rings from the environment
		"backend=syscall rings=0 err=false",
	}
	if !uringAvailable() {
		want[0], want[1] = "backend=syscall rings=0 err=false", "backend=syscall rings=0 err=false"
	}
	expectResults(t, out, want)
}

// TestConfigureOnFallback: OnFallback is called once, with the reason, when
// the loop starts on system calls although io_uring was wanted, and not for
// BackendURing (an error wrapping ErrUnavailable) or BackendSyscall.
func TestConfigureOnFallback(t *testing.T) {
	out := runConfigChild(t, "fallback")
	// The plan's EPERM comes before the kernel is asked, so the reason is
	// EPERM wherever the test runs (a seccomp filter, qemu's ENOSYS).
	expectResults(t, out, []string{
		"auto: calls=1 eperm=true backend=syscall",
		"uring: calls=1 unavailable=true",
		"syscall: calls=1 err=<nil>",
	})
}

// TestShutdown: Shutdown stops the ring workers, Files of the closed loop
// fail with ErrLoopClosed, the next call starts a new loop, and Configure
// works again once the loop is shut down. The child's leak check passes.
func TestShutdown(t *testing.T) {
	for _, backend := range []string{"", "syscall"} {
		t.Run("backend="+backend, func(t *testing.T) {
			out := runConfigChild(t, "shutdown", "URINGFS_BACKEND="+backend)
			expectResults(t, out, []string{
				"workers after shutdown: 0",
				"configure while running: true",
				"workers after shutdown: 0",
				"sync on the closed loop: loop closed=true",
				"close on the closed loop: <nil>",
				"goroutines back to the count before the loop: true",
				"configure after shutdown: <nil>",
			})
		})
	}
}

// TestConfigExamples runs the examples of example_config_test.go in a
// fresh process, where they can configure and shut down the loop, and
// checks what they print.
func TestConfigExamples(t *testing.T) {
	out := runConfigChild(t, "examples")
	section := func(name string) string {
		_, s, _ := strings.Cut(out, "EXAMPLE "+name+"\n")
		s, _, _ = strings.Cut(s, "END "+name+"\n")
		return s
	}
	if got := section("Configure"); got != "true\n" {
		t.Errorf("ExampleConfigure printed %q", got)
	}
	if got := section("Config_onFallback"); !strings.Contains(got, `msg="uringfs: io_uring unavailable, running on system calls" reason=`) ||
		!strings.HasSuffix(got, "backend: syscall\n") {
		t.Errorf("ExampleConfig_onFallback printed %q", got)
	}
	if got := section("ErrUnavailable"); !strings.HasPrefix(got, "no io_uring here: ") {
		t.Errorf("ExampleErrUnavailable printed %q", got)
	}
	if got := section("Shutdown"); got != "close: <nil>\nshutdown: <nil>\nstat: <nil>\nshutdown: <nil>\n" {
		t.Errorf("ExampleShutdown printed %q", got)
	}
}
