package p

import "github.com/uringfs/uring/uringfs"

// Open is exported: its result stays in os unless -api.
func Open(name string) (*uringfs.File, error) {
	return uringfs.Open(name)
}

// Config is exported with an exported field.
type Config struct {
	Log *uringfs.File
}

// Default is an exported variable.
var Default *uringfs.File

func Close(f *uringfs.File) error { return f.Close() }
