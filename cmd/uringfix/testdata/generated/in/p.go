package p

import "os"

// closeIt is called from a generated file with an *os.File: it stays.
func closeIt(f *os.File) error {
	return f.Close()
}

func remove(name string) error {
	return os.Remove(name)
}

var _, _ = generated, remove
