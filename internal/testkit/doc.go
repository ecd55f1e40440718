// Package testkit holds what the module's test suites share:
//
//   - the leak check every package's TestMain runs, through Main or Run:
//     goroutines of this module and file descriptors (OpenFds) left behind
//     by the tests;
//   - Deadline, which turns a hung test into a failure with a goroutine
//     dump;
//   - the differential recorder: a Recorder renders each step of a program
//     run against the oracle (os, afero.OsFs, os.Root) or against ours as
//     comparable text (values; errors by type chain, Op and paths, errno,
//     errors.Is sentinels and message; paths under the run's directory as
//     $DIR), and Differences or Mismatches compare two transcripts step by
//     step; FormatError and DiffErrors do the same for one error;
//   - the tree snapshot: Snapshot walks a directory and records every
//     file's path relative to the root, type and mode, size, content hash
//     and link target (owners, link counts and a fixed time on request),
//     and Tree.Diff describes two trees' differences path by path;
//   - what the differential tests need to know about the system they
//     compare against: how finely its stat(2) reports timestamps
//     (StatTimeGranularity, OracleTime, OracleStat).
//
// It is imported by tests and by the conformance suites only; nothing a
// program links for file I/O depends on it.
package testkit
