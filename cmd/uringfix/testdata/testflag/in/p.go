package p

import "os"

// create is used by the test file, which is left alone without -test.
func create(name string) (*os.File, error) {
	return os.Create(name)
}

func write(name string) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	return f.Close()
}

var _ = write
