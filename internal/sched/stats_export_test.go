//go:build linux

package sched

// LatencyBucket exposes latencyBucket to the tests of package sched_test.
var LatencyBucket = latencyBucket

// PsPerRing is psPerRing, the number of Ps a default loop's ring serves.
const PsPerRing = psPerRing

// GrowDepth is growDepth, the first ring's depth from which other rings
// are set up.
const GrowDepth = growDepth
