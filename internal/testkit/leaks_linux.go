package testkit

import "os"

// OpenFds maps each descriptor open in this process to what it refers to,
// as /proc/self/fd shows it ("/path/to/file", "pipe:[1234]",
// "anon_inode:[io_uring]"). It returns nil where it cannot tell: where
// /proc is not mounted, and on systems other than Linux.
func OpenFds() map[string]string {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil
	}
	m := make(map[string]string, len(ents))
	for _, e := range ents {
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil {
			continue // the descriptor ReadDir itself used, closed by now
		}
		m[e.Name()] = target
	}
	return m
}
