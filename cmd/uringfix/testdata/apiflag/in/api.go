package p

import "os"

// Open is exported: its result stays in os unless -api.
func Open(name string) (*os.File, error) {
	return os.Open(name)
}

// Config is exported with an exported field.
type Config struct {
	Log *os.File
}

// Default is an exported variable.
var Default *os.File

func Close(f *os.File) error { return f.Close() }
