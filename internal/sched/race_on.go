//go:build race

package sched

// raceBuild reports a build with the race detector, which cannot see the
// ordering the kernel gives between a submitter's writes and the reaper
// that reads the CQE; see reapLocked.
const raceBuild = true
