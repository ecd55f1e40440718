//go:build !linux

package main

import (
	"errors"
	"runtime"
	"time"
)

// oDirect is zero here: there is no O_DIRECT, so the O_DIRECT workloads are
// reported as unsupported.
const oDirect = 0

func cpuTime() (user, sys time.Duration) { return -1, -1 }

func threadCount() int { return -1 }

func kernelRelease() string { return "unknown" }

func fsType(string) string { return "unknown" }

func loadAvg() float64 { return -1 }

func machineBusy() time.Duration { return -1 }

// errNoCacheControl is why randread-cold cannot run here: it needs
// posix_fadvise and mincore as Linux has them.
var errNoCacheControl = errors.New("no page cache control on " + runtime.GOOS)

func dropCache(string) error { return errNoCacheControl }

func cachedShare(string, int64) (float64, error) { return 0, errNoCacheControl }

func syncFS(string) error { return nil }
