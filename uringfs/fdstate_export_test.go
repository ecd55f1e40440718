//go:build linux

package uringfs

// FileRefs reports how many operations hold f's descriptor right now.
func FileRefs(f *File) int64 { return f.state.v.Load() &^ (fdClosedBit | fdDeferBit) }
