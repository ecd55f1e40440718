//go:build !linux

package main

import "time"

// oDirect is zero here: there is no O_DIRECT, so the O_DIRECT workloads are
// reported as unsupported.
const oDirect = 0

func cpuTime() (user, sys time.Duration) { return -1, -1 }

func threadCount() int { return -1 }

func kernelRelease() string { return "unknown" }

func fsType(string) string { return "unknown" }

func loadAvg() float64 { return -1 }

func machineBusy() time.Duration { return -1 }
