//go:build !race

package sched

// raceBuild reports a build with the race detector; see race_on.go.
const raceBuild = false
