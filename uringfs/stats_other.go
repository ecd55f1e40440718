//go:build !linux

package uringfs

// Stats returns zero stats: no loop runs here.
func Stats() LoopStats { return LoopStats{} }
