package compat_test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/uringfs/uring/compat"
	"github.com/uringfs/uring/uringfs"
)

// configureChildEnv makes the test binary run configureChild instead of
// its tests: a process in which only the package's initialisation has run.
const configureChildEnv = "COMPAT_CONFIGURE_CHILD"

// configureChild is main of a program under the compat import: it
// configures the loop after compat's initialisation, writes through
// compat.Stdout, and reports what it got.
func configureChild() int {
	err := uringfs.Configure(uringfs.Config{Rings: 1})
	fmt.Fprintf(compat.Stdout, "configure: %v\n", err)
	b, _ := uringfs.Backend()
	fmt.Fprintf(compat.Stdout, "backend %s, rings %d\n", b, len(uringfs.Stats().Rings))
	return 0
}

// TestConfigureAfterInit: importing compat makes Files of the standard
// streams without starting the loop, so main can still configure it.
func TestConfigureAfterInit(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), configureChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	got := string(out)
	if !strings.Contains(got, "configure: <nil>\n") {
		t.Errorf("Configure after compat's initialisation failed:\n%s", got)
	}
	want := "backend uring, rings 1\n"
	if os.Getenv("URINGFS_BACKEND") == "syscall" || !strings.Contains(got, "backend uring") {
		want = "backend syscall, rings 0\n"
	}
	if !strings.Contains(got, want) {
		t.Errorf("child printed %q, want %q in it", got, want)
	}
}
