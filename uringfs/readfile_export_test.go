//go:build linux

package uringfs

// DirectSlotsInUse reports the process loop's direct descriptor slots that
// are taken (by a ReadFile in progress) or leaked.
func DirectSlotsInUse() int {
	l, err := loop()
	if err != nil {
		return 0
	}
	return l.DirectSlotsInUse()
}

// DirectFiles reports whether ReadFile can take its one-chain fast path.
func DirectFiles() bool {
	l, err := loop()
	return err == nil && l.DirectFiles()
}

// CallerReadFile reports whether ReadFile tries its caller-side path
// (readFileCached) here, and SetCallerReadFile turns that path off or on,
// returning the function that restores the setting.
func CallerReadFile() bool {
	l, err := loop()
	return err == nil && l.CachedOpens() && !callerPathOff.Load()
}

func SetCallerReadFile(on bool) (restore func()) {
	was := !callerPathOff.Load()
	callerPathOff.Store(!on)
	return func() { callerPathOff.Store(!was) }
}
