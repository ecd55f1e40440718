//go:build linux

package sched

// LatencyBucket exposes latencyBucket to the tests of package sched_test.
var LatencyBucket = latencyBucket

// GrowDepth is growDepth, the first ring's depth from which other rings
// are set up.
const GrowDepth = growDepth
