//go:build linux

package uringfs

// SetRootFallbackForTest makes OpenRoot use its os.Root fallback, as on a
// kernel without openat2, until restore is called.
func SetRootFallbackForTest(on bool) (restore func()) {
	old := rootForceOS.Swap(on)
	return func() { rootForceOS.Store(old) }
}

// RootUsesOS reports whether r runs on the os.Root fallback.
func RootUsesOS(r *Root) bool { return r.r.osr != nil }
