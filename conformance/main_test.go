package conformance

import (
	"testing"

	"github.com/uringfs/uring/internal/testkit"
)

// TestMain fails the run when the suites leave a goroutine of this module
// running or a file descriptor open (see testkit.Run): a suite must close
// what it opens, on the oracle as on the file systems it tests.
func TestMain(m *testing.M) { testkit.Main(m) }
