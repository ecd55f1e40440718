//go:build linux

package uringfs_test

import (
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/uringfs/uring/internal/testkit"
	"github.com/uringfs/uring/uringfs"
)

// TestMain fails the run when the tests leave a goroutine of this module
// running or a file descriptor open (see testkit.Run). The process-wide
// loop starts first, so its ring workers and its ring and eventfd
// descriptors, which live until exit by design, are part of the baseline;
// the rings it sets up later, as more Ps submit, are released by
// Shutdown before the check.
func TestMain(m *testing.M) {
	flag.Parse()
	backend, err := uringfs.Backend()
	if err != nil {
		fmt.Fprintln(os.Stderr, "uringfs: no event loop:", err)
		os.Exit(1)
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "uringfs tests on the %s backend (fallback reason: %v)\n", backend, uringfs.FallbackReason())
	}
	testkit.Main(m, func() { uringfs.Shutdown() })
}

// openFds maps each open descriptor to what it refers to (TestSoak counts
// them).
func openFds() map[string]string { return testkit.OpenFds() }

// hangDeadline bounds each test that could deadlock (testkit.Deadline): far
// above what any of them takes under -race or qemu, far below the package
// timeout, so a hang fails with its own name and stacks.
const hangDeadline = 3 * time.Minute
