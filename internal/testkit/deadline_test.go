package testkit_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/uringfs/uring/internal/testkit"
)

// TestDeadlineReportsStuckTest runs a test that blocks forever in a child
// process and checks that Deadline ends it with the test's name and the
// blocked goroutine's stack.
func TestDeadlineReportsStuckTest(t *testing.T) {
	if os.Getenv("TESTKIT_STUCK_CHILD") == "1" {
		testkit.Deadline(t, 200*time.Millisecond)
		blockForever()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDeadlineReportsStuckTest$", "-test.timeout=1m")
	cmd.Env = append(os.Environ(), "TESTKIT_STUCK_CHILD=1")
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 2 {
		t.Fatalf("child exited with %v, want status 2; output:\n%s", err, out)
	}
	for _, want := range []string{"--- FAIL: TestDeadlineReportsStuckTest: still running after 200ms", "testkit_test.blockForever"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
}

// TestDeadlineQuietWhenDone checks that a test finishing in time is not
// reported once its deadline passes.
func TestDeadlineQuietWhenDone(t *testing.T) {
	if os.Getenv("TESTKIT_STUCK_CHILD") == "2" {
		t.Run("quick", func(t *testing.T) { testkit.Deadline(t, 50*time.Millisecond) })
		time.Sleep(200 * time.Millisecond)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDeadlineQuietWhenDone$", "-test.timeout=1m")
	cmd.Env = append(os.Environ(), "TESTKIT_STUCK_CHILD=2")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child failed: %v\n%s", err, out)
	}
}

func blockForever() { select {} }
