// Command noring runs a command where io_uring is refused, as Docker's
// default seccomp profile refuses it: io_uring_setup, io_uring_enter and
// io_uring_register fail with EPERM, everything else is allowed. The test
// suite must pass there too, on the fallback backend, with the tests that
// need the ring skipped and saying why.
//
//	go run ./.ci/noring go test ./...
package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The io_uring system calls have the same numbers on every Linux
// architecture Go supports (they came after the tables were unified).
const (
	sysIOURingSetup    = 425
	sysIOURingRegister = 427
)

const (
	seccompRetErrno = 0x00050000
	seccompRetAllow = 0x7fff0000
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: noring command [args...]")
		os.Exit(2)
	}
	path, err := exec.LookPath(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "noring:", err)
		os.Exit(2)
	}
	// A filter installed with prctl holds for the calling thread and what
	// it executes: install it and exec on one locked thread.
	runtime.LockOSThread()
	if err := refuseIOURing(); err != nil {
		fmt.Fprintln(os.Stderr, "noring:", err)
		os.Exit(2)
	}
	err = syscall.Exec(path, os.Args[1:], os.Environ())
	fmt.Fprintln(os.Stderr, "noring: exec:", err)
	os.Exit(2)
}

// refuseIOURing installs a seccomp filter that answers EPERM to the system
// calls numbered sysIOURingSetup to sysIOURingRegister.
func refuseIOURing() error {
	offNr := uint32(0) // seccomp_data.nr
	prog := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: offNr},
		{Code: unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K, K: sysIOURingSetup, Jt: 0, Jf: 2},
		{Code: unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K, K: sysIOURingRegister, Jt: 1, Jf: 0},
		{Code: unix.BPF_RET | unix.BPF_K, K: seccompRetErrno | uint32(unix.EPERM)},
		{Code: unix.BPF_RET | unix.BPF_K, K: seccompRetAllow},
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("PR_SET_NO_NEW_PRIVS: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_SECCOMP, unix.SECCOMP_MODE_FILTER, uintptr(unsafe.Pointer(&fprog)), 0, 0); err != nil {
		return fmt.Errorf("PR_SET_SECCOMP: %w", err)
	}
	return nil
}
