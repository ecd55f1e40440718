package p

import (
	"io"
	"os"

	"github.com/uringfs/uring/uringfs"
)

// readAll reads a file through a local *os.File.
func readAll(name string) ([]byte, error) {
	f, err := uringfs.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// appendLine writes through a variable declared with its type.
func appendLine(name, line string) error {
	var f *uringfs.File
	var err error
	f, err = uringfs.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if f == nil {
		return nil
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// tmp creates a temporary file and returns it as an io.WriteCloser.
func tmp() (io.WriteCloser, error) {
	f, err := uringfs.CreateTemp("", "x")
	if err != nil {
		return nil, err
	}
	return f, nil
}

// copyTo copies a file into a new one.
func copyTo(dst, src string) error {
	in, err := uringfs.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := uringfs.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

var _, _, _, _ = readAll, appendLine, tmp, copyTo
