//go:build linux

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// oDirect is the open flag for O_DIRECT; zero where the system has none.
const oDirect = syscall.O_DIRECT

// cpuTime is the user and system CPU time this process has used so far.
func cpuTime() (user, sys time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1, -1
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

// threadCount is the number of OS threads in this process, from the
// Threads line of /proc/self/status; -1 if it cannot be read.
func threadCount() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Bytes()
		if rest, ok := bytes.CutPrefix(line, []byte("Threads:")); ok {
			n, err := strconv.Atoi(string(bytes.TrimSpace(rest)))
			if err != nil {
				return -1
			}
			return n
		}
	}
	return -1
}

// kernelRelease is uname -r.
func kernelRelease() string {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return "unknown"
	}
	var b []byte
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}

// fsType names the file system holding dir, from its statfs magic number.
func fsType(dir string) string {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return "unknown"
	}
	switch uint64(st.Type) {
	case 0xEF53:
		return "ext2/3/4"
	case 0x58465342:
		return "xfs"
	case 0x9123683E:
		return "btrfs"
	case 0x01021994:
		return "tmpfs"
	case 0x794C7630:
		return "overlayfs"
	case 0x2FC12FC1:
		return "zfs"
	case 0x6969:
		return "nfs"
	case 0xF2F52010:
		return "f2fs"
	case 0x65735546:
		return "fuse"
	}
	return "0x" + strconv.FormatUint(uint64(st.Type), 16)
}

// loadAvg is the one-minute load average; -1 if unknown.
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := bytes.Fields(b)
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(string(f[0]), 64)
	if err != nil {
		return -1
	}
	return v
}

// machineBusy is the CPU time all CPUs have spent running processes since
// boot (user, nice, system and steal time), from /proc/stat; -1 if unknown. Less this process's
// own CPU time it shows how much other work competed with a phase.
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return -1
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 9 || string(f[0]) != "cpu" {
		return -1
	}
	var busy int64
	for i, v := range f[1:9] {
		// Skip idle and iowait, and irq and softirq too: interrupt time is
		// mostly the completions of our own I/O, charged to no process.
		if i >= 3 && i <= 6 {
			continue
		}
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return -1
		}
		busy += n
	}
	// /proc/stat counts in USER_HZ ticks, 100 a second on every Linux ABI.
	return time.Duration(busy) * 10 * time.Millisecond
}

// dropCache drops the file's pages from the page cache:
// posix_fadvise(POSIX_FADV_DONTNEED) over the whole file. Only clean pages
// go; the files it is used on were synced when written and are only read.
func dropCache(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
}

// cachedShare is the share of name's first size bytes that is in the page
// cache, 0 to 1. cachestat(2) (Linux 6.5) costs in proportion to the pages
// cached; mincore(2), the fallback, to the pages asked about: some 10 ms
// for 1 GiB, a tenth of a CPU when asked ten times a second beside the
// phase.
func cachedShare(name string, size int64) (float64, error) {
	c, err := cachestatShare(name, size)
	if err == unix.ENOSYS {
		return mincoreShare(name, size)
	}
	return c, err
}

func cachestatShare(name string, size int64) (float64, error) {
	if size <= 0 {
		return 0, fmt.Errorf("cannot measure %d bytes", size)
	}
	f, err := os.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var cs unix.Cachestat_t
	if err := unix.Cachestat(uint(f.Fd()), &unix.CachestatRange{Off: 0, Len: uint64(size)}, &cs, 0); err != nil {
		return 0, err
	}
	page := int64(os.Getpagesize())
	return min(float64(cs.Cache)/float64((size+page-1)/page), 1), nil
}

// mincoreShare is cachedShare from mincore(2) on a mapping of the file that
// is never touched.
func mincoreShare(name string, size int64) (float64, error) {
	if size <= 0 || int64(int(size)) != size {
		return 0, fmt.Errorf("cannot map %d bytes", size)
	}
	f, err := os.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	m, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return 0, err
	}
	defer unix.Munmap(m)
	page := int64(os.Getpagesize())
	vec := make([]byte, (size+page-1)/page)
	// x/sys/unix has no wrapper for mincore.
	if _, _, e := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
		return 0, fmt.Errorf("mincore: %w", e)
	}
	in := 0
	for _, v := range vec {
		in += int(v & 1)
	}
	return float64(in) / float64(len(vec)), nil
}

// syncFS writes back the dirty data of the file system holding dir, so
// that the writeback of prepared files does not run during the phases.
func syncFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}
