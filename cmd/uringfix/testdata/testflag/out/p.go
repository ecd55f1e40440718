package p

import "github.com/uringfs/uring/uringfs"

// create is used by the test file, which is left alone without -test.
func create(name string) (*uringfs.File, error) {
	return uringfs.Create(name)
}

func write(name string) error {
	f, err := uringfs.Create(name)
	if err != nil {
		return err
	}
	return f.Close()
}

var _ = write
