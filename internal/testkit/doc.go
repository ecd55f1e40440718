// Package testkit holds what the module's test suites share: the leak
// check every package's TestMain runs (goroutines of this module and file
// descriptors left behind by the tests), a deadline that turns a hung test
// into a failure with a goroutine dump, and what the differential tests need
// to know about the system they compare against (how finely its stat(2)
// reports timestamps).
//
// It is imported by tests and by the conformance suites only; nothing a
// program links for file I/O depends on it.
package testkit
