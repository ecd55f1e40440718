package testkit_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/uringfs/uring/internal/testkit"
)

// TestStatTimeGranularity checks the probe on a kernel, where stat(2)
// reports nanoseconds; qemu-user's s390x emulation is the one place known to
// report seconds.
func TestStatTimeGranularity(t *testing.T) {
	g := testkit.StatTimeGranularity()
	t.Logf("os.Stat timestamps here: every %v", g)
	if g != time.Nanosecond && runtime.GOARCH != "s390x" {
		t.Errorf("StatTimeGranularity = %v on %s, want 1ns", g, runtime.GOARCH)
	}
	ts := time.Unix(5, 987654321)
	if got := testkit.OracleTime(ts); !got.Equal(ts.Truncate(g)) {
		t.Errorf("OracleTime(%v) = %v", ts, got)
	}
}
