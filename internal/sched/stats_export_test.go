//go:build linux

package sched

// LatencyBucket exposes latencyBucket to the tests of package sched_test.
var LatencyBucket = latencyBucket
