package uringfs_test

import (
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/uringfs/uring/uringfs"
)

// These examples change the process-wide loop, which the test binary has
// started before they could run, so they have no Output to check here:
// TestConfigExamples runs them in a fresh process and checks what they
// print.

// Configure goes first in main: the loop starts on the first call that
// does I/O, and takes the configuration in effect then.
func ExampleConfigure() {
	err := uringfs.Configure(uringfs.Config{
		Rings:        2,   // instead of up to one per P, set up with load
		Entries:      256, // per ring
		RingMetadata: true,
		// Backend left unset: URINGFS_BACKEND still chooses.
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := uringfs.WriteFile(filepath.Join(os.TempDir(), "uringfs-example"), []byte("hi\n"), 0o644); err != nil {
		log.Fatal(err)
	}
	os.Remove(filepath.Join(os.TempDir(), "uringfs-example"))

	// The loop runs: another Configure is too late.
	err = uringfs.Configure(uringfs.Config{Rings: 4})
	fmt.Println(errors.Is(err, uringfs.ErrLoopStarted))
	// It prints:
	// true
}

// A program that wants to know when io_uring is refused (by seccomp, by
// kernel.io_uring_disabled, by an old kernel) logs the reason once.
func ExampleConfig_onFallback() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	err := uringfs.Configure(uringfs.Config{
		Backend: uringfs.BackendAuto,
		OnFallback: func(reason error) {
			logger.Warn("uringfs: io_uring unavailable, running on system calls", "reason", reason)
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	b, err := uringfs.LoopBackend()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("backend:", b)
}

// A program that demands io_uring matches ErrUnavailable.
func ExampleErrUnavailable() {
	if err := uringfs.Configure(uringfs.Config{Backend: uringfs.BackendURing}); err != nil {
		log.Fatal(err)
	}
	_, err := uringfs.Stat(os.TempDir())
	if errors.Is(err, uringfs.ErrUnavailable) {
		fmt.Println("no io_uring here:", err)
		return
	}
	fmt.Println("on io_uring")
}

// Shutdown stops the loop's goroutines and closes its rings, as a test
// that checks for leaked goroutines needs:
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		if err := uringfs.Shutdown(); err != nil {
//			log.Fatal(err)
//		}
//		// check for leaked goroutines here
//		os.Exit(code)
//	}
//
// The next call starts a new loop.
func ExampleShutdown() {
	dir, err := os.MkdirTemp("", "uringfs-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	name := filepath.Join(dir, "f")
	f, err := uringfs.Create(name)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("close:", f.Close()) // before Shutdown
	fmt.Println("shutdown:", uringfs.Shutdown())

	// A new loop starts here.
	_, err = uringfs.Stat(name)
	fmt.Println("stat:", err)
	fmt.Println("shutdown:", uringfs.Shutdown())
	// It prints:
	// close: <nil>
	// shutdown: <nil>
	// stat: <nil>
	// shutdown: <nil>
}
